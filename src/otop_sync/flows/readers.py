"""What the commands and flows that only read the warehouse share: they never migrate it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

import pandas as pd
from sqlalchemy import Engine

from otop_sync.flows.settings import Settings
from otop_sync.reports.notices import Notice, slow_notice, stale_notice
from otop_sync.rules import load_rulebook
from otop_sync.transforms.alerts import stale_sources, usual_seconds
from otop_sync.transforms.deadlines import (
    last_due_month,
    late_districts,
    next_due_month,
    pending_districts,
    sales_months_due,
)
from otop_sync.transforms.districts import districts_of, with_district_names
from otop_sync.transforms.fiscal import Quarter, sales_due_date, shop_report_due_date
from otop_sync.transforms.outlook import BacktestCase
from otop_sync.warehouse import queries
from otop_sync.warehouse.db import (
    WarehouseError,
    check_reachable,
    current_revision,
    head_revision,
    make_engine,
)
from otop_sync.warehouse.outlook import Outlook, check_projectable, read_backtest, read_outlook


def require_current_schema(engine: Engine) -> None:
    """Stop a reader when the warehouse is unreachable or not at the newest schema; readers
    never migrate (``otop-sync db upgrade`` does)."""
    check_reachable(engine)
    current, head = current_revision(engine), head_revision()
    if current != head:
        where = engine.url.render_as_string(hide_password=True)
        state = "has no otop-sync schema" if current is None else f"is at revision {current}"
        raise WarehouseError(f"the warehouse at {where} {state}: run `otop-sync db upgrade`")


@dataclass(frozen=True)
class LateReport:
    """Who is late as of a day (:data:`~otop_sync.transforms.deadlines.LATE_COLUMNS` and the
    district's name), and whether the Shop ชุมชน report channel has any responses to judge by."""

    as_of: date
    late: pd.DataFrame
    report_channel_configured: bool


def late_report(settings: Settings, province_codes: Sequence[str], as_of: date) -> LateReport:
    """Districts that recorded sales late or not at all, and, when the form's responses are
    loaded, those whose last month's Shop ชุมชน report is missing, late or differs from Click
    ชุมชน.

    Only reads: a warehouse without the schema is an error asking for ``otop-sync db upgrade``.
    """
    engine = make_engine(settings.warehouse_url)
    codes = [d.code for p in province_codes for d in districts_of(p)]
    try:
        require_current_schema(engine)
        with engine.connect() as connection:
            configured = queries.form_responses_loaded(connection)
            month = last_due_month(as_of, shop_report_due_date)
            late = late_districts(
                codes,
                queries.first_sales_recordings(connection, province_codes, sales_months_due(as_of)),
                queries.shop_report_responses(connection, province_codes, month)
                if configured
                else None,
                queries.shop_registrations(connection, province_codes),
                as_of,
            )
    finally:
        engine.dispose()
    return LateReport(
        as_of=as_of, late=with_district_names(late), report_channel_configured=configured
    )


def outlook_report(
    settings: Settings, province_codes: Sequence[str], quarter: Quarter, as_of: date
) -> list[Outlook]:
    """Each province's outlook for a quarter as of a day, with the backtest at the same point
    of the quarter (:func:`otop_sync.warehouse.outlook.read_outlook`). Only reads."""
    rulebook = load_rulebook(settings.rules_file)
    check_projectable(quarter, rulebook, as_of)
    engine = make_engine(settings.warehouse_url)
    try:
        require_current_schema(engine)
        with engine.connect() as connection:
            return read_outlook(connection, quarter, province_codes, rulebook, as_of)
    finally:
        engine.dispose()


def outlook_of_the_day(
    settings: Settings, province_codes: Sequence[str], as_of: date
) -> tuple[list[Outlook], str | None]:
    """The outlook of the quarter ``as_of`` falls in, for the nightly run; none, with the
    reason, when the rules do not grade that quarter."""
    quarter = Quarter.of(as_of)
    reason = load_rulebook(settings.rules_file).not_covered(quarter)
    if reason is not None:
        return [], reason
    return outlook_report(settings, province_codes, quarter, as_of), None


def backtest_report(
    settings: Settings, province_codes: Sequence[str], as_of: date, stages: Sequence[int]
) -> dict[int, list[BacktestCase]]:
    """Per stage, the backtest of every quarter final by ``as_of`` in the provinces. Only
    reads."""
    engine = make_engine(settings.warehouse_url)
    rulebook = load_rulebook(settings.rules_file)
    try:
        require_current_schema(engine)
        with engine.connect() as connection:
            return {
                stage: [
                    case
                    for code in province_codes
                    for case in read_backtest(connection, code, rulebook, stage, as_of)
                ]
                for stage in stages
            }
    finally:
        engine.dispose()


def pending_report(
    settings: Settings, province_codes: Sequence[str], as_of: date, within_days: int
) -> LateReport:
    """Districts that have not yet recorded the sales or sent the Shop ชุมชน report due
    within ``within_days`` (the next 18th, the next 15th), as of ``as_of``; the report only
    when the form's responses are loaded. Only reads, like :func:`late_report`."""
    engine = make_engine(settings.warehouse_url)
    codes = [d.code for p in province_codes for d in districts_of(p)]
    try:
        require_current_schema(engine)
        with engine.connect() as connection:
            configured = queries.form_responses_loaded(connection)
            pending = pending_districts(
                codes,
                queries.first_sales_recordings(
                    connection, province_codes, [next_due_month(as_of, sales_due_date)]
                ),
                queries.shop_report_responses(
                    connection, province_codes, next_due_month(as_of, shop_report_due_date)
                )
                if configured
                else None,
                as_of,
                within_days,
            )
    finally:
        engine.dispose()
    return LateReport(
        as_of=as_of, late=with_district_names(pending), report_channel_configured=configured
    )


def ops_notices(
    settings: Settings, runs: Sequence[tuple[str, Sequence[str]]], url: str | None, now: datetime
) -> list[Notice]:
    """The ops alerts finished runs (run id, provinces) call for: each source they fetched
    that has not changed for longer than its usual cycle, and each run that took far longer
    than usual, linking to ``url``. Only reads."""
    notices = []
    engine = make_engine(settings.warehouse_url)
    try:
        with engine.connect() as connection:
            for run_id, province_codes in runs:
                changes = queries.payload_changes(connection, run_id)
                notices += [
                    stale_notice(source, url)
                    for source in stale_sources(
                        changes, now, settings.freshness_days, settings.freshness_factor
                    )
                ]
                seconds, earlier = queries.run_seconds(connection, run_id, 20)
                usual = usual_seconds(
                    seconds, earlier, settings.slow_run_factor, settings.slow_run_history
                )
                if usual is not None:
                    what = f"sync {', '.join(province_codes)}"
                    notices.append(slow_notice(what, seconds, usual, url))
    finally:
        engine.dispose()
    return notices
