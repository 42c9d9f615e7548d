"""The letter's enclosure 3, "แบบรายงานข้อมูลผู้ผลิต ผู้ประกอบการ OTOP ที่ลงทะเบียนฯ": the OTOP
producers of a province listed in OTOP Big Data as of a day, counted per district (with the
province total row) and listed one by one, as XLSX (two sheets, for printing) or CSV (the
per-district counts, UTF-8 with BOM)."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from sqlalchemy import Connection

from otop_sync.datasets.products import PRODUCER_TYPES
from otop_sync.reports.explanation import print_a4_landscape
from otop_sync.reports.quarter import XLSX_FONT, ReportError
from otop_sync.transforms.registrants import listed_producers, producers_by_district
from otop_sync.transforms.thai import format_be_date, format_be_long_date
from otop_sync.warehouse import queries

FORMATS = ("xlsx", "csv")
LIST_HEADERS = {
    "order": "ที่",
    "district_name_th": "อำเภอ",
    "subdistrict": "ตำบล",
    "producer_code": "รหัสผู้ผลิต",
    "producer_name": "ชื่อผู้ผลิต ผู้ประกอบการ OTOP",
    "producer_type": "ประเภทผู้ผลิต",
    "products": "ผลิตภัณฑ์ที่ลงทะเบียน",
    "first_registered_on": "ลงทะเบียนครั้งแรก",
    "in_shop": "ลงทะเบียน Shop ชุมชน",
}
"""The producer list's columns and their Thai headers."""


@dataclass
class RegistrantReport:
    """A province's listed producers on a day: per district and one by one."""

    province_code: str
    province_name: str
    as_of: date
    by_district: pd.DataFrame
    """:func:`otop_sync.transforms.registrants.producers_by_district`'s table."""
    producers: pd.DataFrame
    """:func:`otop_sync.transforms.registrants.listed_producers`' rows, with district names."""
    types: list[str]

    @property
    def title(self) -> str:
        """The enclosure's title, for the province."""
        return (
            "แบบรายงานข้อมูลผู้ผลิต ผู้ประกอบการ OTOP ที่ลงทะเบียนในระบบ OTOP Big Data "
            f"จังหวัด{self.province_name}"
        )

    @property
    def as_of_line(self) -> str:
        """``ข้อมูล ณ วันที่ 15 กรกฎาคม 2567``."""
        return f"ข้อมูล ณ วันที่ {format_be_long_date(self.as_of)}"

    def district_headers(self) -> dict[str, str]:
        """The per-district table's columns and their Thai headers."""
        return {
            "order": "ที่",
            "district_code": "รหัส",
            "district_name_th": "อำเภอ",
            "producers": "จำนวนผู้ผลิต ผู้ประกอบการ OTOP ที่ลงทะเบียน",
            **{f"type:{kind}": kind for kind in self.types},
            "products": "ผลิตภัณฑ์ที่ลงทะเบียน",
            "in_shop": "ลงทะเบียน Shop ชุมชน แล้ว",
        }


def build_registrant_report(
    connection: Connection, province_code: str, as_of: date
) -> RegistrantReport:
    """Read a province's producers and Shop ชุมชน registrations from the warehouse."""
    districts = queries.province_districts(connection, province_code)
    products = queries.producer_register(connection, province_code)
    if products.empty:
        raise ReportError(
            f"no OTOP Big Data products for province {province_code}: run a sync first"
        )
    listed = listed_producers(products, queries.shops(connection, [province_code]), as_of)
    seen = set(listed["producer_type"])
    types = [t for t in PRODUCER_TYPES if t in seen] + sorted(seen - set(PRODUCER_TYPES))
    names = dict(zip(districts["district_code"], districts["district_name_th"], strict=True))
    return RegistrantReport(
        province_code=province_code,
        province_name=str(districts["province_name_th"].iloc[0]),
        as_of=as_of,
        by_district=producers_by_district(listed, districts, types),
        producers=listed.assign(district_name_th=listed["district_code"].map(names)),
        types=types,
    )


def _district_rows(report: RegistrantReport) -> list[list[object]]:
    headers = report.district_headers()
    rows = []
    for order, record in enumerate(report.by_district.to_dict("records"), start=1):
        total = record["district_code"] == ""
        record["order"] = "" if total else order
        rows.append([record[c] for c in headers])
    return rows


def _producer_rows(report: RegistrantReport) -> list[list[object]]:
    rows = []
    for order, record in enumerate(report.producers.to_dict("records"), start=1):
        record["order"] = order
        record["first_registered_on"] = format_be_date(record["first_registered_on"])
        record["in_shop"] = "ลงทะเบียนแล้ว" if record["in_shop"] else "-"
        rows.append([record[c] for c in LIST_HEADERS])
    return rows


def registrants_csv(report: RegistrantReport) -> bytes:
    """The per-district counts with Thai headers, UTF-8 with BOM (so Excel reads the Thai)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(report.district_headers().values())
    writer.writerows(_district_rows(report))
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def _sheet(sheet, title: str, as_of_line: str, headers: list[str], rows: list[list[object]]):  # type: ignore[no-untyped-def]
    thin = Side(style="thin", color="808080")
    box = Border(top=thin, bottom=thin, left=thin, right=thin)
    sheet.append([title])
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(headers))
    sheet["A1"].font = Font(name=XLSX_FONT, bold=True, size=14)
    sheet["A1"].alignment = Alignment(horizontal="center")
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    for row in sheet.iter_rows(min_row=2, max_row=sheet.max_row):
        for cell in row:
            cell.border = box
            cell.font = Font(name=XLSX_FONT, bold=cell.row == 2)
            cell.alignment = Alignment(wrap_text=True, vertical="center")
    for cell in sheet[2]:
        cell.fill = PatternFill("solid", fgColor="DDEBF7")
        cell.alignment = Alignment(wrap_text=True, vertical="center", horizontal="center")
    for index, header in enumerate(headers, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = max(8, min(40, len(header)))
    sheet.append([])
    sheet.append([as_of_line])
    sheet.cell(row=sheet.max_row, column=1).font = Font(name=XLSX_FONT)
    sheet.row_dimensions[2].height = 48
    sheet.freeze_panes = "A3"
    sheet.print_title_rows = "2:2"
    print_a4_landscape(sheet)


def registrants_xlsx(report: RegistrantReport) -> bytes:
    """Two sheets formatted for printing: the counts per district (with the province total
    row), then every listed producer."""
    workbook = Workbook()
    counts = workbook.active
    counts.title = "รายอำเภอ"
    _sheet(
        counts,
        report.title,
        report.as_of_line,
        list(report.district_headers().values()),
        _district_rows(report),
    )
    for cell in counts[counts.max_row - 2]:
        cell.font = Font(name=XLSX_FONT, bold=True)  # the province total row
    _sheet(
        workbook.create_sheet("รายชื่อผู้ผลิต"),
        f"รายชื่อผู้ผลิต ผู้ประกอบการ OTOP ที่ลงทะเบียน จังหวัด{report.province_name}",
        report.as_of_line,
        list(LIST_HEADERS.values()),
        _producer_rows(report),
    )
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def render_registrants(report: RegistrantReport, file_format: str) -> bytes:
    """The report in one of :data:`FORMATS`."""
    if file_format == "xlsx":
        return registrants_xlsx(report)
    if file_format == "csv":
        return registrants_csv(report)
    raise ReportError(f"unknown format {file_format!r}; use one of {', '.join(FORMATS)}")
