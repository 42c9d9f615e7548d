"""Which rows set aside touch which grade, and what each criterion's figure would be with
them (pure: typed rows in, grade facts out)."""

from datetime import date
from decimal import Decimal

import pandas as pd
import pytest

from otop_sync.datasets import dataset
from otop_sync.rules import load_rulebook
from otop_sync.transforms.criteria import CriterionResult
from otop_sync.transforms.fiscal import Quarter
from otop_sync.transforms.quarantine import (
    KnownRows,
    join_reasons,
    quarantine_on_grades,
    row_reasons,
)

Q2 = Quarter(2567, 2)
AS_OF = date(2024, 7, 15)
CRITERIA = load_rulebook().for_year(2567).criteria


def _cells(name: str, rows: list[dict[str, str]], reasons: str) -> pd.DataFrame:
    spec = dataset(name)
    table = pd.DataFrame([{c: row.get(c, "") for c in spec.canonical_columns} for row in rows])
    typed = spec.type_cells(table)
    typed["row_id"] = [f"{name}:{i}" for i in range(len(rows))]
    typed["reasons"] = reasons
    return typed


def _grades(actuals: dict[str, dict[str, object]]) -> pd.DataFrame:
    units = {"products": "count", "sales": "baht", "shops": "count"}
    return pd.DataFrame(
        {
            "district_code": list(actuals),
            "criteria": [
                tuple(
                    CriterionResult(name, units[name], value, value, True, 0)
                    for name, value in figures.items()
                )
                for figures in actuals.values()
            ],
        }
    )


ACTUALS = {"5701": {"products": 3, "sales": Decimal("100.00"), "shops": 4}, "5702": {}}
ACTUALS["5702"] = dict(ACTUALS["5701"])
EMPTY = KnownRows(
    Q2,
    pd.DataFrame(columns=["product_code", "district_code", "registered_on", "cancelled_on"]),
    pd.DataFrame(columns=["district_code", "month", "amount"]),
    pd.DataFrame(columns=["shop_code", "producer_code", "district_code", "registered_on"]),
)


def _product(code: str, registered: str, status: str = "ใช้งาน", cancelled: str = "") -> dict:
    return {
        "product_code": code,
        "product_name": "น้ำพริก",
        "product_category": "อาหาร",
        "producer_code": "P1",
        "producer_name": "กลุ่ม",
        "producer_type": "ผู้ผลิตชุมชน",
        "province": "เชียงราย",
        "district": "เมืองเชียงราย",
        "registered_on": registered,
        "status": status,
        "cancelled_on": cancelled,
    }


def test_products_registered_or_cancelled_in_the_quarter_count_and_others_do_not():
    rows = _cells(
        "products",
        [
            _product("X1", "5/2/2567"),  # registered in Q2: +1
            _product("X2", "5/12/2566", "ยกเลิก", "5/3/2567"),  # active at Q1's end, not Q2's: -1
            _product("X3", "5/5/2567"),  # Q3: not this quarter
            _product("X4", "วันไหน"),  # no readable date: placed nowhere
        ],
        "products.product_code_unique: รหัสผลิตภัณฑ์ appears more than once",
    )
    graded = quarantine_on_grades(_grades(ACTUALS), {"products": rows}, CRITERIA, EMPTY, AS_OF)
    facts = graded.set_index("district_code")["quarantined"]
    assert facts["5702"] is None
    figure = facts["5701"].figure("products")
    assert (facts["5701"].rows, figure.rows, figure.unreadable, figure.actual_with) == (2, 2, 0, 3)
    assert facts["5701"].figure("sales") is None


def _shop(code: str, producer: str, district: str = "เมืองเชียงราย") -> dict:
    return {
        "shop_code": code,
        "shop_name": "ร้าน",
        "shop_type": "ผู้ผลิต ผู้ประกอบการ OTOP",
        "producer_code": producer,
        "province": "เชียงราย",
        "district": district,
        "registered_on": "1/2/2567",
    }


def test_a_shop_of_a_producer_already_counted_adds_no_unit():
    rows = _cells(
        "shops",
        [_shop("S1", "P-KNOWN"), _shop("S2", "P-NEW"), _shop("S3", ""), _shop("S4", "P-NEW")],
        "shops.shop_code_unique: รหัสร้านค้า appears more than once",
    )
    known = KnownRows(
        Q2,
        EMPTY.products,
        EMPTY.sales,
        pd.DataFrame(
            [{"shop_code": "K1", "producer_code": "P-KNOWN", "district_code": "5701"}]
        ).assign(registered_on=date(2023, 1, 1)),
    )
    graded = quarantine_on_grades(_grades(ACTUALS), {"shops": rows}, CRITERIA, known, AS_OF)
    muang = graded.set_index("district_code")["quarantined"]["5701"]
    figure = muang.figure("shops")
    assert (muang.rows, figure.rows, figure.actual_with) == (4, 4, 4 + 2)  # P-NEW once, S3


def test_a_sale_recorded_after_the_as_of_day_does_not_touch_the_grade_then():
    sale = {
        "province": "เชียงราย",
        "district": "เวียงชัย",
        "producer_code": "P9",
        "month": "มีนาคม 2567",
        "amount": "200,000,000.00",
        "recorded_on": "1/4/2567",
    }
    rows = _cells("sales", [sale], "sales.amount_below_ceiling: too much")
    before = quarantine_on_grades(
        _grades(ACTUALS), {"sales": rows}, CRITERIA, EMPTY, date(2024, 3, 31)
    )
    after = quarantine_on_grades(_grades(ACTUALS), {"sales": rows}, CRITERIA, EMPTY, AS_OF)
    assert set(before["quarantined"]) == {None}
    figure = after.set_index("district_code")["quarantined"]["5702"].figure("sales")
    assert figure.actual_with == Decimal("200000100.00")


@pytest.mark.parametrize(
    ("stored", "reasons"),
    [
        (
            "line 7, column ยอดจำหน่าย (บาท): 'x' is not baht; sales.key_unique: the same "
            "รหัสผู้ผลิต; เดือน appear twice",
            ["column ยอดจำหน่าย (บาท): 'x' is not baht", "sales.key_unique: the same รหัสผู้ผลิต; "
             "เดือน appear twice"],
        ),
        ("sales.amount_not_negative: ยอดจำหน่าย (บาท) is negative", ["sales.amount_not_negative: "
         "ยอดจำหน่าย (บาท) is negative"]),
    ],
)  # fmt: skip
def test_reasons_split_where_a_reason_begins_and_join_back(stored, reasons):
    assert row_reasons(stored) == reasons
    assert row_reasons(join_reasons(reasons)) == reasons
