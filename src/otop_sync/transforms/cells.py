"""Cell parsers for :func:`otop_sync.transforms.rows.parse_rows`: each reads one source cell
(with the row's earlier values at hand) or raises the typed error that names the value."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from functools import cache
from typing import Any

from otop_sync.transforms.districts import match_district, match_province
from otop_sync.transforms.thai import (
    ThaiParseError,
    parse_amount,
    parse_amount_column,
    parse_be_date,
    parse_be_month,
    parse_count,
    to_arabic_digits,
)

Row = Mapping[str, Any]
_QUARTER_CELL = re.compile(r"(?:ไตรมาส(?:ที่)?|Q)?\s*([1-4])", re.IGNORECASE | re.ASCII)


def text(value: str, _row: Row) -> str:
    """A required text cell (a code or a name), trimmed."""
    cleaned = " ".join(str(value).split())
    if not cleaned:
        raise ThaiParseError(value, "a value", "empty")
    return cleaned


def be_date(value: str, _row: Row) -> date:
    """A ``d/m/yyyy`` BE date."""
    return parse_be_date(value)


def be_month(value: str, _row: Row) -> date:
    """A month and BE year, as the first day of the month."""
    return parse_be_month(value)


def amount(value: str, _row: Row) -> Decimal:
    """A baht amount (sign kept: the expectations judge negatives)."""
    return parse_amount(value)


amount.vectorized = parse_amount_column  # type: ignore[attr-defined]


def count(value: str, _row: Row) -> int:
    """A whole count that cannot be negative."""
    number = parse_count(value)
    if number < 0:
        raise ThaiParseError(value, "a count", "negative")
    return number


def fiscal_year(value: str, _row: Row) -> int:
    """A BE fiscal year."""
    year = parse_count(value)
    if not 2400 <= year <= 2700:
        raise ThaiParseError(value, "a BE fiscal year such as 2567")
    return year


def quarter(value: str, _row: Row) -> int:
    """A quarter number, written ``2``, ``Q2`` or ``ไตรมาส 2``."""
    match = _QUARTER_CELL.fullmatch(to_arabic_digits(str(value)).strip())
    if match is None:
        raise ThaiParseError(value, "a quarter 1–4")
    return int(match.group(1))


@cache
def _province_code(name: str) -> str:
    return match_province(name).code


def province(value: str, _row: Row) -> str:
    """A province name → its code."""
    if not isinstance(value, str):
        return match_province(value).code  # raises the error naming the value
    return _province_code(value)


def district(value: str, row: Row) -> str:
    """A district name → its code, within the row's province (read before it)."""
    if row.get("province") is None:
        raise ThaiParseError(value, "a district", "its province could not be read")
    return match_district(value, row["province"]).code


district.depends_on = "province"  # type: ignore[attr-defined]
