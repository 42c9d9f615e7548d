"""The dataset catalog: a new dataset is one declaration (plus its table's migration), and the
inbox, typing, validation and loading take it with no other change."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest
import sqlalchemy as sa
from sqlalchemy import text

from otop_sync.connectors.inbox import FileInbox
from otop_sync.connectors.landing import RawLandingStore
from otop_sync.datasets import (
    CATALOG,
    DatasetSpec,
    LoadTarget,
    UnknownDatasetError,
    configure,
    dataset,
)
from otop_sync.datasets.checks import InProvince, RowsPresent, Unique, date_in_range
from otop_sync.expectations.checks import validate_dataset
from otop_sync.expectations.context import gx_context
from otop_sync.expectations.runner import Validator
from otop_sync.expectations.severity import load_severities
from otop_sync.expectations.suites import SuiteParameters
from otop_sync.transforms import cells
from otop_sync.transforms.formats import Column, FormatConfigError
from otop_sync.warehouse.loaders import load_rows

STOCK = DatasetSpec(
    name="stock",
    file_words=("stock",),
    columns=(
        Column("รหัสผลิตภัณฑ์", "product_code", cells.text),
        Column("จังหวัด", "province", cells.province, typed_name="province_code"),
        Column("อำเภอ", "district", cells.district, typed_name="district_code"),
        Column("จำนวนคงเหลือ", "units", cells.count),
        Column("วันที่ตรวจนับ", "counted_on", cells.be_date),
    ),
    checks=(
        RowsPresent(),
        Unique(
            "count_unique",
            "{product_code} counted twice on one day",
            ("product_code", "counted_on"),
        ),
        InProvince(),
        date_in_range("counted_on"),
    ),
    target=LoadTarget(
        table="product_stock",
        key=("product_code", "counted_on"),
        columns=("product_code", "counted_on", "district_code", "units"),
    ),
)
"""A dataset declared in a test, as a new module of ``otop_sync.datasets`` would declare it."""


def _stock_migration(connection: sa.Connection) -> None:
    """What the dataset's migration would create."""
    sa.Table(
        "product_stock",
        sa.MetaData(),
        sa.Column("product_code", sa.String(20), primary_key=True),
        sa.Column("counted_on", sa.Date, primary_key=True),
        sa.Column("district_code", sa.String(4), nullable=False),
        sa.Column("units", sa.Integer, nullable=False),
        sa.Column("raw_sha256", sa.String(64), nullable=False),
        sa.Column("source_line", sa.Integer, nullable=False),
        sa.Column("run_id", sa.String(36), nullable=False),
    ).create(connection)


def test_a_new_dataset_flows_from_the_inbox_to_its_table(engine, tmp_path):
    inbox = tmp_path / "drop"
    inbox.mkdir()
    (inbox / "stock_57.csv").write_text(
        "รหัสผลิตภัณฑ์,จังหวัด,อำเภอ,จำนวนคงเหลือ,วันที่ตรวจนับ\n"
        "P1,เชียงราย,พาน,12,31/1/2567\n"
        "P2,เชียงราย,อ.แม่จัน,๗,31/1/2567\n"
        "P3,เชียงราย,พาน,สิบ,31/1/2567\n"
        "P4,เชียงใหม่,สันทราย,3,31/1/2567\n",
        encoding="utf-8",
    )
    catalog = (*CATALOG, STOCK)
    scan = FileInbox(inbox, RawLandingStore(tmp_path / "raw"), catalog).scan()
    [extract] = scan.extracts
    assert extract.dataset == "stock"
    typed, issues = STOCK.type_rows(extract.table)
    validator = Validator(gx_context(), load_severities(), "run-stock")
    params = SuiteParameters(("57",), date(2024, 2, 15))
    validation = validate_dataset(validator, STOCK, extract.table, typed, issues, params)
    assert list(validation.quarantine["reasons"]) == [
        "line 4, column จำนวนคงเหลือ: cannot read 'สิบ' as a whole number",
        "stock.district_in_province: อำเภอ is not a district of province 57",
    ]
    with engine.begin() as connection:
        _stock_migration(connection)
        counts = load_rows(
            connection, STOCK, validation.clean.assign(raw_sha256="0" * 64), "run-stock"
        )
    assert counts.inserted == 2
    with engine.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT product_code, district_code, units, source_line, run_id "
                "FROM product_stock ORDER BY 1"
            )
        ).all()
    assert [tuple(r) for r in rows] == [
        ("P1", "5705", 12, 2, "run-stock"),
        ("P2", "5707", 7, 3, "run-stock"),
    ]


def test_form_headers_are_configuration(tmp_path):
    catalog = configure({"form_responses": {"month": "รายงานประจำเดือน"}})
    inbox = tmp_path / "form"
    inbox.mkdir()
    (inbox / "Shop report (Responses) - Form Responses 1.csv").write_text(
        "ประทับเวลา,จังหวัด,อำเภอ,รายงานประจำเดือน,"
        "จำนวนผู้ผลิต ผู้ประกอบการ OTOP ที่ลงทะเบียน Shop ชุมชน,"
        "จำนวนศูนย์จำหน่ายที่ลงทะเบียน Shop ชุมชน\n"
        "14/2/2567 9:30:00,เชียงราย,พาน,มกราคม 2567,5,1\n",
        encoding="utf-8",
    )
    [extract] = FileInbox(inbox, RawLandingStore(tmp_path / "raw"), catalog).scan().extracts
    rows, issues = dataset("form_responses", catalog).type_rows(extract.table)
    assert issues == []
    assert rows.iloc[0]["month"] == date(2024, 1, 1)
    assert str(rows.iloc[0]["submitted_at"]) == "2024-02-14 09:30:00"
    assert (rows.iloc[0]["producers"], rows.iloc[0]["centres"]) == (5, 1)


def test_configuring_an_unknown_dataset_or_column_is_named():
    with pytest.raises(UnknownDatasetError) as caught:
        configure({"stock": {"units": "x"}})
    assert str(caught.value) == (
        "no dataset 'stock'; the datasets are baseline, products, shops, form_responses, sales, summary"
    )
    with pytest.raises(FormatConfigError) as caught:
        configure(aliases={"form_responses": {"amount": {"x": "y"}}})
    assert str(caught.value) == (
        "form_responses: no column(s) amount; use submitted_at, province, district, month, "
        "producers, centres"
    )


def test_value_aliases_map_an_unfamiliar_kind_to_a_known_one():
    shops = dataset(
        "shops", configure(aliases={"shops": {"shop_type": {"ร้านผู้ผลิต": "ผู้ผลิต ผู้ประกอบการ OTOP"}}})
    )
    table = pd.DataFrame(
        [["S1", "ร้าน ก", "ร้านผู้ผลิต", "P1", "เชียงราย", "พาน", "1/2/2567"]],
        columns=shops.canonical_columns,
    )
    rows, issues = shops.type_rows(table)
    assert issues == []
    assert list(rows["shop_type"]) == ["ผู้ผลิต ผู้ประกอบการ OTOP"]
    unmapped, _ = dataset("shops").type_rows(table)
    assert list(unmapped["shop_type"]) == ["ร้านผู้ผลิต"]
