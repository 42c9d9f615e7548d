"""What every KPI criterion is: a small object made from its parameters in the rules TOML that
knows its target columns (from the district inputs), its actual (from the quarter's source
data), whether it is met and what is still missing. The registry of criterion kinds by name
lives here, and only here: a kind registers itself with :func:`criterion_kind`.

A grade is computed from the results generically (:mod:`otop_sync.transforms.grades`): every
*gating* criterion must be met, and the one :class:`LevelCriterion` gives the level A–D.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any, ClassVar, Literal, Self, TypeVar

import pandas as pd

from otop_sync.errors import OtopSyncError
from otop_sync.transforms.deltas import (
    UNIT_COLUMNS,
    active_product_counts,
    counts_on,
    grading_days,
    shop_unit_counts,
)
from otop_sync.transforms.fiscal import Quarter

LEVELS: tuple[str, ...] = ("D", "C", "B", "A")
"""Grade levels from lowest to highest; a grade is the highest level reached."""

Unit = Literal["count", "baht"]
Number = int | Decimal


class RulesError(OtopSyncError, ValueError):
    """The rules document is malformed, or has no rules for a fiscal year asked for."""


def decimal_parameter(value: Any, where: str) -> Decimal:
    """A non-negative number written as a string ("2", "7.5") or an integer."""
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise RulesError(f"{where} must be a number written as a string or an integer")
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise RulesError(f"{where} is not a number: {value!r}") from None
    if not number.is_finite() or number < 0:
        raise RulesError(f"{where} must be a non-negative number, got {value!r}")
    return number


def int_parameter(value: Any, where: str) -> int:
    """A whole number (TOML integer)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise RulesError(f"{where} must be a whole number, got {value!r}")
    return value


@dataclass(frozen=True, slots=True)
class QuarterData:
    """What a quarter's actuals are computed from: the province's figures per district, a few
    thousand rows however many source rows stand behind them.

    ``sales`` holds current values only, one amount per row with ``district_code``, ``month``
    and ``amount`` (monthly totals from the warehouse, or source rows after ``latest_sales``).
    ``products`` counts active products per district and day (:data:`PRODUCT_COUNT_COLUMNS`),
    ``shops`` the Shop ชุมชน units registered by each day (:data:`UNIT_COUNT_COLUMNS`), for
    every day in ``days`` (at least the quarter's end and the previous quarter's end). The
    warehouse computes the counts in SQL; :meth:`from_rows` computes them from source rows.
    """

    quarter: Quarter
    products: pd.DataFrame
    sales: pd.DataFrame
    shops: pd.DataFrame
    days: frozenset[date]

    @classmethod
    def from_rows(
        cls,
        quarter: Quarter,
        products: pd.DataFrame,
        sales: pd.DataFrame,
        shops: pd.DataFrame,
        days: Iterable[date] = (),
    ) -> QuarterData:
        """The quarter's figures from typed source rows (product and shop registrations,
        current sales), counted on the quarter's grading days and ``days``."""
        counted = sorted({*grading_days([quarter]), *days})
        return cls(
            quarter,
            active_product_counts(products, counted),
            sales,
            shop_unit_counts(shops, counted),
            frozenset(counted),
        )

    def _check_day(self, day: date) -> None:
        if day not in self.days:
            counted = ", ".join(str(d) for d in sorted(self.days))
            raise KeyError(f"{self.quarter}: figures were counted on {counted}, not on {day}")

    def active_products(self, day: date, districts: Iterable[str]) -> pd.Series:
        """Products registered by ``day`` and not cancelled by then, per district given."""
        self._check_day(day)
        return counts_on(self.products, day, ["products"], districts)["products"]

    def shop_units(self, day: date, districts: Iterable[str]) -> pd.DataFrame:
        """Shop ชุมชน units registered by ``day`` per district given: ``producers`` (one per
        producer code) and ``centres`` (one per shop without one)."""
        self._check_day(day)
        return counts_on(self.shops, day, UNIT_COLUMNS, districts)

    def shops_registered(self, day: date, districts: Iterable[str]) -> pd.Series:
        """Shop ชุมชน units (producers and centres) registered by ``day``, per district."""
        units = self.shop_units(day, districts)
        return units["producers"] + units["centres"]


@dataclass(frozen=True, slots=True)
class CriterionResult:
    """One criterion for one district and quarter: its actual against its target.

    ``missing`` is what is still needed for the next grade (for a gating criterion, to meet
    it). ``basis`` is what the target was computed from, when it was (base-year sales);
    ``level`` is the level a level criterion reached (None below the lowest).
    """

    criterion: str
    unit: Unit
    actual: Number
    target: Number
    met: bool
    missing: Number
    basis: Number | None = None
    level: str | None = None


class Criterion(ABC):
    """A gating criterion: the grade needs it met. Subclasses set the class attributes."""

    name: ClassVar[str]
    """The kind's name, as the rules TOML and the warehouse (``kpi_grade_criterion``) write it."""
    label_th: ClassVar[str]
    """How reports name what is missing, e.g. ``ยอดจำหน่าย``."""
    count_word_th: ClassVar[str] = "ราย"
    """The word counted units take in Thai text (``อีก 2 ราย``); counts only."""
    unit: ClassVar[Unit]
    target_columns: ClassVar[tuple[str, ...]]
    """The target table columns this criterion gives per district (``kpi_target``)."""
    inputs: ClassVar[Mapping[str, str]] = {}
    """District input columns the targets need, with what a missing one is called."""

    @classmethod
    @abstractmethod
    def from_parameters(cls, parameters: Mapping[str, Any], where: str) -> Self:
        """Check and read the criterion's TOML table; errors name the key (``where.key``)."""

    @abstractmethod
    def targets(self, inputs: Mapping[str, Any]) -> dict[str, object]:
        """The :attr:`target_columns` of one district from its :attr:`inputs`."""

    def province_targets(self, totals: Mapping[str, Any]) -> dict[str, object]:
        """The province total's targets, computed from its districts' summed inputs.

        ``totals`` holds each input and target column of the province's districts added up
        (zero for a province with none)."""
        return self.targets({column: totals[column] for column in self.inputs})

    @abstractmethod
    def actuals(self, data: QuarterData, districts: list[str]) -> pd.Series:
        """The quarter's actual per district code given (zero where nothing was recorded)."""

    @abstractmethod
    def assess(
        self, actual: Number, targets: Mapping[str, Any], next_grade: str | None
    ) -> CriterionResult:
        """The result for one district; ``next_grade`` matters only to a level criterion."""

    def rule_columns(self) -> dict[str, object]:
        """The parameters as ``kpi_rule`` records them (none unless the kind says so)."""
        return {}

    reads: ClassVar[str | None] = None
    """The dataset whose rows make the actual (``sales``): a row of it set aside in
    quarantine can touch this criterion. None: no source rows (nothing set aside touches it)."""

    def counts_in(self, rows: pd.DataFrame, quarter: Quarter, as_of: date) -> pd.Series:  # noqa: ARG002
        """Which typed rows of :attr:`reads` fall in what the quarter's actual counts, as of a
        day (a sale of one of its months recorded by then, a product registered or cancelled
        in it); a cell that could not be read is None and counts only where the others place
        the row. None of them unless the kind says so."""
        return pd.Series(False, index=rows.index)

    def parts(self, data: QuarterData, districts: list[str]) -> pd.DataFrame:  # noqa: ARG002
        """What the actual is made of, per district (index: district code), as extra grade
        columns; none unless the kind says so."""
        return pd.DataFrame(index=pd.Index(districts, name="district_code"))


class LevelCriterion(Criterion):
    """The criterion whose level (D–A) is the grade when every gating criterion is met."""

    @abstractmethod
    def level(self, actual: Number, targets: Mapping[str, Any]) -> str | None:
        """The highest level reached, or None below the lowest."""


_KINDS: dict[str, type[Criterion]] = {}
KindT = TypeVar("KindT", bound=type[Criterion])


def criterion_kind(cls: KindT) -> KindT:
    """Class decorator: make a criterion kind known to the rules by its :attr:`name`."""
    known = _KINDS.get(cls.name)
    if known is not None and known is not cls:
        raise ValueError(f"criterion kind {cls.name!r} is already {known.__qualname__}")
    _KINDS[cls.name] = cls
    return cls


def kind_named(name: str, where: str) -> type[Criterion]:
    """The criterion kind a rules document names; an unknown name lists the known ones."""
    if name not in _KINDS:
        raise RulesError(
            f"{where}: unknown criterion {name!r} (known: {', '.join(sorted(_KINDS))})"
        )
    return _KINDS[name]


def dates_within(values: pd.Series, first: date | None, last: date) -> pd.Series:
    """Which cells hold a date after ``first`` (None: any) and on or before ``last``; an
    unreadable cell (None) is not."""
    return values.map(
        lambda d: isinstance(d, date) and (first is None or d > first) and d <= last
    ).astype(bool)


def label_of(name: str) -> str:
    """How reports name a criterion (its name, if its kind is not loaded here)."""
    kind = _KINDS.get(name)
    return kind.label_th if kind is not None else name


def check_parameters(parameters: Mapping[str, Any], expected: Iterable[str], where: str) -> None:
    """Every parameter the kind needs is there and nothing else is (a typo is an error)."""
    wanted = list(expected)
    for key in parameters:
        if key not in wanted:
            raise RulesError(f"{where}.{key}: unknown parameter (expected {', '.join(wanted)})")
    for key in wanted:
        if key not in parameters:
            raise RulesError(f"{where}.{key} is missing")


def quarter_actuals(
    criteria: Iterable[Criterion], data: QuarterData, districts: Iterable[str]
) -> pd.DataFrame:
    """One row per district: ``district_code`` and one actual column per criterion name."""
    codes = list(districts)
    frame = pd.DataFrame({"district_code": codes})
    for criterion in criteria:
        frame[criterion.name] = criterion.actuals(data, codes).to_numpy()
    return frame
