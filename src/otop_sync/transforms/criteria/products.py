"""Products: registered OTOP products must grow by at least ``target`` during the quarter
(active products at quarter end minus at the previous quarter's end)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any, ClassVar, Self

import pandas as pd

from otop_sync.transforms.criteria.base import (
    Criterion,
    CriterionResult,
    Number,
    QuarterData,
    check_parameters,
    criterion_kind,
    dates_within,
    int_parameter,
)
from otop_sync.transforms.fiscal import Quarter


@criterion_kind
@dataclass(frozen=True, slots=True)
class ProductsAdded(Criterion):
    """Products added in the quarter against a fixed target per district."""

    name = "products"
    label_th = "ผลิตภัณฑ์"
    count_word_th = "รายการ"
    unit = "count"
    target_columns = ("products_target",)
    reads: ClassVar[str] = "products"

    target: int

    @classmethod
    def from_parameters(cls, parameters: Mapping[str, Any], where: str) -> Self:
        check_parameters(parameters, ["target"], where)
        return cls(target=int_parameter(parameters["target"], f"{where}.target"))

    def targets(self, inputs: Mapping[str, Any]) -> dict[str, object]:  # noqa: ARG002
        return {"products_target": self.target}

    def province_targets(self, totals: Mapping[str, Any]) -> dict[str, object]:
        """The province's target is the districts' targets added up."""
        return {"products_target": int(totals["products_target"])}

    def actuals(self, data: QuarterData, districts: list[str]) -> pd.Series:
        end = data.active_products(data.quarter.end, districts)
        return end - data.active_products(data.quarter.previous().end, districts)

    def counts_in(self, rows: pd.DataFrame, quarter: Quarter, as_of: date) -> pd.Series:
        """A product registered or cancelled after the previous quarter's end and by the
        quarter's end (and by ``as_of``): what the products added are counted from."""
        first, last = quarter.previous().end, min(quarter.end, as_of)
        return dates_within(rows["registered_on"], first, last) | dates_within(
            rows["cancelled_on"], first, last
        )

    def assess(  # a gating criterion's missing is the same whatever the next grade
        self,
        actual: Number,
        targets: Mapping[str, Any],
        next_grade: str | None,  # noqa: ARG002
    ) -> CriterionResult:
        target = int(targets["products_target"])
        added = int(actual)
        return CriterionResult(
            criterion=self.name,
            unit=self.unit,
            actual=added,
            target=target,
            met=added >= target,
            missing=max(0, target - added),
        )

    def rule_columns(self) -> dict[str, object]:
        return {"products_target": self.target}
