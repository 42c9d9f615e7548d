"""The steps of a run as plain functions: extract → land → type → validate → load → grade.

The Prefect flows (``flows/nightly.py``) run each step as its own task; tests can call them
directly. Every step times itself and emits a start and a finish event (with its row counts) on
the run it is given (:class:`SyncOutcome`). :func:`recorded_run` keeps the run's ``sync_run`` row
(started, completed or failed with its reason) around all the steps of a sync or a grading.

Which datasets there are, and what each one needs, is the catalog's
(:mod:`otop_sync.datasets`, as the settings configure it): the steps iterate over it.

The load, the run's records of checks, the record of the payloads consumed and the grades share
one transaction (:func:`warehouse_transaction`): a run either publishes everything or leaves the
warehouse as it was.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from pathlib import Path

import numpy as np
import pandas as pd
from sqlalchemy import Connection, Engine

from otop_sync.connectors.extract import Extract
from otop_sync.connectors.html import PageFormatError
from otop_sync.connectors.inbox import FileInbox, extract_file
from otop_sync.connectors.landing import ConsumedPayloads, RawLandingStore
from otop_sync.datasets import DatasetSpec, dataset, loaded_datasets
from otop_sync.datasets.baseline import BASELINE
from otop_sync.datasets.summary import SUMMARY
from otop_sync.errors import OtopSyncError
from otop_sync.expectations.checks import validate_dataset
from otop_sync.expectations.context import gx_context
from otop_sync.expectations.runner import DatasetValidation, Validator, raise_if_critical
from otop_sync.expectations.severity import load_severities
from otop_sync.expectations.suites import SuiteParameters
from otop_sync.flows.progress import StepEvent, emit
from otop_sync.flows.request import GradeRequest, SyncRequest
from otop_sync.flows.settings import Settings, SourceKind
from otop_sync.flows.sources import configured_catalog, http_sources, read_limits
from otop_sync.flows.stopping import ACTIVE_RUNS
from otop_sync.rules import load_rulebook
from otop_sync.transforms.districts import province_codes as province_codes_all
from otop_sync.transforms.fiscal import Quarter, quarter_range
from otop_sync.transforms.kpi import QuarterResult
from otop_sync.transforms.rows import FIRST_DATA_LINE, RowIssue
from otop_sync.transforms.rules import RuleBook
from otop_sync.warehouse import loaders, queries
from otop_sync.warehouse.db import make_engine, upgrade
from otop_sync.warehouse.grading import grade_quarters

ExtractGuard = Callable[[], AbstractContextManager[object]]
"""Wraps the requests to the sources (the flows pass a concurrency limit per CDD host)."""


@dataclass
class StepProgress:
    """What a running step reports when it finishes."""

    detail: str = ""


@dataclass
class SyncOutcome:
    """One run as its steps go: its record for ``sync_run``, the logs and the ops artifacts."""

    run_id: str
    province_codes: tuple[str, ...]
    as_of: date
    engine: Engine | None = field(default=None, repr=False)
    """The warehouse, for the steps that write to it (set by :func:`recorded_run`)."""
    extracts: list[Extract] = field(default_factory=list)
    validations: list[DatasetValidation] = field(default_factory=list)
    quarters: list[Quarter] = field(default_factory=list)
    grades: pd.DataFrame = field(default_factory=pd.DataFrame)
    notes: list[str] = field(default_factory=list)
    docs_index: Path | None = None
    seconds: dict[str, float] = field(default_factory=dict)
    """Time spent per step (extract, land, type, validate, load, grade; validate per dataset)."""
    _consumed: ConsumedPayloads | None = field(default=None, repr=False)

    @property
    def scope(self) -> str:
        """The provinces, for names and messages: ``57``, ``57-50`` or ``national``."""
        codes = self.province_codes
        return "national" if set(codes) == set(province_codes_all()) else "-".join(codes)

    @contextmanager
    def timed(self, step: str) -> Iterator[None]:
        """Add the time the block takes to a step's total."""
        started = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[step] = self.seconds.get(step, 0.0) + time.perf_counter() - started

    @contextmanager
    def step(self, name: str) -> Iterator[StepProgress]:
        """Time a step and emit its start, then its finish with what it did, or its failure."""
        emit(StepEvent(name, self.scope, "start"))
        progress = StepProgress()
        started = time.perf_counter()
        try:
            with self.timed(name):
                yield progress
        except Exception as error:
            emit(StepEvent(name, self.scope, "fail", str(error), time.perf_counter() - started))
            raise
        emit(StepEvent(name, self.scope, "finish", progress.detail, time.perf_counter() - started))

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

    def warehouse(self) -> Engine:
        """The run's warehouse engine (only inside :func:`recorded_run`)."""
        if self.engine is None:
            raise OtopSyncError(f"run {self.run_id} is not recorded: no warehouse")
        return self.engine

    def consumed(self) -> ConsumedPayloads:
        """What earlier loads consumed, as the warehouse records it (read once per run)."""
        if self._consumed is None:
            with self.warehouse().connect() as connection:
                self._consumed = ConsumedPayloads(*queries.consumed_payloads(connection))
        return self._consumed


@dataclass(frozen=True)
class Extracted:
    """What the extract step fetched: every dataset's extract, and notes for the run."""

    extracts: list[Extract]
    notes: list[str]


@dataclass(frozen=True)
class Typed:
    """One dataset's extract and its typed rows, with the rows that could not be read."""

    extract: Extract
    rows: pd.DataFrame
    issues: list[RowIssue]


def new_run_id() -> str:
    """A fresh run id."""
    return str(uuid.uuid4())


def _province_scopes(province_codes: tuple[str, ...]) -> list[str | None]:
    """One request per province, or one for the whole country when every province is asked."""
    return [None] if set(province_codes) == set(province_codes_all()) else list(province_codes)


def _landing(settings: Settings, run: SyncOutcome) -> RawLandingStore:
    return RawLandingStore(settings.data_dir / "raw", run.consumed())


def _unknown_columns(extracts: list[Extract]) -> list[str]:
    return [
        f"{e.dataset}: column(s) {', '.join(e.unknown_columns)} not known; kept in the raw "
        f"payload {e.raws[0].sha256[:12]}, not loaded"
        for e in extracts
        if e.unknown_columns
    ]


def extract_sources(
    settings: Settings,
    landing: RawLandingStore,
    province_codes: tuple[str, ...],
    mock_url: str | None = None,
) -> Extracted:
    """Every dataset of the provinces from the configured source, and notes for the run."""
    catalog = configured_catalog(settings)
    if settings.source == SourceKind.files:
        scan = FileInbox(settings.inbox_dir, landing, catalog, read_limits(settings)).scan()
        notes = [f"inbox: {p.name} was loaded before; not read again" for p in scan.already_loaded]
        notes += [f"inbox: {p.name} is not a known export; left alone" for p in scan.unrecognised]
        notes += [f"inbox: {p.name} skipped: {why}" for p, why in scan.skipped]
        notes.append("reconciliation skipped: the file inbox has no summary report")
        return Extracted(scan.extracts, notes + _unknown_columns(scan.extracts))
    sources = http_sources(settings, landing, mock_url)
    loaded = loaded_datasets(catalog)
    extracts = [
        sources[spec.name].extract(province=scope)
        for scope in _province_scopes(province_codes)
        for spec in loaded
        if spec.name in sources
    ]
    if "baseline" not in sources and settings.baseline_file is not None:
        baseline = dataset(BASELINE.name, catalog)
        extracts.insert(
            0, extract_file(settings.baseline_file, baseline, landing, limits=read_limits(settings))
        )
    notes = [
        f"{spec.name}: not configured (OTOP_{spec.endpoint.url_setting.upper()}), not read"
        for spec in loaded
        if spec.endpoint is not None and spec.name not in sources and spec.name != BASELINE.name
    ]
    return Extracted(extracts, notes + _unknown_columns(extracts))


def fetch_summaries(
    settings: Settings,
    landing: RawLandingStore,
    province_codes: tuple[str, ...],
    fiscal_years: list[int],
    mock_url: str | None = None,
) -> pd.DataFrame:
    """The summary report's sales per district and month for these fiscal years: one page per
    province and year, typed together (a national run reads 231 pages)."""
    summary = http_sources(settings, landing, mock_url)[SUMMARY.name]
    reports = [
        summary.summary_report(year, code)  # type: ignore[attr-defined]
        for year in fiscal_years
        for code in province_codes
    ]
    if not reports:
        return pd.DataFrame()
    rows, issues = SUMMARY.type_rows(pd.concat([r.table for r in reports], ignore_index=True))
    if issues:  # named by its page, and its line there
        starts = np.cumsum([0] + [len(r.table) for r in reports])
        row = issues[0].line - FIRST_DATA_LINE
        page = int(np.searchsorted(starts, row, side="right")) - 1
        issue = replace(issues[0], line=row - int(starts[page]) + FIRST_DATA_LINE)
        raise PageFormatError(f"{reports[page].raw.location}: {issue}")
    return rows


def _type_rows(
    extract: Extract, catalog: tuple[DatasetSpec, ...]
) -> tuple[pd.DataFrame, list[RowIssue]]:
    """Type an extract's canonical table as its dataset says; each row keeps the sha256 of the
    payload it came from, and unreadable rows come back as issues."""
    rows, issues = dataset(extract.dataset, catalog).type_rows(extract.table)
    return rows.assign(raw_sha256=extract.raws[0].sha256), issues


def quarters_to_grade(rulebook: RuleBook, as_of: date) -> list[Quarter]:
    """Every quarter the rule book covers that has begun by ``as_of``."""
    first = Quarter(min(rulebook.years), 1)
    last = Quarter.of(as_of)
    return [q for q in quarter_range(first, last) if rulebook.covers(q)] if last >= first else []


# --- Run bookkeeping


@contextmanager
def recorded_run(
    source: str, province_codes: Sequence[str], as_of: date, flow_run_id: str | None
) -> Iterator[SyncOutcome]:
    """A run with its ``sync_run`` row: started here, then completed with the run's notes, or
    failed with the reason (keeping what the checks found so far) and the error re-raised.

    The warehouse is migrated first (a sync or grading may be the first run against it).
    """
    engine = make_engine(Settings().warehouse_url)
    upgrade(engine)
    outcome = SyncOutcome(new_run_id(), tuple(province_codes), as_of, engine)
    with engine.begin() as connection:
        loaders.mark_abandoned_runs(connection, datetime.now(UTC))
        loaders.start_run(
            connection,
            outcome.run_id,
            flow_run_id,
            source,
            outcome.province_codes,
            as_of,
            datetime.now(UTC),
        )
    ACTIVE_RUNS.add(outcome.run_id)
    try:
        yield outcome
    except Exception as error:  # recorded, then re-raised as it was
        read, _loaded, quarantined = outcome.rows
        with engine.begin() as connection:
            loaders.finish_run(  # rolled back: nothing was loaded
                connection,
                outcome.run_id,
                "failed",
                datetime.now(UTC),
                str(error),
                (read, 0, quarantined),
            )
            _record_checks(connection, outcome)
        raise
    else:
        with engine.begin() as connection:
            loaders.finish_run(
                connection,
                outcome.run_id,
                "completed",
                datetime.now(UTC),
                "; ".join(outcome.notes) or None,
                outcome.rows,
            )
    finally:
        ACTIVE_RUNS.discard(outcome.run_id)
        engine.dispose()


@contextmanager
def warehouse_transaction(run: SyncOutcome) -> Iterator[Connection]:
    """The one transaction of a run's load, check records, record of the payloads it consumed
    and grades, under the load lock."""
    with run.warehouse().begin() as connection:
        loaders.lock_for_load(connection)
        yield connection
        loaders.record_consumed(
            connection,
            run.run_id,
            [
                {"request_key": raw.request_key, "sha256": raw.sha256, "dataset": e.dataset}
                for e in run.read_extracts()
                for raw in e.raws
            ],
            datetime.now(UTC),
        )


def _record_checks(connection: Connection, outcome: SyncOutcome) -> None:
    """Keep what the checks found, also when the run stops (for ops to see why)."""
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


# --- The steps of a sync


def extract(request: SyncRequest, run: SyncOutcome, guard: ExtractGuard = nullcontext) -> Extracted:
    """Fetch every dataset from the request's source; the connectors stream each payload into
    the raw landing store as it arrives."""
    settings = request.settings()
    with run.step("extract") as progress, guard():
        extracted = extract_sources(
            settings, _landing(settings, run), run.province_codes, request.mock_url
        )
        progress.detail = ", ".join(
            f"{e.dataset} {'unchanged' if e.unchanged else f'{e.rows_read:,} rows'}"
            for e in extracted.extracts
        )
    return extracted


def land(run: SyncOutcome, extracted: Extracted) -> list[Extract]:
    """Take what landed into the run: every payload is recorded with the run, and the datasets
    whose payload is the one last loaded are skipped. Returns the extracts to go on with."""
    with run.step("land") as progress:
        run.extracts = extracted.extracts
        run.notes += extracted.notes
        run.notes += [
            f"{e.dataset}: unchanged since the last load, skipped"
            for e in run.extracts
            if e.unchanged
        ]
        read = run.read_extracts()
        raws = [raw for e in run.extracts for raw in e.raws]
        progress.detail = f"{len(raws)} payloads, {sum(r.size for r in raws):,} bytes" + (
            f"; unchanged: {', '.join(run.skipped)}" if run.skipped else ""
        )
    return read


def type_extracts(request: SyncRequest, run: SyncOutcome, extracts: list[Extract]) -> list[Typed]:
    """Type each extract's rows; unreadable rows come back as issues, for validation."""
    catalog = configured_catalog(request.settings())
    with run.step("type") as progress:
        typed = [Typed(e, *_type_rows(e, catalog)) for e in extracts]
        progress.detail = ", ".join(
            f"{t.extract.dataset} {len(t.rows):,} rows ({len(t.issues):,} unreadable)"
            for t in typed
        )
    return typed


def extract_summary(
    request: SyncRequest, run: SyncOutcome, typed: list[Typed], guard: ExtractGuard = nullcontext
) -> pd.DataFrame | None:
    """The CDD summary report for the fiscal years of the sales read, to reconcile with; none
    from the file inbox, or when no sales were read."""
    settings = request.settings()
    catalog = configured_catalog(settings)
    sales = [t.rows for t in typed if dataset(t.extract.dataset, catalog).reconciles_with_summary]
    if settings.source == SourceKind.files or not sales:
        return None
    with run.step("extract summary") as progress, guard():
        years = sorted(
            {Quarter.of(m).fiscal_year for rows in sales for m in rows["month"].dropna().unique()}
        )
        summary = fetch_summaries(
            settings, _landing(settings, run), run.province_codes, years, request.mock_url
        )
        progress.detail = f"{len(summary):,} rows for FY{', FY'.join(map(str, years))}"
    return summary


def validate(
    request: SyncRequest, run: SyncOutcome, typed: list[Typed], summary: pd.DataFrame | None
) -> list[tuple[str, pd.DataFrame]]:
    """Run every dataset's suite, build the Data Docs, and stop on a failed critical
    expectation. Returns each dataset's clean rows, to load."""
    settings = request.settings()
    rulebook = load_rulebook(settings.rules_file)
    base_year = rulebook.for_year(min(rulebook.years)).base_year
    params = SuiteParameters(
        run.province_codes,
        run.as_of,
        sales_from=Quarter(base_year, 1).start,
        earliest_date=settings.earliest_date,
        amount_ceiling=settings.amount_ceiling,
        max_missing_share=settings.max_missing_share,
    )
    with run.step("validate") as progress:
        validator = Validator(
            gx_context(settings.data_dir / "data_docs"), load_severities(), run.run_id
        )
        catalog = configured_catalog(settings)
        clean = []
        for item in typed:
            spec = dataset(item.extract.dataset, catalog)
            with run.timed(f"validate {spec.name}"):
                validation = validate_dataset(
                    validator,
                    spec,
                    item.extract.table,
                    item.rows,
                    item.issues,
                    params,
                    summary if spec.reconciles_with_summary else None,
                )
            run.validations.append(validation)
            clean.append((spec.name, validation.clean))
        with run.timed("validate docs"):
            run.docs_index = validator.build_docs()
        read, loaded, quarantined = run.rows
        progress.detail = f"{read:,} rows read, {loaded:,} clean, {quarantined:,} quarantined"
        raise_if_critical(run.validations)
    return clean


def load(run: SyncOutcome, connection: Connection, clean: list[tuple[str, pd.DataFrame]]) -> int:
    """Upsert each dataset's clean rows, with the run's records of payloads, quarantine and
    checks, in the run's transaction. Returns the rows loaded."""
    with run.step("load") as progress:
        for name, rows in clean:
            loaders.load_rows(connection, dataset(name), rows, run.run_id)
        _record_checks(connection, run)
        loaded = sum(len(rows) for _, rows in clean)
        progress.detail = f"{loaded:,} rows into {len(clean)} tables"
    return loaded


def _keep_grades(run: SyncOutcome, results: list[QuarterResult]) -> None:
    run.notes += [warning for result in results for warning in result.warnings]
    grades = [result.grades for result in results]
    run.grades = pd.concat(grades, ignore_index=True) if grades else pd.DataFrame()


def _grade(run: SyncOutcome, connection: Connection, rulebook: RuleBook) -> int:
    with run.step("grade") as progress:
        results = grade_quarters(
            connection, run.quarters, run.province_codes, rulebook, run.as_of, run.run_id
        )
        _keep_grades(run, results)
        progress.detail = f"{len(run.grades):,} grades for " + (
            ", ".join(map(str, run.quarters)) or "no quarter"
        )
    return len(run.grades)


def grade(run: SyncOutcome, connection: Connection) -> int:
    """Targets and grades of every quarter with rules up to the run's day, in the run's
    transaction. Returns the number of grades."""
    rulebook = load_rulebook(Settings().rules_file)
    run.quarters = quarters_to_grade(rulebook, run.as_of)
    return _grade(run, connection, rulebook)


def grade_again(run: SyncOutcome, connection: Connection, request: GradeRequest) -> int:
    """Grade the request's quarters from the warehouse; quarters without KPI rules are skipped
    with a note. Returns the number of grades."""
    rulebook = load_rulebook(Settings().rules_file)
    for quarter in request.parsed_quarters():
        reason = rulebook.not_covered(quarter)
        if reason is None:
            run.quarters.append(quarter)
        else:
            run.notes.append(reason)
    return _grade(run, connection, rulebook)
