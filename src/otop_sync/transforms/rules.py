"""KPI rules as data: per fiscal year, the base year, the product target, the sales growth and
the Shop ชุมชน level percentages. Read from a versioned TOML document (``otop_sync/rules``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from otop_sync.errors import OtopSyncError

SHOP_LEVELS: tuple[str, ...] = ("D", "C", "B", "A")
"""Shop ชุมชน levels from lowest to highest; a grade is the highest level reached."""


class RulesError(OtopSyncError, ValueError):
    """The rules document is malformed, or has no rules for a fiscal year asked for."""


@dataclass(frozen=True, slots=True)
class KpiRules:
    """The grading rules of one fiscal year (BE)."""

    fiscal_year: int
    base_year: int
    products_target: int
    sales_growth_percent: Decimal
    shop_level_percent: Mapping[str, Decimal]

    @property
    def sales_factor(self) -> Decimal:
        """Multiplier from base-year sales to the sales target (1.02 for 2%)."""
        return 1 + self.sales_growth_percent / 100


@dataclass(frozen=True, slots=True)
class RuleBook:
    """Every fiscal year's rules, with the version of the document they came from."""

    version: str
    years: Mapping[int, KpiRules]

    def for_year(self, fiscal_year: int) -> KpiRules:
        """The rules of one fiscal year; a year without rules is an error naming the years."""
        if fiscal_year not in self.years:
            known = ", ".join(str(y) for y in sorted(self.years)) or "none"
            raise RulesError(
                f"no KPI rules for fiscal year {fiscal_year} "
                f"(rules version {self.version} covers {known})"
            )
        return self.years[fiscal_year]


def _decimal(value: Any, where: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise RulesError(f"{where} must be a number written as a string or an integer")
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise RulesError(f"{where} is not a number: {value!r}") from None
    if not number.is_finite() or number < 0:
        raise RulesError(f"{where} must be a non-negative number, got {value!r}")
    return number


def _int(value: Any, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise RulesError(f"{where} must be a whole number, got {value!r}")
    return value


def rulebook_from_document(document: Mapping[str, Any]) -> RuleBook:
    """Check and convert a parsed rules document into a :class:`RuleBook`."""
    version = document.get("version")
    if not isinstance(version, str) or not version:
        raise RulesError("rules document has no version")
    years_doc = document.get("fiscal_year")
    if not isinstance(years_doc, Mapping) or not years_doc:
        raise RulesError("rules document has no [fiscal_year.N] tables")
    years: dict[int, KpiRules] = {}
    for key, entry in years_doc.items():
        where = f"fiscal_year.{key}"
        if not str(key).isdigit():
            raise RulesError(f"{where}: the fiscal year must be a BE year such as 2567")
        percents = entry.get("shop_level_percent")
        if not isinstance(percents, Mapping) or set(percents) != set(SHOP_LEVELS):
            raise RulesError(
                f"{where}.shop_level_percent must give exactly {', '.join(SHOP_LEVELS)}"
            )
        level_percent = {
            level: _decimal(percents[level], f"{where}.shop_level_percent.{level}")
            for level in SHOP_LEVELS
        }
        ordered = [level_percent[level] for level in SHOP_LEVELS]
        if ordered != sorted(ordered):
            raise RulesError(f"{where}.shop_level_percent must rise from D to A")
        years[int(key)] = KpiRules(
            fiscal_year=int(key),
            base_year=_int(entry.get("base_year"), f"{where}.base_year"),
            products_target=_int(entry.get("products_target"), f"{where}.products_target"),
            sales_growth_percent=_decimal(
                entry.get("sales_growth_percent"), f"{where}.sales_growth_percent"
            ),
            shop_level_percent=level_percent,
        )
    return RuleBook(version=version, years=years)
