"""The checks a dataset declares, as data: which column, which rule, what the reason says.

:mod:`otop_sync.expectations.suites` turns them into Great Expectations expectations. Row-level
checks flag rows (quarantined, or as the severity configuration says); dataset-level checks
judge a derived table as a whole (every district present, sales equal to the summary report).

A description is a template: ``{column}`` placeholders become the column's Thai header, and
``{provinces}``, ``{as_of}``, ``{earliest}`` and ``{amount_ceiling}`` the run's values.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

EARLIEST_DATE = date(2000, 1, 1)
"""The default plausibility limit of a date (``OTOP_EARLIEST_DATE``): no OTOP registration or
sale predates it (OTOP began in 2001)."""


@dataclass(frozen=True)
class Check:
    """One rule of a dataset: its id within the dataset and its reason's template."""

    name: str
    description: str

    level = "row"
    severity: str | None = field(default=None, kw_only=True)
    """What a failure does unless the severity configuration says otherwise; None: what the
    level's severity is (see :mod:`otop_sync.expectations.severity`)."""

    def describe(self, values: Mapping[str, str]) -> str:
        """The reason, with headers and the run's values filled in."""
        return self.description.format_map(values)


@dataclass(frozen=True)
class RowsPresent(Check):
    """The export has data rows."""

    name: str = "rows_present"
    description: str = "the export has data rows"
    level = "dataset"


@dataclass(frozen=True)
class Unique(Check):
    """The columns' values (together) appear once."""

    columns: tuple[str, ...] = ()


@dataclass(frozen=True)
class InProvince(Check):
    """The district code belongs to one of the run's provinces."""

    name: str = "district_in_province"
    description: str = "{district} is not a district of province {provinces}"
    column: str = "district_code"


@dataclass(frozen=True)
class DateInRange(Check):
    """A date between the run's earliest plausible date (:data:`EARLIEST_DATE` unless
    configured) and its as-of date."""

    column: str = ""


@dataclass(frozen=True)
class NotBefore(Check):
    """``column`` is on or after ``other``."""

    column: str = ""
    other: str = ""
    skip_missing: bool = False


@dataclass(frozen=True)
class InSet(Check):
    """The value is one of a list."""

    column: str = ""
    values: tuple[str, ...] = ()


def known_values(name: str, column: str, description: str, values: tuple[str, ...]) -> InSet:
    """An open list (the letter's kinds of producer, shop, product): a value not in it is
    unfamiliar, not wrong, so its row is loaded and counted by the rules and the run warns,
    naming the values (map them to known ones in ``OTOP_VALUE_MAP``)."""
    return InSet(name, description, severity="warning", column=column, values=values)


@dataclass(frozen=True)
class Between(Check):
    """A number within bounds; ``maximum_setting`` names a run setting used as the maximum."""

    column: str = ""
    minimum: Decimal | None = None
    maximum_setting: str | None = None


@dataclass(frozen=True)
class EveryDistrict(Check):
    """Every district of the run's provinces has rows."""

    level = "dataset"


@dataclass(frozen=True)
class EveryDueMonth(Check):
    """Every district has rows for every month already due. A district that has not is late:
    a fact its grade carries, not a reason to stop the province (a warning by default)."""

    level = "dataset"


@dataclass(frozen=True)
class DueMonthsNotCut(Check):
    """No month already due is missing for more than a share of a province's districts at
    once (``max_missing_share`` of the run): that many at once says the export itself is cut
    short, not that districts are late."""

    level = "dataset"


@dataclass(frozen=True)
class MatchesSummary(Check):
    """Amounts per district and month equal the source system's own summary report."""

    level = "dataset"


def date_in_range(column: str) -> DateInRange:
    """The usual date check of a column: not before 2000, not after the run's as-of date."""
    return DateInRange(
        name=f"{column}_in_range",
        description=(
            f"{{{column}}} is before {{earliest}}, the plausibility limit (OTOP_EARLIEST_DATE), "
            "or after {as_of}"
        ),
        column=column,
    )
