"""Grades and late districts as terminal tables."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

import pandas as pd
from rich.table import Table

from otop_sync.transforms.deadlines import LATE, MISSING, SALES, SHOP_REPORT
from otop_sync.transforms.fiscal import Quarter
from otop_sync.transforms.grades import GradeRow
from otop_sync.transforms.thai import format_be_date, format_be_long_date, format_be_month


def grades_table(grades: Sequence[GradeRow], title: str) -> Table:
    """Grades with what each district still misses, for the terminal."""
    table = Table(title=title)
    for header in (
        "รหัส",
        "อำเภอ",
        "ระดับ",
        "สถานะ",
        "ผลิตภัณฑ์+",
        "ยอดจำหน่าย",
        "เป้าหมาย",
        "Shop",
        "หน่วย Shop",
        "ไม่ผ่าน",
        "ยังขาด (ระดับถัดไป)",
        "หมายเหตุ",
        "กักไว้",
    ):
        table.add_column(
            header,
            justify="right" if header in {"ผลิตภัณฑ์+", "ยอดจำหน่าย", "เป้าหมาย", "Shop"} else "left",
        )
    for g in grades:
        table.add_row(
            g.district_code,
            g.district_name_th,
            g.grade or "-",
            g.status,
            g.actual_text("products"),
            g.actual_text("sales"),
            g.target_text("sales"),
            g.actual_text("shops"),
            g.units_text() or "-",
            g.failed_criteria or "-",
            g.missing_text() or (g.next_grade or "-"),
            g.reasons or "-",
            g.quarantined_text() or "-",
        )
    return table


def quarter_tables(grades: Sequence[GradeRow]) -> list[Table]:
    """Grades as one table per quarter, newest quarter first, each titled with its quarter
    and the day its figures are as of (``ข้อมูล ณ วันที่ 15 กรกฎาคม 2567``)."""
    by_quarter: dict[Quarter, list[GradeRow]] = {}
    for grade in grades:
        by_quarter.setdefault(grade.quarter, []).append(grade)
    return [
        grades_table(
            rows,
            f"ผลการประเมิน {quarter} ข้อมูล ณ วันที่ {format_be_long_date(max(g.as_of for g in rows))}",
        )
        for quarter, rows in sorted(by_quarter.items(), reverse=True)
    ]


REPORT_CHANNEL_NOT_CONFIGURED = (
    "the Shop ชุมชน report channel is not configured: "
    "set OTOP_FORM_RESPONSES_URL or drop the form's responses in the inbox"
)
"""Said instead of judging Shop ชุมชน reports when no form response was ever loaded."""

LATE_HEADERS: dict[str, str] = {
    "district_code": "รหัส",
    "district": "อำเภอ",
    "what": "เรื่อง",
    "month": "เดือน",
    "due": "กำหนด",
    "status": "สถานะ",
    "reported": "รายงาน ผู้ผลิต/ศูนย์",
    "click": "Click ชุมชน ผู้ผลิต/ศูนย์",
}
"""The late rows' fields and their Thai headers, in table order."""

_WHAT = {SALES: "ยอดจำหน่าย", SHOP_REPORT: "รายงาน Shop ชุมชน"}
_MISSING = {SALES: "ยังไม่บันทึก", SHOP_REPORT: "ยังไม่รายงาน"}
_LATE = {SALES: "บันทึกล่าช้า", SHOP_REPORT: "รายงานล่าช้า"}
_DIFFERS = "ไม่ตรงกับ Click ชุมชน"


def _status(row: Any) -> str:
    if row.status == MISSING:
        return _MISSING[row.what]
    parts = [f"{_LATE[row.what]} {format_be_date(row.on)}"] if row.status == LATE else []
    return ", ".join([*parts, _DIFFERS] if row.differs else parts)


def _units(producers: int | None, centres: int | None) -> str:
    return "" if producers is None else f"{producers}/{centres}"


def late_rows(late: pd.DataFrame) -> list[dict[str, str]]:
    """Late rows as text (months and dates in BE), the same for the terminal and artifacts."""
    return [
        {
            "district_code": row.district_code,
            "district": row.district_name_th,
            "what": _WHAT[row.what],
            "month": format_be_month(row.month),
            "due": format_be_date(row.due),
            "status": _status(row),
            "reported": _units(row.producers, row.centres),
            "click": _units(row.click_producers, row.click_centres),
        }
        for row in late.itertuples()
    ]


def late_table(rows: Sequence[dict[str, str]], day: date) -> Table:
    """Late rows (:func:`late_rows`) for the terminal."""
    table = Table(title=f"อำเภอที่ยังไม่รายงานหรือรายงานล่าช้า ณ {format_be_date(day)}")
    for header in LATE_HEADERS.values():
        table.add_column(header)
    for row in rows:
        table.add_row(*(row[key] for key in LATE_HEADERS))
    return table
