"""Click ชุมชน's Shop ชุมชน registrations: producers' shops and OTOP sales centres (a centre has
no producer code)."""

from __future__ import annotations

from otop_sync.datasets.base import DatasetSpec, Endpoint, LoadTarget
from otop_sync.datasets.checks import (
    InProvince,
    RowsPresent,
    Unique,
    date_in_range,
    known_values,
)
from otop_sync.transforms import cells
from otop_sync.transforms.formats import Column

SHOP_TYPES = (
    "ผู้ผลิต ผู้ประกอบการ OTOP",
    "ศูนย์จำหน่ายสินค้าชุมชน OTOP",
    "ศูนย์จำหน่ายอื่น ๆ ที่บริหารจัดการโดยสำนักงานพัฒนาชุมชนจังหวัด/อำเภอ",
)
"""Producers' shops and the sales centres the letter counts (its explanation 3); an open list:
a shop of another type still counts, as a producer if it has a producer code, else a centre."""

SHOPS = DatasetSpec(
    name="shops",
    file_words=("shops",),
    columns=(
        Column("รหัสร้านค้า", "shop_code", cells.text),
        Column("ชื่อร้านค้า", "shop_name", cells.text),
        Column("ประเภทร้านค้า", "shop_type", cells.text),
        Column("รหัสผู้ผลิต", "producer_code", cells.text, may_be_blank=True, blank_value=""),
        Column("จังหวัด", "province", cells.province, typed_name="province_code"),
        Column("อำเภอ", "district", cells.district, typed_name="district_code"),
        Column("วันที่ลงทะเบียน", "registered_on", cells.be_date),
    ),
    checks=(
        RowsPresent(),
        Unique("shop_code_unique", "{shop_code} appears more than once", ("shop_code",)),
        InProvince(),
        date_in_range("registered_on"),
        known_values(
            "shop_type_known",
            "shop_type",
            "{shop_type} is not a known kind of producer shop or OTOP sales centre",
            SHOP_TYPES,
        ),
    ),
    target=LoadTarget(
        table="shop_registration",
        key=("shop_code",),
        columns=(
            "shop_code",
            "shop_name",
            "shop_type",
            "producer_code",
            "province_code",
            "district_code",
            "registered_on",
        ),
    ),
    endpoint=Endpoint(
        system="click",
        export_path="/click/export/shops.csv",
        url_setting="shops_url",
        login_path="/click/login",
        listing_path="/click/shops",
    ),
    extract_order=2,
)
