"""Who is late: districts without last month's sales after the 18th, or without Shop ชุมชน
registrations reported for last month after the 15th."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date

import pandas as pd

from otop_sync.transforms.fiscal import month_start, sales_due_date, shop_report_due_date

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
