"""The province's quarter report in the letter's Thai layout, plus what each district achieved:
one row per district, the province total row, as CSV, Markdown, XLSX (for printing) and HTML
(with charts of sales against target and of the grade distribution).

XLSX and HTML follow the letter's table: its title, the grouped two-row header, the province
total row and "ข้อมูล ณ วันที่ …" (BE), with the status in Thai words; beside the letter's
columns come the actuals, the grade, what is missing and each district's explanation (a sheet
of the workbook, or a page next to the HTML report). Files are written through fsspec, to a
local folder or an S3-compatible bucket (:func:`write_reports`)."""

from __future__ import annotations

import csv
import html
import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

import fsspec
import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.hyperlink import Hyperlink
from sqlalchemy import Connection

from otop_sync.errors import OtopSyncError
from otop_sync.reports.explanation import (
    THAI_FONTS,
    explanation_page,
    print_a4_landscape,
    write_explanation_sheet,
)
from otop_sync.transforms.criteria import LEVELS
from otop_sync.transforms.fiscal import Quarter
from otop_sync.transforms.grades import STATUS_TH, GradeRow
from otop_sync.transforms.thai import THAI_MONTHS, ce_to_be, format_be_long_date
from otop_sync.warehouse import queries

FORMATS = ("xlsx", "csv", "md", "html")
GRADES = [*reversed(LEVELS), None]
"""Grades from best to none, as the total row and the chart count them."""
BAHT = {"base_sales", "sales_target", "sales"}
ACTUAL_COLUMNS = {"products_added": "products", "sales": "sales", "shops_registered": "shops"}
"""The letter's achievement columns and the criteria they show the actual of."""


class ReportError(OtopSyncError, ValueError):
    """Nothing to report for the quarter asked."""


LETTER_GROUPS: tuple[tuple[str | None, tuple[str, ...]], ...] = (
    (None, ("order", "district_code", "district_name_th")),
    ("จำนวนผลิตภัณฑ์ OTOP ที่เพิ่มขึ้น", ("products_target",)),
    ("ยอดจำหน่าย OTOP ที่เพิ่มขึ้น", ("base_sales", "sales_target")),
    (
        'ผู้ผลิต ผู้ประกอบการ OTOP ที่เข้าร่วมโครงการ Digital Wallet ลงทะเบียน "Shop ชุมชน" '
        'ในระบบ "Click ชุมชน"',
        ("interested_q1", "threshold_d", "threshold_c", "threshold_b", "threshold_a"),
    ),
    ("ผลการดำเนินงาน", ("products_added", "sales", "shops_registered", "shop_units")),
    (
        "ผลการประเมิน",
        (
            "grade",
            "status",
            "missing",
            "reasons",
            "quarantined_rows",
            "quarantine_reasons",
            "with_quarantined",
        ),
    ),
)
"""The letter's grouped header (a group over its columns; None: one column over both header
rows), then the actuals and the grade beside it."""
EXPLANATION = "คำอธิบาย"
"""The last column of the XLSX and HTML reports: a link to the district's explanation."""
XLSX_FONT = "Tahoma"
"""Ships with Windows and macOS (so with every Excel) and has Thai glyphs; LibreOffice
substitutes a metric-compatible font."""


@dataclass
class QuarterReport:
    """The rows and labels of one province's quarter report."""

    quarter: Quarter
    province_code: str
    province_name: str
    rows: pd.DataFrame
    """Districts then the total row, columns as in :attr:`columns`."""
    labels: dict[str, str]
    as_of: date
    """The day the figures are as of (the latest of the grades')."""
    grades: list[GradeRow] = field(default_factory=list)
    """The districts' grades, in row order: what each explanation is made from."""

    @property
    def columns(self) -> list[str]:
        """Column keys in report order."""
        return list(self.labels)

    @property
    def title(self) -> str:
        """The letter's title line, for this quarter."""
        first, last = self.quarter.months[0], self.quarter.months[-1]
        return (
            "เป้าหมายการดำเนินงานตามเกณฑ์การจัดระดับ ภารกิจสำคัญที่อธิบดีกรมการพัฒนาชุมชนเน้นย้ำ "
            f"ไตรมาส {self.quarter.number} (เดือน{THAI_MONTHS[first.month - 1]} - "
            f"{THAI_MONTHS[last.month - 1]} {ce_to_be(last.year)})"
        )

    @property
    def subtitle(self) -> str:
        """The letter's second title line, with the province and fiscal year."""
        return (
            f"ประเด็นที่ 8 โครงการหนึ่งตำบล หนึ่งผลิตภัณฑ์ (OTOP) จังหวัด{self.province_name} "
            f"ปีงบประมาณ {self.quarter.fiscal_year}"
        )

    @property
    def as_of_line(self) -> str:
        """The line under the letter's table: ``ข้อมูล ณ วันที่ 25 มกราคม 2567``."""
        return f"ข้อมูล ณ วันที่ {format_be_long_date(self.as_of)}"

    @property
    def stem(self) -> str:
        """The report files' name without suffix: ``otop_57_2567Q2``."""
        return f"otop_{self.province_code}_{self.quarter}"

    def header_groups(self) -> Iterator[tuple[str | None, list[str]]]:
        """:data:`LETTER_GROUPS` restricted to the report's columns, in order."""
        for group, columns in LETTER_GROUPS:
            present = [c for c in columns if c in self.labels]
            if present:
                yield group, present


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
        quarter=quarter,
        province_code=province_code,
        province_name=str(total["name_th"]).removeprefix("รวม (จังหวัด").rstrip(")"),
        rows=frame,
        labels=labels,
        as_of=max(grades[t["district_code"]].as_of for t in graded),
        grades=[grades[t["district_code"]] for t in graded],
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
    """A Markdown table under the report's title lines, the data-as-of line under it."""
    lines = [f"# {report.title}", "", report.subtitle, ""]
    lines.append("| " + " | ".join(report.labels.values()) + " |")
    lines.append("|" + "|".join("---:" if c in BAHT else "---" for c in report.columns) + "|")
    for row in report.rows.to_dict("records"):
        lines.append(
            "| "
            + " | ".join(
                _display(c, _shown(c, row[c]) if c == "status" else row[c]).replace("|", "/")
                for c in report.columns
            )
            + " |"
        )
    lines += ["", report.as_of_line]
    return "\n".join(lines) + "\n"


def _shown(column: str, value: object) -> object:
    """A cell's value as the XLSX and HTML reports show it: ``-`` for no grade, the status in
    Thai words, baht as ``Decimal``; None for an empty cell."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return "-" if column == "grade" else None
    if column == "status":
        return STATUS_TH.get(str(value), value)
    if column in BAHT:
        return Decimal(str(value))
    return value


def _explanation_sheet_name(grade: GradeRow) -> str:
    return grade.district_code


def summary_markdown(report: QuarterReport, locations: list[str]) -> str:
    """The report for a Prefect artifact: its title, the data-as-of line, how many districts
    got each grade, the table (:func:`to_markdown`) and where the files were written."""
    grades = [g.grade for g in report.grades]
    counts = ", ".join(f"{g or 'ไม่ได้ระดับ'} {grades.count(g)}" for g in GRADES)
    statuses = sorted({g.status_text() for g in report.grades})
    lines = [
        to_markdown(report).rstrip("\n"),
        "",
        f"สถานะ: {', '.join(statuses)}.",
        "",
        f"จำนวนอำเภอตามระดับ: {counts}.",
    ]
    if locations:
        lines += ["", "ไฟล์รายงาน:", *(f"- `{location}`" for location in locations)]
    return "\n".join(lines) + "\n"


def to_xlsx(report: QuarterReport) -> bytes:
    """A workbook formatted for printing on A4 landscape: the letter's title, its grouped
    two-row header, the rows, the total row and the data-as-of line; then one sheet per
    district explaining its grade, linked from the report's last column."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = f"{report.quarter}"
    columns = [*report.columns, EXPLANATION]
    width = len(columns)
    thin = Side(style="thin", color="808080")
    box = Border(top=thin, bottom=thin, left=thin, right=thin)
    for row, text in ((1, report.title), (2, report.subtitle)):
        sheet.cell(row=row, column=1, value=text).font = Font(name=XLSX_FONT, bold=True, size=14)
        sheet.merge_cells(start_row=row, start_column=1, end_row=row, end_column=width)
        sheet.cell(row=row, column=1).alignment = Alignment(horizontal="center")
    index = 1
    for group, group_columns in [*report.header_groups(), (None, [EXPLANATION])]:
        if group is not None:
            sheet.cell(row=3, column=index, value=group)
            if len(group_columns) > 1:
                sheet.merge_cells(
                    start_row=3,
                    start_column=index,
                    end_row=3,
                    end_column=index + len(group_columns) - 1,
                )
        for offset, column in enumerate(group_columns):
            label = report.labels.get(column, column)
            if group is None:
                sheet.cell(row=3, column=index + offset, value=label)
                sheet.merge_cells(
                    start_row=3, start_column=index + offset, end_row=4, end_column=index + offset
                )
            else:
                sheet.cell(row=4, column=index + offset, value=label)
        index += len(group_columns)
    for header_row in (3, 4):
        for cell in sheet[header_row][:width]:
            cell.font = Font(name=XLSX_FONT, bold=True)
            cell.alignment = Alignment(wrap_text=True, vertical="center", horizontal="center")
            cell.fill = PatternFill("solid", fgColor="DDEBF7")
            cell.border = box
    grades = {g.district_code: g for g in report.grades}
    for record in report.rows.to_dict("records"):
        sheet.append([_shown(c, record[c]) for c in report.columns])
        grade = grades.get(record["district_code"]) if record["order"] != "" else None
        if grade is not None:
            cell = sheet.cell(row=sheet.max_row, column=width, value=EXPLANATION)
            cell.hyperlink = Hyperlink(
                ref=cell.coordinate, location=f"'{_explanation_sheet_name(grade)}'!A1"
            )
            cell.font = Font(name=XLSX_FONT, color="0563C1", underline="single")
    last = sheet.max_row
    for number, column in enumerate(columns, start=1):
        letter = get_column_letter(number)
        for cell in sheet[letter][4:last]:
            cell.border = box
            if cell.hyperlink is None:
                cell.font = Font(name=XLSX_FONT, bold=cell.row == last)
            if column in BAHT:
                cell.number_format = "#,##0.00"
            elif column.startswith(NUMERIC):
                cell.number_format = "#,##0"
            if column in ("missing", "reasons", "shop_units"):
                cell.alignment = Alignment(wrap_text=True, vertical="top")
        sheet.column_dimensions[letter].width = {
            "order": 5,
            "district_code": 7,
            "district_name_th": 18,
            "missing": 36,
            "shop_units": 20,
            "reasons": 36,
            "quarantine_reasons": 40,
            "with_quarantined": 30,
            EXPLANATION: 11,
        }.get(column, 16 if column in BAHT else 10)
    sheet.append([])
    sheet.append([report.as_of_line])
    sheet.cell(row=sheet.max_row, column=1).font = Font(name=XLSX_FONT)
    sheet.row_dimensions[3].height = 48
    sheet.row_dimensions[4].height = 48
    sheet.freeze_panes = "D5"
    sheet.print_title_rows = "3:4"
    print_a4_landscape(sheet)
    for grade in report.grades:
        explanation = workbook.create_sheet(_explanation_sheet_name(grade))
        write_explanation_sheet(explanation, grade, XLSX_FONT)
        back = explanation.cell(row=1, column=8, value="กลับไปที่รายงาน")
        back.hyperlink = Hyperlink(ref=back.coordinate, location=f"'{sheet.title}'!A1")
        back.font = Font(name=XLSX_FONT, color="0563C1", underline="single")
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


STYLE = f"""
body {{ font-family: {THAI_FONTS}; margin: 24px; color: #222; }}
h1 {{ font-size: 20px; margin-bottom: 4px; }} p.subtitle {{ font-size: 17px; margin-top: 0; }}
h2 {{ font-size: 16px; margin-top: 28px; }}
.charts {{ display: flex; flex-wrap: wrap; gap: 32px; align-items: flex-start; }}
table {{ border-collapse: collapse; font-size: 13px; margin-top: 12px; }}
th, td {{ border: 1px solid #999; padding: 4px 6px; }}
th {{ background: #ddebf7; }} td.num {{ text-align: right; }}
td.grade {{ text-align: center; font-weight: bold; }}
tr.total td {{ font-weight: bold; background: #f2f2f2; }}
td.nowrap, td.link {{ white-space: nowrap; }}
.legend span {{ display: inline-block; padding: 2px 8px; margin-right: 6px; }}
@page {{ size: A4 landscape; margin: 10mm; }}
@media print {{ body {{ margin: 0; }} .charts {{ break-after: page; }} a {{ color: inherit; }} }}
"""
NUMERIC = ("threshold", "products", "interested", "shops", "quarantined_rows")


def _cell(column: str, value: object, total: bool) -> str:
    classes = "num" if column in BAHT or column.startswith(NUMERIC) else ""
    if column == "status":
        classes = "nowrap"
    style = ""
    if column == "grade":
        classes = "grade"
        if not total:
            style = f' style="background:{GRADE_COLOURS[_grade_of(value)]}"'
    text = _display(column, _shown(column, value) if column == "status" else value)
    return f'<td class="{classes}"{style}>{html.escape(text)}</td>'


def _html_header(report: QuarterReport) -> str:
    """The letter's grouped two-row header, then the explanation column."""
    top, bottom = [], []
    for group, columns in [*report.header_groups(), (None, [EXPLANATION])]:
        if group is None:
            top += [f'<th rowspan="2">{html.escape(report.labels.get(c, c))}</th>' for c in columns]
            continue
        top.append(f'<th colspan="{len(columns)}">{html.escape(group)}</th>')
        bottom += [f"<th>{html.escape(report.labels[c])}</th>" for c in columns]
    return f"<tr>{''.join(top)}</tr><tr>{''.join(bottom)}</tr>"


def pages_folder(stem: str) -> str:
    """The folder beside an HTML report holding its districts' explanation pages."""
    return f"{stem}_districts"


def to_html(report: QuarterReport, stem: str | None = None) -> str:
    """A standalone page: the charts, then the letter's table with each district's link to
    its explanation page in :func:`pages_folder` (no scripts, no network)."""
    pages = pages_folder(stem or report.stem)
    body = []
    for row in report.rows.to_dict("records"):
        total = row["order"] == ""
        cells = "".join(_cell(c, row[c], total) for c in report.columns)
        link = (
            ""
            if total
            else f'<a href="{html.escape(pages)}/{html.escape(row["district_code"])}.html">'
            f"{EXPLANATION}</a>"
        )
        body.append(
            f'<tr class="{"total" if total else ""}">{cells}<td class="link">{link}</td></tr>'
        )
    legend = "".join(
        f'<span style="background:{colour}">{grade or "ไม่ได้ระดับ"}</span>'
        for grade, colour in GRADE_COLOURS.items()
    )
    title = html.escape(report.title)
    return (
        f'<!DOCTYPE html>\n<html lang="th"><head><meta charset="utf-8"><title>{title}</title>'
        f"<style>{STYLE}</style></head><body><h1>{title}</h1>"
        f'<p class="subtitle">{html.escape(report.subtitle)}</p>'
        f'<div class="legend">{legend} แถบ = ยอดจำหน่ายเป็นร้อยละของเป้าหมาย</div>'
        f'<div class="charts"><div><h2>ยอดจำหน่ายเทียบเป้าหมายรายอำเภอ (ร้อยละ)</h2>'
        f"{_sales_chart(report.rows)}</div><div><h2>จำนวนอำเภอตามระดับ</h2>"
        f"{_grade_chart(report.rows)}</div></div><h2>ตารางเป้าหมายและผล</h2>"
        f"<table><thead>{_html_header(report)}</thead><tbody>{''.join(body)}</tbody></table>"
        f'<p class="as-of">{html.escape(report.as_of_line)}</p></body></html>\n'
    )


def report_files(
    report: QuarterReport, file_format: str, stem: str | None = None
) -> dict[str, bytes]:
    """The files of the report in one of :data:`FORMATS`, by name relative to where they are
    written: ``<stem>.<format>``, and for HTML one explanation page per district in
    :func:`pages_folder`."""
    stem = stem or report.stem
    if file_format == "xlsx":
        main = to_xlsx(report)
    elif file_format == "csv":
        main = to_csv(report)
    elif file_format == "md":
        main = to_markdown(report).encode("utf-8")
    elif file_format == "html":
        main = to_html(report, stem).encode("utf-8")
    else:
        raise ReportError(f"unknown report format {file_format!r}; use one of {', '.join(FORMATS)}")
    files = {f"{stem}.{file_format}": main}
    if file_format == "html":
        for grade in report.grades:
            page = explanation_page(grade, back=f"../{stem}.html")
            files[f"{pages_folder(stem)}/{grade.district_code}.html"] = page.encode("utf-8")
    return files


def render(report: QuarterReport, file_format: str) -> bytes:
    """The report's main file in one of :data:`FORMATS`."""
    return report_files(report, file_format)[f"{report.stem}.{file_format}"]


def write_files(files: dict[str, bytes], location: str) -> list[str]:
    """Write files (by relative name) under a location fsspec understands: a local folder,
    or ``s3://bucket/prefix`` (endpoint and credentials from the standard AWS settings).
    Returns where each file went, as a local path or a URL."""
    filesystem, root = fsspec.core.url_to_fs(location)
    root = root.rstrip("/")
    folders = "file" in filesystem.protocol  # an object store has no folders to make
    written = []
    for name, data in files.items():
        path = f"{root}/{name}"
        if folders:
            filesystem.makedirs(path.rsplit("/", 1)[0], exist_ok=True)
        filesystem.pipe_file(path, data)
        written.append(filesystem.unstrip_protocol(path) if "://" in location else path)
    return written


def write_reports(
    report: QuarterReport, location: str, formats: tuple[str, ...] = FORMATS
) -> list[str]:
    """Write the report in every format (with the HTML's explanation pages) under a location
    (see :func:`write_files`); returns where each format's main file went."""
    written = []
    for file_format in formats:
        written.append(write_files(report_files(report, file_format), location)[0])
    return written
