"""Sales: the quarter's OTOP sales must reach the base year's same-quarter sales grown by
``growth_percent``, rounded half-up to the satang; compared against the rounded target, as
the province publishes it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, ClassVar, Self

import pandas as pd

from otop_sync.transforms.criteria.base import (
    Criterion,
    CriterionResult,
    Number,
    QuarterData,
    check_parameters,
    criterion_kind,
    decimal_parameter,
)
from otop_sync.transforms.deltas import quarter_sales
from otop_sync.transforms.fiscal import Quarter
from otop_sync.transforms.targets import SATANG, round_half_up


@criterion_kind
@dataclass(frozen=True, slots=True)
class SalesAgainstTarget(Criterion):
    """Quarter sales (Decimal baht) against base-year sales × (1 + growth)."""

    name = "sales"
    label_th = "ยอดจำหน่าย"
    unit = "baht"
    target_columns = ("base_sales", "sales_target")
    inputs: ClassVar[Mapping[str, str]] = {"base_sales": "base-year sales"}
    reads: ClassVar[str] = "sales"

    growth_percent: Decimal

    @classmethod
    def from_parameters(cls, parameters: Mapping[str, Any], where: str) -> Self:
        check_parameters(parameters, ["growth_percent"], where)
        return cls(decimal_parameter(parameters["growth_percent"], f"{where}.growth_percent"))

    @property
    def factor(self) -> Decimal:
        """Multiplier from base-year sales to the sales target (1.02 for 2%)."""
        return 1 + self.growth_percent / 100

    def sales_target(self, base_sales: Decimal) -> Decimal:
        """Base-year sales × (1 + growth), half-up to the satang."""
        return round_half_up(base_sales * self.factor, SATANG)

    def targets(self, inputs: Mapping[str, Any]) -> dict[str, object]:
        base_sales = inputs["base_sales"]
        return {"base_sales": base_sales, "sales_target": self.sales_target(base_sales)}

    def actuals(self, data: QuarterData, districts: list[str]) -> pd.Series:
        return quarter_sales(data.sales, data.quarter, districts)

    def counts_in(self, rows: pd.DataFrame, quarter: Quarter, as_of: date) -> pd.Series:
        """A sale of one of the quarter's months, unless it was recorded after ``as_of``."""
        recorded_later = rows["recorded_on"].map(lambda d: isinstance(d, date) and d > as_of)
        return rows["month"].isin(quarter.months) & ~recorded_later.astype(bool)

    def assess(  # a gating criterion's missing is the same whatever the next grade
        self,
        actual: Number,
        targets: Mapping[str, Any],
        next_grade: str | None,  # noqa: ARG002
    ) -> CriterionResult:
        target: Decimal = targets["sales_target"]
        sales = Decimal(actual)
        return CriterionResult(
            criterion=self.name,
            unit=self.unit,
            actual=sales,
            target=target,
            met=sales >= target,
            missing=max(Decimal("0.00"), target - sales),
            basis=targets["base_sales"],
        )

    def rule_columns(self) -> dict[str, object]:
        return {"sales_growth_percent": self.growth_percent}
