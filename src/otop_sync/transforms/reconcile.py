"""Comparing our sales with the central data system's own summary report (otop_r04)."""

from __future__ import annotations

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc


def satang(amounts: pd.Series) -> pd.Series:
    """Baht amounts as whole satang (int64), exactly; fast for Arrow decimal columns."""
    if isinstance(amounts.dtype, pd.ArrowDtype):
        array = pa.array(amounts)
        return pd.Series(
            pc.cast(pc.multiply(array, pa.scalar(100)), pa.int64()).to_numpy(zero_copy_only=False),
            index=amounts.index,
        )
    return amounts.map(lambda amount: int(amount * 100)).astype("int64")


def compare_with_summary(current_sales: pd.DataFrame, summary: pd.DataFrame) -> pd.DataFrame:
    """Per district and month of the report: our total, the report's, and the difference in
    satang (0 when they agree). ``current_sales`` holds current values only."""
    ours = (
        current_sales.assign(satang=satang(current_sales["amount"]))
        .groupby(["district_code", "month"])["satang"]
        .sum()
    )
    theirs = summary.assign(satang=satang(summary["amount"])).set_index(["district_code", "month"])[
        "satang"
    ]
    compared = pd.DataFrame({"theirs": theirs})
    compared["ours"] = ours.reindex(compared.index, fill_value=0)
    compared["difference"] = compared["ours"] - compared["theirs"]
    return compared.reset_index().astype(
        {"ours": "int64", "theirs": "int64", "difference": "int64"}
    )
