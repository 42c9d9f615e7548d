"""The letter's enclosure 3: the OTOP producers of a province listed in OTOP Big Data (its
explanation 2: "จำนวนผู้ลงทะเบียน หมายถึง จำนวนผู้ผลิต ผู้ประกอบการ OTOP ของจังหวัด ที่มีรายชื่ออยู่
ในระบบการลงทะเบียน (OTOP Big data)"), one row per producer, and counted per district.

A producer is listed on a day when at least one of its products is registered by then and not
cancelled by then. It belongs to the district of its earliest registered product.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import pandas as pd

from otop_sync.transforms.deltas import products_known_by, shops_known_by

PRODUCER_COLUMNS = (
    "district_code",
    "producer_code",
    "producer_name",
    "producer_type",
    "subdistrict",
    "products",
    "first_registered_on",
    "in_shop",
)
"""One listed producer: where, who, how many active products, since when, and whether it is
registered in Shop ชุมชน."""


def listed_producers(products: pd.DataFrame, shops: pd.DataFrame, day: date) -> pd.DataFrame:
    """Producers listed in OTOP Big Data on ``day`` (see module docstring), by district and
    producer code, as :data:`PRODUCER_COLUMNS`; ``in_shop`` is True when a Shop ชุมชน
    registration made by then carries its producer code."""
    known = products_known_by(products, day)
    active = known[known["cancelled_on"].isna()].sort_values(["registered_on", "product_code"])
    if active.empty:
        return pd.DataFrame(columns=list(PRODUCER_COLUMNS))
    first = active.drop_duplicates("producer_code").set_index("producer_code")
    counts = active.groupby("producer_code").size()
    in_shop = set(shops_known_by(shops, day)["producer_code"].map(_code)) - {""}
    codes = list(first.index)
    listed = pd.DataFrame(
        {
            "district_code": list(first["district_code"]),
            "producer_code": codes,
            "producer_name": list(first["producer_name"]),
            "producer_type": list(first["producer_type"]),
            "subdistrict": [s if isinstance(s, str) else "" for s in first["subdistrict"]],
            "products": [int(counts[code]) for code in codes],
            "first_registered_on": list(first["registered_on"]),
            "in_shop": [code in in_shop for code in codes],
        }
    )
    return listed.sort_values(["district_code", "producer_code"]).reset_index(drop=True)


def _code(value: object) -> str:
    return value.strip() if isinstance(value, str) else ""


def producers_by_district(
    listed: pd.DataFrame, districts: pd.DataFrame, types: Sequence[str]
) -> pd.DataFrame:
    """Per district of ``districts`` (``district_code``, ``district_name_th``, in order):
    listed producers, then one count per producer type of ``types``, active products and
    producers in Shop ชุมชน; then the province total row (``district_code`` empty)."""
    codes = list(districts["district_code"])

    def per_district(values: pd.Series) -> list[int]:
        return [int(v) for v in values.reindex(codes, fill_value=0)]

    by_district = listed.groupby("district_code")
    table = pd.DataFrame(
        {
            "district_code": codes,
            "district_name_th": list(districts["district_name_th"]),
            "producers": per_district(by_district.size()),
            **{
                f"type:{kind}": per_district(
                    listed[listed["producer_type"] == kind].groupby("district_code").size()
                )
                for kind in types
            },
            "products": per_district(by_district["products"].sum()),
            "in_shop": per_district(listed[listed["in_shop"]].groupby("district_code").size()),
        }
    )
    total = {"district_code": "", "district_name_th": "รวม"} | {
        column: int(table[column].sum()) for column in table.columns[2:]
    }
    return pd.concat([table, pd.DataFrame([total])], ignore_index=True)
