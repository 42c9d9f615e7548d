"""Reading the warehouse back as the DataFrames the transforms take."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal

import pandas as pd
from sqlalchemy import Connection, func, select

from otop_sync.warehouse.models import (
    ConsumedPayload,
    District,
    KpiBaseline,
    MonthlySales,
    ProductRegistration,
    ShopRegistration,
)


def _frame(connection: Connection, statement, columns: list[str]) -> pd.DataFrame:  # type: ignore[no-untyped-def]
    return pd.DataFrame(connection.execute(statement).all(), columns=columns, dtype=object)


def consumed_payloads(connection: Connection) -> tuple[dict[str, str], frozenset[str]]:
    """What loads have consumed: request key → the sha256 last loaded for it, and every
    sha256 ever loaded."""
    rows = connection.execute(
        select(ConsumedPayload.request_key, ConsumedPayload.sha256).order_by(
            ConsumedPayload.consumed_at, ConsumedPayload.id
        )
    ).all()
    return dict(rows), frozenset(sha for _key, sha in rows)


def products(connection: Connection, province_codes: Sequence[str]) -> pd.DataFrame:
    """Product registrations of the provinces: code, district, registered and cancelled on."""
    table = ProductRegistration
    statement = select(
        table.product_code, table.district_code, table.registered_on, table.cancelled_on
    ).where(table.province_code.in_(province_codes))
    return _frame(
        connection, statement, ["product_code", "district_code", "registered_on", "cancelled_on"]
    )


def shops(connection: Connection, province_codes: Sequence[str]) -> pd.DataFrame:
    """Shop ชุมชน registrations of the provinces: code, district, registered on."""
    table = ShopRegistration
    statement = select(table.shop_code, table.district_code, table.registered_on).where(
        table.province_code.in_(province_codes)
    )
    return _frame(connection, statement, ["shop_code", "district_code", "registered_on"])


def sales_by_month(
    connection: Connection, province_codes: Sequence[str], months: Sequence[date]
) -> pd.DataFrame:
    """Monthly sales totals per district, exact to the satang on every engine.

    Summed as whole satang (SQLite keeps NUMERIC as floating point; integers add exactly).
    """
    table = MonthlySales
    satang = func.sum(func.round(table.amount * 100)).label("satang")
    statement = (
        select(table.district_code, table.month, satang)
        .where(table.province_code.in_(province_codes), table.month.in_(list(months)))
        .group_by(table.district_code, table.month)
    )
    rows = [
        (code, month, Decimal(int(total)) / 100)
        for code, month, total in connection.execute(statement).all()
    ]
    return pd.DataFrame(rows, columns=["district_code", "month", "amount"], dtype=object)


def baseline(connection: Connection, province_codes: Sequence[str]) -> pd.DataFrame:
    """The baseline rows of the provinces, as :func:`transforms.baseline.parse_baseline` gives."""
    table = KpiBaseline
    statement = (
        select(
            table.fiscal_year,
            table.quarter,
            District.province_code,
            table.district_code,
            table.base_sales,
            table.interested_q1,
        )
        .join(District, District.district_code == table.district_code)
        .where(District.province_code.in_(province_codes))
    )
    columns = [
        "fiscal_year",
        "quarter",
        "province_code",
        "district_code",
        "base_sales",
        "interested_q1",
    ]
    return _frame(connection, statement, columns)


def months_with_sales(
    connection: Connection, province_codes: Sequence[str], months: Sequence[date]
) -> pd.DataFrame:
    """(district_code, month) pairs that have sales rows."""
    table = MonthlySales
    statement = (
        select(table.district_code, table.month)
        .where(table.province_code.in_(province_codes), table.month.in_(list(months)))
        .distinct()
    )
    return _frame(connection, statement, ["district_code", "month"])


def months_with_shops(connection: Connection, province_codes: Sequence[str]) -> pd.DataFrame:
    """(district_code, month) pairs with Shop ชุมชน registrations."""
    frame = shops(connection, province_codes)
    frame["month"] = frame["registered_on"].map(lambda day: day.replace(day=1))
    return frame[["district_code", "month"]].drop_duplicates()
