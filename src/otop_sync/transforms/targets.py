"""Quarter targets per district: products, sales (base year × growth) and Shop ชุมชน thresholds.

Rounding is half-up everywhere, as the province publishes it (never banker's rounding): the sales
target to the satang, thresholds to whole units. The province total row is computed from the
totals (208 × 25% = 52), not by adding the district thresholds (which would give 55).
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

import pandas as pd

from otop_sync.errors import OtopSyncError
from otop_sync.transforms.districts import districts_of, province
from otop_sync.transforms.fiscal import Quarter
from otop_sync.transforms.rules import SHOP_LEVELS, KpiRules

SATANG = Decimal("0.01")

TARGET_COLUMNS: list[str] = [
    "fiscal_year",
    "quarter",
    "district_code",
    "district_name_th",
    "products_target",
    "base_sales",
    "sales_target",
    "interested_q1",
    "threshold_d",
    "threshold_c",
    "threshold_b",
    "threshold_a",
]
THRESHOLD_COLUMNS: dict[str, str] = {level: f"threshold_{level.lower()}" for level in SHOP_LEVELS}


class TargetInputError(OtopSyncError, ValueError):
    """The inputs for a quarter's targets are incomplete or inconsistent."""


def round_half_up(value: Decimal, step: Decimal = Decimal(1)) -> Decimal:
    """Round to a multiple of ``step`` with ties away from zero, as the province rounds."""
    return value.quantize(step, rounding=ROUND_HALF_UP)


def sales_target(base_sales: Decimal, rules: KpiRules) -> Decimal:
    """The quarter's sales target: base-year sales × (1 + growth), half-up to the satang."""
    return round_half_up(base_sales * rules.sales_factor, SATANG)


def shop_thresholds(interested_q1: int, rules: KpiRules) -> dict[str, int]:
    """Shop ชุมชน units needed for each level D–A: a share of the Q1 interest, half-up."""
    return {
        level: int(round_half_up(Decimal(interested_q1) * rules.shop_level_percent[level] / 100))
        for level in SHOP_LEVELS
    }


def _target_row(
    quarter: Quarter,
    code: str,
    name_th: str,
    products_target: int,
    base_sales: Decimal,
    interested_q1: int,
    rules: KpiRules,
) -> dict[str, object]:
    thresholds = shop_thresholds(interested_q1, rules)
    return {
        "fiscal_year": quarter.fiscal_year,
        "quarter": quarter.number,
        "district_code": code,
        "district_name_th": name_th,
        "products_target": products_target,
        "base_sales": base_sales,
        "sales_target": sales_target(base_sales, rules),
        "interested_q1": interested_q1,
        **{THRESHOLD_COLUMNS[level]: thresholds[level] for level in SHOP_LEVELS},
    }


def district_targets(
    inputs: pd.DataFrame, quarter: Quarter, rules: KpiRules, province_code: str
) -> pd.DataFrame:
    """One target row per district of the province, in district-code order.

    ``inputs`` has one row per district: ``district_code``, ``base_sales`` (Decimal, the
    base-year same-quarter sales) and ``interested_q1`` (int). Every district of the province
    must be there exactly once; a missing, repeated or foreign district is an error naming it.
    """
    if rules.fiscal_year != quarter.fiscal_year:
        raise TargetInputError(f"rules for FY{rules.fiscal_year} given for quarter {quarter}")
    official = {d.code: d.name_th for d in districts_of(province_code)}
    codes = list(inputs["district_code"])
    repeated = sorted({c for c in codes if codes.count(c) > 1})
    foreign = sorted(set(codes) - set(official))
    missing = sorted(set(official) - set(codes))
    for problem, found in (("repeated", repeated), ("not in the province", foreign)):
        if found:
            raise TargetInputError(f"{quarter}: districts {problem}: {', '.join(found)}")
    if missing:
        names = ", ".join(f"{official[c]} ({c})" for c in missing)
        raise TargetInputError(f"{quarter}: no base sales or Q1 interest for {names}")
    by_code = inputs.set_index("district_code")
    rows = []
    for code, name_th in official.items():
        base_sales = by_code.at[code, "base_sales"]
        interested = by_code.at[code, "interested_q1"]
        if not isinstance(base_sales, Decimal) or pd.isna(interested):
            raise TargetInputError(
                f"{quarter}: {name_th} ({code}) lacks "
                + ("base-year sales" if not isinstance(base_sales, Decimal) else "Q1 interest")
            )
        rows.append(
            _target_row(
                quarter, code, name_th, rules.products_target, base_sales, int(interested), rules
            )
        )
    return pd.DataFrame(rows, columns=TARGET_COLUMNS)


def province_total(targets: pd.DataFrame, rules: KpiRules, province_code: str) -> pd.DataFrame:
    """The province total row, computed from the totals (not a sum of district thresholds)."""
    prov = province(province_code)
    quarter = Quarter(int(targets["fiscal_year"].iloc[0]), int(targets["quarter"].iloc[0]))
    row = _target_row(
        quarter,
        prov.code,
        f"รวม (จังหวัด{prov.name_th})",
        int(targets["products_target"].sum()),
        sum(targets["base_sales"], Decimal(0)),
        int(targets["interested_q1"].sum()),
        rules,
    )
    return pd.DataFrame([row], columns=TARGET_COLUMNS)
