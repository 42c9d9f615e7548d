"""The raw landing store: every payload fetched or dropped, kept byte for byte.

Payloads are content-addressed (``objects/ab/<sha256>.<ext>``), so a name never carries a
credential and the same bytes are stored once. An append-only manifest (``manifest.jsonl``)
records each landing: source, URL or path, size, fetch time, the request it answered and its
``ETag``/``Last-Modified``. A second log (``consumed.jsonl``) records which payloads a load
committed. Together they answer: "is this the payload last loaded for this request?" (then the
dataset is unchanged and the run can skip it) and "has this content been loaded already?" (then
a file dropped again is not read again). A payload fetched by a run that failed is not consumed,
so the next run loads it. Several processes may share one store: both logs are appended under
an exclusive file lock.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
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


class RawLandingStore:
    """Content-addressed payload storage under one folder (see module docstring)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.objects = root / "objects"
        self.manifest = root / "manifest.jsonl"
        self.consumed_log = root / "consumed.jsonl"
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
        """The latest payload landed for a request, if any."""
        latest = None
        for entry in self._entries(self.manifest):
            if entry["request_key"] == request_key:
                latest = entry
        return _from_json(latest) if latest else None

    def mark_consumed(self, raws: list[RawFile], run_id: str) -> None:
        """Record that a load committed these payloads: the same bytes again for the same
        request are then unchanged, and a file dropped again is not read again."""
        for raw in raws:
            entry = {"sha256": raw.sha256, "request_key": raw.request_key, "run_id": run_id}
            self._append(self.consumed_log, entry)

    def last_consumed(self, request_key: str) -> str | None:
        """The sha256 of the last payload a load committed for a request, if any."""
        latest = None
        for entry in self._entries(self.consumed_log):
            if entry["request_key"] == request_key:
                latest = entry["sha256"]
        return latest

    def consumed(self) -> set[str]:
        """Hashes of every payload a load has committed."""
        return {entry["sha256"] for entry in self._entries(self.consumed_log)}

    def _append(self, path: Path, entry: dict[str, object]) -> None:
        line = json.dumps(entry, ensure_ascii=False) + "\n"
        with path.open("a", encoding="utf-8") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            handle.write(line)

    def _entries(self, path: Path) -> Iterator[dict]:
        if not path.exists():
            return
        with path.open(encoding="utf-8") as handle:
            fcntl.flock(handle, fcntl.LOCK_SH)
            for line in handle:
                if line.strip():
                    yield json.loads(line)


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
