"""Thai text at the edges: Thai digits, Buddhist Era years, BE dates, months and baht amounts.

Every parser either returns a value or raises :class:`ThaiParseError` naming the value it could
not read; none of them guesses. Only ASCII and Thai digits are accepted (``int()`` and
``Decimal()`` would also take Arabic-Indic or full-width digits, which no CDD source writes).
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal, InvalidOperation

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from otop_sync.errors import OtopSyncError

BE_OFFSET = 543
THAI_DIGITS = "๐๑๒๓๔๕๖๗๘๙"
_TO_ARABIC = str.maketrans(THAI_DIGITS, "0123456789")
_TO_THAI = str.maketrans("0123456789", THAI_DIGITS)

# Plausible BE years for CDD data: 2400 BE is 1857 CE, 2700 BE is 2157 CE. A four-digit year
# below this range is almost certainly a CE year written where BE was expected.
MIN_BE_YEAR = 2400
MAX_BE_YEAR = 2700
MAX_AMOUNT = Decimal(10) ** 16
"""The first amount NUMERIC(18,2) cannot hold."""

THAI_MONTHS: tuple[str, ...] = (
    "มกราคม",
    "กุมภาพันธ์",
    "มีนาคม",
    "เมษายน",
    "พฤษภาคม",
    "มิถุนายน",
    "กรกฎาคม",
    "สิงหาคม",
    "กันยายน",
    "ตุลาคม",
    "พฤศจิกายน",
    "ธันวาคม",
)
THAI_MONTHS_SHORT: tuple[str, ...] = (
    "ม.ค.",
    "ก.พ.",
    "มี.ค.",
    "เม.ย.",
    "พ.ค.",
    "มิ.ย.",
    "ก.ค.",
    "ส.ค.",
    "ก.ย.",
    "ต.ค.",
    "พ.ย.",
    "ธ.ค.",
)
# Month names keyed without dots or spaces, so "ม.ค.", "ม.ค" and "มค" all read as January.
_MONTH_BY_KEY: dict[str, int] = {
    **{name: i for i, name in enumerate(THAI_MONTHS, start=1)},
    **{short.replace(".", ""): i for i, short in enumerate(THAI_MONTHS_SHORT, start=1)},
}

_DATE_RE = re.compile(r"(\d{1,2})\s*[/\-.]\s*(\d{1,2})\s*[/\-.]\s*(\d{4})", re.ASCII)
_NUMERIC_MONTH_RE = re.compile(r"(\d{1,2})\s*[/\-]\s*(\d{4}|\d{2})", re.ASCII)
_NAMED_MONTH_RE = re.compile(r"([^\d\s]+?)\s*(\d{4}|\d{2})", re.ASCII)
_AMOUNT_RE = re.compile(r"[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?", re.ASCII)
_INTEGER_RE = re.compile(r"[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)", re.ASCII)
_SPACES = re.compile(r"\s+")


class ThaiParseError(OtopSyncError, ValueError):
    """A value from a source that cannot be read as what it should be."""

    def __init__(self, value: object, expected: str, reason: str = "") -> None:
        self.value = value
        self.expected = expected
        self.reason = reason
        detail = f": {reason}" if reason else ""
        super().__init__(f"cannot read {value!r} as {expected}{detail}")


def to_arabic_digits(text: str) -> str:
    """Replace Thai digits (๐–๙) with ASCII digits; everything else is kept."""
    return text.translate(_TO_ARABIC)


def to_thai_digits(text: str) -> str:
    """Replace ASCII digits with Thai digits, for printing in the officers' style."""
    return text.translate(_TO_THAI)


def be_to_ce(year_be: int) -> int:
    """Convert a Buddhist Era year to the Common Era year."""
    return year_be - BE_OFFSET


def ce_to_be(year_ce: int) -> int:
    """Convert a Common Era year to the Buddhist Era year."""
    return year_ce + BE_OFFSET


def _clean(value: object, expected: str) -> str:
    if not isinstance(value, str):
        raise ThaiParseError(value, expected, "not text")
    text = _SPACES.sub(" ", to_arabic_digits(value)).strip()
    if not text:
        raise ThaiParseError(value, expected, "empty")
    return text


def _check_be_year(value: object, year: int, expected: str) -> int:
    if year < MIN_BE_YEAR:
        raise ThaiParseError(value, expected, f"year {year} is not a Buddhist Era year")
    if year > MAX_BE_YEAR:
        raise ThaiParseError(value, expected, f"year {year} is out of range")
    return year


def _two_digit_be_year(year: int) -> int:
    """Read a two-digit BE year ("67") as 2567: CDD data spans 2500–2599 BE."""
    return 2500 + year


def parse_be_date(value: object) -> date:
    """Read a ``d/m/yyyy`` Buddhist Era date (ASCII or Thai digits) into a CE ``date``."""
    expected = "a date d/m/yyyy (BE)"
    text = _clean(value, expected)
    match = _DATE_RE.fullmatch(text)
    if match is None:
        raise ThaiParseError(value, expected)
    day, month, year_be = (int(part) for part in match.groups())
    _check_be_year(value, year_be, expected)
    try:
        return date(be_to_ce(year_be), month, day)
    except ValueError as error:
        raise ThaiParseError(value, expected, str(error)) from None


def format_be_date(day: date, *, thai_digits: bool = False) -> str:
    """Write a CE ``date`` as ``d/m/yyyy`` BE, the sources' and the reports' form."""
    text = f"{day.day}/{day.month}/{ce_to_be(day.year)}"
    return to_thai_digits(text) if thai_digits else text


def parse_be_month(value: object) -> date:
    """Read a month and BE year into the CE ``date`` of its first day.

    Accepts ``มกราคม 2567``, ``ม.ค. 2567``, ``ม.ค. 67`` and ``1/2567`` (ASCII or Thai digits).
    """
    expected = "a month and BE year (มกราคม 2567, ม.ค. 67, 1/2567)"
    text = _clean(value, expected).replace("พ.ศ.", " ").strip()
    numeric = _NUMERIC_MONTH_RE.fullmatch(text)
    if numeric is not None:
        month = int(numeric.group(1))
        year_text = numeric.group(2)
    else:
        named = _NAMED_MONTH_RE.fullmatch(text)
        if named is None:
            raise ThaiParseError(value, expected)
        key = named.group(1).replace(".", "").replace(" ", "")
        if key not in _MONTH_BY_KEY:
            raise ThaiParseError(value, expected, f"unknown month name {named.group(1)!r}")
        month = _MONTH_BY_KEY[key]
        year_text = named.group(2)
    if not 1 <= month <= 12:
        raise ThaiParseError(value, expected, f"month {month} is not 1–12")
    year = int(year_text)
    year_be = _two_digit_be_year(year) if len(year_text) == 2 else year
    _check_be_year(value, year_be, expected)
    return date(be_to_ce(year_be), month, 1)


def format_be_month(first_day: date, *, short: bool = False) -> str:
    """Write a month as ``มกราคม 2567`` (or ``ม.ค. 2567`` with ``short``)."""
    names = THAI_MONTHS_SHORT if short else THAI_MONTHS
    return f"{names[first_day.month - 1]} {ce_to_be(first_day.year)}"


def format_be_long_date(day: date) -> str:
    """Write a CE ``date`` as a letter does: ``25 มกราคม 2567`` (full month, BE year)."""
    return f"{day.day} {format_be_month(day.replace(day=1))}"


def format_be_day(day: date) -> str:
    """Write a CE ``date`` as a Thai reader does: ``18 มี.ค. 2567`` (short month, BE year)."""
    return f"{day.day} {format_be_month(day.replace(day=1), short=True)}"


def parse_amount(value: object) -> Decimal:
    """Read a baht amount such as ``1,234.50`` or ``๑,๒๓๔.๕๐`` into an exact ``Decimal``."""
    expected = "an amount in baht"
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ThaiParseError(value, expected, "not a finite number")
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return Decimal(value)
    text = _clean(value, expected).replace(" ", "")
    if not _AMOUNT_RE.fullmatch(text):
        raise ThaiParseError(value, expected)
    try:
        amount = Decimal(text.replace(",", ""))
    except InvalidOperation:  # pragma: no cover - the pattern admits only valid numbers
        raise ThaiParseError(value, expected) from None
    if amount.as_tuple().exponent < -2:  # type: ignore[operator]
        raise ThaiParseError(value, expected, "more than two decimals (satang)")
    if abs(amount) >= MAX_AMOUNT:
        raise ThaiParseError(value, expected, "too large for NUMERIC(18,2)")
    return amount


AMOUNT_TYPE = pa.decimal128(18, 2)
_AMOUNT_COLUMN_RE = r"^[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d{1,2})?$"
_ANY_SPACE = r"[\t-\r\x{1c}-\x{20}\x{85}\p{Z}]"
"""Every character Python's ``str.isspace`` accepts, as an RE2 class (tab, no-break space…)."""


def parse_amount_column(column: pd.Series) -> tuple[pd.Series, pd.Series]:
    """:func:`parse_amount` over a whole column at once (Arrow compute), for millions of rows.

    :func:`parse_amount` is the one definition: this is a fast path for the common forms, and
    every cell it does not read goes to :func:`parse_amount`, whose value or reason it takes.
    Returns Arrow-backed ``decimal128(18, 2)`` values and, per row, the reason a cell could not
    be read or None.
    """
    if isinstance(column.dtype, (pd.StringDtype, pd.ArrowDtype)):
        strings = pa.array(column.astype("string[pyarrow]"), type=pa.string())
    else:
        strings = pa.array(
            [v if isinstance(v, str) else None for v in column.astype(object)], type=pa.string()
        )
    text = pc.replace_substring_regex(strings, _ANY_SPACE, "")
    if pc.any(pc.match_substring_regex(text, "[๐-๙]")).as_py():
        for thai, arabic in zip(THAI_DIGITS, "0123456789", strict=True):
            text = pc.replace_substring(text, thai, arabic)
    readable = pc.fill_null(pc.match_substring_regex(text, _AMOUNT_COLUMN_RE), False)
    digits = pc.if_else(readable, pc.replace_substring(text, ",", ""), None)
    integer_part = pc.list_element(pc.split_pattern(digits, "."), 0)
    whole = pc.utf8_length(pc.utf8_ltrim(integer_part, "+-0"))
    readable = pc.and_(readable, pc.fill_null(pc.less(whole, 17), False))
    values = pd.Series(
        pc.cast(pc.if_else(readable, digits, None), AMOUNT_TYPE), dtype=pd.ArrowDtype(AMOUNT_TYPE)
    )
    reasons = np.full(len(column), None, dtype=object)
    for row in np.flatnonzero(~readable.to_numpy(zero_copy_only=False)):
        try:
            values.iat[row] = parse_amount(column.iat[row])
        except ThaiParseError as error:
            reasons[row] = str(error)
    return values, pd.Series(reasons, dtype=object)


def parse_count(value: object) -> int:
    """Read a whole count (units, products, shops), Thai digits and separators allowed."""
    expected = "a whole number"
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    text = _clean(value, expected).replace(" ", "")
    if not _INTEGER_RE.fullmatch(text):
        raise ThaiParseError(value, expected)
    return int(text.replace(",", ""))
