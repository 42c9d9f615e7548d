"""A late district's grade says why; Shop ชุมชน units count producers once and every centre."""

from datetime import date

import pandas as pd

from otop_sync.transforms.deadlines import late_sales_reasons
from otop_sync.transforms.deltas import (
    products_known_by,
    shop_units,
    shops_known_by,
    shops_registered,
)
from otop_sync.transforms.fiscal import Quarter
from otop_sync.transforms.thai import format_be_day

Q2 = Quarter(2567, 2)  # Jan-Mar 2024


def months(*pairs):
    return pd.DataFrame(pairs, columns=["district_code", "month"])


def test_a_day_is_written_with_the_short_month_and_be_year():
    assert format_be_day(date(2024, 3, 18)) == "18 มี.ค. 2567"


def test_a_missing_month_already_due_is_the_reason():
    recorded = months(
        ("5701", date(2024, 1, 1)), ("5701", date(2024, 2, 1)), ("5702", date(2024, 1, 1))
    )
    reasons = late_sales_reasons(recorded, Q2, ["5701", "5702"], date(2024, 3, 19))
    assert reasons == {"5702": "ยังไม่บันทึกยอดจำหน่าย ก.พ. 2567, กำหนด 18 มี.ค. 2567"}


def test_a_month_is_not_late_on_its_due_day():
    recorded = months(("5701", date(2024, 1, 1)))
    assert late_sales_reasons(recorded, Q2, ["5701"], date(2024, 3, 18)) == {}


def test_every_late_month_is_named():
    reasons = late_sales_reasons(months(), Q2, ["5701"], date(2024, 7, 1))
    assert reasons["5701"] == (
        "ยังไม่บันทึกยอดจำหน่าย ม.ค. 2567, กำหนด 18 ก.พ. 2567; "
        "ยังไม่บันทึกยอดจำหน่าย ก.พ. 2567, กำหนด 18 มี.ค. 2567; "
        "ยังไม่บันทึกยอดจำหน่าย มี.ค. 2567, กำหนด 18 เม.ย. 2567"
    )


SHOPS = pd.DataFrame(
    [
        # shop_code, shop_type, producer_code, district_code, registered_on
        ("S1", "ผู้ผลิต ผู้ประกอบการ OTOP", "P1", "5701", date(2024, 1, 5)),
        ("S2", "ผู้ผลิต ผู้ประกอบการ OTOP", "P1", "5701", date(2024, 2, 5)),  # P1's 2nd shop
        ("S3", "ผู้ผลิต ผู้ประกอบการ OTOP", "P2", "5701", date(2024, 2, 5)),
        ("S4", "ศูนย์จำหน่ายสินค้าชุมชน OTOP", "", "5701", date(2024, 2, 6)),
        ("S5", "ร้านค้าประชารัฐ", "", "5701", date(2024, 2, 7)),  # an unfamiliar type
        ("S6", "ศูนย์จำหน่ายสินค้าชุมชน OTOP", None, "5702", date(2024, 3, 1)),
        ("S7", "ผู้ผลิต ผู้ประกอบการ OTOP", "P3", "5702", date(2024, 4, 1)),  # after the quarter
    ],
    columns=["shop_code", "shop_type", "producer_code", "district_code", "registered_on"],
)


def test_a_producer_with_two_shops_counts_once_and_every_centre_counts():
    units = shop_units(SHOPS, Q2.end, ["5701", "5702", "5703"])
    assert units.to_dict("index") == {
        "5701": {"producers": 2, "centres": 2},
        "5702": {"producers": 0, "centres": 1},
        "5703": {"producers": 0, "centres": 0},
    }
    assert shops_registered(SHOPS, Q2.end, ["5701", "5702"]).tolist() == [4, 1]


PRODUCTS = pd.DataFrame(
    [
        ("X1", "5701", date(2024, 1, 10), None),
        ("X2", "5701", date(2024, 2, 10), date(2024, 5, 1)),  # cancelled after the day
        ("X3", "5701", date(2024, 2, 10), date(2024, 3, 1)),  # cancelled before it
        ("X4", "5701", date(2024, 4, 20), None),  # registered after it
    ],
    columns=["product_code", "district_code", "registered_on", "cancelled_on"],
)


def test_products_as_they_stood_on_a_day():
    known = products_known_by(PRODUCTS, date(2024, 4, 1))
    assert list(known["product_code"]) == ["X1", "X2", "X3"]
    assert list(known["cancelled_on"]) == [None, None, date(2024, 3, 1)]


def test_shops_registered_by_a_day():
    assert list(shops_known_by(SHOPS, date(2024, 2, 6))["shop_code"]) == ["S1", "S2", "S3", "S4"]
