"""What a dataset declares: its export format, natural key, checks, load target and endpoint.

One module per dataset (``products.py``, ``sales.py``, …) builds one :class:`DatasetSpec`; the
connectors, the expectations, the warehouse and the flows read these declarations instead of
knowing datasets by name. A spec imports only :mod:`otop_sync.transforms` (cell types), so no
import runs in a circle.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from otop_sync.datasets.checks import Check, MatchesSummary
from otop_sync.transforms.formats import ExportFormat


@dataclass(frozen=True)
class Endpoint:
    """Where a dataset lives on its system (paths are overridable in settings)."""

    system: str
    """Short name of the system (``otop``, ``bigdata``), used in logs and raw records."""
    export_path: str
    """The CSV/XLSX export (or the report page); empty when the system has none, and the
    paginated listing is read instead."""
    url_setting: str
    """The settings field holding the system's base URL (``sales_url``)."""
    login_path: str | None = None
    listing_path: str | None = None
    """A paginated HTML listing of the same rows, for a system without an export."""
    query: tuple[tuple[str, str], ...] = ()
    """Fixed query parameters the system wants on every request of this dataset."""
    report: bool = False
    """The endpoint is an HTML report page (the summary report), not a CSV/XLSX export."""
    required: bool = True
    """An HTTP sync needs the system's URL; when False an unset URL skips the dataset."""

    def params(self, province: str | None, fiscal_year: int | None) -> dict[str, object]:
        """The query of a request: the fixed parameters, the province and the fiscal year."""
        return {**dict(self.query), "province": province, "year": fiscal_year}


PROVENANCE_COLUMNS: tuple[tuple[str, str], ...] = (
    ("raw_sha256", "raw_sha256"),
    ("source_line", "line"),
)
"""Where every loaded row came from, as (table column, typed-row column): the sha256 of the raw
payload and the row's line in it (a CSV's physical line, the header being line 1; an XLSX's
sheet row). The loading run (``run_id``) is added by the loader. They say where a value came
from, so a row whose values are unchanged keeps the provenance of the load that brought them."""
LOADED_PROVENANCE = (*(column for column, _typed in PROVENANCE_COLUMNS), "run_id")
"""Every loaded table's provenance columns, the loading run included."""


@dataclass(frozen=True)
class Totals:
    """A summary table a load keeps up to date in its own transaction: per ``by`` key, the
    exact sum of the loaded ``amount`` (``amount``), the rows summed (``rows_summed``) and
    their latest ``recorded_on`` (``recorded_until``); ``carried`` columns are the same on
    every row of a key. The keys a load touches are summed again from the table as loaded."""

    table: str
    by: tuple[str, ...]
    carried: tuple[str, ...] = ()


@dataclass(frozen=True)
class LoadTarget:
    """The warehouse table a dataset's clean rows are merged into.

    ``corrections``: a row whose key is already loaded replaces it only when it was recorded
    later (``recorded_on``); the replaced value goes to ``history_table``.
    """

    table: str
    key: tuple[str, ...]
    columns: tuple[str, ...]
    """Typed columns loaded (the key included); the provenance columns are added."""
    corrections: bool = False
    history_table: str | None = None
    identity: str | None = None
    """The key column a source may renumber (a producer code): a loaded row absent from the
    new export whose other key columns and amount equal a new row's under another code is the
    same figure, and the export's code wins (the old row moves to history)."""
    totals: Totals | None = None
    """A summary table kept with this one (:class:`Totals`)."""

    @property
    def provenance(self) -> tuple[str, ...]:
        """The table's provenance columns: :data:`PROVENANCE_COLUMNS` and ``run_id``."""
        return LOADED_PROVENANCE

    def loaded_frame(self, rows: pd.DataFrame) -> pd.DataFrame:
        """The typed rows as the table takes them: its columns and its provenance columns."""
        renames = {typed: column for column, typed in PROVENANCE_COLUMNS if typed != column}
        typed = [typed for _column, typed in PROVENANCE_COLUMNS]
        return rows[[*self.columns, *typed]].rename(columns=renames)


@dataclass(frozen=True)
class DatasetSpec(ExportFormat):
    """One dataset, declared in one place (see module docstring)."""

    checks: tuple[Check, ...] = field(default=())
    target: LoadTarget | None = None
    """None for a dataset read only to check another (the summary report)."""
    endpoint: Endpoint | None = None
    """None for a dataset that arrives only as a file."""
    extract_order: int = 0
    """Datasets are extracted, validated and loaded in this order (the baseline first)."""

    @property
    def reconciles_with_summary(self) -> bool:
        """Its amounts are checked against the source system's summary report."""
        return any(isinstance(check, MatchesSummary) for check in self.checks)
