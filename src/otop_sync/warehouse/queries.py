"""Reading the warehouse back: the DataFrames the transforms take, and the targets, rules and
typed grade rows the reports show."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime
from decimal import Decimal

import pandas as pd
from sqlalchemy import (
    Connection,
    Date,
    DateTime,
    Integer,
    String,
    and_,
    case,
    column,
    func,
    literal,
    or_,
    select,
    table,
    union_all,
)

from otop_sync.transforms.criteria import CriterionResult
from otop_sync.transforms.deltas import PRODUCT_COUNT_COLUMNS, UNIT_COUNT_COLUMNS
from otop_sync.transforms.fiscal import Quarter
from otop_sync.transforms.grades import GradeRow
from otop_sync.transforms.quarantine import Quarantined, QuarantinedFigure, row_reasons
from otop_sync.warehouse.db import satang_sum
from otop_sync.warehouse.models import (
    ConsumedPayload,
    District,
    KpiBaseline,
    KpiGradeCriterion,
    KpiGradeVersion,
    KpiRule,
    KpiTarget,
    KpiTargetProvince,
    MonthlySales,
    MonthlySalesHistory,
    MonthlySalesTotal,
    ProductRegistration,
    RawFileRecord,
    ShopRegistration,
    SyncRun,
)


def result_frame(connection: Connection, statement, columns: list[str]) -> pd.DataFrame:  # type: ignore[no-untyped-def]
    """A statement's rows as a frame of the values as read (object columns)."""
    return pd.DataFrame(_tuples(connection, statement), columns=columns, dtype=object)


def _tuples(connection: Connection, statement) -> list[tuple]:  # type: ignore[no-untyped-def]
    """A statement's rows as plain tuples: pandas probes each row it is given, and probing
    a SQLAlchemy row costs as much as reading it."""
    return [tuple(row) for row in connection.execute(statement).all()]


def consumed_payloads(connection: Connection) -> tuple[dict[str, str], frozenset[str]]:
    """What loads have consumed: request key → the sha256 last loaded for it, and every
    sha256 ever loaded."""
    rows = connection.execute(
        select(ConsumedPayload.request_key, ConsumedPayload.sha256).order_by(
            ConsumedPayload.consumed_at, ConsumedPayload.id
        )
    ).all()
    return dict(rows), frozenset(sha for _key, sha in rows)


def products(connection: Connection, province_codes: Sequence[str]) -> pd.DataFrame:
    """Product registrations of the provinces: code, district, registered and cancelled on."""
    table = ProductRegistration
    statement = select(
        table.product_code, table.district_code, table.registered_on, table.cancelled_on
    ).where(table.province_code.in_(province_codes))
    return result_frame(
        connection, statement, ["product_code", "district_code", "registered_on", "cancelled_on"]
    )


def shops(connection: Connection, province_codes: Sequence[str]) -> pd.DataFrame:
    """Shop ชุมชน registrations of the provinces: code, producer code ('' for a sales centre),
    district, registered on."""
    table = ShopRegistration
    statement = select(
        table.shop_code, table.producer_code, table.district_code, table.registered_on
    ).where(table.province_code.in_(province_codes))
    return result_frame(
        connection, statement, ["shop_code", "producer_code", "district_code", "registered_on"]
    )


def _counted_on(day: date, known_by: date | None) -> date:
    """What counts on ``day`` as known by ``known_by``: everything up to the earlier of the two."""
    return day if known_by is None else min(day, known_by)


def active_product_counts(
    connection: Connection,
    province_codes: Sequence[str],
    days: Sequence[date],
    known_by: date | None = None,
) -> pd.DataFrame:
    """Active products per district on each day, counted in the database (one row per
    district and day that has any; :data:`~otop_sync.transforms.deltas.PRODUCT_COUNT_COLUMNS`).

    Active: registered by the day and not cancelled by then. With ``known_by``, only what had
    happened by that day counts (a registration or cancellation after it is not known yet).
    One pass over the registrations counts every day.
    """
    table = ProductRegistration
    counted = [_counted_on(day, known_by) for day in days]
    if not counted:
        return pd.DataFrame(columns=list(PRODUCT_COUNT_COLUMNS))
    active = [
        func.count(
            case(
                (
                    and_(
                        table.registered_on <= on,
                        or_(table.cancelled_on.is_(None), table.cancelled_on > on),
                    ),
                    1,
                )
            )
        )
        for on in counted
    ]
    statement = (
        select(table.district_code, *active)
        .where(table.province_code.in_(province_codes), table.registered_on <= max(counted))
        .group_by(table.district_code)
    )
    found = connection.execute(statement).all()
    rows = [(row[0], day, int(row[i])) for i, day in enumerate(days, 1) for row in found if row[i]]
    return pd.DataFrame(rows, columns=list(PRODUCT_COUNT_COLUMNS))


def shop_unit_counts(
    connection: Connection,
    province_codes: Sequence[str],
    days: Sequence[date],
    known_by: date | None = None,
) -> pd.DataFrame:
    """Shop ชุมชน units per district registered by each day, counted in the database as the
    letter's explanation 3 says: one per distinct producer code, one per shop without one
    (:data:`~otop_sync.transforms.deltas.UNIT_COUNT_COLUMNS`). With ``known_by``, only
    registrations made by then count.

    A producer is a unit from its first registration in the district on, so the
    registrations are first reduced to one row per producer (its first day) and one per shop
    without a producer code; every day is then counted in one pass over those rows.
    """
    table = ShopRegistration
    counted = [_counted_on(day, known_by) for day in days]
    if not counted:
        return pd.DataFrame(columns=list(UNIT_COUNT_COLUMNS))
    producer = func.coalesce(func.trim(table.producer_code), "")
    where = (table.province_code.in_(province_codes), table.registered_on <= max(counted))
    producers = (
        select(
            table.district_code.label("district_code"),
            literal(True).label("is_producer"),
            func.min(table.registered_on).label("since"),
        )
        .where(*where, producer != "")
        .group_by(table.district_code, producer)
    )
    centres = select(table.district_code, literal(False), table.registered_on).where(
        *where, producer == ""
    )
    units = union_all(producers, centres).subquery()
    counts = []
    for on in counted:
        by_then = units.c.since <= on
        counts.append(func.count(case((and_(by_then, units.c.is_producer), 1))))
        counts.append(func.count(case((and_(by_then, ~units.c.is_producer), 1))))
    statement = select(units.c.district_code, *counts).group_by(units.c.district_code)
    found = connection.execute(statement).all()
    rows = [
        (row[0], day, int(row[2 * i - 1]), int(row[2 * i]))
        for i, day in enumerate(days, 1)
        for row in found
        if row[2 * i - 1] or row[2 * i]
    ]
    return pd.DataFrame(rows, columns=list(UNIT_COUNT_COLUMNS))


def sales_by_month(
    connection: Connection,
    province_codes: Sequence[str],
    months: Sequence[date],
    recorded_by: date | None = None,
) -> pd.DataFrame:
    """Monthly sales totals per district, exact to the satang on every engine, as
    ``monthly_sales_total`` keeps them (a few thousand rows, whatever the size of the sales).

    With ``recorded_by``, only what had been recorded by that day counts: a district-month
    holding a value recorded later is summed from the rows instead (:func:`_sales_recorded_by`).
    """
    total = MonthlySalesTotal
    statement = select(total.district_code, total.month, total.amount, total.recorded_until).where(
        total.province_code.in_(province_codes), total.month.in_(list(months))
    )
    amounts: dict[tuple[str, date], Decimal] = {}
    later: set[tuple[str, date]] = set()
    for code, month, amount, recorded_until in connection.execute(statement).all():
        if recorded_by is not None and recorded_until > recorded_by:
            later.add((code, month))
        else:
            amounts[(code, month)] = amount
    if later and recorded_by is not None:
        amounts |= _sales_recorded_by(connection, province_codes, later, recorded_by)
    columns = {
        "district_code": [code for code, _ in amounts],
        "month": [month for _, month in amounts],
        "amount": list(amounts.values()),
    }
    return pd.DataFrame(columns, dtype=object)


def _sales_recorded_by(
    connection: Connection,
    province_codes: Sequence[str],
    keys: set[tuple[str, date]],
    day: date,
) -> dict[tuple[str, date], Decimal]:
    """Sales of the (district, month) ``keys`` as they stood on ``day``, summed from the rows:
    a current value recorded later is left out and the value it replaced (from
    ``monthly_sales_history``, the latest recorded by that day) counts instead. Summed as whole
    satang (SQLite keeps NUMERIC as floating point; integers add exactly)."""
    table = MonthlySales
    months = sorted({month for _, month in keys})
    statement = (
        select(table.district_code, table.month, satang_sum(connection, table.amount))
        .where(
            table.province_code.in_(province_codes),
            table.month.in_(months),
            table.recorded_on <= day,
        )
        .group_by(table.district_code, table.month)
    )
    satang: dict[tuple[str, date], int] = {
        (code, month): int(total)
        for code, month, total in connection.execute(statement).all()
        if (code, month) in keys
    }
    for (code, month), total in _replaced_later(connection, province_codes, months, day).items():
        if (code, month) in keys:
            satang[(code, month)] = satang.get((code, month), 0) + total
    return {key: Decimal(total) / 100 for key, total in satang.items()}


def _replaced_later(
    connection: Connection, province_codes: Sequence[str], months: Sequence[date], day: date
) -> dict[tuple[str, date], int]:
    """Per (district, month), satang of the values that stood on ``day`` but were replaced by
    a value recorded after it: for each such key, its latest history value recorded by then."""
    current, history = MonthlySales, MonthlySalesHistory
    statement = (
        select(
            history.district_code,
            history.producer_code,
            history.month,
            history.recorded_on,
            history.id,
            func.round(history.amount * 100),
        )
        .join(
            current,
            (current.district_code == history.district_code)
            & (current.producer_code == history.producer_code)
            & (current.month == history.month),
        )
        .where(
            current.province_code.in_(province_codes),
            current.month.in_(list(months)),
            current.recorded_on > day,
            history.recorded_on <= day,
        )
    )
    frame = pd.DataFrame(
        _tuples(connection, statement),
        columns=["district_code", "producer_code", "month", "recorded_on", "id", "satang"],
    )
    if frame.empty:
        return {}
    latest = frame.sort_values(["recorded_on", "id"]).drop_duplicates(
        ["district_code", "producer_code", "month"], keep="last"
    )
    return {
        (code, month): int(sum(int(v) for v in group["satang"]))
        for (code, month), group in latest.groupby(["district_code", "month"])
    }


def current_grades_as_of(
    connection: Connection, quarters: Sequence[Quarter], province_codes: Sequence[str]
) -> dict[Quarter, date]:
    """The latest ``as_of`` of each quarter's current grades in the provinces (a quarter
    without any is left out), in one query."""
    header = KpiGradeVersion
    statement = (
        select(header.fiscal_year, header.quarter, func.max(header.as_of))
        .join(District, District.district_code == header.district_code)
        .where(
            or_(
                *(
                    and_(header.fiscal_year == q.fiscal_year, header.quarter == q.number)
                    for q in quarters
                )
            ),
            header.replaced_at.is_(None),
            District.province_code.in_(province_codes),
        )
        .group_by(header.fiscal_year, header.quarter)
    )
    return {
        Quarter(int(year), int(number)): as_of
        for year, number, as_of in connection.execute(statement).all()
    }


def baseline(connection: Connection, province_codes: Sequence[str]) -> pd.DataFrame:
    """The baseline rows of the provinces, as :func:`transforms.baseline.parse_baseline` gives."""
    table = KpiBaseline
    statement = (
        select(
            table.fiscal_year,
            table.quarter,
            District.province_code,
            table.district_code,
            table.base_sales,
            table.interested_q1,
        )
        .join(District, District.district_code == table.district_code)
        .where(District.province_code.in_(province_codes))
    )
    columns = [
        "fiscal_year",
        "quarter",
        "province_code",
        "district_code",
        "base_sales",
        "interested_q1",
    ]
    return result_frame(connection, statement, columns)


def first_sales_recordings(
    connection: Connection, province_codes: Sequence[str], months: Sequence[date]
) -> pd.DataFrame:
    """(district_code, month, recorded_on): when each district-month was first recorded, the
    values corrections replaced included."""
    current, replaced = MonthlySales, MonthlySalesHistory
    districts = select(District.district_code).where(District.province_code.in_(province_codes))
    recordings = union_all(
        select(current.district_code, current.month, current.recorded_on).where(
            current.province_code.in_(province_codes), current.month.in_(list(months))
        ),
        select(replaced.district_code, replaced.month, replaced.recorded_on).where(
            replaced.district_code.in_(districts), replaced.month.in_(list(months))
        ),
    ).subquery()
    statement = select(
        recordings.c.district_code, recordings.c.month, func.min(recordings.c.recorded_on)
    ).group_by(recordings.c.district_code, recordings.c.month)
    return result_frame(connection, statement, ["district_code", "month", "recorded_on"])


_SHOP_REPORT_RESPONSE = table(
    "shop_report_response",
    column("district_code", String),
    column("month", Date),
    column("submitted_at", DateTime),
    column("province_code", String),
    column("producers", Integer),
    column("centres", Integer),
)
"""The form's responses (dataset ``form_responses``; its table is declared by its migration)."""


def form_responses_loaded(connection: Connection) -> bool:
    """Whether any Shop ชุมชน report form response was ever loaded (the channel is in use)."""
    statement = select(_SHOP_REPORT_RESPONSE.c.district_code).limit(1)
    return connection.execute(statement).first() is not None


def shop_report_responses(
    connection: Connection, province_codes: Sequence[str], month: date
) -> pd.DataFrame:
    """The provinces' form responses for a month: district, month, when submitted, units."""
    responses = _SHOP_REPORT_RESPONSE.c
    statement = select(
        responses.district_code,
        responses.month,
        responses.submitted_at,
        responses.producers,
        responses.centres,
    ).where(responses.province_code.in_(province_codes), responses.month == month)
    return result_frame(
        connection,
        statement,
        ["district_code", "month", "submitted_at", "producers", "centres"],
    )


def shop_registrations(connection: Connection, province_codes: Sequence[str]) -> pd.DataFrame:
    """Click ชุมชน's Shop ชุมชน registrations of the provinces, with their producer codes."""
    shop = ShopRegistration
    statement = select(
        shop.shop_code, shop.district_code, shop.producer_code, shop.registered_on
    ).where(shop.province_code.in_(province_codes))
    return result_frame(
        connection, statement, ["shop_code", "district_code", "producer_code", "registered_on"]
    )


def quarter_targets(
    connection: Connection, quarter: Quarter, province_code: str
) -> list[dict[str, object]]:
    """A quarter's district targets of a province with the district names, in code order."""
    target = KpiTarget.__table__
    statement = (
        select(target, District.name_th.label("district_name_th"))
        .join(District, District.district_code == target.c.district_code)
        .where(
            target.c.fiscal_year == quarter.fiscal_year,
            target.c.quarter == quarter.number,
            District.province_code == province_code,
        )
        .order_by(target.c.district_code)
    )
    return [dict(row) for row in connection.execute(statement).mappings()]


def province_target(
    connection: Connection, quarter: Quarter, province_code: str
) -> dict[str, object] | None:
    """A quarter's province total target row, if computed."""
    total = KpiTargetProvince.__table__
    statement = select(total).where(
        total.c.fiscal_year == quarter.fiscal_year,
        total.c.quarter == quarter.number,
        total.c.province_code == province_code,
    )
    row = connection.execute(statement).mappings().first()
    return None if row is None else dict(row)


def rule(connection: Connection, fiscal_year: int) -> dict[str, object] | None:
    """The ``kpi_rule`` row a fiscal year's targets were computed with, if any."""
    statement = select(KpiRule.__table__).where(KpiRule.fiscal_year == fiscal_year)
    row = connection.execute(statement).mappings().first()
    return None if row is None else dict(row)


def stored_figure(unit: str, value: Decimal | None) -> int | Decimal | None:
    """A stored figure in its unit's type: counts as int, baht as Decimal."""
    if value is None:
        return None
    return int(value) if unit == "count" else Decimal(value)


def grade_rows(connection: Connection, quarter: Quarter, province_code: str) -> list[GradeRow]:
    """The current grades of a quarter in a province, in district-code order, from the
    long-form tables (criteria in the order they were graded)."""
    header, figures = KpiGradeVersion.__table__, KpiGradeCriterion.__table__
    where = (
        header.c.fiscal_year == quarter.fiscal_year,
        header.c.quarter == quarter.number,
        header.c.replaced_at.is_(None),
        District.province_code == province_code,
    )
    headers = connection.execute(
        select(header, District.name_th.label("district_name_th"))
        .join(District, District.district_code == header.c.district_code)
        .where(*where)
        .order_by(header.c.district_code)
    ).mappings()
    results: dict[str, list[CriterionResult]] = {}
    touched: dict[str, list[QuarantinedFigure]] = {}
    for row in connection.execute(
        select(figures)
        .join(
            header,
            (header.c.fiscal_year == figures.c.fiscal_year)
            & (header.c.quarter == figures.c.quarter)
            & (header.c.district_code == figures.c.district_code)
            & (header.c.version == figures.c.version),
        )
        .join(District, District.district_code == header.c.district_code)
        .where(*where)
        .order_by(figures.c.district_code, figures.c.position)
    ).mappings():
        unit = row["unit"]
        results.setdefault(row["district_code"], []).append(
            CriterionResult(
                criterion=row["criterion"],
                unit=unit,
                actual=stored_figure(unit, row["actual"]),
                target=stored_figure(unit, row["target"]),
                met=bool(row["met"]),
                missing=stored_figure(unit, row["missing"]),
                basis=stored_figure(unit, row["basis"]),
                level=row["level"],
            )
        )
        if row["quarantined_rows"]:
            with_rows = row["actual_with_quarantined"]
            touched.setdefault(row["district_code"], []).append(
                QuarantinedFigure(
                    criterion=row["criterion"],
                    unit=unit,
                    rows=row["quarantined_rows"],
                    unreadable=row["quarantined_unreadable"],
                    actual_with=stored_figure(unit, with_rows) if with_rows is not None else 0,
                )
            )
    return [
        GradeRow(
            quarter=quarter,
            district_code=row["district_code"],
            district_name_th=row["district_name_th"],
            grade=row["grade"],
            status=row["status"],
            as_of=row["as_of"],
            next_grade=row["next_grade"],
            criteria=tuple(results.get(row["district_code"], [])),
            reasons=row["reasons"] or "",
            shop_producers=row["shop_producers"],
            shop_centres=row["shop_centres"],
            quarantined=Quarantined(
                row["quarantined_rows"],
                tuple(row_reasons(row["quarantine_reasons"] or "")),
                tuple(touched.get(row["district_code"], [])),
            )
            if row["quarantined_rows"]
            else None,
        )
        for row in headers
    ]


def _utc(moment: datetime) -> datetime:
    """A stored moment as an aware UTC datetime (SQLite gives them back naive)."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def payload_changes(connection: Connection, run_id: str) -> pd.DataFrame:
    """(request_key, dataset, consumed_at): every payload ever loaded for the requests whose
    payloads the run fetched, changed or not; one row per change of a source."""
    fetched = select(RawFileRecord.sha256).where(RawFileRecord.run_id == run_id)
    keys = select(ConsumedPayload.request_key).where(ConsumedPayload.sha256.in_(fetched))
    statement = select(
        ConsumedPayload.request_key, ConsumedPayload.dataset, ConsumedPayload.consumed_at
    ).where(ConsumedPayload.request_key.in_(keys))
    changes = result_frame(connection, statement, ["request_key", "dataset", "consumed_at"])
    return changes.assign(consumed_at=[_utc(m) for m in changes["consumed_at"]])


def run_seconds(connection: Connection, run_id: str, history: int) -> tuple[float, list[float]]:
    """How long a finished run took, and how long the ``history`` latest completed runs before
    it of the same source and provinces took (seconds)."""
    run = connection.execute(
        select(
            SyncRun.source, SyncRun.province_codes, SyncRun.started_at, SyncRun.finished_at
        ).where(SyncRun.run_id == run_id)
    ).one()
    if run.finished_at is None:
        raise ValueError(f"run {run_id} has not finished")
    earlier = connection.execute(
        select(SyncRun.started_at, SyncRun.finished_at)
        .where(
            SyncRun.status == "completed",
            SyncRun.source == run.source,
            SyncRun.province_codes == run.province_codes,
            SyncRun.started_at < run.started_at,
            SyncRun.finished_at.is_not(None),
        )
        .order_by(SyncRun.started_at.desc())
        .limit(history)
    ).all()
    seconds = (_utc(run.finished_at) - _utc(run.started_at)).total_seconds()
    return seconds, [(_utc(end) - _utc(start)).total_seconds() for start, end in earlier]


def province_districts(connection: Connection, province_code: str) -> pd.DataFrame:
    """The province's districts in code order: ``district_code``, ``district_name_th``, and
    ``province_name_th``."""
    statement = (
        select(District.district_code, District.name_th, District.province_name_th)
        .where(District.province_code == province_code)
        .order_by(District.district_code)
    )
    return result_frame(
        connection, statement, ["district_code", "district_name_th", "province_name_th"]
    )


def producer_register(connection: Connection, province_code: str) -> pd.DataFrame:
    """OTOP Big Data's products of a province with their producers: product and producer
    code, producer name and type, district, subdistrict, registered and cancelled on."""
    table = ProductRegistration
    columns = [
        "product_code",
        "producer_code",
        "producer_name",
        "producer_type",
        "district_code",
        "subdistrict",
        "registered_on",
        "cancelled_on",
    ]
    statement = select(*(getattr(table, c) for c in columns)).where(
        table.province_code == province_code
    )
    return result_frame(connection, statement, columns)
