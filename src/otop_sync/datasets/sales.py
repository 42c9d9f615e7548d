"""The CDD central data system's monthly OTOP sales: one row per producer (or district entry)
and month, with the day it was recorded. A later recording of the same key is a correction."""

from __future__ import annotations

from decimal import Decimal

from otop_sync.datasets.base import DatasetSpec, Endpoint, LoadTarget, Totals
from otop_sync.datasets.checks import (
    Between,
    DueMonthsNotCut,
    EveryDueMonth,
    InProvince,
    MatchesSummary,
    NotBefore,
    RowsPresent,
    Unique,
    date_in_range,
)
from otop_sync.transforms import cells
from otop_sync.transforms.deltas import SALES_KEY
from otop_sync.transforms.formats import Column

SALES = DatasetSpec(
    name="sales",
    file_words=("sales",),
    columns=(
        Column("จังหวัด", "province", cells.province, typed_name="province_code"),
        Column("อำเภอ", "district", cells.district, typed_name="district_code"),
        Column("รหัสผู้ผลิต", "producer_code", cells.text, may_be_blank=True, blank_value=""),
        Column("เดือน", "month", cells.be_month),
        Column("ยอดจำหน่าย (บาท)", "amount", cells.amount),
        Column("วันที่บันทึก", "recorded_on", cells.be_date),
    ),
    checks=(
        RowsPresent(),
        Unique(
            "key_unique",
            "the same {producer_code}, {month} and {recorded_on} appear more than once in the "
            "district",
            columns=(*SALES_KEY, "recorded_on"),
        ),
        InProvince(),
        date_in_range("month"),
        date_in_range("recorded_on"),
        NotBefore(
            "recorded_after_month_began",
            "{recorded_on} is before the {month} it reports",
            column="recorded_on",
            other="month",
        ),
        Between("amount_not_negative", "{amount} is negative", column="amount", minimum=Decimal(0)),
        Between(
            "amount_below_ceiling",
            "{amount} is above {amount_ceiling} baht, the plausibility limit (OTOP_AMOUNT_CEILING)",
            column="amount",
            maximum_setting="amount_ceiling",
        ),
        EveryDueMonth(
            "months_complete",
            "every district has sales for every month already due (by the 18th)",
            severity="warning",
        ),
        DueMonthsNotCut(
            "export_not_cut",
            "no month already due is missing for more than {max_missing_share} of a province's "
            "districts at once (the export looks cut short, not late)",
        ),
        MatchesSummary(
            "reconciles_with_summary",
            "sales per district and month equal the central system's summary report",
        ),
    ),
    target=LoadTarget(
        table="monthly_sales",
        key=SALES_KEY,
        columns=(*SALES_KEY, "province_code", "amount", "recorded_on"),
        corrections=True,
        history_table="monthly_sales_history",
        identity="producer_code",
        totals=Totals(
            table="monthly_sales_total", by=("district_code", "month"), carried=("province_code",)
        ),
    ),
    endpoint=Endpoint(
        system="otop",
        export_path="/otop/export/sales.csv",
        url_setting="sales_url",
        login_path="/otop/login",
        listing_path="/otop/sales",
    ),
    extract_order=3,
)
