"""Who is late, per district: months of sales not recorded, or first recorded after the 18th of
the next month; last month's Shop ชุมชน report (the letter's Google Form) not sent, or sent after
the 15th, or differing from what Click ชุมชน holds.

Everything is judged as of a day: a recording or a response after it has not happened yet.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date, timedelta

import pandas as pd

from otop_sync.transforms.fiscal import (
    Quarter,
    month_start,
    months_due,
    sales_due_date,
    shop_report_due_date,
)
from otop_sync.transforms.thai import format_be_day, format_be_month

SALES = "sales"
SHOP_REPORT = "shop_report"
"""What a late row is about: a month's sales, or the month's Shop ชุมชน report."""
MISSING, LATE, ON_TIME, PENDING = "missing", "late", "on time", "pending"
"""A row's status: not recorded (reported) by the day, done after the due date, in time, or
not done yet with the due date still to come."""

LATE_COLUMNS = [
    "district_code",
    "what",
    "month",
    "due",
    "status",
    "on",
    "producers",
    "centres",
    "click_producers",
    "click_centres",
    "differs",
]
"""One row per district, subject and month: ``on`` is the day it was first recorded or
reported; the counts are the report's (latest response) and Click ชุมชน's, for reports only."""


def _previous_month(day: date) -> date:
    first = month_start(day)
    return date(first.year - (first.month == 1), (first.month - 2) % 12 + 1, 1)


def _month_end(month: date) -> date:
    return (month_start(month) + timedelta(days=32)).replace(day=1) - timedelta(days=1)


def last_due_month(as_of: date, due: Callable[[date], date]) -> date:
    """The latest month whose deadline (``due(month)``) has passed by ``as_of``."""
    month = _previous_month(as_of)
    while due(month) >= as_of:
        month = _previous_month(month)
    return month


def next_due_month(as_of: date, due: Callable[[date], date]) -> date:
    """The month whose deadline (``due(month)``, in the month after it) is the next on or after
    ``as_of``: on the due day itself the month is still to come, not late."""
    month = _previous_month(as_of)
    return month if due(month) >= as_of else month_start(as_of)


def pending_districts(
    districts: Iterable[str],
    first_recorded: pd.DataFrame,
    responses: pd.DataFrame | None,
    as_of: date,
    within_days: int,
) -> pd.DataFrame:
    """Per district, what is due within ``within_days`` of ``as_of`` and not done yet: the
    next month of sales (due the 18th) not recorded by ``as_of``, and, unless ``responses`` is
    None (the report channel is not configured), the next month's Shop ชุมชน report (due the
    15th) not sent by ``as_of``. Status :data:`PENDING`; in district order, the earlier due
    date first.

    ``first_recorded`` and ``responses`` are as for :func:`late_districts`, for the months
    :func:`next_due_month` gives.
    """
    codes = list(districts)
    rows = []
    sales_month = next_due_month(as_of, sales_due_date)
    report_month = next_due_month(as_of, shop_report_due_date)
    recorded = {
        (code, month)
        for code, month, day in zip(
            first_recorded["district_code"],
            first_recorded["month"],
            first_recorded["recorded_on"],
            strict=True,
        )
        if day <= as_of
    }
    reported: set[tuple[str, date]] = set()
    if responses is not None:
        reported = {
            (code, month)
            for code, month, moment in zip(
                responses["district_code"],
                responses["month"],
                responses["submitted_at"],
                strict=True,
            )
            if moment.date() <= as_of
        }
    subjects = [(SALES, sales_month, sales_due_date(sales_month), recorded)]
    if responses is not None:
        due = shop_report_due_date(report_month)
        subjects.append((SHOP_REPORT, report_month, due, reported))
    subjects.sort(key=lambda subject: subject[2])
    for code in codes:
        for what, month, due, done in subjects:
            if (due - as_of).days <= within_days and (code, month) not in done:
                rows.append(_row(code, what, month, due, PENDING, None))
    return _frame(rows)


def sales_months_due(as_of: date) -> list[date]:
    """The months whose sales are due by ``as_of``, from the start of the fiscal year of the
    last one due (the months the year's grades are made of)."""
    last = last_due_month(as_of, sales_due_date)
    return months_due(Quarter(Quarter.of(last).fiscal_year, 1).start, as_of)


def late_sales(
    districts: Iterable[str], first_recorded: pd.DataFrame, months: Iterable[date], as_of: date
) -> pd.DataFrame:
    """Per district, the ``months`` not recorded by ``as_of`` and those first recorded after
    their due date.

    ``first_recorded`` gives (district_code, month, recorded_on): the first recording of each
    district-month, corrections aside.
    """
    first = {
        (code, month): day
        for code, month, day in zip(
            first_recorded["district_code"],
            first_recorded["month"],
            first_recorded["recorded_on"],
            strict=True,
        )
        if day <= as_of
    }
    rows = []
    for code in districts:
        for month in months:
            due = sales_due_date(month)
            day = first.get((code, month))
            if day is None or day > due:
                status = MISSING if day is None else LATE
                rows.append(_row(code, SALES, month, due, status, day))
    return _frame(rows)


def shop_units(shops: pd.DataFrame, day: date, districts: Iterable[str]) -> pd.DataFrame:
    """Shop ชุมชน units registered by ``day`` per district: ``producers`` (one per producer
    code, however many shops it has) and ``centres`` (one per shop without a producer code)."""
    registered = shops[shops["registered_on"] <= day].drop_duplicates("shop_code")
    has_producer = registered["producer_code"].fillna("") != ""
    producers = registered[has_producer].groupby("district_code")["producer_code"].nunique()
    centres = registered[~has_producer].groupby("district_code").size()
    codes = list(districts)
    return pd.DataFrame(
        {
            "producers": producers.reindex(codes, fill_value=0).astype(int),
            "centres": centres.reindex(codes, fill_value=0).astype(int),
        },
        index=pd.Index(codes, name="district_code"),
    )


def late_shop_reports(
    districts: Iterable[str], responses: pd.DataFrame, shops: pd.DataFrame, as_of: date
) -> pd.DataFrame:
    """Per district, last month's Shop ชุมชน report (the last month due by ``as_of``): not
    reported, reported after the 15th, or reporting units other than Click ชุมชน's.

    ``responses`` are the form's (district_code, month, submitted_at, producers, centres); the
    latest response submitted by ``as_of`` is what the district reported. ``shops`` are Click
    ชุมชน's registrations (shop_code, district_code, producer_code, registered_on).
    """
    codes = list(districts)
    month = last_due_month(as_of, shop_report_due_date)
    due = shop_report_due_date(month)
    sent = responses[
        (responses["month"] == month)
        & responses["submitted_at"].map(lambda moment: moment.date() <= as_of)
    ].sort_values("submitted_at", kind="stable")
    first = sent.groupby("district_code")["submitted_at"].first()
    latest = sent.groupby("district_code")[["producers", "centres"]].last()
    click = shop_units(shops, _month_end(month), codes)
    rows = []
    for code in codes:
        units = (int(click.at[code, "producers"]), int(click.at[code, "centres"]))
        if code not in first.index:
            rows.append(_row(code, SHOP_REPORT, month, due, MISSING, None, None, units))
            continue
        day = first[code].date()
        reported = (int(latest.at[code, "producers"]), int(latest.at[code, "centres"]))
        status = LATE if day > due else ON_TIME
        if status == LATE or reported != units:
            rows.append(_row(code, SHOP_REPORT, month, due, status, day, reported, units))
    return _frame(rows)


def late_districts(
    districts: Iterable[str],
    first_recorded: pd.DataFrame,
    responses: pd.DataFrame | None,
    shops: pd.DataFrame,
    as_of: date,
) -> pd.DataFrame:
    """Late sales (:func:`late_sales` over :func:`sales_months_due`) and, unless ``responses``
    is None (the report channel is not configured), late or differing Shop ชุมชน reports; in
    district order, sales first."""
    codes = list(districts)
    parts = [late_sales(codes, first_recorded, sales_months_due(as_of), as_of)]
    if responses is not None:
        parts.append(late_shop_reports(codes, responses, shops, as_of))
    late = pd.concat(parts, ignore_index=True) if any(len(p) for p in parts) else _frame([])
    order = {SALES: 0, SHOP_REPORT: 1}
    late = late.assign(_order=late["what"].map(order))
    late = late.sort_values(["district_code", "_order", "month"], kind="stable")
    return late.drop(columns="_order").reset_index(drop=True)


def _row(
    code: str,
    what: str,
    month: date,
    due: date,
    status: str,
    on: date | None,
    reported: tuple[int, int] | None = None,
    click: tuple[int, int] | None = None,
) -> tuple[object, ...]:
    producers, centres = reported or (None, None)
    click_producers, click_centres = click or (None, None)
    differs = reported is not None and click is not None and reported != click
    return (
        code,
        what,
        month,
        due,
        status,
        on,
        producers,
        centres,
        click_producers,
        click_centres,
        differs,
    )


def _frame(rows: list[tuple[object, ...]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=LATE_COLUMNS, dtype=object)


def late_sales_reasons(
    sales_months: pd.DataFrame, quarter: Quarter, districts: Iterable[str], as_of: date
) -> dict[str, str]:
    """Per district graded late, why: each month of the quarter whose sales were due before
    ``as_of`` and that has no sales row, as ``ยังไม่บันทึกยอดจำหน่าย ก.พ. 2567, กำหนด 18 มี.ค.
    2567`` (months joined by ``; ``). ``sales_months`` lists (district_code, month) pairs
    with rows; a district on time is not in the result."""
    due = [month for month in quarter.months if sales_due_date(month) < as_of]
    rows = sales_months[sales_months["month"].isin(due)]
    present = set(zip(rows["district_code"].tolist(), rows["month"].tolist(), strict=True))
    reasons: dict[str, str] = {}
    for code in districts:
        late = [
            f"ยังไม่บันทึกยอดจำหน่าย {format_be_month(month, short=True)}, "
            f"กำหนด {format_be_day(sales_due_date(month))}"
            for month in due
            if (code, month) not in present
        ]
        if late:
            reasons[code] = "; ".join(late)
    return reasons
