"""Lateness per district, as plain functions on DataFrames (no warehouse)."""

from datetime import date, datetime

import pandas as pd

from otop_sync.transforms.deadlines import (
    LATE_COLUMNS,
    last_due_month,
    late_districts,
    late_sales,
    late_shop_reports,
    sales_months_due,
    shop_units,
)
from otop_sync.transforms.fiscal import sales_due_date, shop_report_due_date

MAY, JUNE = date(2024, 5, 1), date(2024, 6, 1)
AS_OF = date(2024, 7, 25)


def recordings(*rows):
    return pd.DataFrame(rows, columns=["district_code", "month", "recorded_on"], dtype=object)


def responses(*rows):
    columns = ["district_code", "month", "submitted_at", "producers", "centres"]
    return pd.DataFrame(rows, columns=columns, dtype=object)


def shops(*rows):
    columns = ["shop_code", "district_code", "producer_code", "registered_on"]
    return pd.DataFrame(rows, columns=columns, dtype=object)


def records(frame):
    return [tuple(row) for row in frame.itertuples(index=False)]


def test_the_last_month_due_depends_on_the_deadline():
    assert last_due_month(date(2024, 7, 18), sales_due_date) == MAY
    assert last_due_month(date(2024, 7, 19), sales_due_date) == JUNE
    assert last_due_month(date(2024, 7, 15), shop_report_due_date) == MAY
    assert last_due_month(date(2024, 7, 16), shop_report_due_date) == JUNE


def test_sales_months_due_run_from_the_fiscal_years_start():
    assert sales_months_due(AS_OF) == [date(2023, m, 1) for m in (10, 11, 12)] + [
        date(2024, m, 1) for m in range(1, 7)
    ]
    # 20 October: September is the last month due, so the whole of the fiscal year just ended.
    assert len(sales_months_due(date(2024, 10, 20))) == 12
    assert sales_months_due(date(2024, 11, 19)) == [date(2024, 10, 1)]


def test_a_month_first_recorded_after_its_due_date_is_late_and_a_missing_one_is_missing():
    first = recordings(
        ("5701", MAY, date(2024, 6, 18)),  # on the due date: in time
        ("5701", JUNE, date(2024, 7, 2)),
        ("5702", MAY, date(2024, 6, 19)),  # a day late
        ("5702", JUNE, date(2024, 7, 26)),  # after the day asked about: not recorded yet
    )
    late = late_sales(["5701", "5702"], first, [MAY, JUNE], AS_OF)
    assert list(late.columns) == LATE_COLUMNS
    no_counts = (None, None, None, None, False)
    assert records(late) == [
        ("5702", "sales", MAY, date(2024, 6, 18), "late", date(2024, 6, 19), *no_counts),
        ("5702", "sales", JUNE, date(2024, 7, 18), "missing", None, *no_counts),
    ]


def test_units_are_one_per_producer_code_and_one_per_shop_without_one():
    registered = shops(
        ("S1", "5701", "P1", date(2024, 6, 1)),
        ("S2", "5701", "P1", date(2024, 6, 2)),  # the same producer's second shop
        ("S3", "5701", "", date(2024, 6, 3)),  # a sales centre
        ("S4", "5701", None, date(2024, 6, 4)),  # a centre, its code missing altogether
        ("S5", "5701", "P2", date(2024, 7, 1)),  # after the day counted
    )
    units = shop_units(registered, date(2024, 6, 30), ["5701", "5702"])
    assert units.to_dict("index") == {
        "5701": {"producers": 1, "centres": 2},
        "5702": {"producers": 0, "centres": 0},
    }


def test_last_months_report_missing_late_or_differing_from_click_chumchon():
    due = date(2024, 7, 15)
    sent = responses(
        ("5701", JUNE, datetime(2024, 7, 15, 23, 59), 1, 0),  # on the 15th: in time, agrees
        ("5702", JUNE, datetime(2024, 7, 16, 8, 0), 1, 0),  # late, agrees
        ("5703", JUNE, datetime(2024, 7, 10, 9, 0), 3, 0),  # in time, then corrected late:
        ("5703", JUNE, datetime(2024, 7, 17, 9, 0), 2, 1),  # its latest figures differ
        ("5704", MAY, datetime(2024, 6, 10, 9, 0), 1, 0),  # another month only
        ("5705", JUNE, datetime(2024, 7, 26, 9, 0), 1, 0),  # after the day asked about
    )
    click = shops(
        ("S1", "5701", "P1", date(2024, 6, 30)),
        ("S2", "5702", "P2", date(2024, 5, 1)),
        ("S3", "5703", "P3", date(2024, 5, 1)),
        ("S4", "5703", "P4", date(2024, 5, 1)),
        ("S5", "5703", "P5", date(2024, 7, 1)),  # registered in July: not June's
    )
    codes = ["5701", "5702", "5703", "5704", "5705"]
    assert records(late_shop_reports(codes, sent, click, AS_OF)) == [
        ("5702", "shop_report", JUNE, due, "late", date(2024, 7, 16), 1, 0, 1, 0, False),
        ("5703", "shop_report", JUNE, due, "on time", date(2024, 7, 10), 2, 1, 2, 0, True),
        ("5704", "shop_report", JUNE, due, "missing", None, None, None, 0, 0, False),
        ("5705", "shop_report", JUNE, due, "missing", None, None, None, 0, 0, False),
    ]


def test_without_responses_no_report_is_judged():
    first = recordings(("5701", JUNE, date(2024, 7, 1)))
    late = late_districts(["5701"], first, None, shops(), AS_OF)
    assert set(late["what"]) == {"sales"}
    assert list(late["month"]) == [date(2023, m, 1) for m in (10, 11, 12)] + [
        date(2024, m, 1) for m in range(1, 6)
    ]


def test_late_rows_come_in_district_order_sales_first():
    first = recordings(
        *[(code, month, sales_due_date(month)) for code in ("5701", "5702") for month in
          sales_months_due(AS_OF) if (code, month) != ("5702", MAY)]
    )  # fmt: skip
    late = late_districts(["5702", "5701"], first, responses(), shops(), AS_OF)
    assert [(r.district_code, r.what, r.month) for r in late.itertuples()] == [
        ("5701", "shop_report", JUNE),
        ("5702", "sales", MAY),
        ("5702", "shop_report", JUNE),
    ]


def test_nobody_late_is_an_empty_frame_with_the_columns():
    month = JUNE
    first = recordings(*[("5701", m, sales_due_date(m)) for m in sales_months_due(AS_OF)])
    sent = responses(("5701", month, datetime(2024, 7, 1), 0, 0))
    late = late_districts(["5701"], first, sent, shops(), AS_OF)
    assert late.empty
    assert list(late.columns) == LATE_COLUMNS
