"""Quarter targets per district: what each criterion of the fiscal year's rules asks of it.

Each criterion gives its own target columns from the district's inputs (the products target;
base-year sales and the sales target; Q1 interest and the Shop ชุมชน thresholds). Rounding is
half-up everywhere, as the province publishes it (never banker's rounding). The province total
row is computed from the totals (208 × 25% = 52), not by adding the district thresholds (which
would give 55).
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING

import pandas as pd

from otop_sync.errors import OtopSyncError
from otop_sync.transforms.districts import districts_of, province
from otop_sync.transforms.fiscal import Quarter

if TYPE_CHECKING:  # rules import the criteria, which round with this module's helpers
    from otop_sync.transforms.rules import KpiRules

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
"""The letter's target table (the ``targets`` command's layout)."""


class TargetInputError(OtopSyncError, ValueError):
    """The inputs for a quarter's targets are incomplete or inconsistent."""


def round_half_up(value: Decimal, step: Decimal = Decimal(1)) -> Decimal:
    """Round to a multiple of ``step`` with ties away from zero, as the province rounds."""
    return value.quantize(step, rounding=ROUND_HALF_UP)


def target_columns(rules: KpiRules) -> list[str]:
    """The target table's columns under these rules: the key, the name, each criterion's."""
    columns = ["fiscal_year", "quarter", "district_code", "district_name_th"]
    return columns + [c for criterion in rules.criteria for c in criterion.target_columns]


def _lacking(inputs: dict[str, object], rules: KpiRules) -> str | None:
    """What the first criterion missing an input calls it (``base-year sales``), if any."""
    for criterion in rules.criteria:
        for column, what in criterion.inputs.items():
            value = inputs.get(column)
            if value is None or pd.isna(value):
                return what
    return None


def district_targets(
    inputs: pd.DataFrame, quarter: Quarter, rules: KpiRules, province_code: str
) -> pd.DataFrame:
    """One target row per district of the province, in district-code order.

    ``inputs`` has one row per district: ``district_code`` and the criteria's inputs
    (``base_sales``, Decimal, the base-year same-quarter sales; ``interested_q1``). Every
    district of the province must be there exactly once; a missing, repeated or foreign
    district is an error naming it, as is a district lacking an input.
    """
    return district_targets_of(inputs, quarter, rules, [province_code])


def district_targets_of(
    inputs: pd.DataFrame, quarter: Quarter, rules: KpiRules, province_codes: Sequence[str]
) -> pd.DataFrame:
    """:func:`district_targets` of several provinces in one table: province by province (in
    the order given), each in district-code order; the same checks, province by province."""
    if rules.fiscal_year != quarter.fiscal_year:
        raise TargetInputError(f"rules for FY{rules.fiscal_year} given for quarter {quarter}")
    records = inputs.to_dict("records")
    by_province: dict[str, list[dict[str, object]]] = {code: [] for code in province_codes}
    foreign_codes = []
    for record in records:
        code = str(record["district_code"])
        if code[:2] in by_province:
            by_province[code[:2]].append(record)
        else:
            foreign_codes.append(code)
    rows = []
    for province_code, province_records in by_province.items():
        official = {d.code: d.name_th for d in districts_of(province_code)}
        codes = [str(r["district_code"]) for r in province_records]
        repeated = sorted({c for c in codes if codes.count(c) > 1})
        foreign = sorted((set(codes) - set(official)) | set(foreign_codes))
        missing = sorted(set(official) - set(codes))
        for problem, found in (("repeated", repeated), ("not in the province", foreign)):
            if found:
                raise TargetInputError(f"{quarter}: districts {problem}: {', '.join(found)}")
        if missing:
            names = ", ".join(f"{official[c]} ({c})" for c in missing)
            raise TargetInputError(f"{quarter}: no base sales or Q1 interest for {names}")
        by_code = {
            str(record["district_code"]): {k: v for k, v in record.items() if k != "district_code"}
            for record in province_records
        }
        for code, name_th in official.items():
            district_inputs = by_code[code]
            lacking = _lacking(district_inputs, rules)
            if lacking:
                raise TargetInputError(f"{quarter}: {name_th} ({code}) lacks {lacking}")
            row: dict[str, object] = {
                "fiscal_year": quarter.fiscal_year,
                "quarter": quarter.number,
                "district_code": code,
                "district_name_th": name_th,
            }
            for criterion in rules.criteria:
                row.update(criterion.targets(district_inputs))
            rows.append(row)
    return pd.DataFrame(rows, columns=target_columns(rules))


def province_total(targets: pd.DataFrame, rules: KpiRules, province_code: str) -> pd.DataFrame:
    """The province total row, computed from the totals (not a sum of district thresholds)."""
    return province_totals(targets, rules, [province_code])


def province_totals(
    targets: pd.DataFrame, rules: KpiRules, province_codes: Sequence[str]
) -> pd.DataFrame:
    """:func:`province_total` of each province (in the order given) from the districts'
    target table of them all."""
    by_province = dict(iter(targets.groupby(targets["district_code"].str[:2], sort=False)))
    rows = []
    for province_code in province_codes:
        districts = by_province.get(province_code, targets.iloc[0:0])
        prov = province(province_code)
        row: dict[str, object] = {
            "fiscal_year": int(targets["fiscal_year"].iloc[0]),
            "quarter": int(targets["quarter"].iloc[0]),
            "district_code": prov.code,
            "district_name_th": f"รวม (จังหวัด{prov.name_th})",
        }
        for criterion in rules.criteria:
            row.update(criterion.province_targets(districts))
        rows.append(row)
    return pd.DataFrame(rows, columns=target_columns(rules))
