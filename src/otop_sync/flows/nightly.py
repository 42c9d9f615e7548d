"""The Prefect flows ops schedule and watch. They only wire the pipeline's steps
(:mod:`otop_sync.flows.pipeline`) into tasks, one task per step:

- ``nightly-sync``: for each province (or once for all, ``one_run``) a ``sync-provinces`` run,
  started side by side by ``sync-<codes>`` tasks, whose graph is extract → land → type →
  extract-summary → validate → load → grade → report; then the report files and the artifacts;
- ``national-sync``: one run of the ``nightly`` deployment per province, for the work pool's
  workers (on as many machines as there are) to take, then waits for them all;
- ``grade-quarters`` and ``backfill``: a ``grade-provinces`` run per province, grading quarters
  again from the warehouse;
- ``finalise-quarter``: the day after the last sales of a quarter are due, grade it final;
- ``deadline-monitor``: districts late with last month's sales or Shop ชุมชน report, sent to
  the district offices' notification blocks;
- ``deadline-nudge``: before the 15th and the 18th, districts that have not yet reported or
  recorded, sent through the same blocks.

Ops are alerted through their own notification blocks when a scheduled flow fails or crashes
(a flow hook, with the reason on one line and a link to the run), and after each nightly run
when a source has not changed for longer than its usual cycle or the run took far longer than
usual.

Parameters are a typed, secret-free run request (:mod:`otop_sync.flows.request`): the warehouse
URL, the CDD account and every other setting are read from the environment inside the tasks.

Only the steps that talk to the CDD systems (extract, extract summary) retry, and only on a
transient source error (no answer, a payload cut short): a failed extract retries alone.
Requests to each CDD host share a global concurrency limit named ``cdd-<host>``.

Caching: no task result is cached by Prefect. Caching by input hash would pickle each typed
frame into result storage every night (3 million sales rows for a national run), and the input
hash Prefect would need is already known more cheaply: the raw landing store keeps each
request's last loaded payload by sha256, and an unchanged payload is skipped before it is typed
or validated. Frames pass between tasks in memory, in the flow's process.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pandas as pd
from prefect import flow, get_run_logger, task
from prefect.artifacts import create_link_artifact, create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId
from prefect.client.schemas.objects import FlowRun
from prefect.concurrency.sync import concurrency
from prefect.deployments import run_deployment
from prefect.exceptions import ObjectNotFound
from prefect.futures import PrefectFuture, wait
from prefect.runtime import flow_run, task_run
from prefect.utilities.urls import url_for
from sqlalchemy import Connection

from otop_sync.connectors.errors import TRANSIENT_ERRORS
from otop_sync.connectors.extract import Extract
from otop_sync.connectors.notify import NotifyError, send_notice
from otop_sync.errors import OtopSyncError
from otop_sync.flows import pipeline
from otop_sync.flows.pipeline import Extracted, SyncOutcome, Typed
from otop_sync.flows.progress import StepEvent, listening
from otop_sync.flows.readers import late_report, ops_notices, outlook_of_the_day, pending_report
from otop_sync.flows.request import GradeRequest, RunScope, SyncRequest
from otop_sync.flows.settings import Settings, SourceKind
from otop_sync.flows.stopping import stop_on_terminate
from otop_sync.reports.grades import LATE_HEADERS, REPORT_CHANNEL_NOT_CONFIGURED, late_rows
from otop_sync.reports.notices import (
    Notice,
    failure_notice,
    late_notice,
    nudge_notice,
)
from otop_sync.reports.outlook import outlook_markdown
from otop_sync.reports.quarter import build_report, summary_markdown, write_reports
from otop_sync.transforms.alerts import CRITICAL, failure_kind
from otop_sync.transforms.districts import province
from otop_sync.transforms.districts import province_codes as province_codes_all
from otop_sync.transforms.fiscal import Quarter, quarter_range
from otop_sync.transforms.grades import GradeRow, grade_rows
from otop_sync.warehouse.db import make_engine


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
    """Where the report files went: local paths, or URLs (``s3://…``)."""
    report_summaries: dict[str, str] = field(default_factory=dict)
    """Each province's report as Markdown, for its artifact, by province code."""


def _rows_per_dataset(outcome: SyncOutcome) -> dict[str, dict[str, int]]:
    """Rows read, loaded and quarantined per dataset, summed over its files (two sales files
    in the inbox are one dataset with both files' rows)."""
    rows: dict[str, dict[str, int]] = {}
    for v in outcome.validations:
        counts = rows.setdefault(v.dataset, {"read": 0, "loaded": 0, "quarantined": 0})
        counts["read"] += v.rows_read
        counts["loaded"] += v.rows_loaded
        counts["quarantined"] += v.rows_quarantined
    return rows


def markdown_text(text: object) -> str:
    """Text for a Markdown table cell or list item: what a source wrote cannot add cells,
    lines, links or emphasis."""
    cleaned = " ".join(str(text).split())
    return re.sub(r"([\\`*_{}\[\]<>()#+!|~])", r"\\\1", cleaned)


def _report(outcome: SyncOutcome) -> RunReport:
    grades = grade_rows(outcome.grades) if len(outcome.grades) else []
    return RunReport(
        run_id=outcome.run_id,
        province_codes=list(outcome.province_codes),
        as_of=outcome.as_of,
        rows=_rows_per_dataset(outcome),
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
            f"| {check['dataset']} | {check['expectation']} | "
            f"{check['severity']} | {mark} | {check['unexpected_count']} | "
            f"{markdown_text(check['examples'])} |"
        )
    if report.skipped:
        lines += ["", "Unchanged since the last load, skipped: " + ", ".join(report.skipped)]
    if report.notes:
        lines += ["", "Notes:", *(f"- {markdown_text(note)}" for note in report.notes)]
    lines += ["", "Seconds per step: " + ", ".join(f"{k} {v}" for k, v in report.seconds.items())]
    create_markdown_artifact(key=_key(kind, "summary", scope), markdown="\n".join(lines))
    if report.docs_index:
        create_link_artifact(
            key=_key("data-docs", scope),
            link=Path(report.docs_index).resolve().as_uri(),
            link_text="Great Expectations Data Docs",
        )
    for code, markdown in report.report_summaries.items():
        create_markdown_artifact(key=_key("report", code), markdown=markdown)
    for path in report.reports:
        create_link_artifact(
            key=_key("report", scope, path.rsplit(".", 1)[-1]),
            link=path if "://" in path else Path(path).resolve().as_uri(),
            link_text=path.rsplit("/", 1)[-1],
        )


def _retry_if_transient(_task: Any, _task_run: Any, state: Any) -> bool:
    """Retry a task only when its source did not answer or cut a payload short."""
    error = state.result(raise_on_failure=False)
    return isinstance(error, TRANSIENT_ERRORS)


def host_limits(settings: Settings, mock_url: str | None) -> list[str]:
    """The global concurrency limit names of the CDD hosts a sync talks to."""
    if settings.source == SourceKind.files:
        return []
    urls = (
        [mock_url] if mock_url else [settings.products_url, settings.sales_url, settings.shops_url]
    )
    hosts = sorted({urlsplit(u).hostname or "" for u in urls if u})
    return [f"cdd-{re.sub(r'[^a-z0-9-]', '-', host.lower())}" for host in hosts if host]


def existing_limits(names: list[str]) -> list[str]:
    """Those of the named global concurrency limits that exist on the Prefect server. Prefect
    skips a limit that does not exist, but only after a round trip through its slot service
    that takes up to two seconds; asking for the limits by name takes milliseconds."""
    found = []
    with get_client(sync_client=True) as client:
        for name in names:
            try:
                client.read_global_concurrency_limit_by_name(name)
            except ObjectNotFound:
                continue
            found.append(name)
    return found


def _host_guard(request: SyncRequest) -> pipeline.ExtractGuard:
    """The requests to the CDD hosts, each host's limit occupied while they run (none for a
    host whose limit ops have not created)."""
    limits = existing_limits(host_limits(request.settings(), request.mock_url))

    def guard() -> AbstractContextManager[object]:
        return concurrency(limits, occupy=1) if limits else nullcontext()

    return guard


def _log_step(event: StepEvent) -> None:
    get_run_logger().info(event.line())


def _root_flow_run_id() -> str | None:
    """The id of the flow run ops started (the nightly run, not the per-province one)."""
    return str(flow_run.root_flow_run_id) if flow_run.id else None


# --- Tasks: one per step, each a thin call of the pipeline's step


@task(
    name="extract",
    task_run_name="extract-{run.scope}",
    retry_condition_fn=_retry_if_transient,
    cache_policy=NO_CACHE,
)
def extract_task(request: SyncRequest, run: SyncOutcome) -> Extracted:
    """Fetch every dataset into the raw landing store (retried on transient source errors)."""
    return pipeline.extract(request, run, _host_guard(request))


@task(name="land", task_run_name="land-{run.scope}", cache_policy=NO_CACHE)
def land_task(run: SyncOutcome, extracted: Extracted) -> list[Extract]:
    """Record what landed; skip the payloads loaded before."""
    return pipeline.land(run, extracted)


@task(name="type", task_run_name="type-{run.scope}", cache_policy=NO_CACHE)
def type_task(request: SyncRequest, run: SyncOutcome, extracts: list[Extract]) -> list[Typed]:
    """Type each dataset's rows."""
    return pipeline.type_extracts(request, run, extracts)


@task(
    name="extract-summary",
    task_run_name="extract-summary-{run.scope}",
    retry_condition_fn=_retry_if_transient,
    cache_policy=NO_CACHE,
)
def extract_summary_task(
    request: SyncRequest, run: SyncOutcome, typed: list[Typed]
) -> pd.DataFrame | None:
    """Fetch the summary report to reconcile the sales with (retried on transient errors)."""
    return pipeline.extract_summary(request, run, typed, _host_guard(request))


@task(name="validate", task_run_name="validate-{run.scope}", cache_policy=NO_CACHE)
def validate_task(
    request: SyncRequest, run: SyncOutcome, typed: list[Typed], summary: pd.DataFrame | None
) -> list[tuple[str, pd.DataFrame]]:
    """Validate every dataset; stop on a failed critical expectation."""
    return pipeline.validate(request, run, typed, summary)


@task(name="load", task_run_name="load-{run.scope}", cache_policy=NO_CACHE)
def load_task(
    run: SyncOutcome, connection: Connection, clean: list[tuple[str, pd.DataFrame]]
) -> int:
    """Load the clean rows and the run's records, in the run's transaction."""
    return pipeline.load(run, connection, clean)


@task(name="grade", task_run_name="grade-{run.scope}", cache_policy=NO_CACHE)
def grade_task(run: SyncOutcome, connection: Connection) -> int:
    """Targets and grades of every quarter up to the run's day, in the run's transaction."""
    return pipeline.grade(run, connection)


@task(name="grade-again", task_run_name="grade-again-{run.scope}", cache_policy=NO_CACHE)
def grade_again_task(run: SyncOutcome, connection: Connection, request: GradeRequest) -> int:
    """Grade the requested quarters from the warehouse, in the run's transaction."""
    return pipeline.grade_again(run, connection, request)


@task(name="report", cache_policy=NO_CACHE)
def report_task(run: SyncOutcome) -> RunReport:
    """The run's summary for the flow and the artifacts."""
    return _report(run)


@task(cache_policy=NO_CACHE)
def write_report_files(report: RunReport, quarter: str) -> tuple[list[str], dict[str, str]]:
    """Write the quarter's report files (xlsx, csv, md, html) for each province of a run to
    the configured report location; returns where they went and each province's report as
    Markdown for its artifact."""
    settings = Settings()
    engine = make_engine(settings.warehouse_url)
    locations: list[str] = []
    summaries: dict[str, str] = {}
    with engine.connect() as connection:
        for code in report.province_codes:
            built = build_report(connection, Quarter.parse(quarter), code)
            written = write_reports(built, settings.reports_at())
            locations += written
            summaries[code] = summary_markdown(built, written)
    engine.dispose()
    get_run_logger().info("%s report files written for %s", len(locations), quarter)
    return locations, summaries


@task(name="publish-outlook", cache_policy=NO_CACHE)
def publish_outlook(report: RunReport) -> list[str]:
    """The outlook of the quarter the run's day falls in, as a Markdown artifact per province
    (``outlook-57``), with the Markdown of :mod:`otop_sync.reports.outlook`; nothing when the
    rules do not grade that quarter. Returns the keys."""
    outlooks, reason = outlook_of_the_day(Settings(), report.province_codes, report.as_of)
    if reason is not None:
        get_run_logger().info("no outlook: %s", reason)
    keys = []
    for outlook in outlooks:
        keys.append(_key("outlook", outlook.province_code))
        create_markdown_artifact(key=keys[-1], markdown=outlook_markdown(outlook))
    return keys


@task(cache_policy=NO_CACHE)
def late_task(scope: RunScope) -> tuple[list[dict[str, str]], bool]:
    """Districts late with sales or the Shop ชุมชน report, as the monitor's rows; and whether
    the report channel is configured."""
    report = late_report(Settings(), scope.provinces, scope.as_of)
    rows = late_rows(report.late)
    logger = get_run_logger()
    logger.info("%s districts late as of %s", len({r["district_code"] for r in rows}), scope.as_of)
    if not report.report_channel_configured:
        logger.warning(REPORT_CHANNEL_NOT_CONFIGURED)
    return rows, report.report_channel_configured


def _run_url(flow_run_id: object) -> str | None:
    """The Prefect UI's page of a flow run (None when no UI address is known)."""
    return url_for("flow-run", obj_id=str(flow_run_id)) if flow_run_id else None


def _send_all(blocks: list[str], notices: list[Notice]) -> None:
    """Send each notice through every block; raise when a channel did not take one."""
    failures = [failure for notice in notices for failure in send_notice(blocks, notice)]
    if failures:
        raise NotifyError("notices not sent: " + "; ".join(failures))


@task(cache_policy=NO_CACHE)
def nudge_task(scope: RunScope) -> list[Notice]:
    """Per province, the districts that have not yet recorded the sales (due the 18th) or sent
    the Shop ชุมชน report (due the 15th) due within the next days, sent to the district
    offices' blocks (``OTOP_NUDGE_BLOCKS``)."""
    settings = Settings()
    logger = get_run_logger()
    notices = []
    for code in scope.provinces:
        report = pending_report(settings, [code], scope.as_of, settings.nudge_within_days)
        if not report.report_channel_configured:
            logger.warning(REPORT_CHANNEL_NOT_CONFIGURED)
        notice = nudge_notice(report.late, scope.as_of, province(code).name_th)
        districts = report.late["district_code"].nunique()
        logger.info("%s: %s districts to nudge as of %s", code, districts, scope.as_of)
        if notice:
            notices.append(notice)
    if not settings.nudge_blocks:
        logger.warning("no nudge sent: OTOP_NUDGE_BLOCKS names no notification block")
    _send_all(settings.nudge_blocks, notices)
    return notices


@task(cache_policy=NO_CACHE)
def send_late_task(rows: list[dict[str, str]], scope: RunScope) -> list[Notice]:
    """The monitor's late rows, one notice per province, sent to the district offices'
    blocks (``OTOP_NUDGE_BLOCKS``)."""
    settings = Settings()
    notices = []
    for code in scope.provinces:
        mine = [row for row in rows if row["district_code"].startswith(code)]
        notice = late_notice(mine, scope.as_of, province(code).name_th)
        if notice:
            notices.append(notice)
    _send_all(settings.nudge_blocks, notices)
    return notices


@task(cache_policy=NO_CACHE)
def watch_runs_task(reports: list[RunReport]) -> list[Notice]:
    """Alert ops (``OTOP_OPS_ALERT_BLOCKS``) to sources the runs found unchanged for longer
    than their usual cycle, and to runs that took far longer than usual."""
    settings = Settings()
    runs = [(report.run_id, report.province_codes) for report in reports]
    notices = ops_notices(settings, runs, _run_url(flow_run.id), datetime.now(UTC))
    logger = get_run_logger()
    for notice in notices:
        logger.warning(notice.body)
        send_notice(settings.ops_alert_blocks, notice)  # a channel down does not fail the sync
    return notices


def alert_ops(flow: Any, run: Any, state: Any) -> None:
    """Flow hook (on failure, on crash): tell ops, in one line, why the run ended so, with
    the link to the run. Never raises: the run's own state is what counts."""
    error = state.result(raise_on_failure=False) if state.is_failed() else None
    reason = str(error) if isinstance(error, BaseException) else str(state.message or "")
    kind = failure_kind(error if isinstance(error, BaseException) else None, state.is_crashed())
    notice = failure_notice(flow.name, kind, reason, _run_url(run.id))
    send_notice(Settings().ops_alert_blocks, notice)


# --- Flows: wiring only


def _retrying(step_task: Any) -> Any:
    """The task with the retries the settings give steps that talk to the sources."""
    settings = Settings()
    return step_task.with_options(
        retries=settings.task_retries,
        retry_delay_seconds=[settings.task_retry_delay, settings.task_retry_delay * 5],
    )


@flow(name="sync-provinces")
def sync_provinces(request: SyncRequest, province_codes: list[str]) -> RunReport:
    """One sync run of the provinces, one task per step, in one ``sync_run`` record."""
    source = request.settings().source.value
    with pipeline.recorded_run(source, province_codes, request.as_of, _root_flow_run_id()) as run:
        extracted = _retrying(extract_task)(request, run)
        extracts = land_task(run, extracted)
        typed = type_task(request, run, extracts)
        summary = _retrying(extract_summary_task)(request, run, typed)
        clean = validate_task(request, run, typed, summary)
        with pipeline.warehouse_transaction(run) as connection:
            load_task(run, connection, clean)
            grade_task(run, connection)
    return report_task(run)


@flow(name="grade-provinces")
def grade_provinces(request: GradeRequest, province_codes: list[str]) -> RunReport:
    """One grading run of the provinces, in one ``sync_run`` record and one transaction."""
    with (
        pipeline.recorded_run("grade", province_codes, request.as_of, _root_flow_run_id()) as run,
        pipeline.warehouse_transaction(run) as connection,
    ):
        grade_again_task(run, connection, request)
    return report_task(run)


def _runs_name(prefix: str) -> Callable[[], str]:
    """A task run name from the provinces of the run it starts, e.g. ``sync-57``."""

    def name() -> str:
        return f"{prefix}-{'-'.join(task_run.parameters['province_codes'])}"

    return name


@task(name="sync-run", task_run_name=_runs_name("sync"), cache_policy=NO_CACHE)
def sync_run_task(request: SyncRequest, province_codes: list[str]) -> RunReport:
    """Start one sync run; the nightly flow submits one per province, to run side by side."""
    return sync_provinces(request, province_codes)


@task(name="grade-run", task_run_name=_runs_name("grade"), cache_policy=NO_CACHE)
def grade_run_task(request: GradeRequest, province_codes: list[str]) -> RunReport:
    """Start one grading run; the grading flow submits one per province."""
    return grade_provinces(request, province_codes)


def _finished(futures: list[PrefectFuture[RunReport]]) -> list[RunReport]:
    """Wait for the runs; the reports of those that completed."""
    wait(futures)
    return [f.result() for f in futures if f.state.is_completed()]


def _reason(state: Any) -> str:
    """otop-sync's own reason a task failed (the exception's message), not Prefect's wrapper
    ("Task run encountered an exception …")."""
    error = state.result(raise_on_failure=False)
    return str(error) if isinstance(error, BaseException) else str(state.message)


def _cause(states: list[Any]) -> BaseException | None:
    """The error a run's failure is raised from, so that ops alerts can tell why: a critical
    expectation's, if one stopped a run, else the first."""
    errors = [state.result(raise_on_failure=False) for state in states]
    errors = [error for error in errors if isinstance(error, BaseException)]
    critical = [error for error in errors if failure_kind(error, crashed=False) == CRITICAL]
    return (critical or errors or [None])[0]


def _raise_failures(futures: list[PrefectFuture[RunReport]], what: str) -> None:
    failed = [f.state for f in futures if f.state.is_failed()]
    if len(futures) == 1 and failed:
        raise OtopSyncError(_reason(failed[0])) from _cause(failed)
    if failed:
        reasons = "; ".join(_reason(s) for s in failed)
        raise OtopSyncError(f"{len(failed)} of {len(futures)} {what} failed: {reasons}") from (
            _cause(failed)
        )


@flow(name="nightly-sync", log_prints=False, on_failure=[alert_ops], on_crashed=[alert_ops])
def nightly_sync(
    provinces: list[str] | None = None,
    as_of: date | None = None,
    source: SourceKind | None = None,
    mock_url: str | None = None,
    report_quarter: str | None = None,
    one_run: bool = False,
    inbox_dir: Path | None = None,
) -> list[RunReport]:
    """Sync provinces (each its own run, or ``one_run`` for a single national run), publish
    artifacts and the outlook of the quarter the run's day is in, and, for ``report_quarter``,
    write the quarter's reports."""
    stop_on_terminate()
    request = SyncRequest(
        provinces=provinces,
        as_of=as_of,
        source=source,
        mock_url=mock_url,
        inbox_dir=inbox_dir,
        report_quarter=report_quarter,
        one_run=one_run,
    )
    request.check_source()
    with listening(_log_step):
        runs = [sync_run_task.submit(request, list(group)) for group in request.groups()]
        reports = _finished(runs)
    for report in reports:
        if request.report_quarter:
            report.reports, report.report_summaries = write_report_files(
                report, request.report_quarter
            )
        publish_artifacts(report)
        publish_outlook(report)
    watch_runs_task(reports)
    _raise_failures(runs, "province syncs")
    return reports


PROVINCE_DEPLOYMENT = "nightly-sync/nightly"
"""The deployment ``national-sync`` starts once per province (see prefect.yaml)."""
POLL_SECONDS = 2.0


def _wait_for_runs(runs: list[FlowRun]) -> list[FlowRun]:
    """Poll the server until every flow run is in a final state; the runs as they ended."""
    ids = [run.id for run in runs]
    with get_client(sync_client=True) as client:
        while True:
            current = client.read_flow_runs(
                flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=ids)), limit=len(ids)
            )
            if len(current) == len(ids) and all(r.state and r.state.is_final() for r in current):
                order = {run_id: i for i, run_id in enumerate(ids)}
                return sorted(current, key=lambda r: order[r.id])
            time.sleep(POLL_SECONDS)


@flow(name="national-sync")
def national_sync(
    provinces: list[str] | None = None,
    as_of: date | None = None,
    source: SourceKind | None = None,
    mock_url: str | None = None,
    report_quarter: str | None = None,
    inbox_dir: Path | None = None,
) -> dict[str, str]:
    """Sync the provinces (every province when none are given) on several machines: one run of
    the ``nightly`` deployment per province, which any worker of the pool may take; then wait
    for them all. Returns each province's final state; fails naming the provinces whose run did
    not complete."""
    request = SyncRequest(
        provinces=provinces or province_codes_all(),
        as_of=as_of,
        source=source,
        mock_url=mock_url,
        inbox_dir=inbox_dir,
        report_quarter=report_quarter,
    )
    request.check_source()
    shared = request.model_dump(
        mode="json", include={"as_of", "source", "mock_url", "inbox_dir", "report_quarter"}
    )
    started = [
        run_deployment(
            PROVINCE_DEPLOYMENT,
            parameters={**shared, "provinces": [code]},
            flow_run_name=f"nightly-{code}",
            timeout=0,
        )
        for code in request.provinces
    ]
    logger = get_run_logger()
    logger.info("%s province runs of %s started", len(started), PROVINCE_DEPLOYMENT)
    ended = _wait_for_runs(started)
    states = {
        code: run.state.name if run.state else "Unknown"
        for code, run in zip(request.provinces, ended, strict=True)
    }
    failed = [
        f"{code} ({run.state.name}: {run.state.message})" if run.state else code
        for code, run in zip(request.provinces, ended, strict=True)
        if not (run.state and run.state.is_completed())
    ]
    if failed:
        raise OtopSyncError(
            f"{len(failed)} of {len(ended)} province runs failed: {'; '.join(failed)}"
        )
    logger.info("%s province runs completed", len(ended))
    return states


@flow(name="grade-quarters")
def grade_quarters(
    quarters: list[str], provinces: list[str] | None = None, as_of: date | None = None
) -> list[RunReport]:
    """Grade the quarters again for each province from what the warehouse holds."""
    stop_on_terminate()
    request = GradeRequest(quarters=quarters, provinces=provinces, as_of=as_of)
    with listening(_log_step):
        runs = [grade_run_task.submit(request, [code]) for code in request.provinces]
        reports = _finished(runs)
    for report in reports:
        publish_artifacts(report, kind="grading")
    _raise_failures(runs, "gradings")
    return reports


@flow(name="backfill")
def backfill(
    from_quarter: str,
    to_quarter: str,
    provinces: list[str] | None = None,
    as_of: date | None = None,
) -> list[RunReport]:
    """Grade a range of quarters again (quarters without KPI rules are skipped, with a note)."""
    stop_on_terminate()
    quarters = quarter_range(Quarter.parse(from_quarter), Quarter.parse(to_quarter))
    return grade_quarters([str(q) for q in quarters], provinces, as_of)


@flow(name="finalise-quarter", on_failure=[alert_ops], on_crashed=[alert_ops])
def finalise_quarter(
    provinces: list[str] | None = None, as_of: date | None = None
) -> list[RunReport]:
    """Grade the quarter that ended last; run the day after its last sales are due, its grades
    become final."""
    stop_on_terminate()
    scope = RunScope(provinces=provinces, as_of=as_of)
    quarter = Quarter.of(scope.as_of).previous()
    return grade_quarters([str(quarter)], list(scope.provinces), scope.as_of)


@flow(name="deadline-monitor", on_failure=[alert_ops], on_crashed=[alert_ops])
def deadline_monitor(
    provinces: list[str] | None = None, as_of: date | None = None
) -> list[dict[str, str]]:
    """Who has not recorded sales by the 18th (or recorded late), and who has not sent last
    month's Shop ชุมชน report by the 15th (or sent it late, or differing from Click ชุมชน): the
    monitor command's rows, as a table artifact."""
    stop_on_terminate()
    scope = RunScope(provinces=provinces, as_of=as_of)
    rows, configured = late_task(scope)
    nobody = dict.fromkeys(LATE_HEADERS, "") | {
        "district_code": "-",
        "district": "nobody is late",
    }
    description = f"Districts late as of {scope.as_of}"
    create_table_artifact(
        key=_key("late", "-".join(scope.provinces) if len(scope.provinces) <= 3 else "national"),
        table=rows or [nobody],
        description=description
        if configured
        else f"{description}; {REPORT_CHANNEL_NOT_CONFIGURED}",
    )
    send_late_task(rows, scope)
    return rows


@flow(name="deadline-nudge", on_failure=[alert_ops], on_crashed=[alert_ops])
def deadline_nudge(provinces: list[str] | None = None, as_of: date | None = None) -> list[Notice]:
    """Before the 15th and the 18th: per province, who has not yet sent last month's Shop
    ชุมชน report or recorded last month's sales, sent to the district offices."""
    stop_on_terminate()
    return nudge_task(RunScope(provinces=provinces, as_of=as_of))
