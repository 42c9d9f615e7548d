"""Grades and late districts as terminal tables."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import pandas as pd
from rich.table import Table

from otop_sync.transforms.grades import GradeRow


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
        )
    return table


def late_table(late: pd.DataFrame, day: date) -> Table:
    """Districts late with sales or Shop reports, for the terminal."""
    table = Table(title=f"อำเภอที่ยังไม่รายงาน ณ {day}")
    for header in ("รหัส", "อำเภอ", "ขาด", "เดือน", "กำหนด"):
        table.add_column(header)
    for row in late.itertuples():
        what = "ยอดจำหน่าย" if row.what == "sales" else "Shop ชุมชน"
        table.add_row(
            row.district_code,
            row.district_name_th,
            what,
            row.month.isoformat(),
            row.due.isoformat(),
        )
    return table
