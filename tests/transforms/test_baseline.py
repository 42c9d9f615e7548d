from decimal import Decimal

import pandas as pd
import pytest

from otop_sync.datasets.baseline import BASELINE
from otop_sync.transforms.baseline import BaselineError, baseline_province, quarter_inputs
from otop_sync.transforms.fiscal import Quarter
from otop_sync.transforms.rows import RowIssue

COLUMNS = ["fiscal_year", "quarter", "province", "district", "base_sales", "interested_q1"]


def table(*rows):
    return pd.DataFrame(list(rows), columns=COLUMNS, dtype=str)


def test_rows_are_typed():
    rows, issues = BASELINE.type_rows(
        table(["๒๕๖๗", "ไตรมาส 2", "จ.เชียงราย", "อ.พาน", "23,321,791.40", "๒๒"])
    )
    assert issues == []
    row = rows.iloc[0]
    assert (row.fiscal_year, row.quarter, row.province_code, row.district_code) == (
        2567,
        2,
        "57",
        "5705",
    )
    assert row.base_sales == Decimal("23321791.40")
    assert row.interested_q1 == 22


def test_bad_cells_become_issues_naming_line_and_column():
    rows, issues = BASELINE.type_rows(
        table(
            ["2567", "2", "เชียงราย", "พาน", "1,000", "22"],
            ["2567", "5", "เชียงราย", "บางรัก", "-5", "x"],
        )
    )
    assert list(rows["district_code"]) == ["5705"]
    assert [(i.line, i.column) for i in issues] == [
        (3, "ไตรมาส"),
        (3, "อำเภอ"),
        (3, "ฐานเดิมปีฐาน (บาท)"),
        (3, "จำนวนผู้สนใจ Digital Wallet ไตรมาส 1"),
    ]
    assert issues[0] == RowIssue(3, "ไตรมาส", "5", "cannot read '5' as a quarter 1–4")
    assert issues[2].reason == "cannot read '-5' as base-year sales: negative"
    assert str(issues[3]) == (
        "line 3, column จำนวนผู้สนใจ Digital Wallet ไตรมาส 1: cannot read 'x' as a whole number"
    )


def test_district_of_an_unreadable_province_is_reported_once_per_cause():
    _, issues = BASELINE.type_rows(table(["2567", "2", "แอตแลนติส", "พาน", "", "1"]))
    assert [i.column for i in issues] == ["จังหวัด", "อำเภอ"]
    assert issues[1].reason == "cannot read 'พาน' as a district: its province could not be read"


def test_interest_may_be_on_any_quarter_and_base_sales_on_the_quarter():
    rows, _ = BASELINE.type_rows(
        table(
            ["2567", "1", "เชียงราย", "พาน", "", "22"],
            ["2567", "2", "เชียงราย", "พาน", "100.00", ""],
            ["2567", "3", "เชียงราย", "พาน", "999.00", "22"],
        )
    )
    inputs = quarter_inputs(rows, Quarter(2567, 2), "57")
    assert inputs.to_dict("records") == [
        {"district_code": "5705", "base_sales": Decimal("100.00"), "interested_q1": 22}
    ]


def test_conflicting_interest_counts_are_an_error():
    rows, _ = BASELINE.type_rows(
        table(["2567", "1", "เชียงราย", "พาน", "", "22"], ["2567", "2", "เชียงราย", "พาน", "", "23"])
    )
    with pytest.raises(BaselineError, match=r"^district 5705 has conflicting Q1 interest: 22, 23$"):
        quarter_inputs(rows, Quarter(2567, 2), "57")


def test_several_provinces_need_a_choice():
    rows, _ = BASELINE.type_rows(
        table(["2567", "1", "เชียงราย", "พาน", "", "1"], ["2567", "1", "พะเยา", "เชียงคำ", "", "1"])
    )
    with pytest.raises(BaselineError) as caught:
        baseline_province(rows)
    assert (
        str(caught.value) == "the baseline covers 2 provinces (56, 57); choose one with --province"
    )
