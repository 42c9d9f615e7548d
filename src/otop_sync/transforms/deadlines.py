"""Who is late: districts without last month's sales after the 18th, or without Shop ชุมชน
registrations reported for last month after the 15th."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date

import pandas as pd

from otop_sync.transforms.fiscal import Quarter, month_start, sales_due_date, shop_report_due_date
from otop_sync.transforms.thai import format_be_day, format_be_month

LATE_COLUMNS = ["district_code", "what", "month", "due"]


def _previous_month(day: date) -> date:
    first = month_start(day)
    return date(first.year - (first.month == 1), (first.month - 2) % 12 + 1, 1)


def last_due_month(as_of: date, due: Callable[[date], date]) -> date:
    """The latest month whose deadline (``due(month)``) has passed by ``as_of``."""
    month = _previous_month(as_of)
    while due(month) >= as_of:
        month = _previous_month(month)
    return month


def late_districts(
    districts: Iterable[str],
    sales_months: pd.DataFrame,
    shop_months: pd.DataFrame,
    as_of: date,
) -> pd.DataFrame:
    """Districts missing the last due month of sales or of Shop registrations.

    ``sales_months`` and ``shop_months`` list (district_code, month) pairs that have rows. A
    district with nothing to report for Shop ชุมชน is listed too: the list is for follow-up.
    """
    codes = list(districts)
    rows = []
    for what, months, due in (
        ("sales", sales_months, sales_due_date),
        ("shops", shop_months, shop_report_due_date),
    ):
        month = last_due_month(as_of, due)
        present = set(months.loc[months["month"] == month, "district_code"])
        rows += [(code, what, month, due(month)) for code in codes if code not in present]
    return pd.DataFrame(rows, columns=LATE_COLUMNS)


def late_sales_reasons(
    sales_months: pd.DataFrame, quarter: Quarter, districts: Iterable[str], as_of: date
) -> dict[str, str]:
    """Per district graded late, why: each month of the quarter whose sales were due before
    ``as_of`` and that has no sales row, as ``ยังไม่บันทึกยอดจำหน่าย ก.พ. 2567, กำหนด 18 มี.ค.
    2567`` (months joined by ``; ``). ``sales_months`` lists (district_code, month) pairs
    with rows; a district on time is not in the result."""
    due = [month for month in quarter.months if sales_due_date(month) < as_of]
    present = set(zip(sales_months["district_code"], sales_months["month"], strict=True))
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
