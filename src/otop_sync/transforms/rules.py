"""KPI rules as data: per fiscal year, the base year and the criteria graded, each with its
parameters. Read from a versioned TOML document (``otop_sync/rules``)::

    [fiscal_year.2567]
    base_year = 2566
    [fiscal_year.2567.criteria.products]
    target = 1

The criteria's kinds are those registered in :mod:`otop_sync.transforms.criteria`; their order
in the document is the order grade rows list them in.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from otop_sync.transforms.criteria import (
    Criterion,
    LevelCriterion,
    RulesError,
    int_parameter,
    kind_named,
)

__all__ = ["KpiRules", "RuleBook", "RulesError", "rulebook_from_document"]


@dataclass(frozen=True, slots=True)
class KpiRules:
    """The grading rules of one fiscal year (BE)."""

    fiscal_year: int
    base_year: int
    criteria: tuple[Criterion, ...]

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
    for key, entry in years_doc.items():
        where = f"fiscal_year.{key}"
        if not str(key).isdigit():
            raise RulesError(f"{where}: the fiscal year must be a BE year such as 2567")
        for unknown in sorted(set(entry) - {"base_year", "criteria"}):
            raise RulesError(
                f"{where}.{unknown}: unknown key (a fiscal year has base_year and a "
                f"[{where}.criteria.NAME] table per criterion)"
            )
        years[int(key)] = KpiRules(
            fiscal_year=int(key),
            base_year=int_parameter(entry.get("base_year"), f"{where}.base_year"),
            criteria=_criteria(entry, where),
        )
    return RuleBook(version=version, years=years)
