"""The Thai government fiscal calendar, with years in Buddhist Era as the officers write them.

Fiscal year N (BE) runs from 1 October of N-1 to 30 September of N: FY2567 is 2023-10-01 to
2024-09-30 (CE). Q1 is Oct–Dec, Q2 Jan–Mar, Q3 Apr–Jun, Q4 Jul–Sep. A quarter is written
``2567Q2``. Dates are CE ``date`` objects; only the fiscal year label is BE.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta

from otop_sync.transforms.thai import BE_OFFSET, MIN_BE_YEAR, ThaiParseError, to_arabic_digits

SALES_DUE_DAY = 18
"""Monthly OTOP sales are recorded in the central data system by the 18th of the next month."""
SHOP_REPORT_DUE_DAY = 15
"""Shop ชุมชน registrations are reported to the province by the 15th of the next month."""

_QUARTER_RE = re.compile(r"(\d{4})\s*[Qq]\s*([1-4])", re.ASCII)


def _first_of_next_month(day: date) -> date:
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


@dataclass(frozen=True, order=True, slots=True)
class Quarter:
    """A fiscal quarter: fiscal year in BE and quarter number 1–4."""

    fiscal_year: int
    number: int

    def __post_init__(self) -> None:
        if not 1 <= self.number <= 4:
            raise ValueError(f"quarter number must be 1–4, got {self.number}")

    @classmethod
    def parse(cls, text: str) -> Quarter:
        """Read ``2567Q2`` (Thai digits and lower case allowed)."""
        expected = "a fiscal quarter such as 2567Q2"
        if not isinstance(text, str):
            raise ThaiParseError(text, expected, "not text")
        match = _QUARTER_RE.fullmatch(to_arabic_digits(text).strip())
        if match is None:
            raise ThaiParseError(text, expected)
        year = int(match.group(1))
        if year < MIN_BE_YEAR:
            raise ThaiParseError(text, expected, f"year {year} is not a Buddhist Era year")
        return cls(year, int(match.group(2)))

    @classmethod
    def of(cls, day: date) -> Quarter:
        """The fiscal quarter a CE date falls in."""
        fiscal_year = day.year + BE_OFFSET + (1 if day.month >= 10 else 0)
        number = (day.month - 10) // 3 + 1 if day.month >= 10 else (day.month - 1) // 3 + 2
        return cls(fiscal_year, number)

    def __str__(self) -> str:
        return f"{self.fiscal_year}Q{self.number}"

    @property
    def start(self) -> date:
        """First day (CE) of the quarter."""
        month = (self.number - 1) * 3 + 10
        year_ce = self.fiscal_year - BE_OFFSET - 1
        if month > 12:
            month -= 12
            year_ce += 1
        return date(year_ce, month, 1)

    @property
    def end(self) -> date:
        """Last day (CE) of the quarter."""
        return self.next().start - timedelta(days=1)

    @property
    def months(self) -> tuple[date, date, date]:
        """First days (CE) of the quarter's three months."""
        first = self.start
        second = _first_of_next_month(first)
        return first, second, _first_of_next_month(second)

    def next(self) -> Quarter:
        """The quarter after this one."""
        if self.number == 4:
            return Quarter(self.fiscal_year + 1, 1)
        return Quarter(self.fiscal_year, self.number + 1)

    def previous(self) -> Quarter:
        """The quarter before this one."""
        if self.number == 1:
            return Quarter(self.fiscal_year - 1, 4)
        return Quarter(self.fiscal_year, self.number - 1)

    def same_quarter_of(self, fiscal_year: int) -> Quarter:
        """The same quarter in another fiscal year: the base-year period for a target."""
        return Quarter(fiscal_year, self.number)

    @property
    def final_from(self) -> date:
        """The first day the quarter's grade is final: the day after its last sales are due."""
        return sales_due_date(self.months[-1]) + timedelta(days=1)

    def is_final(self, as_of: date) -> bool:
        """Whether a grade computed on ``as_of`` is final (else provisional)."""
        return as_of >= self.final_from


def quarter_range(first: Quarter, last: Quarter) -> Iterator[Quarter]:
    """Every quarter from ``first`` to ``last`` inclusive."""
    if last < first:
        raise ValueError(f"quarter range ends ({last}) before it starts ({first})")
    current = first
    while current <= last:
        yield current
        current = current.next()


def month_start(day: date) -> date:
    """First day of the month a date falls in."""
    return day.replace(day=1)


def sales_due_date(month: date) -> date:
    """The last day to record a month's OTOP sales: the 18th of the following month."""
    return _first_of_next_month(month).replace(day=SALES_DUE_DAY)


def shop_report_due_date(month: date) -> date:
    """The day a month's Shop ชุมชน report is due at the province: the 15th of the next month."""
    return _first_of_next_month(month).replace(day=SHOP_REPORT_DUE_DAY)


def months_due(first_month: date, as_of: date) -> list[date]:
    """Months from ``first_month`` whose sales were due before ``as_of`` (completeness checks)."""
    due: list[date] = []
    month = month_start(first_month)
    while sales_due_date(month) < as_of:
        due.append(month)
        month = _first_of_next_month(month)
    return due
