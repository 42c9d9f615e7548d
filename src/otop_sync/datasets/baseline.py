"""The province's baseline sheet (its Q1 report): per district, the Q1 Digital Wallet interest
count, which holds for the whole fiscal year, and optionally published base-year sales."""

from __future__ import annotations

from decimal import Decimal

from otop_sync.datasets.base import DatasetSpec, Endpoint, LoadTarget
from otop_sync.datasets.checks import EveryDistrict, InProvince, RowsPresent
from otop_sync.transforms import cells
from otop_sync.transforms.cells import CellType
from otop_sync.transforms.formats import Column
from otop_sync.transforms.thai import ThaiParseError, parse_amount


def _base_sales(value: str, _row: cells.Row) -> Decimal:
    base = parse_amount(value)
    if base < 0:
        raise ThaiParseError(value, "base-year sales", "negative")
    return base


BASELINE_KEY = ("fiscal_year", "quarter", "district_code")

BASELINE = DatasetSpec(
    name="baseline",
    file_words=("baseline",),
    columns=(
        Column("ปีงบประมาณ", "fiscal_year", cells.fiscal_year),
        Column("ไตรมาส", "quarter", cells.quarter),
        Column("จังหวัด", "province", cells.province, typed_name="province_code"),
        Column("อำเภอ", "district", cells.district, typed_name="district_code"),
        Column(
            "ฐานเดิมปีฐาน (บาท)",
            "base_sales",
            CellType(_base_sales),
            may_be_absent=True,
            may_be_blank=True,
        ),
        Column(
            "จำนวนผู้สนใจ Digital Wallet ไตรมาส 1", "interested_q1", cells.count, may_be_blank=True
        ),
    ),
    checks=(
        RowsPresent(),
        InProvince(),
        EveryDistrict("covers_every_district", "the baseline lists every district of the province"),
    ),
    target=LoadTarget(
        table="kpi_baseline",
        key=BASELINE_KEY,
        columns=(*BASELINE_KEY, "base_sales", "interested_q1"),
    ),
    endpoint=Endpoint(
        system="sheets", export_path="/sheets/baseline.csv", url_setting="baseline_url"
    ),
    extract_order=0,
)
