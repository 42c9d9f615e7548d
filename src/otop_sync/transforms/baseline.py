"""Reading a quarter's inputs from the province's typed baseline rows (the dataset itself is
declared in :mod:`otop_sync.datasets.baseline`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

from otop_sync.errors import OtopSyncError
from otop_sync.transforms.fiscal import Quarter


class BaselineError(OtopSyncError, ValueError):
    """A baseline that cannot give a quarter's inputs (conflicts, or several provinces)."""


def baseline_province(rows: pd.DataFrame) -> str:
    """The one province a baseline covers; several is an error naming them."""
    codes = sorted(set(rows["province_code"]))
    if len(codes) != 1:
        raise BaselineError(
            f"the baseline covers {len(codes)} provinces ({', '.join(codes) or 'none'}); "
            "choose one with --province"
        )
    return codes[0]


def _one_value(values: pd.Series, what: str, district_code: str) -> Any:
    distinct = sorted({v for v in values if v is not None and not pd.isna(v)})
    if len(distinct) > 1:
        lines = ", ".join(str(x) for x in distinct)
        raise BaselineError(f"district {district_code} has conflicting {what}: {lines}")
    return distinct[0] if distinct else None


def quarter_inputs(rows: pd.DataFrame, quarter: Quarter, province_code: str) -> pd.DataFrame:
    """Per district of the province: published base sales for the quarter and Q1 interest.

    The interest count may be listed on any rows of the fiscal year; base sales on the
    quarter's rows. Different values for the same district are an error, never a pick.
    """
    return quarter_inputs_of(rows, quarter, [province_code])


def _known_values(
    codes: list[str], values: pd.Series, counted: list[bool]
) -> dict[str, tuple[Any, ...]]:
    """Per district, the distinct values given on the rows counted, in row order."""
    known: dict[str, tuple[Any, ...]] = {}
    for code, value, given, count in zip(
        codes, values.tolist(), values.notna().tolist(), counted, strict=True
    ):
        if given and count and value not in known.get(code, ()):
            known[code] = (*known.get(code, ()), value)
    return known


def quarter_inputs_of(
    rows: pd.DataFrame, quarter: Quarter, province_codes: Sequence[str]
) -> pd.DataFrame:
    """:func:`quarter_inputs` for several provinces at once, in district-code order: one pass
    over the rows, whatever their number; a district with conflicting values is an error,
    the first one in code order named as :func:`quarter_inputs` names it."""
    year_rows = rows[
        (rows["fiscal_year"] == quarter.fiscal_year)
        & rows["province_code"].isin(list(province_codes))
    ]
    codes = year_rows["district_code"].tolist()
    in_quarter = (year_rows["quarter"] == quarter.number).tolist()
    base_sales = _known_values(codes, year_rows["base_sales"], in_quarter)
    interest = _known_values(codes, year_rows["interested_q1"], [True] * len(codes))
    if any(len(v) > 1 for v in base_sales.values()) or any(len(v) > 1 for v in interest.values()):
        return _quarter_inputs_by_district(year_rows, quarter)  # raises, naming the first
    inputs = [
        {
            "district_code": code,
            "base_sales": base_sales[code][0] if code in base_sales else None,
            "interested_q1": interest[code][0] if code in interest else None,
        }
        for code in sorted(set(codes))
    ]
    return pd.DataFrame(inputs, columns=["district_code", "base_sales", "interested_q1"])


def _quarter_inputs_by_district(year_rows: pd.DataFrame, quarter: Quarter) -> pd.DataFrame:
    """District by district, raising on the first conflicting value."""
    inputs = []
    for code, group in year_rows.groupby("district_code", sort=True):
        in_quarter = group[group["quarter"] == quarter.number]
        inputs.append(
            {
                "district_code": code,
                "base_sales": _one_value(in_quarter["base_sales"], "base sales", str(code)),
                "interested_q1": _one_value(group["interested_q1"], "Q1 interest", str(code)),
            }
        )
    return pd.DataFrame(inputs, columns=["district_code", "base_sales", "interested_q1"])
