"""Comparing raw source tables: the same text in the same rows and columns, whatever form the
reader kept it in (a CSV's repeated columns come dictionary-encoded, a listing's as text)."""

from __future__ import annotations

import pandas as pd


def same_text(left: pd.DataFrame, right: pd.DataFrame) -> bool:
    """Whether two raw tables hold the same values under the same index and columns."""
    return left.astype(object).equals(right.astype(object))
