"""Settings, read from the environment (``OTOP_*``) where they are used: inside the tasks, so
that no setting (and no secret among them) ever travels as a flow parameter."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from enum import StrEnum
from pathlib import Path

from pydantic import SecretStr, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict, SettingsError

from otop_sync.datasets.checks import EARLIEST_DATE

DEFAULT_PROVINCE = "57"
"""Chiang Rai: the province synced, graded and reported when none is named."""


class SourceKind(StrEnum):
    """Where a sync reads its data from."""

    mock = "mock"
    """The bundled mock CDD systems (started by the command on 127.0.0.1)."""
    http = "http"
    """The real CDD systems, at the configured URLs."""
    files = "files"
    """Export files dropped in the inbox folder."""


class Settings(BaseSettings):
    """Everything otop-sync can be configured with; each field is an ``OTOP_<NAME>`` variable."""

    model_config = SettingsConfigDict(env_prefix="OTOP_", env_file=None, extra="ignore")

    warehouse_url: str = "sqlite:///otop.db"
    """SQLAlchemy URL of the warehouse (SQLite file by default, PostgreSQL in production)."""
    data_dir: Path = Path("otop-data")
    """Where raw payloads, Data Docs and reports are kept."""
    report_location: str = ""
    """Where report files are written, as fsspec understands it: a local folder, or
    ``s3://bucket/prefix`` for an S3-compatible store (its endpoint and credentials come from
    the standard AWS variables or files, e.g. ``AWS_ENDPOINT_URL``, ``AWS_ACCESS_KEY_ID``);
    empty: ``<data_dir>/reports``."""
    rules_file: Path | None = None
    """A KPI rules TOML to use instead of the bundled one."""

    source: SourceKind = SourceKind.mock
    inbox_dir: Path = Path("inbox")
    """The file inbox (source ``files``)."""
    products_url: str = "https://otop.cdd.go.th"
    """OTOP Big Data (product register)."""
    sales_url: str = "https://logi.cdd.go.th"
    """The CDD central data system (monthly sales and the summary report)."""
    shops_url: str = ""
    """Click ชุมชน (Shop ชุมชน registrations); no public address is known, so it must be set."""
    baseline_url: str = ""
    """Base URL of the published baseline sheet (a CSV export URL's host)."""
    baseline_file: Path | None = None
    """The baseline sheet as a file, instead of a URL."""
    form_responses_url: str = ""
    """Where the Shop ชุมชน report form's responses sheet is exported as CSV (optional)."""
    value_map: dict[str, dict[str, dict[str, str]]] = {}
    """Values read as other values, per dataset and column, as JSON, e.g.
    ``{"shops": {"shop_type": {"ร้านผู้ผลิต OTOP": "ผู้ผลิต ผู้ประกอบการ OTOP"}}}``: an
    unfamiliar kind mapped to a known one."""
    form_headers: dict[str, str] = {}
    """The report form's question titles, over the built-in ones, as JSON: canonical column →
    header, e.g. ``{"month": "รายงานประจำเดือน"}``."""
    cdd_username: str = ""
    cdd_password: SecretStr = SecretStr("")
    """The CDD account's password; never logged, raised or stored."""
    cdd_password_block: str = ""
    """Name of a Prefect Secret block holding the password (used instead of OTOP_CDD_PASSWORD)."""
    endpoints: dict[str, dict[str, str]] = {}
    """Paths of the CDD systems, per dataset, over the built-in ones, as JSON, e.g.
    ``{"sales": {"export_path": "/otop/export.php", "login_path": "/otop/login.php"}}``."""

    amount_ceiling: Decimal = Decimal("100000000.00")
    """The plausibility limit of one sales figure (baht): a larger one is quarantined."""
    earliest_date: date = EARLIEST_DATE
    """The plausibility limit of a registration or sales date (CE ``YYYY-MM-DD``): an earlier
    one is quarantined."""
    max_missing_share: Decimal = Decimal("0.5")
    """Share of a province's districts that may lack the same due month (they are late, and
    graded so); more at once means the export is cut short, and the run stops."""

    max_file_mib: int = 2048
    """Largest export file or download read (MiB); a larger one is refused unread."""
    max_xlsx_mib: int = 512
    """Largest size an XLSX may inflate to (MiB): a small file can unpack to gigabytes."""
    max_xlsx_rows: int = 1_048_576
    """Most data rows read from an XLSX sheet (Excel's own limit)."""

    http_connect_timeout: float = 10.0
    http_read_timeout: float = 120.0
    http_retries: int = 4
    http_backoff: float = 0.5
    http_max_retry_after: float = 60.0

    task_retries: int = 2
    """Prefect retries of a sync whose source did not answer or cut a payload short."""
    task_retry_delay: float = 60.0
    """Seconds before the first such retry (the second waits five times as long)."""

    nudge_blocks: list[str] = []
    """Prefect notification blocks, as ``<block type slug>/<block name>`` (JSON list), that
    nudges before a deadline and the late list after it go through, e.g.
    ``["custom-webhook/district-offices", "otop-smtp-email/district-offices"]``."""
    nudge_within_days: int = 5
    """How many days before a deadline (the 15th, the 18th) a district is nudged."""
    ops_alert_blocks: list[str] = []
    """Prefect notification blocks that ops alerts go through (same form as nudge_blocks)."""
    freshness_days: dict[str, float] = {}
    """The longest a dataset's source may stay unchanged (days), per dataset, as JSON, e.g.
    ``{"sales": 3, "baseline": 400}``; a dataset not named here is judged by its own cycle."""
    freshness_factor: float = 3.0
    """A source unchanged for more than this many times its median interval between changes
    is stale (once it has changed three times)."""
    slow_run_factor: float = 3.0
    """A run longer than this many times the median of the earlier runs is far too long."""
    slow_run_history: int = 5
    """How many earlier completed runs (same source and provinces) the median needs; the
    latest 20 are compared with."""

    def reports_at(self) -> str:
        """Where report files go: :attr:`report_location`, else ``<data_dir>/reports``."""
        return self.report_location or str(self.data_dir / "reports")


def unreadable_setting(error: ValidationError | SettingsError) -> str | None:
    """The one-line reason an ``OTOP_*`` variable cannot be read, naming the variable but not
    its value (a value may be a secret); None when the error is not about :class:`Settings`."""
    if isinstance(error, SettingsError):
        field = re.search(r'field "(\w+)"', str(error))
        if field is None:
            return None
        return f"OTOP_{field[1].upper()} cannot be read: it is not valid JSON"
    if error.title != Settings.__name__:
        return None
    first = error.errors()[0]
    return f"OTOP_{str(first['loc'][0]).upper()} cannot be read: {first['msg']}"
