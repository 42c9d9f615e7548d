"""The province's quarter report in the letter's Thai layout, plus what each district achieved:
one row per district, the province total row, as CSV, Markdown, XLSX (for printing) and HTML
(with charts of sales against target and of the grade distribution)."""

from __future__ import annotations

import csv
import html
import io
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from sqlalchemy import Connection

from otop_sync.errors import OtopSyncError
from otop_sync.transforms.criteria import LEVELS
from otop_sync.transforms.fiscal import Quarter
from otop_sync.transforms.grades import GradeRow
from otop_sync.transforms.thai import THAI_MONTHS, ce_to_be
from otop_sync.warehouse import queries

FORMATS = ("xlsx", "csv", "md", "html")
GRADES = [*reversed(LEVELS), None]
"""Grades from best to none, as the total row and the chart count them."""
BAHT = {"base_sales", "sales_target", "sales"}
ACTUAL_COLUMNS = {"products_added": "products", "sales": "sales", "shops_registered": "shops"}
"""The letter's achievement columns and the criteria they show the actual of."""


class ReportError(OtopSyncError, ValueError):
    """Nothing to report for the quarter asked."""


@dataclass
class QuarterReport:
    """The rows and labels of one province's quarter report."""

    quarter: Quarter
    province_name: str
    rows: pd.DataFrame
    """Districts then the total row, columns as in :attr:`columns`."""
    labels: dict[str, str]

    @property
    def columns(self) -> list[str]:
        """Column keys in report order."""
        return list(self.labels)

    @property
    def title(self) -> str:
        """The report's title line."""
        first, last = self.quarter.months[0], self.quarter.months[-1]
        return (
            f"เป้าหมายและผลการดำเนินงาน OTOP ไตรมาส {self.quarter.number} "
            f"ปีงบประมาณ {self.quarter.fiscal_year} ({THAI_MONTHS[first.month - 1]} - "
            f"{THAI_MONTHS[last.month - 1]} {ce_to_be(last.year)}) จังหวัด{self.province_name}"
        )


def _number(value: object) -> str:
    """A percentage as the letter prints it: 2, 25, 7.5 (no trailing zeros); ``-`` when the
    year's rules do not grade the criterion."""
    return "-" if value is None else format(Decimal(str(value)).normalize(), "f")


def _labels(quarter: Quarter, rule: dict) -> dict[str, str]:
    base = quarter.same_quarter_of(rule["base_year"])
    months = f"{THAI_MONTHS[base.months[0].month - 1]} - {THAI_MONTHS[base.months[-1].month - 1]}"
    pct = {level: _number(rule[f"percent_{level}"]) for level in "dcba"}
    return {
        "order": "ที่",
        "district_code": "รหัส",
        "district_name_th": "อำเภอ",
        "products_target": "เป้าหมาย (ผลิตภัณฑ์)",
        "base_sales": f"ฐานเดิมปี {rule['base_year'] % 100} ({months} {rule['base_year'] % 100})",
        "sales_target": f"เป้าหมายร้อยละ {_number(rule['sales_growth_percent'])}",
        "interested_q1": "จำนวนผู้ผลิต ผู้ประกอบการ OTOP",
        "threshold_d": f"ระดับ D ร้อยละ {pct['d']}",
        "threshold_c": f"ระดับ C ร้อยละ {pct['c']}",
        "threshold_b": f"ระดับ B ร้อยละ {pct['b']}",
        "threshold_a": f"ระดับ A ร้อยละ {pct['a']}",
        "products_added": "ผลิตภัณฑ์ที่เพิ่มขึ้น",
        "sales": "ยอดจำหน่าย",
        "shops_registered": "ลงทะเบียน Shop ชุมชน",
        "shop_units": "หน่วย Shop ชุมชน (ผู้ผลิต, ศูนย์จำหน่าย)",
        "grade": "ระดับที่ได้",
        "status": "สถานะ",
        "missing": "ยังขาด (เพื่อระดับถัดไป)",
        "reasons": "หมายเหตุ",
        "quarantined_rows": "แถวที่กักไว้ (quarantine)",
        "quarantine_reasons": "เหตุที่กักไว้",
        "with_quarantined": "ผลหากรวมแถวที่กักไว้",
    }


def build_report(connection: Connection, quarter: Quarter, province_code: str) -> QuarterReport:
    """Read a quarter's targets and grades of a province from the warehouse."""
    targets = queries.quarter_targets(connection, quarter, province_code)
    grades = {g.district_code: g for g in queries.grade_rows(connection, quarter, province_code)}
    total = queries.province_target(connection, quarter, province_code)
    rule = queries.rule(connection, quarter.fiscal_year)
    graded = [target for target in targets if target["district_code"] in grades]
    if not graded or total is None or rule is None:
        raise ReportError(f"no grades for province {province_code} in {quarter}: run a sync first")
    records = []
    for order, target in enumerate(graded, start=1):
        grade = grades[target["district_code"]]
        records.append(
            {
                **target,
                "order": order,
                **{column: _actual(grade, name) for column, name in ACTUAL_COLUMNS.items()},
                "grade": grade.grade,
                "status": grade.status,
                "missing": grade.missing_text(),
                "shop_units": grade.units_text(),
                "reasons": grade.reasons,
                "quarantined_rows": grade.quarantined.rows if grade.quarantined else 0,
                "quarantine_reasons": grade.quarantine_reasons_text(),
                "with_quarantined": grade.with_quarantined_text(),
            }
        )
    frame = pd.DataFrame(records)
    total_row = {
        **{k: total[k] for k in ("products_target", "base_sales", "sales_target", "interested_q1")},
        **{f"threshold_{lv}": total[f"threshold_{lv}"] for lv in "dcba"},
        "order": "",
        "district_code": province_code,
        "district_name_th": "รวม",
        **{column: _total(frame[column]) for column in ACTUAL_COLUMNS},
        "grade": " ".join(
            f"{g or 'ไม่ได้'}={int((frame['grade'].fillna('-') == (g or '-')).sum())}" for g in GRADES
        ),
        "status": frame["status"].iloc[0],
        "missing": "",
        "shop_units": "",
        "reasons": "",
        "quarantined_rows": int(frame["quarantined_rows"].sum()),
        "quarantine_reasons": "",
        "with_quarantined": "",
    }
    labels = _labels(quarter, rule)
    frame = pd.concat([frame, pd.DataFrame([total_row])], ignore_index=True)[list(labels)]
    return QuarterReport(
        quarter, str(total["name_th"]).removeprefix("รวม (จังหวัด").rstrip(")"), frame, labels
    )


def _total(actuals: pd.Series) -> int | Decimal | None:
    """The province's actual: the districts' added up (None if the criterion is not graded)."""
    values = [v for v in actuals.tolist() if v is not None and not pd.isna(v)]
    return sum(values[1:], values[0]) if values else None


def _actual(grade: GradeRow, criterion: str) -> int | Decimal | None:
    result = grade.criterion(criterion)
    return None if result is None else result.actual


def _text(column: str, value: object) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    if column in BAHT:
        return f"{Decimal(str(value)):.2f}"
    return str(value)


def to_csv(report: QuarterReport) -> bytes:
    """CSV with Thai headers, UTF-8 with BOM (so Excel reads the Thai), baht as plain numbers."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(report.labels.values())
    for row in report.rows.to_dict("records"):
        writer.writerow([_text(c, row[c]) for c in report.columns])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def _display(column: str, value: object) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return "-" if column == "grade" else ""
    if column in BAHT:
        return f"{Decimal(str(value)):,.2f}"
    return str(value)


def to_markdown(report: QuarterReport) -> str:
    """A Markdown table under the report's title."""
    lines = [f"# {report.title}", "", "| " + " | ".join(report.labels.values()) + " |"]
    lines.append("|" + "|".join("---:" if c in BAHT else "---" for c in report.columns) + "|")
    for row in report.rows.to_dict("records"):
        lines.append(
            "| " + " | ".join(_display(c, row[c]).replace("|", "/") for c in report.columns) + " |"
        )
    return "\n".join(lines) + "\n"


def to_xlsx(report: QuarterReport) -> bytes:
    """A workbook formatted for printing: title, Thai headers, number formats, frozen header,
    landscape A4 fitted to one page wide."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = f"{report.quarter}"
    width = len(report.columns)
    sheet.append([report.title])
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=width)
    sheet["A1"].font = Font(bold=True, size=14)
    sheet.append(list(report.labels.values()))
    thin = Side(style="thin", color="999999")
    for cell in sheet[2]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="center", horizontal="center")
        cell.fill = PatternFill("solid", fgColor="DDEBF7")
        cell.border = Border(top=thin, bottom=thin, left=thin, right=thin)
    for row in report.rows.to_dict("records"):
        values = []
        for column in report.columns:
            value = row[column]
            if value is None or (isinstance(value, float) and pd.isna(value)):
                value = "-" if column == "grade" else None
            elif column in BAHT:
                value = Decimal(str(value))
            values.append(value)
        sheet.append(values)
    for index, column in enumerate(report.columns, start=1):
        letter = get_column_letter(index)
        for cell in sheet[letter][2:]:
            cell.border = Border(top=thin, bottom=thin, left=thin, right=thin)
            if column in BAHT:
                cell.number_format = "#,##0.00"
        sheet.column_dimensions[letter].width = {
            "district_name_th": 18,
            "missing": 40,
            "shop_units": 20,
            "reasons": 40,
            "quarantine_reasons": 40,
            "with_quarantined": 30,
        }.get(column, 16 if column in BAHT else 10)
    for cell in sheet[sheet.max_row]:
        cell.font = Font(bold=True)
    sheet.row_dimensions[2].height = 48
    sheet.freeze_panes = "D3"
    sheet.print_title_rows = "2:2"
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


GRADE_COLOURS = {"A": "#1a9850", "B": "#91cf60", "C": "#fee08b", "D": "#fc8d59", None: "#bdbdbd"}


def _svg(width: int, height: int, label: str, parts: list[str]) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'role="img" aria-label="{label}">{"".join(parts)}</svg>'
    )


def _grade_of(value: object) -> str | None:
    return value if isinstance(value, str) and len(value) == 1 else None


def _percent(sales: Decimal, target: Decimal) -> str:
    """Sales as a share of target; never shows 100.0 % for a district short of its target."""
    if not target:
        return "-"
    text = f"{float(sales / target):.1%}"
    return "<100%" if sales < target and text == "100.0%" else text


def _sales_chart(rows: pd.DataFrame) -> str:
    """Horizontal bars: each district's sales as a share of its target, the target at 100 %
    (a line), as inline SVG; districts of very different sizes stay comparable."""
    districts = rows.iloc[:-1].to_dict("records")
    ceiling = 1.3  # the axis ends at 130 % of target
    bar, left, span = 22, 150, 520
    target_x = left + span / ceiling
    parts = [
        f'<line x1="{target_x:.1f}" x2="{target_x:.1f}" y1="10" y2="{bar * len(districts) + 26}" '
        'stroke="#333" stroke-width="2"/>',
        f'<text x="{target_x:.1f}" y="{bar * len(districts) + 38}" text-anchor="middle" '
        'font-size="12">เป้าหมาย 100%</text>',
    ]
    for i, row in enumerate(districts):
        y = 16 + i * bar
        name = html.escape(row["district_name_th"])
        sales, target = (Decimal(str(row[c] or 0)) for c in ("sales", "sales_target"))
        ratio = float(sales / target) if target else 0.0
        length = min(ratio, ceiling) / ceiling * span
        colour = GRADE_COLOURS[_grade_of(row["grade"])]
        parts += [
            f'<text x="{left - 6}" y="{y + 15}" text-anchor="end" font-size="13">{name}</text>',
            f'<rect x="{left}" y="{y + 3}" width="{length:.1f}" height="{bar - 6}" '
            f'fill="{colour}"><title>{name}: {sales:,.2f} / {target:,.2f} บาท</title></rect>',
            f'<text x="{left + length + 6:.1f}" y="{y + 15}" font-size="12">'
            f"{html.escape(_percent(sales, target))}</text>",
        ]
    return _svg(left + span + 80, bar * len(districts) + 48, "ยอดจำหน่ายเทียบเป้าหมาย", parts)


def _grade_chart(rows: pd.DataFrame) -> str:
    """Columns: how many districts got each grade, as inline SVG."""
    grades = [_grade_of(g) for g in rows.iloc[:-1]["grade"]]
    counts = [(g, grades.count(g)) for g in GRADES]
    most = max(c for _, c in counts) or 1
    parts = []
    for i, (grade, count) in enumerate(counts):
        x, height = 30 + i * 65, 150 * count / most
        middle = f'x="{x + 22}" text-anchor="middle" font-size="14"'
        parts += [
            f'<rect x="{x}" y="{170 - height:.1f}" width="45" height="{height:.1f}" '
            f'fill="{GRADE_COLOURS[grade]}"/>',
            f'<text {middle} y="{165 - height:.1f}">{count}</text>',
            f'<text {middle} y="192">{grade or "ไม่ได้"}</text>',
        ]
    return _svg(360, 220, "จำนวนอำเภอตามระดับ", parts)


STYLE = """
body { font-family: "Sarabun", "TH Sarabun New", "Noto Sans Thai", Tahoma, sans-serif;
       margin: 24px; color: #222; }
h1 { font-size: 20px; } h2 { font-size: 16px; margin-top: 28px; }
.charts { display: flex; flex-wrap: wrap; gap: 32px; align-items: flex-start; }
table { border-collapse: collapse; font-size: 13px; margin-top: 12px; }
th, td { border: 1px solid #bbb; padding: 4px 6px; }
th { background: #ddebf7; } td.num { text-align: right; }
td.grade { text-align: center; font-weight: bold; }
tr.total td { font-weight: bold; background: #f2f2f2; }
.legend span { display: inline-block; padding: 2px 8px; margin-right: 6px; }
"""
NUMERIC = ("threshold", "products", "interested", "shops", "quarantined_rows")


def _cell(column: str, value: object, total: bool) -> str:
    classes = "num" if column in BAHT or column.startswith(NUMERIC) else ""
    style = ""
    if column == "grade":
        classes = "grade"
        if not total:
            style = f' style="background:{GRADE_COLOURS[_grade_of(value)]}"'
    return f'<td class="{classes}"{style}>{html.escape(_display(column, value))}</td>'


def to_html(report: QuarterReport) -> str:
    """A standalone page: the charts first, then the table (no scripts, no network)."""
    head = "".join(f"<th>{html.escape(label)}</th>" for label in report.labels.values())
    body = []
    for row in report.rows.to_dict("records"):
        total = row["order"] == ""
        cells = "".join(_cell(c, row[c], total) for c in report.columns)
        body.append(f'<tr class="{"total" if total else ""}">{cells}</tr>')
    legend = "".join(
        f'<span style="background:{colour}">{grade or "ไม่ได้ระดับ"}</span>'
        for grade, colour in GRADE_COLOURS.items()
    )
    title = html.escape(report.title)
    return (
        f'<!DOCTYPE html>\n<html lang="th"><head><meta charset="utf-8"><title>{title}</title>'
        f"<style>{STYLE}</style></head><body><h1>{title}</h1>"
        f'<div class="legend">{legend} แถบ = ยอดจำหน่ายเป็นร้อยละของเป้าหมาย</div>'
        f'<div class="charts"><div><h2>ยอดจำหน่ายเทียบเป้าหมายรายอำเภอ (ร้อยละ)</h2>'
        f"{_sales_chart(report.rows)}</div><div><h2>จำนวนอำเภอตามระดับ</h2>"
        f"{_grade_chart(report.rows)}</div></div><h2>ตารางเป้าหมายและผล</h2>"
        f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"
        "</body></html>\n"
    )


def render(report: QuarterReport, file_format: str) -> bytes:
    """The report in one of :data:`FORMATS`."""
    if file_format == "xlsx":
        return to_xlsx(report)
    if file_format == "csv":
        return to_csv(report)
    if file_format == "md":
        return to_markdown(report).encode("utf-8")
    if file_format == "html":
        return to_html(report).encode("utf-8")
    raise ReportError(f"unknown report format {file_format!r}; use one of {', '.join(FORMATS)}")


def write_reports(
    report: QuarterReport, folder: Path, formats: tuple[str, ...] = FORMATS
) -> list[Path]:
    """Write the report in every format into a folder; returns the files."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for file_format in formats:
        path = (
            folder / f"otop_{report.rows['district_code'].iloc[-1]}_{report.quarter}.{file_format}"
        )
        path.write_bytes(render(report, file_format))
        paths.append(path)
    return paths
