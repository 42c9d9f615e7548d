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
    published = quarter_inputs_of(baseline, quarter, province_codes)
    published_codes = published["district_code"].tolist()
    given_sales = dict(zip(published_codes, published["base_sales"].tolist(), strict=True))
    interest = dict(zip(published_codes, published["interested_q1"].tolist(), strict=True))
    base_quarter = quarter.same_quarter_of(rules.base_year)
    in_base = base_sales_by_month[base_sales_by_month["month"].isin(base_quarter.months)]
    computed = in_base.groupby("district_code")["amount"].sum().to_dict()
    names = {d.code: d.name_th for code in province_codes for d in districts_of(code)}
    codes = list(names)
    warnings = []
    base_sales: list[Decimal | None] = []
    sources: list[str] = []
    summed_sales: list[Decimal | None] = []
    for code in codes:
        given = given_sales.get(code)
        summed = computed.get(code)
        if summed is not None and not isinstance(summed, Decimal):
            summed = Decimal(summed)
        if given is None:
            base_sales.append(summed)
            sources.append("computed")
        else:
            if summed is not None and given != summed:
                warnings.append(
                    f"{quarter} {names[code]} ({code}): published base sales {given:,.2f} differ "
                    f"from the {base_quarter} sales data {summed:,.2f} by {given - summed:,.2f}"
                )
            base_sales.append(given)
            sources.append("published")
        summed_sales.append(summed)
    columns = {
        "district_code": codes,
        "base_sales": base_sales,
        "base_sales_source": sources,
        "computed_base_sales": summed_sales,
        "interested_q1": [interest.get(code) for code in codes],
    }  # object columns: counts and None stay as they are, text is not made Arrow strings
    return pd.DataFrame(columns, dtype=object), warnings


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
    codes = district_table["district_code"].tolist()
    targets = district_table.assign(
        **_by_district(inputs, ["base_sales_source", "computed_base_sales"], codes),
        rules_version=rules_version,
    )
    total = province_totals(district_table, rules, province_codes).rename(
        columns={"district_code": "province_code", "district_name_th": "name_th"}
    )
    data = QuarterData(quarter, products, sales_by_month, shops, days)
    actuals = quarter_actuals(rules.criteria, data, codes)
    graded = grade_quarter(targets, actuals, rules.criteria)
    parts = [criterion.parts(data, codes) for criterion in rules.criteria]
    late = late_sales_reasons(sales_by_month, quarter, codes, as_of)
    note = rules.note_th()
    return QuarterResult(
        targets,
        total,
        graded.assign(
            **{
                column: part[column].reindex(codes).astype(object).to_numpy()
                for part in parts
                for column in part.columns
            },
            reasons=["; ".join(r for r in (late.get(code, ""), note) if r) for code in codes],
            status="final" if quarter.is_final(as_of) else "provisional",
            as_of=as_of,
        ),
        warnings,
    )


def _by_district(
    table: pd.DataFrame, columns: Sequence[str], codes: Sequence[str]
) -> dict[str, list[object]]:
    """Some columns of a table with one row per district, in the order of ``codes``."""
    row_of = {code: row for row, code in enumerate(table["district_code"].tolist())}
    rows = [row_of[code] for code in codes]
    values = {column: table[column].tolist() for column in columns}
    return {column: [values[column][row] for row in rows] for column in columns}
