"""The letter's enclosure 3: producers listed in OTOP Big Data, one by one and per district."""

from datetime import date

import pandas as pd

from otop_sync.transforms.registrants import listed_producers, producers_by_district

DAY = date(2024, 3, 31)


def products(*rows):
    columns = [
        "product_code",
        "producer_code",
        "producer_name",
        "producer_type",
        "district_code",
        "subdistrict",
        "registered_on",
        "cancelled_on",
    ]
    return pd.DataFrame(list(rows), columns=columns, dtype=object)


PRODUCTS = products(
    ("P1", "A", "กลุ่มทอผ้า", "กลุ่มผู้ผลิตชุมชน", "5701", "รอบเวียง", date(2020, 1, 5), None),
    ("P2", "A", "กลุ่มทอผ้า", "กลุ่มผู้ผลิตชุมชน", "5702", "", date(2023, 6, 1), None),
    ("P3", "A", "กลุ่มทอผ้า", "กลุ่มผู้ผลิตชุมชน", "5701", "", date(2021, 1, 1), date(2022, 1, 1)),
    # B's only product was cancelled by the day: B is no longer listed.
    ("P4", "B", "นายบี", "เกษตรกร", "5701", "", date(2020, 1, 1), date(2024, 3, 31)),
    # C's product is cancelled only after the day: still listed then.
    ("P5", "C", "นางซี", "เกษตรกร", "5702", None, date(2022, 1, 1), date(2024, 4, 1)),
    # D registers after the day: not listed yet.
    ("P6", "D", "วิสาหกิจดี", "กลุ่มวิสาหกิจชุมชน", "5702", "", date(2024, 4, 1), None),
)
SHOPS = pd.DataFrame(
    [
        ("S1", "C", "5702", date(2024, 2, 1)),
        ("S2", "", "5702", date(2024, 2, 1)),  # a sales centre
        ("S3", "A", "5701", date(2024, 5, 1)),  # after the day
    ],
    columns=["shop_code", "producer_code", "district_code", "registered_on"],
)


def test_a_producer_is_listed_while_one_of_its_products_is_active():
    listed = listed_producers(PRODUCTS, SHOPS, DAY)
    assert listed.to_dict("records") == [
        {
            "district_code": "5701",
            "producer_code": "A",
            "producer_name": "กลุ่มทอผ้า",
            "producer_type": "กลุ่มผู้ผลิตชุมชน",
            "subdistrict": "รอบเวียง",
            "products": 2,
            "first_registered_on": date(2020, 1, 5),
            "in_shop": False,
        },
        {
            "district_code": "5702",
            "producer_code": "C",
            "producer_name": "นางซี",
            "producer_type": "เกษตรกร",
            "subdistrict": "",
            "products": 1,
            "first_registered_on": date(2022, 1, 1),
            "in_shop": True,
        },
    ]


def test_per_district_counts_and_the_province_total_row():
    districts = pd.DataFrame(
        {"district_code": ["5701", "5702", "5703"], "district_name_th": ["ก", "ข", "ค"]}
    )
    listed = listed_producers(PRODUCTS, SHOPS, date(2024, 4, 30))
    table = producers_by_district(listed, districts, ["กลุ่มผู้ผลิตชุมชน", "เกษตรกร", "กลุ่มวิสาหกิจชุมชน"])
    assert table.values.tolist() == [
        ["5701", "ก", 1, 1, 0, 0, 2, 0],
        ["5702", "ข", 1, 0, 0, 1, 1, 0],
        ["5703", "ค", 0, 0, 0, 0, 0, 0],
        ["", "รวม", 2, 1, 0, 1, 3, 0],
    ]


def test_nothing_listed_yet():
    assert listed_producers(PRODUCTS, SHOPS, date(2019, 1, 1)).empty
