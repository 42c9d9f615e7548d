from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from otop_sync.transforms.fiscal import (
    Quarter,
    months_due,
    quarter_range,
    sales_due_date,
    shop_report_due_date,
)
from otop_sync.transforms.thai import ThaiParseError


@pytest.mark.parametrize(
    ("day", "quarter"),
    [
        (date(2023, 10, 1), Quarter(2567, 1)),
        (date(2023, 12, 31), Quarter(2567, 1)),
        (date(2024, 1, 1), Quarter(2567, 2)),
        (date(2024, 3, 31), Quarter(2567, 2)),
        (date(2024, 4, 1), Quarter(2567, 3)),
        (date(2024, 9, 30), Quarter(2567, 4)),
        (date(2024, 10, 1), Quarter(2568, 1)),
    ],
)
def test_quarter_of_a_date(day, quarter):
    assert Quarter.of(day) == quarter


def test_quarter_bounds_and_months():
    q2 = Quarter(2567, 2)
    assert (q2.start, q2.end) == (date(2024, 1, 1), date(2024, 3, 31))
    assert q2.months == (date(2024, 1, 1), date(2024, 2, 1), date(2024, 3, 1))
    q1 = Quarter(2567, 1)
    assert (q1.start, q1.end) == (date(2023, 10, 1), date(2023, 12, 31))
    assert Quarter(2567, 4).end == date(2024, 9, 30)


def test_parse_and_print():
    assert Quarter.parse("2567Q2") == Quarter(2567, 2)
    assert Quarter.parse("๒๕๖๗q๒") == Quarter(2567, 2)
    assert str(Quarter(2567, 2)) == "2567Q2"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("2567Q5", "cannot read '2567Q5' as a fiscal quarter such as 2567Q2"),
        (
            "2024Q2",
            "cannot read '2024Q2' as a fiscal quarter such as 2567Q2: year 2024 is not a Buddhist Era year",
        ),
        ("Q2", "cannot read 'Q2' as a fiscal quarter such as 2567Q2"),
    ],
)
def test_parse_rejects(text, message):
    with pytest.raises(ThaiParseError) as caught:
        Quarter.parse(text)
    assert str(caught.value) == message


def test_quarter_number_is_checked():
    with pytest.raises(ValueError, match=r"^quarter number must be 1–4, got 0$"):
        Quarter(2567, 0)


def test_neighbours_and_base_year():
    assert Quarter(2567, 1).previous() == Quarter(2566, 4)
    assert Quarter(2567, 4).next() == Quarter(2568, 1)
    assert Quarter(2567, 2).same_quarter_of(2566) == Quarter(2566, 2)
    assert Quarter(2566, 2).start == date(2023, 1, 1)


def test_quarter_range():
    assert [str(q) for q in quarter_range(Quarter(2566, 3), Quarter(2567, 2))] == [
        "2566Q3",
        "2566Q4",
        "2567Q1",
        "2567Q2",
    ]
    with pytest.raises(
        ValueError, match=r"^quarter range ends \(2566Q1\) before it starts \(2567Q1\)$"
    ):
        list(quarter_range(Quarter(2567, 1), Quarter(2566, 1)))


def test_due_dates():
    assert sales_due_date(date(2024, 3, 1)) == date(2024, 4, 18)
    assert sales_due_date(date(2023, 12, 1)) == date(2024, 1, 18)
    assert shop_report_due_date(date(2024, 1, 1)) == date(2024, 2, 15)


def test_grade_final_after_last_sales_due():
    q2 = Quarter(2567, 2)
    assert q2.final_from == date(2024, 4, 19)
    assert not q2.is_final(date(2024, 4, 18))
    assert q2.is_final(date(2024, 4, 19))


def test_months_due():
    assert months_due(date(2024, 1, 1), date(2024, 3, 19)) == [date(2024, 1, 1), date(2024, 2, 1)]
    assert months_due(date(2024, 1, 1), date(2024, 2, 18)) == []


@given(st.dates(min_value=date(1950, 1, 1), max_value=date(2100, 12, 31)))
def test_every_date_lies_in_its_quarter(day):
    quarter = Quarter.of(day)
    assert quarter.start <= day <= quarter.end
    assert Quarter.parse(str(quarter)) == quarter
    assert quarter.next().previous() == quarter
