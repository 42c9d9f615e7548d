"""Shop ชุมชน units against interest: units registered by the quarter's end reach a level D–A
when they reach that level's share of ``interested_q1`` (the producers interested in the
Digital Wallet in Q1), in whole units rounded half-up. The level reached is the grade when the
gating criteria are met; what is missing is counted towards the next grade's level."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import cache
from typing import Any, ClassVar, Self

import pandas as pd

from otop_sync.transforms.criteria.base import (
    LEVELS,
    CriterionResult,
    LevelCriterion,
    Number,
    QuarterData,
    RulesError,
    check_parameters,
    criterion_kind,
    dates_within,
    decimal_parameter,
)
from otop_sync.transforms.deltas import UNIT_COLUMNS
from otop_sync.transforms.fiscal import Quarter
from otop_sync.transforms.targets import round_half_up

THRESHOLD_COLUMNS: dict[str, str] = {level: f"threshold_{level.lower()}" for level in LEVELS}
PART_COLUMNS: dict[str, str] = {unit: f"shop_{unit}" for unit in UNIT_COLUMNS}
"""The grade columns counting each kind of unit: ``shop_producers``, ``shop_centres``."""


@cache
def _shares(percents: tuple[Decimal, ...], count: int) -> tuple[int, ...]:
    """Each percent of a count in whole units, half-up (computed once per count: every quarter
    of a year and many districts have the same Q1 interest)."""
    return tuple(int(round_half_up(Decimal(count) * percent / 100)) for percent in percents)


@criterion_kind
@dataclass(frozen=True, slots=True)
class ShopUnits(LevelCriterion):
    """Shop ชุมชน units (one per producer, one per sales centre) against Q1 interest."""

    name = "shops"
    label_th = "Shop ชุมชน"
    unit = "count"
    target_columns = ("interested_q1", *THRESHOLD_COLUMNS.values())
    inputs: ClassVar[Mapping[str, str]] = {"interested_q1": "Q1 interest"}
    reads: ClassVar[str] = "shops"

    level_percent: Mapping[str, Decimal]
    """Per level D–A, the share of the Q1 interest needed, rising from D to A."""

    @classmethod
    def from_parameters(cls, parameters: Mapping[str, Any], where: str) -> Self:
        check_parameters(parameters, ["level_percent"], where)
        percents = parameters["level_percent"]
        if not isinstance(percents, Mapping) or set(percents) != set(LEVELS):
            raise RulesError(f"{where}.level_percent must give exactly {', '.join(LEVELS)}")
        level_percent = {
            level: decimal_parameter(percents[level], f"{where}.level_percent.{level}")
            for level in LEVELS
        }
        ordered = [level_percent[level] for level in LEVELS]
        if ordered != sorted(ordered):
            raise RulesError(f"{where}.level_percent must rise from D to A")
        return cls(level_percent)

    def thresholds(self, interested_q1: int) -> dict[str, int]:
        """Units needed for each level D–A: a share of the Q1 interest, half-up."""
        percents = tuple(self.level_percent[level] for level in LEVELS)
        return dict(zip(LEVELS, _shares(percents, interested_q1), strict=True))

    def targets(self, inputs: Mapping[str, Any]) -> dict[str, object]:
        interested = int(inputs["interested_q1"])
        thresholds = self.thresholds(interested)
        return {
            "interested_q1": interested,
            **{THRESHOLD_COLUMNS[level]: thresholds[level] for level in LEVELS},
        }

    def actuals(self, data: QuarterData, districts: list[str]) -> pd.Series:
        return data.shops_registered(data.quarter.end, districts)

    def counts_in(self, rows: pd.DataFrame, quarter: Quarter, as_of: date) -> pd.Series:
        """A shop registered by the quarter's end (and by ``as_of``): units are counted
        cumulatively."""
        return dates_within(rows["registered_on"], None, min(quarter.end, as_of))

    def parts(self, data: QuarterData, districts: list[str]) -> pd.DataFrame:
        """Producers and sales centres among the units (``shop_producers``, ``shop_centres``)."""
        return data.shop_units(data.quarter.end, districts).rename(columns=PART_COLUMNS)

    def level(self, actual: Number, targets: Mapping[str, Any]) -> str | None:
        for level in reversed(LEVELS):  # thresholds rise from D to A: the first reached wins
            if actual >= int(targets[THRESHOLD_COLUMNS[level]]):
                return level
        return None

    def assess(
        self, actual: Number, targets: Mapping[str, Any], next_grade: str | None
    ) -> CriterionResult:
        units = int(actual)
        level = self.level(units, targets)
        needed = int(targets[THRESHOLD_COLUMNS[next_grade]]) if next_grade else units
        return CriterionResult(
            criterion=self.name,
            unit=self.unit,
            actual=units,
            target=int(targets["interested_q1"]),
            met=level is not None,
            missing=max(0, needed - units),
            level=level,
        )

    def rule_columns(self) -> dict[str, object]:
        return {f"percent_{level.lower()}": self.level_percent[level] for level in LEVELS}
