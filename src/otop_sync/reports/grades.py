"""Grades and late districts as terminal tables."""

from __future__ import annotations

from datetime import date

import pandas as pd
from rich.table import Table


def grades_table(grades: list[dict], title: str) -> Table:
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
        "ไม่ผ่าน",
        "ยังขาด (ระดับถัดไป)",
    ):
        table.add_column(
            header,
            justify="right" if header in {"ผลิตภัณฑ์+", "ยอดจำหน่าย", "เป้าหมาย", "Shop"} else "left",
        )
    for g in grades:
        missing = ", ".join(
            part
            for part in (
                f"ผลิตภัณฑ์ {g['missing_products']}" if g["missing_products"] else "",
                f"{g['missing_sales']} บาท" if g["missing_sales"] != "0.00" else "",
                f"Shop {g['missing_shops']}" if g["missing_shops"] else "",
            )
            if part
        )
        table.add_row(
            g["district_code"],
            g["district"],
            g["grade"],
            g["status"],
            str(g["products_added"]),
            g["sales"],
            g["sales_target"],
            str(g["shops"]),
            g["failed"],
            f"{g['next_grade']}: {missing}"
            if missing
            else ("-" if g["next_grade"] == "-" else g["next_grade"]),
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
