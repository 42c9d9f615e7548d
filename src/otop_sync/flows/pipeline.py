"""A sync of one or more provinces, step by step: extract → land raw → type → validate → load
→ grade.

Plain functions that wire the layers; the Prefect flows run them as tasks, and tests and the
command line can call them directly. The load, the run's records and the grades are one
transaction: a run either publishes everything or leaves the warehouse as it was.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

import pandas as pd
from sqlalchemy import Engine

from otop_sync.connectors.extract import Extract
from otop_sync.connectors.html import PageFormatError
from otop_sync.connectors.inbox import FileInbox, extract_file
from otop_sync.connectors.landing import ConsumedPayloads, RawLandingStore
from otop_sync.datasets import dataset, loaded_datasets
from otop_sync.datasets.baseline import BASELINE
from otop_sync.datasets.summary import SUMMARY
from otop_sync.expectations.checks import validate_dataset
from otop_sync.expectations.context import gx_context
from otop_sync.expectations.runner import DatasetValidation, Validator, raise_if_critical
from otop_sync.expectations.severity import load_severities
from otop_sync.expectations.suites import SuiteParameters
from otop_sync.flows.settings import Settings, SourceKind
from otop_sync.flows.sources import http_sources
from otop_sync.flows.steps import grade_quarters, load_rows, type_rows
from otop_sync.transforms.deadlines import last_due_month, late_districts
from otop_sync.transforms.districts import districts_of
from otop_sync.transforms.districts import province_codes as province_codes_all
from otop_sync.transforms.fiscal import Quarter, quarter_range, sales_due_date
from otop_sync.transforms.rules import RuleBook
from otop_sync.warehouse import loaders, queries
from otop_sync.warehouse.db import make_engine, upgrade


@dataclass
class SyncOutcome:
    """What a sync did, for the run record, the logs and the ops artifacts."""

    run_id: str
    province_codes: tuple[str, ...]
    as_of: date
    extracts: list[Extract] = field(default_factory=list)
    validations: list[DatasetValidation] = field(default_factory=list)
    quarters: list[Quarter] = field(default_factory=list)
    grades: pd.DataFrame = field(default_factory=pd.DataFrame)
    notes: list[str] = field(default_factory=list)
    docs_index: Path | None = None
    seconds: dict[str, float] = field(default_factory=dict)
    """Time spent per step (extract, type, validate, load, grade)."""

    @contextmanager
    def timed(self, step: str) -> Iterator[None]:
        """Add the time the block takes to a step's total."""
        started = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[step] = self.seconds.get(step, 0.0) + time.perf_counter() - started

    @property
    def rows(self) -> tuple[int, int, int]:
        """Rows read, loaded and quarantined, over every dataset."""
        return (
            sum(v.rows_read for v in self.validations),
            sum(v.rows_loaded for v in self.validations),
            sum(v.rows_quarantined for v in self.validations),
        )

    def read_extracts(self) -> list[Extract]:
        """The extracts that were read (not skipped as unchanged)."""
        return [e for e in self.extracts if not e.unchanged]

    @property
    def skipped(self) -> list[str]:
        """Datasets whose payload was the one last loaded."""
        return [e.dataset for e in self.extracts if e.unchanged]


def new_run_id() -> str:
    """A fresh run id."""
    return str(uuid.uuid4())


def _province_scopes(province_codes: tuple[str, ...]) -> list[str | None]:
    """One request per province, or one for the whole country when every province is asked."""
    return [None] if set(province_codes) == set(province_codes_all()) else list(province_codes)


def extract_sources(
    settings: Settings,
    landing: RawLandingStore,
    province_codes: tuple[str, ...],
    mock_url: str | None = None,
) -> tuple[list[Extract], list[str]]:
    """Every dataset of the province from the configured source, and notes for the run."""
    notes: list[str] = []
    if settings.source == SourceKind.files:
        scan = FileInbox(settings.inbox_dir, landing).scan()
        notes += [f"inbox: {p.name} was loaded before; not read again" for p in scan.already_loaded]
        notes += [f"inbox: {p.name} is not a known export; left alone" for p in scan.unrecognised]
        notes.append("reconciliation skipped: the file inbox has no summary report")
        return scan.extracts, notes
    sources = http_sources(settings, landing, mock_url)
    extracts = [
        sources[spec.name].extract(province=scope)
        for scope in _province_scopes(province_codes)
        for spec in loaded_datasets()
        if spec.name in sources
    ]
    if "baseline" not in sources and settings.baseline_file is not None:
        extracts.insert(0, extract_file(settings.baseline_file, BASELINE, landing))
    notes += [
        f"{spec.name}: not configured (OTOP_{spec.endpoint.url_setting.upper()}), not read"
        for spec in loaded_datasets()
        if spec.endpoint is not None and spec.name not in sources and spec is not BASELINE
    ]
    return extracts, notes


def fetch_summaries(
    settings: Settings,
    landing: RawLandingStore,
    province_codes: tuple[str, ...],
    fiscal_years: list[int],
    mock_url: str | None = None,
) -> pd.DataFrame:
    """The summary report's sales per district and month for these fiscal years."""
    summary = http_sources(settings, landing, mock_url)["summary"]
    frames = []
    for year, code in ((y, c) for y in fiscal_years for c in province_codes):
        report = summary.summary_report(year, code)  # type: ignore[attr-defined]
        rows, issues = SUMMARY.type_rows(report.table)
        if issues:
            raise PageFormatError(f"{report.raw.location}: {issues[0]}")
        frames.append(rows)
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def quarters_to_grade(rulebook: RuleBook, as_of: date) -> list[Quarter]:
    """Every quarter that has rules and has begun by ``as_of``."""
    first = Quarter(min(rulebook.years), 1)
    last = Quarter.of(as_of)
    return (
        [q for q in quarter_range(first, last) if q.fiscal_year in rulebook.years]
        if last >= first
        else []
    )


def run_sync(
    settings: Settings,
    rulebook: RuleBook,
    province_codes: Sequence[str],
    as_of: date,
    run_id: str,
    flow_run_id: str | None = None,
    mock_url: str | None = None,
    engine: Engine | None = None,
    extract_guard: Callable[[], AbstractContextManager[object]] = nullcontext,
) -> SyncOutcome:
    """One sync of the provinces (see module docstring). A failure marks the run failed with
    its reason and re-raises; the warehouse keeps what it had. ``extract_guard`` wraps the
    requests to the sources (the flows pass a concurrency limit per CDD host)."""
    codes = tuple(province_codes)
    engine = engine or make_engine(settings.warehouse_url)
    upgrade(engine)
    with engine.begin() as connection:
        loaders.start_run(
            connection,
            run_id,
            flow_run_id,
            settings.source.value,
            codes,
            as_of,
            datetime.now(UTC),
        )
    outcome = SyncOutcome(run_id, codes, as_of)
    try:
        _sync(settings, rulebook, outcome, mock_url, engine, extract_guard)
    except Exception as error:
        with engine.begin() as connection:
            loaders.finish_run(
                connection, run_id, "failed", datetime.now(UTC), str(error), outcome.rows
            )
            _record_checks(connection, outcome)
        raise
    with engine.begin() as connection:
        loaders.finish_run(
            connection,
            run_id,
            "completed",
            datetime.now(UTC),
            "; ".join(outcome.notes) or None,
            outcome.rows,
        )
    return outcome


def _record_checks(connection, outcome: SyncOutcome) -> None:  # type: ignore[no-untyped-def]
    """Keep what the checks found even when the run stops (for ops to see why)."""
    loaders.record_raw_files(connection, outcome.run_id, _raw_records(outcome.extracts))
    for extract, validation in zip(outcome.read_extracts(), outcome.validations, strict=False):
        loaders.record_quarantine(
            connection,
            outcome.run_id,
            validation.dataset,
            extract.raws[0].sha256,
            validation.quarantine,
        )
    loaders.record_validation(
        connection,
        outcome.run_id,
        [o.as_record() for v in outcome.validations for o in v.outcomes],
    )


def _raw_records(extracts: list[Extract]) -> list[dict[str, object]]:
    return [
        {
            "dataset": e.dataset,
            "source": raw.source,
            "location": raw.location,
            "sha256": raw.sha256,
            "bytes": raw.size,
            "fetched_at": raw.fetched_at,
            "stored_path": str(raw.stored_path),
            "unchanged": e.unchanged,
        }
        for e in extracts
        for raw in e.raws
    ]


def _sync(
    settings: Settings,
    rulebook: RuleBook,
    outcome: SyncOutcome,
    mock_url: str | None,
    engine: Engine,
    extract_guard: Callable[[], AbstractContextManager[object]],
) -> None:
    with engine.connect() as connection:
        consumed = ConsumedPayloads(*queries.consumed_payloads(connection))
    landing = RawLandingStore(settings.data_dir / "raw", consumed)
    codes = outcome.province_codes
    with outcome.timed("extract"), extract_guard():
        extracts, notes = extract_sources(settings, landing, codes, mock_url)
    outcome.extracts, outcome.notes = extracts, notes
    outcome.notes += [
        f"{e.dataset}: unchanged since the last load, skipped"
        for e in outcome.extracts
        if e.unchanged
    ]
    base_year = rulebook.for_year(min(rulebook.years)).base_year
    params = SuiteParameters(codes, outcome.as_of, sales_from=Quarter(base_year, 1).start)
    validator = Validator(
        gx_context(settings.data_dir / "data_docs"), load_severities(), outcome.run_id
    )
    typed_rows = []
    for extract in outcome.read_extracts():
        spec = dataset(extract.dataset)
        with outcome.timed("type"):
            typed, issues = type_rows(extract)
        summary = None
        if spec.reconciles_with_summary and settings.source != SourceKind.files:
            years = sorted({Quarter.of(m).fiscal_year for m in typed["month"].dropna().unique()})
            with outcome.timed("extract"), extract_guard():
                summary = fetch_summaries(settings, landing, codes, years, mock_url)
        with outcome.timed(f"validate {extract.dataset}"):
            validation = validate_dataset(
                validator, spec, extract.table, typed, issues, params, summary
            )
        outcome.validations.append(validation)
        typed_rows.append((extract.dataset, validation.clean))
    with outcome.timed("validate docs"):
        outcome.docs_index = validator.build_docs()
    raise_if_critical(outcome.validations)
    with engine.begin() as connection:
        loaders.lock_for_load(connection)
        with outcome.timed("load"):
            for name, rows in typed_rows:
                load_rows(connection, name, rows, outcome.run_id)
            _record_checks(connection, outcome)
            loaders.record_consumed(
                connection,
                outcome.run_id,
                [
                    {"request_key": raw.request_key, "sha256": raw.sha256, "dataset": e.dataset}
                    for e in outcome.read_extracts()
                    for raw in e.raws
                ],
                datetime.now(UTC),
            )
        outcome.quarters = quarters_to_grade(rulebook, outcome.as_of)
        with outcome.timed("grade"):
            results = grade_quarters(
                connection, outcome.quarters, codes, rulebook, outcome.as_of, outcome.run_id
            )
        outcome.notes += [warning for result in results for warning in result.warnings]
        grades = [result.grades for result in results]
        outcome.grades = pd.concat(grades, ignore_index=True) if grades else pd.DataFrame()


def run_grading(
    settings: Settings,
    rulebook: RuleBook,
    province_codes: Sequence[str],
    quarters: Sequence[Quarter],
    as_of: date,
    run_id: str,
    flow_run_id: str | None = None,
    engine: Engine | None = None,
) -> SyncOutcome:
    """Grade quarters from what the warehouse holds (backfill, finalisation, ``grade``).

    Quarters without KPI rules are skipped with a note. One transaction, one ``sync_run`` row.
    """
    codes = tuple(province_codes)
    engine = engine or make_engine(settings.warehouse_url)
    upgrade(engine)
    with engine.begin() as connection:
        loaders.start_run(connection, run_id, flow_run_id, "grade", codes, as_of, datetime.now(UTC))
    outcome = SyncOutcome(run_id, codes, as_of)
    try:
        with engine.begin() as connection, outcome.timed("grade"):
            loaders.lock_for_load(connection)
            for quarter in quarters:
                if quarter.fiscal_year not in rulebook.years:
                    outcome.notes.append(
                        f"{quarter}: no KPI rules for FY{quarter.fiscal_year}, skipped"
                    )
                else:
                    outcome.quarters.append(quarter)
            results = grade_quarters(connection, outcome.quarters, codes, rulebook, as_of, run_id)
            outcome.notes += [warning for result in results for warning in result.warnings]
            grades = [result.grades for result in results]
            outcome.grades = pd.concat(grades, ignore_index=True) if grades else pd.DataFrame()
    except Exception as error:
        with engine.begin() as connection:
            loaders.finish_run(connection, run_id, "failed", datetime.now(UTC), str(error))
        raise
    with engine.begin() as connection:
        loaders.finish_run(
            connection, run_id, "completed", datetime.now(UTC), "; ".join(outcome.notes) or None
        )
    return outcome


def late_report(settings: Settings, province_codes: Sequence[str], as_of: date) -> pd.DataFrame:
    """Districts late with last month's sales (after the 18th) or Shop report (after the 15th)."""
    engine = make_engine(settings.warehouse_url)
    upgrade(engine)
    codes = [d.code for p in province_codes for d in districts_of(p)]
    months = [last_due_month(as_of, sales_due_date)]
    with engine.connect() as connection:
        late = late_districts(
            codes,
            queries.months_with_sales(connection, province_codes, months),
            queries.months_with_shops(connection, province_codes),
            as_of,
        )
    engine.dispose()
    names = {d.code: d.name_th for p in province_codes for d in districts_of(p)}
    return late.assign(district_name_th=late["district_code"].map(names))
