"""What each district achieved in a quarter: products added, sales, Shop ชุมชน units (the
building blocks of the criteria in :mod:`otop_sync.transforms.criteria`).

Inputs are the typed source tables of :mod:`otop_sync.transforms.sources`. Every function
returns one value per district code given, zero where a district has no rows, so a district
with nothing recorded is graded on zeros rather than forgotten.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from decimal import Decimal

import numpy as np
import pandas as pd

from otop_sync.transforms.fiscal import Quarter

SALES_KEY = ("district_code", "producer_code", "month")
"""One sales figure per district, producer (blank for a district entry) and month."""


def _per_district(values: pd.Series, districts: Iterable[str], fill: object) -> pd.Series:
    codes = list(districts)
    return values.reindex(codes, fill_value=fill).rename_axis("district_code")


def active_products(products: pd.DataFrame, day: date, districts: Iterable[str]) -> pd.Series:
    """Products registered on or before ``day`` and not cancelled by then, per district."""
    registered = products["registered_on"] <= day
    cancelled = products["cancelled_on"].map(lambda c: c is not None and c <= day)
    active = products[registered & ~cancelled]
    return _per_district(active.groupby("district_code").size(), districts, 0)


def _by(value: object, day: date) -> bool:
    return value is not None and not pd.isna(value) and value <= day  # type: ignore[operator]


def products_known_by(products: pd.DataFrame, day: date) -> pd.DataFrame:
    """Product registrations as they stood on ``day``: those registered by then, and a
    cancellation only if it had happened by then."""
    known = products[products["registered_on"].map(lambda d: _by(d, day))].copy()
    known["cancelled_on"] = known["cancelled_on"].map(lambda c: c if _by(c, day) else None)
    return known


def shops_known_by(shops: pd.DataFrame, day: date) -> pd.DataFrame:
    """Shop ชุมชน registrations made by ``day``."""
    return shops[shops["registered_on"].map(lambda d: _by(d, day))]


def products_added(products: pd.DataFrame, quarter: Quarter, districts: Iterable[str]) -> pd.Series:
    """Active products at the quarter's end minus at the previous quarter's end."""
    codes = list(districts)
    return active_products(products, quarter.end, codes) - active_products(
        products, quarter.previous().end, codes
    )


def group_codes(frame: pd.DataFrame, columns: Sequence[str]) -> np.ndarray:
    """One integer per row, equal for rows equal in every column (missing values equal
    each other), computed column by column over millions of rows."""
    codes, distinct = np.zeros(len(frame), dtype=np.int64), 1
    for column in columns:
        column_codes, uniques = pd.factorize(frame[column], use_na_sentinel=False)
        if distinct * len(uniques) >= 2**62:  # keep the product within int64
            codes, seen = pd.factorize(codes)
            distinct = len(seen)
        codes, distinct = codes * len(uniques) + column_codes, distinct * len(uniques)
    return codes


def latest_sales(sales: pd.DataFrame) -> pd.DataFrame:
    """One row per (district, producer, month): the latest recorded wins (a correction);
    among rows recorded the same day, the one later in the source. Rows keep their order."""
    if sales.empty:
        return sales
    key = group_codes(sales, SALES_KEY)
    recorded, days = pd.factorize(sales["recorded_on"], sort=True)
    recorded = np.where(recorded < 0, len(days), recorded)  # a missing day sorts last
    if int(key.max()) >= 2**62 // (len(days) + 1):
        key, _ = pd.factorize(key)
    order = np.argsort(key * (len(days) + 1) + recorded, kind="stable")  # ties: source order
    ordered_keys = key[order]
    last_of_key = np.append(ordered_keys[1:] != ordered_keys[:-1], True)
    return sales.iloc[np.sort(order[last_of_key])].sort_index()


def quarter_sales(sales: pd.DataFrame, quarter: Quarter, districts: Iterable[str]) -> pd.Series:
    """The quarter's sales (Decimal baht) per district.

    ``sales`` must hold current values only: rows from the warehouse, or source rows passed
    through :func:`latest_sales` first.
    """
    in_quarter = sales[sales["month"].isin(quarter.months)]
    totals = in_quarter.groupby("district_code")["amount"].sum()
    return _per_district(totals, districts, Decimal("0.00")).map(Decimal)


UNIT_COLUMNS = ("producers", "centres")
"""The two kinds of Shop ชุมชน unit: OTOP producers (by code) and sales centres."""


def _producer_code(value: object) -> str:
    return value.strip() if isinstance(value, str) else ""


def shop_units(shops: pd.DataFrame, day: date, districts: Iterable[str]) -> pd.DataFrame:
    """Shop ชุมชน units registered by ``day`` per district (the letter's explanation 3):
    ``producers``, one per producer code however many shops it has, and ``centres``, one per
    shop without a producer code (a sales centre, whatever its type)."""
    codes = list(districts)
    registered = shops[shops["registered_on"] <= day].drop_duplicates("shop_code")
    producer = registered["producer_code"].map(_producer_code)
    has_producer = producer != ""
    producers = (
        registered.assign(producer=producer)[has_producer]
        .drop_duplicates(["district_code", "producer"])
        .groupby("district_code")
        .size()
    )
    centres = registered[~has_producer].groupby("district_code").size()
    return pd.DataFrame(
        {
            "producers": _per_district(producers, codes, 0).astype(int),
            "centres": _per_district(centres, codes, 0).astype(int),
        }
    )


PRODUCT_COUNT_COLUMNS = ("district_code", "day", "products")
"""Active products per district on a day: what the products criterion is computed from."""
UNIT_COUNT_COLUMNS = ("district_code", "day", *UNIT_COLUMNS)
"""Shop ชุมชน units per district registered by a day: what the shops criterion is computed from."""


def grading_days(quarters: Iterable[Quarter]) -> list[date]:
    """The days a quarter's figures are counted on: its end and the previous quarter's end."""
    return sorted({day for q in quarters for day in (q.end, q.previous().end)})


def active_product_counts(products: pd.DataFrame, days: Iterable[date]) -> pd.DataFrame:
    """Active products per district on each day (:func:`active_products`), long-form with
    :data:`PRODUCT_COUNT_COLUMNS`; a district with none on a day has no row. The warehouse
    gives the same table with one query (``queries.active_product_counts``)."""
    codes = sorted(products["district_code"].unique())
    frames = [
        active_products(products, day, codes).rename("products").reset_index().assign(day=day)
        for day in days
    ]
    if not frames:
        return pd.DataFrame(columns=list(PRODUCT_COUNT_COLUMNS))
    counts = pd.concat(frames, ignore_index=True)[list(PRODUCT_COUNT_COLUMNS)]
    return counts[counts["products"] > 0].reset_index(drop=True)


def shop_unit_counts(shops: pd.DataFrame, days: Iterable[date]) -> pd.DataFrame:
    """Shop ชุมชน units per district registered by each day (:func:`shop_units`), long-form
    with :data:`UNIT_COUNT_COLUMNS`; a district with none on a day has no row."""
    codes = sorted(shops["district_code"].unique())
    frames = [shop_units(shops, day, codes).reset_index().assign(day=day) for day in days]
    if not frames:
        return pd.DataFrame(columns=list(UNIT_COUNT_COLUMNS))
    counts = pd.concat(frames, ignore_index=True)[list(UNIT_COUNT_COLUMNS)]
    return counts[(counts["producers"] > 0) | (counts["centres"] > 0)].reset_index(drop=True)


def counts_on(
    counts: pd.DataFrame, day: date, columns: Sequence[str], districts: Iterable[str]
) -> pd.DataFrame:
    """One day's rows of a long-form count table (:func:`active_product_counts`,
    :func:`shop_unit_counts`), one per district given, zero where it has none."""
    codes = list(districts)
    on_day = counts[counts["day"].to_numpy() == day]
    row_of = {code: row for row, code in enumerate(on_day["district_code"].tolist())}
    rows = [row_of.get(code) for code in codes]
    found = {column: on_day[column].tolist() for column in columns}
    return pd.DataFrame(
        {c: [0 if row is None else found[c][row] for row in rows] for c in columns},
        index=pd.Index(codes, name="district_code"),
        columns=list(columns),
        dtype=int,
    )


def shops_registered(shops: pd.DataFrame, day: date, districts: Iterable[str]) -> pd.Series:
    """Shop ชุมชน units (producers and OTOP sales centres, one each) registered by ``day``."""
    units = shop_units(shops, day, districts)
    return units["producers"] + units["centres"]
