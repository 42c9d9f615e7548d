"""What every source hands on: the landed payloads and, unless unchanged, the canonical table."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from otop_sync.connectors.files import DEFAULT_LIMITS, ReadLimits, read_table_payload
from otop_sync.connectors.landing import RawFile
from otop_sync.transforms.formats import ExportFormat, to_canonical


@dataclass(frozen=True)
class Extract:
    """One dataset from one source in one run."""

    dataset: str
    source: str
    raws: tuple[RawFile, ...]
    unchanged: bool
    """The payload is the one last loaded for the same request: later stages may skip it."""
    table: pd.DataFrame = field(repr=False)
    """Canonical columns, values as text; empty when unchanged and not read."""
    unknown_columns: tuple[str, ...] = ()
    """Headers the format does not know: kept in the raw payload, not loaded."""

    @property
    def rows_read(self) -> int:
        """Data rows read from the payload."""
        return len(self.table)


def canonical_from_raw(
    raw: RawFile, export: ExportFormat, limits: ReadLimits = DEFAULT_LIMITS
) -> tuple[pd.DataFrame, tuple[str, ...]]:
    """Read a landed payload (its header checked first) and map its Thai headers to the
    format's canonical columns."""
    table = read_table_payload(raw.stored_path, raw.location, export, limits)
    canonical, unknown = to_canonical(table, export, raw.location)
    return canonical, tuple(unknown)


def empty_table(export: ExportFormat) -> pd.DataFrame:
    """A canonical table with no rows, for an unchanged source that was not read."""
    return pd.DataFrame(columns=export.canonical_columns, dtype=str)
