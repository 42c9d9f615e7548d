"""A quarter's targets and grades for a province, from the data the warehouse holds.

Base-year sales: the baseline sheet's published figure wins where it gives one; otherwise the
base year's sales data are summed. Where both exist and differ, the published one is used and
the difference is reported as a warning (the letter's figures are what districts are held to).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

import pandas as pd

from otop_sync.transforms.baseline import quarter_inputs_of
from otop_sync.transforms.criteria import QuarterData, quarter_actuals
from otop_sync.transforms.deadlines import late_sales_reasons
from otop_sync.transforms.districts import districts_of
from otop_sync.transforms.fiscal import Quarter
from otop_sync.transforms.grades import grade_quarter
from otop_sync.transforms.rules import KpiRules
from otop_sync.transforms.targets import district_targets_of, province_totals


@dataclass
class QuarterResult:
    """Targets (districts and the province total), grades and the warnings met on the way.

    ``grades`` is :func:`otop_sync.transforms.grades.grade_quarter`'s table with ``status``
    and ``as_of``; :func:`otop_sync.transforms.grades.grade_rows` types it.
    """

    targets: pd.DataFrame
    province_total: pd.DataFrame
    grades: pd.DataFrame
    warnings: list[str] = field(default_factory=list)
    stored: bool = True
    """False for a point-in-time answer that was not written (an as-of before the stored)."""


def base_year_inputs(
    baseline: pd.DataFrame,
    base_sales_by_month: pd.DataFrame,
    quarter: Quarter,
    rules: KpiRules,
    province_codes: Sequence[str],
) -> tuple[pd.DataFrame, list[str]]:
    """Per district of the provinces: base sales (published, else computed), where it came
    from, Q1 interest."""
    published = {
        row["district_code"]: row
        for row in quarter_inputs_of(baseline, quarter, province_codes).to_dict("records")
    }
    base_quarter = quarter.same_quarter_of(rules.base_year)
    in_base = base_sales_by_month[base_sales_by_month["month"].isin(base_quarter.months)]
    computed = in_base.groupby("district_code")["amount"].sum().to_dict()
    rows, warnings = [], []
    for district in (d for code in province_codes for d in districts_of(code)):
        code = district.code
        given = published[code]["base_sales"] if code in published else None
        summed = computed.get(code)
        summed = None if summed is None else Decimal(summed)
        if given is not None and summed is not None and given != summed:
            warnings.append(
                f"{quarter} {district.name_th} ({code}): published base sales {given:,.2f} "
                f"differ from the {base_quarter} sales data {summed:,.2f} by {given - summed:,.2f}"
            )
        rows.append(
            {
                "district_code": code,
                "base_sales": given if given is not None else summed,
                "base_sales_source": "published" if given is not None else "computed",
                "computed_base_sales": summed,
                "interested_q1": published[code]["interested_q1"] if code in published else None,
            }
        )
    return pd.DataFrame(rows), warnings


def compute_quarter(
    *,
    quarter: Quarter,
    rules: KpiRules,
    rules_version: str,
    province_codes: Sequence[str],
    baseline: pd.DataFrame,
    products: pd.DataFrame,
    shops: pd.DataFrame,
    sales_by_month: pd.DataFrame,
    as_of: date,
    days: frozenset[date],
) -> QuarterResult:
    """Targets and grades of every district of the provinces for one quarter (targets and
    grades in province order, then district-code order; one province total row each).

    ``sales_by_month`` holds one row per (district_code, month) with the month's total
    ``amount`` (corrections already applied), covering the base-year quarter and this one.
    ``products`` and ``shops`` are the counts per district and day (see
    :class:`~otop_sync.transforms.criteria.QuarterData`), counted on ``days``.
    A district without sales for a month already due is graded on what was recorded, and its
    ``reasons`` say which month and due date (empty when on time), then that the rules are
    carried forward from an earlier year, if they are; the criteria's parts (the Shop ชุมชน
    producers and centres) are extra columns.
    """
    inputs, warnings = base_year_inputs(baseline, sales_by_month, quarter, rules, province_codes)
    district_table = district_targets_of(inputs, quarter, rules, province_codes)
    targets = district_table.merge(
        inputs[["district_code", "base_sales_source", "computed_base_sales"]], on="district_code"
    ).assign(rules_version=rules_version)
    total = province_totals(district_table, rules, province_codes).rename(
        columns={"district_code": "province_code", "district_name_th": "name_th"}
    )
    codes = list(targets["district_code"])
    data = QuarterData(quarter, products, sales_by_month, shops, days)
    actuals = quarter_actuals(rules.criteria, data, codes)
    graded = grade_quarter(targets, actuals, rules.criteria)
    for criterion in rules.criteria:
        parts = criterion.parts(data, codes)
        for column in parts.columns:
            graded[column] = graded["district_code"].map(parts[column]).astype(object)
    late = late_sales_reasons(sales_by_month, quarter, codes, as_of)
    note = rules.note_th()
    graded["reasons"] = graded["district_code"].map(
        lambda code: "; ".join(r for r in (late.get(code, ""), note) if r)
    )
    graded["status"] = "final" if quarter.is_final(as_of) else "provisional"
    graded["as_of"] = as_of
    return QuarterResult(targets, total, graded, warnings)
