"""The Prefect flows ops schedule and watch. They only wire the pipeline's steps into tasks:

- ``nightly_sync``: extract → land raw → validate → load → targets and grades → artifacts, for
  one province or a list (mapped over provinces, each its own run and transaction);
- ``grade_quarters`` and ``backfill``: grade quarters again from the warehouse;
- ``finalise_quarter``: the day after the last sales of a quarter are due, grade it final;
- ``deadline_monitor``: districts late with last month's sales or Shop ชุมชน report.

Retries only where a retry can help (a source that did not answer or cut a payload short);
requests to each CDD host share a global concurrency limit named ``cdd-<host>``.
"""

from __future__ import annotations

import re
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_link_artifact, create_markdown_artifact, create_table_artifact
from prefect.concurrency.sync import concurrency
from prefect.futures import wait
from prefect.runtime import flow_run

from otop_sync.connectors.errors import SourceUnreachableError, TruncatedPayloadError
from otop_sync.errors import OtopSyncError
from otop_sync.flows.pipeline import (
    SyncOutcome,
    late_report,
    new_run_id,
    run_grading,
    run_sync,
)
from otop_sync.flows.settings import Settings, SourceKind
from otop_sync.reports.quarter import build_report, write_reports
from otop_sync.rules import load_rulebook
from otop_sync.transforms.fiscal import Quarter, quarter_range
from otop_sync.transforms.grades import GradeRow, grade_rows
from otop_sync.warehouse.db import make_engine

BANGKOK = ZoneInfo("Asia/Bangkok")
TRANSIENT = (SourceUnreachableError, TruncatedPayloadError)


def today_in_bangkok() -> date:
    """Today's date in Thailand (the schedules' time zone)."""
    return datetime.now(BANGKOK).date()


@dataclass
class RunReport:
    """What a task hands back to its flow: small, serialisable, no credentials."""

    run_id: str
    province_codes: list[str]
    as_of: date
    rows: dict[str, dict[str, int]] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    checks: list[dict[str, Any]] = field(default_factory=list)
    grades: list[GradeRow] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)
    docs_index: str | None = None
    reports: list[str] = field(default_factory=list)


def _report(outcome: SyncOutcome) -> RunReport:
    grades = grade_rows(outcome.grades) if len(outcome.grades) else []
    return RunReport(
        run_id=outcome.run_id,
        province_codes=list(outcome.province_codes),
        as_of=outcome.as_of,
        rows={
            v.dataset: {
                "read": v.rows_read,
                "loaded": v.rows_loaded,
                "quarantined": v.rows_quarantined,
            }
            for v in outcome.validations
        },
        skipped=outcome.skipped,
        notes=outcome.notes,
        checks=[
            {**o.as_record(), "examples": ", ".join(o.examples)}
            for v in outcome.validations
            for o in v.outcomes
        ],
        grades=grades,
        seconds={k: round(v, 2) for k, v in outcome.seconds.items()},
        docs_index=str(outcome.docs_index) if outcome.docs_index else None,
    )


def _retry_if_transient(_task: Any, _task_run: Any, state: Any) -> bool:
    """Retry a task only when its source did not answer or cut a payload short."""
    error = state.result(raise_on_failure=False)
    return isinstance(error, TRANSIENT)


def host_limits(settings: Settings, mock_url: str | None) -> list[str]:
    """The global concurrency limit names of the CDD hosts a sync talks to."""
    if settings.source == SourceKind.files:
        return []
    urls = (
        [mock_url] if mock_url else [settings.products_url, settings.sales_url, settings.shops_url]
    )
    hosts = sorted({urlsplit(u).hostname or "" for u in urls if u})
    return [f"cdd-{re.sub(r'[^a-z0-9-]', '-', host.lower())}" for host in hosts if host]


def _settings(overrides: dict[str, Any]) -> Settings:
    return Settings(**{k: v for k, v in overrides.items() if v is not None})


@task(
    retries=2,
    retry_delay_seconds=[60, 300],
    retry_condition_fn=_retry_if_transient,
    task_run_name="sync-{province_codes}",
)
def sync_task(
    overrides: dict[str, Any], province_codes: list[str], as_of: date, mock_url: str | None
) -> RunReport:
    """One sync run of the provinces (see :func:`otop_sync.flows.pipeline.run_sync`)."""
    logger = get_run_logger()
    settings = _settings(overrides)
    limits = host_limits(settings, mock_url)

    def guard() -> AbstractContextManager[object]:
        return concurrency(limits, occupy=1) if limits else nullcontext()

    outcome = run_sync(
        settings,
        load_rulebook(settings.rules_file),
        province_codes,
        as_of,
        new_run_id(),
        flow_run_id=str(flow_run.id) if flow_run.id else None,
        mock_url=mock_url,
        extract_guard=guard,
    )
    report = _report(outcome)
    for extract in outcome.extracts:
        state = "unchanged, skipped" if extract.unchanged else f"{extract.rows_read:,} rows"
        logger.info("extract %s from %s: %s", extract.dataset, extract.source, state)
    for dataset, counts in report.rows.items():
        logger.info(
            "validate %s: %s read, %s loaded, %s quarantined",
            dataset,
            counts["read"],
            counts["loaded"],
            counts["quarantined"],
        )
    logger.info(
        "grade %s: %s grades", ", ".join(str(q) for q in outcome.quarters), len(report.grades)
    )
    for note in outcome.notes:
        logger.info("note: %s", note)
    return report


@task(task_run_name="grade-{province_codes}")
def grade_task(
    overrides: dict[str, Any], province_codes: list[str], quarters: list[str], as_of: date
) -> RunReport:
    """Grade quarters again from the warehouse."""
    settings = _settings(overrides)
    outcome = run_grading(
        settings,
        load_rulebook(settings.rules_file),
        province_codes,
        [Quarter.parse(q) for q in quarters],
        as_of,
        new_run_id(),
        flow_run_id=str(flow_run.id) if flow_run.id else None,
    )
    get_run_logger().info("graded %s for %s", ", ".join(quarters), ", ".join(province_codes))
    return _report(outcome)


@task
def write_report_files(overrides: dict[str, Any], report: RunReport, quarter: str) -> list[str]:
    """Write the quarter's report files (xlsx, csv, md, html) for each province of a run."""
    settings = _settings(overrides)
    engine = make_engine(settings.warehouse_url)
    paths = []
    with engine.connect() as connection:
        for code in report.province_codes:
            built = build_report(connection, Quarter.parse(quarter), code)
            paths += [str(p) for p in write_reports(built, settings.data_dir / "reports")]
    engine.dispose()
    return paths


def _key(*parts: str) -> str:
    return re.sub(r"[^a-z0-9-]+", "-", "-".join(parts).lower()).strip("-")


@task
def publish_artifacts(report: RunReport, kind: str = "sync") -> None:
    """The run's grade table, validation summary and row counts as artifacts with stable
    keys, and links to the Data Docs and the reports."""
    scope = "-".join(report.province_codes) if len(report.province_codes) <= 3 else "national"
    if report.grades:
        create_table_artifact(
            key=_key("grades", scope),
            table=[grade.display() for grade in report.grades],
            description=f"Grades as of {report.as_of} (run {report.run_id})",
        )
    if report.rows:
        create_table_artifact(
            key=_key("run-rows", scope),
            table=[{"dataset": d, **counts} for d, counts in report.rows.items()],
            description=f"Rows read, loaded and quarantined (run {report.run_id})",
        )
    lines = [
        f"# Validation, run {report.run_id}",
        "",
        "| dataset | expectation | severity | ok | unexpected | examples |",
        "|---|---|---|---|---|---|",
    ]
    for check in report.checks:
        mark = "✅" if check["success"] else "❌"
        lines.append(
            f"| {check['dataset']} | {check['expectation']} | {check['severity']} | {mark} | "
            f"{check['unexpected_count']} | {check['examples']} |"
        )
    if report.skipped:
        lines += ["", "Unchanged since the last load, skipped: " + ", ".join(report.skipped)]
    if report.notes:
        lines += ["", "Notes:", *(f"- {note}" for note in report.notes)]
    lines += ["", "Seconds per step: " + ", ".join(f"{k} {v}" for k, v in report.seconds.items())]
    create_markdown_artifact(key=_key(kind, "summary", scope), markdown="\n".join(lines))
    if report.docs_index:
        create_link_artifact(
            key=_key("data-docs", scope),
            link=Path(report.docs_index).resolve().as_uri(),
            link_text="Great Expectations Data Docs",
        )
    for path in report.reports:
        create_link_artifact(
            key=_key("report", scope, Path(path).suffix.lstrip(".")),
            link=Path(path).resolve().as_uri(),
            link_text=Path(path).name,
        )


def _overrides(
    source: str | None,
    warehouse_url: str | None,
    data_dir: str | None,
    inbox_dir: str | None = None,
) -> dict[str, Any]:
    return {
        "source": source,
        "warehouse_url": warehouse_url,
        "data_dir": data_dir,
        "inbox_dir": inbox_dir,
    }


def _raise_failures(futures: list[Any], what: str) -> None:
    failed = [f for f in futures if f.state.is_failed()]
    if failed:
        reasons = "; ".join(str(f.state.message) for f in failed)
        raise OtopSyncError(f"{len(failed)} of {len(futures)} {what} failed: {reasons}")


@flow(name="nightly-sync", log_prints=False)
def nightly_sync(
    provinces: list[str] | None = None,
    as_of: date | None = None,
    source: str | None = None,
    mock_url: str | None = None,
    warehouse_url: str | None = None,
    data_dir: str | None = None,
    report_quarter: str | None = None,
    one_run: bool = False,
    inbox_dir: str | None = None,
) -> list[RunReport]:
    """Sync provinces (each its own run, mapped; or ``one_run`` for a single national run),
    publish artifacts and, for ``report_quarter``, write the quarter's reports."""
    provinces = provinces or ["57"]
    as_of = as_of or today_in_bangkok()
    overrides = _overrides(source, warehouse_url, data_dir, inbox_dir)
    if _settings(overrides).source == SourceKind.mock and not mock_url:
        raise OtopSyncError(
            "source mock needs mock_url: start `otop-sync mock serve` and pass its URL"
        )
    groups = [provinces] if one_run else [[p] for p in provinces]
    settings = _settings(overrides)
    task = sync_task.with_options(
        retries=settings.task_retries,
        retry_delay_seconds=[settings.task_retry_delay, settings.task_retry_delay * 5],
    )
    futures = [task.submit(overrides, group, as_of, mock_url) for group in groups]
    wait(futures)
    reports = [f.result() for f in futures if f.state.is_completed()]
    for report in reports:
        if report_quarter:
            report.reports = write_report_files(overrides, report, report_quarter)
        publish_artifacts(report)
    _raise_failures(futures, "province syncs")
    return reports


@flow(name="grade-quarters")
def grade_quarters(
    quarters: list[str],
    provinces: list[str] | None = None,
    as_of: date | None = None,
    warehouse_url: str | None = None,
    data_dir: str | None = None,
) -> list[RunReport]:
    """Grade the quarters again for each province from what the warehouse holds."""
    provinces = provinces or ["57"]
    as_of = as_of or today_in_bangkok()
    overrides = _overrides(None, warehouse_url, data_dir)
    futures = [grade_task.submit(overrides, [p], quarters, as_of) for p in provinces]
    wait(futures)
    reports = [f.result() for f in futures if f.state.is_completed()]
    for report in reports:
        publish_artifacts(report, kind="grading")
    _raise_failures(futures, "gradings")
    return reports


@flow(name="backfill")
def backfill(
    from_quarter: str,
    to_quarter: str,
    provinces: list[str] | None = None,
    as_of: date | None = None,
    warehouse_url: str | None = None,
    data_dir: str | None = None,
) -> list[RunReport]:
    """Grade a range of quarters again (quarters without KPI rules are skipped, with a note)."""
    quarters = [
        str(q) for q in quarter_range(Quarter.parse(from_quarter), Quarter.parse(to_quarter))
    ]
    return grade_quarters(quarters, provinces, as_of, warehouse_url, data_dir)


@flow(name="finalise-quarter")
def finalise_quarter(
    provinces: list[str] | None = None,
    as_of: date | None = None,
    warehouse_url: str | None = None,
    data_dir: str | None = None,
) -> list[RunReport]:
    """Grade the quarter that ended last; run the day after its last sales are due, its grades
    become final."""
    as_of = as_of or today_in_bangkok()
    quarter = Quarter.of(as_of).previous()
    return grade_quarters([str(quarter)], provinces, as_of, warehouse_url, data_dir)


@task
def late_task(overrides: dict[str, Any], provinces: list[str], as_of: date) -> list[dict[str, Any]]:
    """Districts late with last month's sales or Shop ชุมชน report."""
    late = late_report(_settings(overrides), provinces, as_of)
    rows = [
        {
            "district_code": r.district_code,
            "district": r.district_name_th,
            "missing": r.what,
            "month": r.month.isoformat(),
            "due": r.due.isoformat(),
        }
        for r in late.itertuples()
    ]
    logger = get_run_logger()
    logger.info("%s districts late as of %s", len({r["district_code"] for r in rows}), as_of)
    return rows


@flow(name="deadline-monitor")
def deadline_monitor(
    provinces: list[str] | None = None,
    as_of: date | None = None,
    warehouse_url: str | None = None,
) -> list[dict[str, Any]]:
    """Who has not recorded last month's sales by the 18th, or Shop reports by the 15th."""
    provinces = provinces or ["57"]
    as_of = as_of or today_in_bangkok()
    rows = late_task(_overrides(None, warehouse_url, None), provinces, as_of)
    create_table_artifact(
        key=_key("late", "-".join(provinces) if len(provinces) <= 3 else "national"),
        table=rows
        or [
            {
                "district_code": "-",
                "district": "nobody is late",
                "missing": "",
                "month": "",
                "due": "",
            }
        ],
        description=f"Districts late as of {as_of}",
    )
    return rows
