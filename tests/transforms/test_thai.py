from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from otop_sync.transforms.thai import (
    ThaiParseError,
    be_to_ce,
    ce_to_be,
    format_be_date,
    format_be_long_date,
    format_be_month,
    parse_amount,
    parse_be_date,
    parse_be_month,
    parse_count,
    to_arabic_digits,
    to_thai_digits,
)


def test_thai_digits_round_trip():
    assert to_arabic_digits("๑๕/๐๑/๒๕๖๗") == "15/01/2567"
    assert to_thai_digits("15/01/2567") == "๑๕/๐๑/๒๕๖๗"
    assert to_arabic_digits("ม.ค. ๖๗") == "ม.ค. 67"


def test_years_convert_between_eras():
    assert be_to_ce(2567) == 2024
    assert ce_to_be(2023) == 2566


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("15/1/2567", date(2024, 1, 15)),
        ("๑๕/๐๑/๒๕๖๗", date(2024, 1, 15)),
        (" 1/10/2566 ", date(2023, 10, 1)),
        ("29/2/2567", date(2024, 2, 29)),
        ("31-12-2566", date(2023, 12, 31)),
    ],
)
def test_parse_be_date(text, expected):
    assert parse_be_date(text) == expected


def test_be_date_formats_back():
    assert format_be_date(date(2024, 1, 15)) == "15/1/2567"
    assert format_be_date(date(2024, 1, 15), thai_digits=True) == "๑๕/๑/๒๕๖๗"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "15/1/2024",
            "cannot read '15/1/2024' as a date d/m/yyyy (BE): year 2024 is not a Buddhist Era year",
        ),
        (
            "29/2/2566",
            "cannot read '29/2/2566' as a date d/m/yyyy (BE): day is out of range for month",
        ),
        (
            "32/1/2567",
            "cannot read '32/1/2567' as a date d/m/yyyy (BE): day is out of range for month",
        ),
        ("15/13/2567", "cannot read '15/13/2567' as a date d/m/yyyy (BE): month must be in 1..12"),
        ("2567-01-15", "cannot read '2567-01-15' as a date d/m/yyyy (BE)"),
        ("", "cannot read '' as a date d/m/yyyy (BE): empty"),
        ("15/1/67", "cannot read '15/1/67' as a date d/m/yyyy (BE)"),
        ("15/1/9999", "cannot read '15/1/9999' as a date d/m/yyyy (BE): year 9999 is out of range"),
    ],
)
def test_parse_be_date_rejects(text, message):
    with pytest.raises(ThaiParseError) as caught:
        parse_be_date(text)
    assert str(caught.value) == message
    assert caught.value.value == text


def test_parse_be_date_rejects_non_text():
    with pytest.raises(
        ThaiParseError, match=r"^cannot read None as a date d/m/yyyy \(BE\): not text$"
    ):
        parse_be_date(None)


@pytest.mark.parametrize(
    "text",
    [
        "มกราคม 2567",
        "ม.ค. 2567",
        "ม.ค. 67",
        "ม.ค.67",
        "มค 2567",
        "1/2567",
        "01/2567",
        "๑/๒๕๖๗",
        "ม.ค. ๖๗",
        "มกราคม พ.ศ. 2567",
        "1/67",
    ],
)
def test_parse_be_month_forms(text):
    assert parse_be_month(text) == date(2024, 1, 1)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ธันวาคม 2566", date(2023, 12, 1)),
        ("ก.ย. 68", date(2025, 9, 1)),
        ("10/2566", date(2023, 10, 1)),
    ],
)
def test_parse_be_month_other_months(text, expected):
    assert parse_be_month(text) == expected


def test_format_be_long_date_is_the_letters_form():
    assert format_be_long_date(date(2024, 1, 25)) == "25 มกราคม 2567"
    assert format_be_long_date(date(2023, 12, 1)) == "1 ธันวาคม 2566"


def test_format_be_month():
    assert format_be_month(date(2024, 1, 1)) == "มกราคม 2567"
    assert format_be_month(date(2023, 12, 1), short=True) == "ธ.ค. 2566"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "มกรา 2567",
            "cannot read 'มกรา 2567' as a month and BE year (มกราคม 2567, ม.ค. 67, 1/2567): unknown month name 'มกรา'",
        ),
        (
            "13/2567",
            "cannot read '13/2567' as a month and BE year (มกราคม 2567, ม.ค. 67, 1/2567): month 13 is not 1–12",
        ),
        (
            "January 2024",
            "cannot read 'January 2024' as a month and BE year (มกราคม 2567, ม.ค. 67, 1/2567): unknown month name 'January'",
        ),
        (
            "1/2024",
            "cannot read '1/2024' as a month and BE year (มกราคม 2567, ม.ค. 67, 1/2567): year 2024 is not a Buddhist Era year",
        ),
        ("มกราคม", "cannot read 'มกราคม' as a month and BE year (มกราคม 2567, ม.ค. 67, 1/2567)"),
    ],
)
def test_parse_be_month_rejects(text, message):
    with pytest.raises(ThaiParseError) as caught:
        parse_be_month(text)
    assert str(caught.value) == message


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1,234.50", Decimal("1234.50")),
        ("๑,๒๓๔.๕๐", Decimal("1234.50")),
        ("450,652,640.00", Decimal("450652640.00")),
        ("25432495.2", Decimal("25432495.2")),
        (" 0 ", Decimal("0")),
        ("-15.75", Decimal("-15.75")),
    ],
)
def test_parse_amount(text, expected):
    amount = parse_amount(text)
    assert amount == expected
    assert isinstance(amount, Decimal)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("1,23.50", "cannot read '1,23.50' as an amount in baht"),
        ("12abc", "cannot read '12abc' as an amount in baht"),
        ("NaN", "cannot read 'NaN' as an amount in baht"),
        ("1e6", "cannot read '1e6' as an amount in baht"),
        ("١٢٣", "cannot read '١٢٣' as an amount in baht"),
        ("", "cannot read '' as an amount in baht: empty"),
    ],
)
def test_parse_amount_rejects(text, message):
    with pytest.raises(ThaiParseError) as caught:
        parse_amount(text)
    assert str(caught.value) == message


def test_parse_amount_rejects_float():
    with pytest.raises(ThaiParseError, match=r"^cannot read 1\.5 as an amount in baht: not text$"):
        parse_amount(1.5)


def test_parse_count():
    assert parse_count("๑๕") == 15
    assert parse_count("1,200") == 1200
    with pytest.raises(ThaiParseError, match=r"^cannot read '2\.5' as a whole number$"):
        parse_count("2.5")


@given(st.text())
def test_parsers_return_a_value_or_the_typed_error(text):
    for parse in (parse_be_date, parse_be_month, parse_amount, parse_count):
        refused: ThaiParseError | None = None
        try:
            parse(text)
        except ThaiParseError as error:
            refused = error
        assert refused is None or refused.value == text


@given(st.dates(min_value=date(1900, 1, 1), max_value=date(2150, 12, 31)), st.booleans())
def test_be_dates_round_trip(day, thai):
    assert parse_be_date(format_be_date(day, thai_digits=thai)) == day


@given(st.decimals(min_value=-(10**12), max_value=10**12, places=2))
def test_amounts_round_trip_with_separators(amount):
    assert parse_amount(f"{amount:,.2f}") == amount
    assert parse_amount(to_thai_digits(f"{amount:,.2f}")) == amount


def test_amount_column_agrees_with_the_scalar_parser():

    cells = [
        "1,234.50",
        "๑,๒๓๔.๕๐",
        " 7 ",
        "-3.1",
        "1.234",
        "12abc",
        "",
        "1,23.5",
        "9999999999999999.99",
        "10000000000000000",
        "+0.05",
        "1\u00a0234.50",  # a no-break space as thousands separator
        "1\t234.50",
        "\u2009๑ ๒๓๔\u3000",
    ]
    _assert_column_agrees(cells)


def _assert_column_agrees(cells):
    import pandas as pd

    from otop_sync.transforms.thai import parse_amount_column

    values, reasons = parse_amount_column(pd.Series(cells, dtype=object))
    for cell, value, reason in zip(cells, values, reasons, strict=True):
        try:
            expected, expected_reason = parse_amount(cell), None
        except ThaiParseError as error:
            expected, expected_reason = None, str(error)
        assert reason == expected_reason, repr(cell)
        assert (None if pd.isna(value) else value) == expected, repr(cell)
        assert (value is None or pd.isna(value)) == (reason is not None), repr(cell)


_AMOUNTISH = st.text(
    alphabet=st.sampled_from(list("0123456789๐๑๒๓๔๕๖๗๘๙,.+- \t\u00a0\u2009\u3000a"))
)


@given(st.lists(st.one_of(_AMOUNTISH, st.text(max_size=12)), min_size=1, max_size=20))
def test_for_any_text_the_column_and_scalar_amount_parsers_agree(cells):
    _assert_column_agrees(cells)


def test_amounts_beyond_satang_or_numeric_are_refused():
    with pytest.raises(ThaiParseError, match=r"more than two decimals \(satang\)$"):
        parse_amount("1.234")
    with pytest.raises(ThaiParseError, match=r"too large for NUMERIC\(18,2\)$"):
        parse_amount("10,000,000,000,000,000")
