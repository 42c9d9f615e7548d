"""Typing the three source datasets (canonical columns of text → codes, CE dates, Decimal).

Every unreadable cell becomes a :class:`~otop_sync.transforms.rows.RowIssue`; the row is left
out of the clean table and goes to quarantine with its reasons.
"""

from __future__ import annotations

from datetime import date

import pandas as pd

from otop_sync.transforms import cells
from otop_sync.transforms.formats import PRODUCTS, SALES, SHOPS
from otop_sync.transforms.rows import RowIssue, parse_rows
from otop_sync.transforms.thai import ThaiParseError

PRODUCT_STATUSES = {"ใช้งาน": "active", "ยกเลิก": "cancelled"}
PLACE_RENAMES = {"province": "province_code", "district": "district_code"}


def _status(value: str, _row: cells.Row) -> str:
    cleaned = " ".join(str(value).split())
    if cleaned not in PRODUCT_STATUSES:
        raise ThaiParseError(value, "a product status (ใช้งาน or ยกเลิก)")
    return PRODUCT_STATUSES[cleaned]


def _cancelled_on(value: str, row: cells.Row) -> date:
    cancelled = cells.be_date(value, row)
    if row.get("status") == "active":
        raise ThaiParseError(value, "a cancellation date", "the product is active (ใช้งาน)")
    return cancelled


_cancelled_on.depends_on = "status"  # type: ignore[attr-defined]


def parse_products(table: pd.DataFrame) -> tuple[pd.DataFrame, list[RowIssue]]:
    """Type the OTOP Big Data product register."""
    parsers = {
        "product_code": cells.text,
        "product_name": cells.text,
        "product_category": cells.text,
        "producer_code": cells.text,
        "producer_name": cells.text,
        "producer_type": cells.text,
        "province": cells.province,
        "district": cells.district,
        "subdistrict": cells.text,
        "registered_on": cells.be_date,
        "status": _status,
        "cancelled_on": _cancelled_on,
    }
    rows, issues = parse_rows(
        table, parsers, PRODUCTS.headers, optional=frozenset({"cancelled_on", "subdistrict"})
    )
    return rows.rename(columns=PLACE_RENAMES), issues


def parse_sales(table: pd.DataFrame) -> tuple[pd.DataFrame, list[RowIssue]]:
    """Type the central data system's monthly sales; a blank producer is a district entry."""
    parsers = {
        "province": cells.province,
        "district": cells.district,
        "producer_code": cells.text,
        "month": cells.be_month,
        "amount": cells.amount,
        "recorded_on": cells.be_date,
    }
    rows, issues = parse_rows(table, parsers, SALES.headers, optional=frozenset({"producer_code"}))
    rows["producer_code"] = rows["producer_code"].fillna("")
    return rows.rename(columns=PLACE_RENAMES), issues


def parse_shops(table: pd.DataFrame) -> tuple[pd.DataFrame, list[RowIssue]]:
    """Type the Click ชุมชน Shop registrations; OTOP sales centres have no producer."""
    parsers = {
        "shop_code": cells.text,
        "shop_name": cells.text,
        "shop_type": cells.text,
        "producer_code": cells.text,
        "province": cells.province,
        "district": cells.district,
        "registered_on": cells.be_date,
    }
    rows, issues = parse_rows(table, parsers, SHOPS.headers, optional=frozenset({"producer_code"}))
    rows["producer_code"] = rows["producer_code"].fillna("")
    return rows.rename(columns=PLACE_RENAMES), issues
