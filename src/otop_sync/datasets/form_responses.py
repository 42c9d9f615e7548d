"""The letter's monthly Shop ชุมชน report channel: the Google Form's responses, exported from
its linked sheet as CSV. Each response says which district reported which month, when, and the
units it counted. The headers are the Form's question titles, so they are configuration
(``OTOP_FORM_HEADERS``); the defaults below are the province's form."""

from __future__ import annotations

import re
from datetime import datetime

from otop_sync.datasets.base import DatasetSpec, Endpoint, LoadTarget
from otop_sync.datasets.checks import InProvince, Unique, date_in_range
from otop_sync.transforms import cells
from otop_sync.transforms.cells import CellType
from otop_sync.transforms.formats import Column
from otop_sync.transforms.thai import (
    MIN_BE_YEAR,
    ThaiParseError,
    be_to_ce,
    to_arabic_digits,
)

_TIMESTAMP = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4}),?\s+(\d{1,2}):(\d{2})(?::(\d{2}))?", re.ASCII)


def _submitted_at(value: str, _row: cells.Row) -> datetime:
    """A Google Sheets timestamp ``d/m/yyyy H:MM:SS`` (the sheet's locale may write the year
    BE or CE; a year from 2400 on is BE), Asia/Bangkok local time."""
    match = _TIMESTAMP.fullmatch(to_arabic_digits(str(value)).strip())
    if match is None:
        raise ThaiParseError(value, "a timestamp d/m/yyyy H:MM:SS")
    day, month, year, hour, minute, second = (int(g or 0) for g in match.groups())
    if year >= MIN_BE_YEAR:
        year = be_to_ce(year)
    try:
        return datetime(year, month, day, hour, minute, second)
    except ValueError as error:
        raise ThaiParseError(value, "a timestamp d/m/yyyy H:MM:SS", str(error)) from None


FORM_KEY = ("district_code", "month", "submitted_at")

FORM_RESPONSES = DatasetSpec(
    name="form_responses",
    file_words=("responses",),
    columns=(
        Column("ประทับเวลา", "submitted_at", CellType(_submitted_at)),
        Column("จังหวัด", "province", cells.province, typed_name="province_code"),
        Column("อำเภอ", "district", cells.district, typed_name="district_code"),
        Column("เดือนที่รายงาน", "month", cells.be_month),
        Column("จำนวนผู้ผลิต ผู้ประกอบการ OTOP ที่ลงทะเบียน Shop ชุมชน", "producers", cells.count),
        Column("จำนวนศูนย์จำหน่ายที่ลงทะเบียน Shop ชุมชน", "centres", cells.count),
    ),
    checks=(
        Unique(
            "response_unique",
            "the same {district}, {month} and {submitted_at} appear more than once",
            columns=FORM_KEY,
        ),
        InProvince(),
        date_in_range("month"),
    ),
    target=LoadTarget(
        table="shop_report_response",
        key=FORM_KEY,
        columns=(*FORM_KEY, "province_code", "producers", "centres"),
    ),
    endpoint=Endpoint(
        system="forms",
        export_path="/forms/shop-report.csv",
        url_setting="form_responses_url",
        required=False,
    ),
    extract_order=2,
)
