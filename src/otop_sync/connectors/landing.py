"""The raw landing store: every payload fetched or dropped, kept byte for byte.

Payloads are content-addressed (``objects/ab/<sha256>.<ext>``), so a name never carries a
credential and the same bytes are stored once. An append-only manifest (``manifest.jsonl``)
records each landing: source, URL or path, size, fetch time, the request it answered and its
``ETag``/``Last-Modified``. Several processes may share one store: the manifest is appended
under an exclusive file lock.

The store is a cache of bytes. What loads have consumed is the warehouse's to know (it is
written in the load's own transaction): a run reads it at its start as
:class:`ConsumedPayloads` and the store answers from it "is this the payload last loaded for
this request?" (then the dataset is unchanged and the run can skip it) and "has this content
been loaded already?" (then a file dropped again is not read again). A new or restored
warehouse with an old data folder therefore loads everything; a payload fetched by a run that
failed is not consumed, so the next run loads it.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO


@dataclass(frozen=True)
class RawFile:
    """One landed payload."""

    sha256: str
    size: int
    source: str
    location: str
    """URL (without credentials) or file path the payload came from."""
    request_key: str
    fetched_at: datetime
    stored_path: Path
    media_type: str | None = None
    etag: str | None = None
    last_modified: str | None = None


@dataclass(frozen=True)
class Landing:
    """The result of landing a payload: the file, and whether it is the one last loaded."""

    raw: RawFile
    unchanged: bool


@dataclass(frozen=True)
class ConsumedPayloads:
    """What loads have committed, as the warehouse records it (read at a run's start)."""

    last_by_request: Mapping[str, str] = field(default_factory=dict)
    """Request key → sha256 of the payload last loaded for it."""
    hashes: frozenset[str] = frozenset()
    """Every payload ever loaded."""

    @classmethod
    def of(cls, raws: Iterable[RawFile]) -> ConsumedPayloads:
        """The record after loading these payloads, in order."""
        raws = list(raws)
        return cls({r.request_key: r.sha256 for r in raws}, frozenset(r.sha256 for r in raws))


class RawLandingStore:
    """Content-addressed payload storage under one folder (see module docstring)."""

    def __init__(self, root: Path, consumed: ConsumedPayloads | None = None) -> None:
        self.root = root
        self.objects = root / "objects"
        self.manifest = root / "manifest.jsonl"
        self.consumed_payloads = consumed or ConsumedPayloads()
        self._latest: dict[str, dict] = {}
        """Request key → its latest manifest entry, as far as the manifest was read."""
        self._manifest_read = 0
        """Bytes of the manifest read into ``_latest``."""
        (root / "tmp").mkdir(parents=True, exist_ok=True)
        self.objects.mkdir(parents=True, exist_ok=True)

    @contextmanager
    def writer(self) -> Iterator[tuple[IO[bytes], hashlib._Hash]]:
        """A temporary file to stream a payload into, with its running sha256.

        The caller then passes the temporary file's name to :meth:`commit`; if the block
        raises, the partial payload is deleted and nothing is recorded.
        """
        with tempfile.NamedTemporaryFile(dir=self.root / "tmp", delete=False) as handle:
            try:
                yield handle, hashlib.sha256()
            except BaseException:
                handle.close()
                Path(handle.name).unlink(missing_ok=True)
                raise

    def commit(
        self,
        temporary: Path,
        sha256: str,
        *,
        source: str,
        location: str,
        request_key: str,
        suffix: str,
        media_type: str | None = None,
        etag: str | None = None,
        last_modified: str | None = None,
    ) -> Landing:
        """Move a fully written temporary payload into the store and record it."""
        target = self.objects / sha256[:2] / f"{sha256}{suffix}"
        target.parent.mkdir(exist_ok=True)
        if target.exists():
            temporary.unlink()
        else:
            os.replace(temporary, target)
        raw = RawFile(
            sha256=sha256,
            size=target.stat().st_size,
            source=source,
            location=location,
            request_key=request_key,
            fetched_at=datetime.now(UTC),
            stored_path=target,
            media_type=media_type,
            etag=etag,
            last_modified=last_modified,
        )
        self._append(self.manifest, _to_json(raw))
        return Landing(raw, unchanged=self.last_consumed(request_key) == sha256)

    def put_bytes(self, data: bytes, **details: str | None) -> Landing:
        """Land a payload already in memory (small pages, reports)."""
        with self.writer() as (handle, digest):
            handle.write(data)
            digest.update(data)
        return self.commit(Path(handle.name), digest.hexdigest(), **details)  # type: ignore[arg-type]

    def last_for(self, request_key: str) -> RawFile | None:
        """The latest payload landed for a request, if any (by this process or another)."""
        self._read_manifest()
        entry = self._latest.get(request_key)
        return _from_json(entry) if entry else None

    def _read_manifest(self) -> None:
        """Bring the index of the latest entry per request up to date with the lines appended
        to the manifest since it was last read: each line is parsed once, however many
        requests a run makes and however long the manifest has grown."""
        if not self.manifest.exists():
            return
        with self.manifest.open("rb") as handle:
            fcntl.flock(handle, fcntl.LOCK_SH)
            handle.seek(self._manifest_read)
            appended = handle.read()
        complete = appended[: appended.rfind(b"\n") + 1]  # a line still being written waits
        for line in complete.splitlines():
            if line.strip():
                entry = json.loads(line)
                self._latest[entry["request_key"]] = entry
        self._manifest_read += len(complete)

    def last_consumed(self, request_key: str) -> str | None:
        """The sha256 of the last payload a load committed for a request, if any."""
        return self.consumed_payloads.last_by_request.get(request_key)

    def consumed(self) -> frozenset[str]:
        """Hashes of every payload a load has committed."""
        return self.consumed_payloads.hashes

    def _append(self, path: Path, entry: dict[str, object]) -> None:
        line = json.dumps(entry, ensure_ascii=False) + "\n"
        with path.open("a", encoding="utf-8") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            handle.write(line)


def _to_json(raw: RawFile) -> dict[str, object]:
    entry = asdict(raw)
    entry["fetched_at"] = raw.fetched_at.isoformat()
    entry["stored_path"] = str(raw.stored_path)
    return entry


def _from_json(entry: dict) -> RawFile:
    return RawFile(
        **{
            **entry,
            "fetched_at": datetime.fromisoformat(entry["fetched_at"]),
            "stored_path": Path(entry["stored_path"]),
        }
    )
