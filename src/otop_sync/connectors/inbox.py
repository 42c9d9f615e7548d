"""The file inbox: export files dropped in a folder, recognised by name, each read once.

Only regular files directly inside the folder are read: a symbolic link (which could point
anywhere on the machine), a device, a pipe or a folder is skipped and the scan says why. A file
over the size cap is skipped unread.

A file's dataset is the word in its name that the catalog declares (``products``, ``sales``,
``shops``, ``baseline``, ``responses``).
Files are landed in the raw store like downloads; a file whose content a load has already
committed is passed over however often it is dropped again (under any name).
"""

from __future__ import annotations

import shutil
import stat
from dataclasses import dataclass, field
from pathlib import Path

from otop_sync.connectors.errors import SourceError
from otop_sync.connectors.extract import Extract, canonical_from_raw
from otop_sync.connectors.files import DEFAULT_LIMITS, ReadLimits, size_text
from otop_sync.connectors.landing import Landing, RawLandingStore
from otop_sync.datasets import CATALOG, DatasetSpec, dataset_for_filename

SUFFIXES = frozenset({".csv", ".xlsx"})


@dataclass(frozen=True)
class InboxScan:
    """What a scan of the inbox found."""

    extracts: list[Extract]
    already_loaded: list[Path]
    unrecognised: list[Path]
    skipped: list[tuple[Path, str]] = field(default_factory=list)
    """Entries not read, with the reason (a link, not a regular file, too large)."""


def land_file(path: Path, dataset: str, landing: RawLandingStore, source: str = "inbox") -> Landing:
    """Copy a file into the raw landing store, byte for byte."""
    with landing.writer() as (handle, digest), path.open("rb") as original:
        while chunk := original.read(1 << 20):
            handle.write(chunk)
            digest.update(chunk)
    return landing.commit(
        Path(handle.name),
        digest.hexdigest(),
        source=source,
        location=str(path),
        request_key=f"{source}:{dataset}",
        suffix=path.suffix.lower(),
    )


def extract_file(
    path: Path,
    spec: DatasetSpec,
    landing: RawLandingStore,
    source: str = "file",
    limits: ReadLimits = DEFAULT_LIMITS,
) -> Extract:
    """Land one export file (such as the baseline sheet saved to disk) and read it."""
    refusal = _refusal(path, limits)
    if refusal is not None:
        raise UnreadableFileError(f"{path}: {refusal}")
    landed = land_file(path, spec.name, landing, source)
    table, unknown = canonical_from_raw(landed.raw, spec, limits)
    return Extract(spec.name, source, (landed.raw,), landed.unchanged, table, unknown)


class FileInbox:
    """A folder of dropped export files (see module docstring)."""

    def __init__(
        self,
        folder: Path,
        landing: RawLandingStore,
        catalog: tuple[DatasetSpec, ...] = CATALOG,
        limits: ReadLimits = DEFAULT_LIMITS,
    ) -> None:
        self.folder = folder
        self.landing = landing
        self.catalog = catalog
        self.limits = limits

    def scan(self) -> InboxScan:
        """Land and read every recognised file not loaded before, in name order."""
        consumed = self.landing.consumed()
        extracts, already, unrecognised, skipped = [], [], [], []
        for path in sorted(self.folder.iterdir()):
            refusal = _refusal(path, self.limits)
            if refusal is not None:
                skipped.append((path, refusal))
                continue
            dataset = dataset_for_filename(path.name, self.catalog)
            if dataset is None or path.suffix.lower() not in SUFFIXES:
                unrecognised.append(path)
                continue
            landed = land_file(path, dataset.name, self.landing)
            if landed.raw.sha256 in consumed:
                already.append(path)
                continue
            table, unknown = canonical_from_raw(landed.raw, dataset, self.limits)
            extracts.append(Extract(dataset.name, "inbox", (landed.raw,), False, table, unknown))
        return InboxScan(extracts, already, unrecognised, skipped)


class UnreadableFileError(SourceError):
    """An export file that is not read: a link, a folder, a special file, or over the size cap."""


def _refusal(path: Path, limits: ReadLimits) -> str | None:
    """Why an inbox entry is not read, or None for a regular file within the size cap."""
    if path.is_symlink():
        return "a symbolic link (it could point anywhere); only regular files are read"
    status = path.lstat()
    if stat.S_ISDIR(status.st_mode):
        return "a folder"
    if not stat.S_ISREG(status.st_mode):
        return "not a regular file"
    size = status.st_size
    if size > limits.max_file_bytes:
        cap = size_text(limits.max_file_bytes)
        return f"{size_text(size)}, over the {cap} cap (OTOP_MAX_FILE_MIB)"
    return None


def archive(path: Path, done_folder: Path) -> Path:
    """Move a loaded file out of the inbox (its bytes stay in the raw store)."""
    done_folder.mkdir(parents=True, exist_ok=True)
    return Path(shutil.move(str(path), done_folder / path.name))
