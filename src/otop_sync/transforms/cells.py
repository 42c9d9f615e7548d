"""Cell types for :func:`otop_sync.transforms.rows.parse_rows`: each reads one source cell
(with the row's earlier values at hand) or raises the typed error that names the value.

A :class:`CellType` wraps the parser with what the column-wise parser must know about it: the
earlier column it reads (a district needs its province), and a whole-column version for
columns whose values are nearly all distinct (amounts).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

import pandas as pd

from otop_sync.transforms.districts import match_district, match_province
from otop_sync.transforms.thai import (
    MAX_BE_YEAR,
    MIN_BE_YEAR,
    ThaiParseError,
    parse_amount,
    parse_amount_column,
    parse_be_date,
    parse_be_month,
    parse_count,
    to_arabic_digits,
)

Row = Mapping[str, Any]
CellParser = Callable[[str, Row], Any]
"""Reads one cell; gets the values it depends on (see :class:`CellType`) in a mapping."""
VectorParser = Callable[[pd.Series], tuple[pd.Series, pd.Series]]
"""Reads a whole column: returns the values and, per row, the reason it failed (or None)."""


@dataclass(frozen=True)
class CellType:
    """How one column is read: a cell parser, the earlier column it reads (if any), and a
    whole-column parser to use instead when there is one."""

    parse: CellParser
    depends_on: str | None = None
    """Canonical name of an earlier column whose parsed value the parser needs."""
    vectorized: VectorParser | None = None

    def __call__(self, value: str, row: Row) -> Any:
        return self.parse(value, row)


_QUARTER_CELL = re.compile(r"(?:ไตรมาส(?:ที่)?|Q)?\s*([1-4])", re.IGNORECASE | re.ASCII)


def _text(value: str, _row: Row) -> str:
    cleaned = " ".join(str(value).split())
    if not cleaned:
        raise ThaiParseError(value, "a value", "empty")
    return cleaned


text = CellType(_text)
"""A required text cell (a code or a name), trimmed."""
be_date = CellType(lambda value, _row: parse_be_date(value))
"""A ``d/m/yyyy`` BE date."""
be_month = CellType(lambda value, _row: parse_be_month(value))
"""A month and BE year, as the first day of the month."""
amount = CellType(lambda value, _row: parse_amount(value), vectorized=parse_amount_column)
"""A baht amount (sign kept: the expectations judge negatives)."""


def _count(value: str, _row: Row) -> int:
    number = parse_count(value)
    if number < 0:
        raise ThaiParseError(value, "a count", "negative")
    return number


count = CellType(_count)
"""A whole count that cannot be negative."""


def _fiscal_year(value: str, _row: Row) -> int:
    year = parse_count(value)
    if not MIN_BE_YEAR <= year <= MAX_BE_YEAR:
        raise ThaiParseError(value, "a BE fiscal year such as 2567")
    return year


fiscal_year = CellType(_fiscal_year)
"""A BE fiscal year."""


def _quarter(value: str, _row: Row) -> int:
    match = _QUARTER_CELL.fullmatch(to_arabic_digits(str(value)).strip())
    if match is None:
        raise ThaiParseError(value, "a quarter 1–4")
    return int(match.group(1))


quarter = CellType(_quarter)
"""A quarter number, written ``2``, ``Q2`` or ``ไตรมาส 2``."""


@cache
def _province_code(name: str) -> str:
    return match_province(name).code


def _province(value: str, _row: Row) -> str:
    if not isinstance(value, str):
        return match_province(value).code  # raises the error naming the value
    return _province_code(value)


province = CellType(_province)
"""A province name → its code."""


def _district(value: str, row: Row) -> str:
    if row.get("province") is None:
        raise ThaiParseError(value, "a district", "its province could not be read")
    return match_district(value, row["province"]).code


district = CellType(_district, depends_on="province")
"""A district name → its code, within the row's province (read before it)."""
