"""Reading a quarter's inputs from the province's typed baseline rows (the dataset itself is
declared in :mod:`otop_sync.datasets.baseline`)."""

from __future__ import annotations

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
    year_rows = rows[
        (rows["fiscal_year"] == quarter.fiscal_year) & (rows["province_code"] == province_code)
    ]
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
