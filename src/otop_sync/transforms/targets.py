"""Quarter targets per district: what each criterion of the fiscal year's rules asks of it.

Each criterion gives its own target columns from the district's inputs (the products target;
base-year sales and the sales target; Q1 interest and the Shop ชุมชน thresholds). Rounding is
half-up everywhere, as the province publishes it (never banker's rounding). The province total
row is computed from the totals (208 × 25% = 52), not by adding the district thresholds (which
would give 55).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any

import pandas as pd

from otop_sync.errors import OtopSyncError
from otop_sync.transforms.districts import districts_of, province
from otop_sync.transforms.fiscal import Quarter
from otop_sync.transforms.rows import records

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


KEY_COLUMNS = ("fiscal_year", "quarter", "district_code", "district_name_th")
"""The target table's key and name columns; the criteria give the others."""


def target_columns(rules: KpiRules) -> list[str]:
    """The target table's columns under these rules: the key, the name, each criterion's."""
    return [*KEY_COLUMNS, *(c for criterion in rules.criteria for c in criterion.target_columns)]


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
    by_province: dict[str, list[tuple[str, dict[str, object]]]] = {c: [] for c in province_codes}
    foreign_codes = []
    needed = [column for criterion in rules.criteria for column in criterion.inputs]
    lacking_any = set(inputs["district_code"][inputs.reindex(columns=needed).isna().any(axis=1)])
    for record in records(inputs):
        code = str(record.pop("district_code"))
        if code[:2] in by_province:
            by_province[code[:2]].append((code, record))
        else:
            foreign_codes.append(code)
    rows = []
    for province_code, province_inputs in by_province.items():
        official = {d.code: d.name_th for d in districts_of(province_code)}
        counted = Counter(code for code, _ in province_inputs)
        repeated = sorted(code for code, n in counted.items() if n > 1)
        foreign = sorted((set(counted) - set(official)) | set(foreign_codes))
        missing = sorted(set(official) - set(counted))
        for problem, found in (("repeated", repeated), ("not in the province", foreign)):
            if found:
                raise TargetInputError(f"{quarter}: districts {problem}: {', '.join(found)}")
        if missing:
            names = ", ".join(f"{official[c]} ({c})" for c in missing)
            raise TargetInputError(f"{quarter}: no base sales or Q1 interest for {names}")
        by_code = dict(province_inputs)
        for code, name_th in official.items():
            district_inputs = by_code[code]
            if code in lacking_any:
                lacking = _lacking(district_inputs, rules)
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


@dataclass(frozen=True, slots=True)
class _AddedUp(Mapping[str, Any]):
    """Some rows of a table's columns, each column added up when asked for (zero for none)."""

    columns: Mapping[str, list[Any]]
    rows: list[int]

    def __getitem__(self, column: str) -> Any:
        values = self.columns[column]
        return sum(values[row] for row in self.rows)

    def __iter__(self) -> Iterator[str]:
        return iter(self.columns)

    def __len__(self) -> int:
        return len(self.columns)


def province_total(targets: pd.DataFrame, rules: KpiRules, province_code: str) -> pd.DataFrame:
    """The province total row, computed from the totals (not a sum of district thresholds)."""
    return province_totals(targets, rules, [province_code])


def province_totals(
    targets: pd.DataFrame, rules: KpiRules, province_codes: Sequence[str]
) -> pd.DataFrame:
    """:func:`province_total` of each province (in the order given) from the districts'
    target table of them all: each criterion's province targets from the province's districts'
    input and target columns added up."""
    columns = {c: targets[c].tolist() for c in targets.columns if c not in KEY_COLUMNS}
    rows_of: dict[str, list[int]] = {}
    for row, code in enumerate(targets["district_code"].tolist()):
        rows_of.setdefault(str(code)[:2], []).append(row)
    fiscal_years, quarters = targets["fiscal_year"].tolist(), targets["quarter"].tolist()
    rows = []
    for province_code in province_codes:
        totals = _AddedUp(columns, rows_of.get(province_code, []))
        prov = province(province_code)
        row: dict[str, object] = {
            "fiscal_year": int(fiscal_years[0]),
            "quarter": int(quarters[0]),
            "district_code": prov.code,
            "district_name_th": f"รวม (จังหวัด{prov.name_th})",
        }
        for criterion in rules.criteria:
            row.update(criterion.province_targets(totals))
        rows.append(row)
    return pd.DataFrame(rows, columns=target_columns(rules))
