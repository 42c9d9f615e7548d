"""KPI rules as data: per fiscal year, the base year and the criteria graded, each with its
parameters. Read from a versioned TOML document (``otop_sync/rules``)::

    [fiscal_year.2567]
    base_year = 2566
    letter = "ขร 0019.2/ว 2971 ลงวันที่ 5 กุมภาพันธ์ 2567"   # where the rules come from
    quarters = [1, 2, 3, 4]       # the quarters the rules cover (default: all four)
    interest_quarter = 1          # the quarter whose interest counts are the shops' base
    [fiscal_year.2567.criteria.products]
    target = 1

    [fiscal_year.2568]
    carried_forward_from = 2567   # an earlier year's rules, stated as carried forward

The criteria's kinds are those registered in :mod:`otop_sync.transforms.criteria`; their order
in the document is the order grade rows list them in. A quarter the document does not cover is
not graded (:meth:`RuleBook.not_covered`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from otop_sync.transforms.criteria import (
    Criterion,
    LevelCriterion,
    RulesError,
    int_parameter,
    kind_named,
)
from otop_sync.transforms.fiscal import Quarter

QUARTERS = (1, 2, 3, 4)
YEAR_KEYS = frozenset(
    {"base_year", "criteria", "quarters", "interest_quarter", "carried_forward_from", "letter"}
)

__all__ = ["KpiRules", "RuleBook", "RulesError", "rulebook_from_document"]


@dataclass(frozen=True, slots=True)
class KpiRules:
    """The grading rules of one fiscal year (BE)."""

    fiscal_year: int
    base_year: int
    criteria: tuple[Criterion, ...]
    quarters: tuple[int, ...] = QUARTERS
    """The quarters of the year the rules cover."""
    interest_quarter: int = 1
    """The quarter whose Digital Wallet interest counts are the Shop ชุมชน base; a quarter
    before it is not graded."""
    carried_forward_from: int | None = None
    """The fiscal year whose rules these are, carried forward until this year's are published."""
    letter: str | None = None
    """The letter the rules come from (``letter`` in the document; a year carried forward
    has its source year's)."""

    @property
    def graded_quarters(self) -> tuple[int, ...]:
        """The quarters graded with these rules: covered, and not before the interest quarter."""
        return tuple(q for q in self.quarters if q >= self.interest_quarter)

    def note_th(self) -> str:
        """What every grade of the year says about its rules: empty unless carried forward."""
        if self.carried_forward_from is None:
            return ""
        return (
            f"ใช้เกณฑ์ปีงบประมาณ {self.carried_forward_from} ยกมา "
            f"(ยังไม่มีเกณฑ์ของปีงบประมาณ {self.fiscal_year})"
        )

    def criterion(self, name: str) -> Criterion:
        """The year's criterion of that name; one it does not grade is an error."""
        for criterion in self.criteria:
            if criterion.name == name:
                return criterion
        raise RulesError(f"fiscal year {self.fiscal_year} does not grade {name!r}")

    @property
    def level_criterion(self) -> LevelCriterion:
        """The criterion whose level is the grade (a document has exactly one)."""
        return next(c for c in self.criteria if isinstance(c, LevelCriterion))

    def rule_columns(self) -> dict[str, object]:
        """The parameters as the ``kpi_rule`` table records them."""
        columns: dict[str, object] = {"base_year": self.base_year}
        for criterion in self.criteria:
            columns.update(criterion.rule_columns())
        return columns


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

    def covers(self, quarter: Quarter) -> bool:
        """Whether the rule book grades the quarter."""
        rules = self.years.get(quarter.fiscal_year)
        return rules is not None and quarter.number in rules.graded_quarters

    def not_covered(self, quarter: Quarter) -> str | None:
        """Why a quarter is not graded, in one line; None when the rule book covers it."""
        if self.covers(quarter):
            return None
        return (
            f"{quarter}: not graded, KPI rules version {self.version} cover "
            f"{self.coverage() or 'no quarter'}; add rules for it to grade it"
        )

    def coverage(self) -> str:
        """The quarters covered, per fiscal year: ``2567Q1-Q4, 2568Q1-Q4 (carried forward)``."""
        parts = []
        for year, rules in sorted(self.years.items()):
            quarters = rules.graded_quarters
            if not quarters:
                continue
            span = f"Q{quarters[0]}" if len(quarters) == 1 else f"Q{quarters[0]}-Q{quarters[-1]}"
            if list(quarters) != list(range(quarters[0], quarters[-1] + 1)):
                span = ",".join(f"Q{q}" for q in quarters)
            carried = " (carried forward)" if rules.carried_forward_from is not None else ""
            parts.append(f"{year}{span}{carried}")
        return ", ".join(parts)


def _criteria(entry: Mapping[str, Any], where: str) -> tuple[Criterion, ...]:
    tables = entry.get("criteria")
    if not isinstance(tables, Mapping) or not tables:
        raise RulesError(f"{where}.criteria must name the criteria graded, one table each")
    criteria = []
    for name, parameters in tables.items():
        place = f"{where}.criteria.{name}"
        if not isinstance(parameters, Mapping):
            raise RulesError(f"{place} must be a table of the criterion's parameters")
        criteria.append(kind_named(name, place).from_parameters(parameters, place))
    levels = [c.name for c in criteria if isinstance(c, LevelCriterion)]
    if len(levels) != 1:
        raise RulesError(
            f"{where}.criteria must have exactly one criterion that gives the level A-D, "
            f"got {', '.join(levels) or 'none'}"
        )
    return tuple(criteria)


def rulebook_from_document(document: Mapping[str, Any]) -> RuleBook:
    """Check and convert a parsed rules document into a :class:`RuleBook`."""
    version = document.get("version")
    if not isinstance(version, str) or not version:
        raise RulesError("rules document has no version")
    years_doc = document.get("fiscal_year")
    if not isinstance(years_doc, Mapping) or not years_doc:
        raise RulesError("rules document has no [fiscal_year.N] tables")
    years: dict[int, KpiRules] = {}
    carried: dict[int, tuple[int, Mapping[str, Any], str]] = {}
    for key, entry in years_doc.items():
        where = f"fiscal_year.{key}"
        if not str(key).isdigit():
            raise RulesError(f"{where}: the fiscal year must be a BE year such as 2567")
        for unknown in sorted(set(entry) - YEAR_KEYS):
            raise RulesError(
                f"{where}.{unknown}: unknown key (a fiscal year has base_year, quarters, "
                f"interest_quarter and a [{where}.criteria.NAME] table per criterion, or "
                "carried_forward_from)"
            )
        if "carried_forward_from" in entry:
            carried[int(key)] = (
                int_parameter(entry["carried_forward_from"], f"{where}.carried_forward_from"),
                entry,
                where,
            )
            continue
        quarters, interest = _scope(entry, where)
        years[int(key)] = KpiRules(
            fiscal_year=int(key),
            base_year=int_parameter(entry.get("base_year"), f"{where}.base_year"),
            criteria=_criteria(entry, where),
            quarters=quarters,
            interest_quarter=interest,
            letter=_letter(entry, where),
        )
    for year, (source, entry, where) in carried.items():
        for own in sorted({"base_year", "criteria", "letter"} & set(entry)):
            raise RulesError(
                f"{where}.{own}: a year carried forward takes {own} from "
                f"fiscal_year.{source}; remove it or remove carried_forward_from"
            )
        if source not in years:
            raise RulesError(
                f"{where}.carried_forward_from: fiscal year {source} has no rules of its own"
            )
        quarters, interest = _scope(entry, where)
        years[year] = replace(
            years[source],
            fiscal_year=year,
            quarters=quarters,
            interest_quarter=interest,
            carried_forward_from=source,
        )
    return RuleBook(version=version, years=dict(sorted(years.items())))


def _letter(entry: Mapping[str, Any], where: str) -> str | None:
    """A year's ``letter``: the reference of the letter its rules come from, if given."""
    letter = entry.get("letter")
    if letter is not None and (not isinstance(letter, str) or not letter.strip()):
        raise RulesError(f"{where}.letter must be the letter's reference as text")
    return letter


def _scope(entry: Mapping[str, Any], where: str) -> tuple[tuple[int, ...], int]:
    """A year's ``quarters`` (default all four) and ``interest_quarter`` (default 1)."""
    quarters = entry.get("quarters", list(QUARTERS))
    if (
        not isinstance(quarters, list)
        or not quarters
        or any(isinstance(q, bool) or q not in QUARTERS for q in quarters)
        or len(set(quarters)) != len(quarters)
    ):
        raise RulesError(f"{where}.quarters must list quarter numbers 1-4, each once")
    interest = int_parameter(entry.get("interest_quarter", 1), f"{where}.interest_quarter")
    if interest not in QUARTERS:
        raise RulesError(f"{where}.interest_quarter must be a quarter number 1-4")
    return tuple(sorted(quarters)), interest
