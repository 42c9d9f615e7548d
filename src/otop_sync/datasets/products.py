"""OTOP Big Data's product register: every product with its producer, place and status."""

from __future__ import annotations

from datetime import date

from otop_sync.datasets.base import DatasetSpec, Endpoint, LoadTarget
from otop_sync.datasets.checks import (
    InProvince,
    NotBefore,
    RowsPresent,
    Unique,
    date_in_range,
    known_values,
)
from otop_sync.transforms import cells
from otop_sync.transforms.cells import CellType
from otop_sync.transforms.formats import Column
from otop_sync.transforms.thai import ThaiParseError, parse_be_date

PRODUCT_STATUSES = {"ใช้งาน": "active", "ยกเลิก": "cancelled"}
PRODUCT_CATEGORIES = (
    "อาหาร",
    "เครื่องดื่ม",
    "ผ้า เครื่องแต่งกาย",
    "ของใช้ ของตกแต่ง ของที่ระลึก",
    "สมุนไพรที่ไม่ใช่อาหาร",
)
PRODUCER_TYPES = (
    "กลุ่มผู้ผลิตชุมชน",
    "ผู้ผลิตชุมชนที่เป็นเจ้าของรายเดียว",
    "ผู้ผลิตที่เป็นวิสาหกิจขนาดกลางและขนาดย่อม",
    "ผู้ผลิตชุมชน",
    "เกษตรกร",
    "กลุ่มวิสาหกิจชุมชน",
    "กลุ่มองค์กรสตรี",
)
"""The register's producer types and the letter's target groups (ผู้ผลิตชุมชน เกษตรกร
กลุ่มวิสาหกิจชุมชน กลุ่มองค์กรสตรี); an open list."""


def _status(value: str, _row: cells.Row) -> str:
    cleaned = " ".join(str(value).split())
    if cleaned not in PRODUCT_STATUSES:
        raise ThaiParseError(value, "a product status (ใช้งาน or ยกเลิก)")
    return PRODUCT_STATUSES[cleaned]


def _cancelled_on(value: str, row: cells.Row) -> date:
    cancelled = parse_be_date(value)
    if row.get("status") == "active":
        raise ThaiParseError(value, "a cancellation date", "the product is active (ใช้งาน)")
    return cancelled


PRODUCTS = DatasetSpec(
    name="products",
    file_words=("products",),
    columns=(
        Column("รหัสผลิตภัณฑ์", "product_code", cells.text),
        Column("ชื่อผลิตภัณฑ์", "product_name", cells.text),
        Column("ประเภทผลิตภัณฑ์", "product_category", cells.text),
        Column("รหัสผู้ผลิต", "producer_code", cells.text),
        Column("ชื่อผู้ผลิต", "producer_name", cells.text),
        Column("ประเภทผู้ผลิต", "producer_type", cells.text),
        Column("จังหวัด", "province", cells.province, typed_name="province_code"),
        Column("อำเภอ", "district", cells.district, typed_name="district_code"),
        Column("ตำบล", "subdistrict", cells.text, may_be_blank=True),
        Column("วันที่ลงทะเบียน", "registered_on", cells.be_date),
        Column("สถานะ", "status", CellType(_status)),
        Column(
            "วันที่ยกเลิก",
            "cancelled_on",
            CellType(_cancelled_on, depends_on="status"),
            may_be_blank=True,
        ),
    ),
    checks=(
        RowsPresent(),
        Unique("product_code_unique", "{product_code} appears more than once", ("product_code",)),
        InProvince(),
        date_in_range("registered_on"),
        NotBefore(
            "cancelled_after_registered",
            "{cancelled_on} is before {registered_on}",
            column="cancelled_on",
            other="registered_on",
            skip_missing=True,
        ),
        known_values(
            "category_known",
            "product_category",
            "{product_category} is not one of the five OTOP categories",
            PRODUCT_CATEGORIES,
        ),
        known_values(
            "producer_type_known",
            "producer_type",
            "{producer_type} is not a known producer type",
            PRODUCER_TYPES,
        ),
    ),
    target=LoadTarget(
        table="product_registration",
        key=("product_code",),
        columns=(
            "product_code",
            "product_name",
            "product_category",
            "producer_code",
            "producer_name",
            "producer_type",
            "province_code",
            "district_code",
            "subdistrict",
            "registered_on",
            "status",
            "cancelled_on",
        ),
    ),
    endpoint=Endpoint(
        system="bigdata",
        export_path="/bigdata/export/products.csv",
        url_setting="products_url",
        login_path="/bigdata/login",
        listing_path="/bigdata/products",
    ),
    extract_order=1,
)
