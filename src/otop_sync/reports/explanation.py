"""One district's grade explained, from what its :class:`GradeRow` holds: every criterion's
figure against its target, what is still missing for the next grade, the Shop ชุมชน units and
the reasons. The quarter report links one such page (HTML) or sheet (XLSX) per district.

:func:`district_explanation` is the one place the explanation is put together; the page and
the sheet only lay it out.
"""

from __future__ import annotations

import html
from dataclasses import dataclass

from openpyxl.styles import Alignment, Font
from openpyxl.worksheet.worksheet import Worksheet

from otop_sync.transforms.criteria import LEVELS, LevelCriterion, RulesError, kind_named, label_of
from otop_sync.transforms.grades import GradeRow, amount_text
from otop_sync.transforms.thai import format_be_long_date

NO_GRADE = "ไม่ได้ระดับ"
CRITERIA_HEADERS = ("เกณฑ์", "ผลงาน", "เป้าหมาย", "คิดจาก", "ผ่านเกณฑ์", "ระดับที่ถึง", "ยังขาด")
"""The columns of an explanation's criteria table."""


@dataclass(frozen=True, slots=True)
class Explanation:
    """A district's grade explained: a title, facts as (label, text), the criteria table's
    rows (as :data:`CRITERIA_HEADERS`) and one sentence on why the grade is what it is."""

    title: str
    facts: tuple[tuple[str, str], ...]
    criteria: tuple[tuple[str, ...], ...]
    why: str


def _amount(unit: str, value: object) -> str:
    if value is None:
        return "-"
    text = amount_text(unit, value)  # type: ignore[arg-type]
    return f"{text} บาท" if unit == "baht" else text


def _gives_the_level(criterion: str) -> bool:
    """Whether a criterion is the one whose level is the grade (False if not known here)."""
    try:
        return issubclass(kind_named(criterion, "the explanation"), LevelCriterion)
    except RulesError:
        return False


def _why(grade: GradeRow) -> str:
    """One sentence: the gating criteria not met, else the level the level criterion reached."""
    gating = [r for r in grade.criteria if not _gives_the_level(r.criterion)]
    failed = [label_of(r.criterion) for r in gating if not r.met]
    levelled = ", ".join(
        label_of(r.criterion) for r in grade.criteria if _gives_the_level(r.criterion)
    )
    if failed:
        return f"{NO_GRADE} เพราะยังไม่ผ่านเกณฑ์{', '.join(failed)}"
    if grade.grade is None:
        return f"{NO_GRADE} เพราะ {levelled} ยังไม่ถึงระดับ {LEVELS[0]}"
    return f"ได้ระดับ {grade.grade} เพราะผ่านเกณฑ์อื่นครบ และ {levelled} ถึงระดับ {grade.grade}"


def district_explanation(grade: GradeRow) -> Explanation:
    """The explanation of one district's grade for its quarter (see module docstring)."""
    quarter = grade.quarter
    return Explanation(
        title=(
            f"คำอธิบายระดับ อำเภอ{grade.district_name_th} ({grade.district_code}) "
            f"ไตรมาส {quarter.number} ปีงบประมาณ {quarter.fiscal_year}"
        ),
        facts=(
            ("ระดับที่ได้", grade.grade or NO_GRADE),
            ("สถานะ", grade.status_text()),
            ("ข้อมูล ณ วันที่", format_be_long_date(grade.as_of)),
            ("ระดับถัดไป", grade.next_grade or "-"),
            ("ยังขาด (เพื่อระดับถัดไป)", grade.missing_text() or "-"),
            ("หน่วย Shop ชุมชน", grade.units_text() or "-"),
            ("หมายเหตุ", grade.reasons or "-"),
        ),
        criteria=tuple(
            (
                label_of(r.criterion),
                _amount(r.unit, r.actual),
                _amount(r.unit, r.target),
                _amount(r.unit, r.basis) if r.basis is not None else "-",
                "ผ่าน" if r.met else "ไม่ผ่าน",
                r.level or "-",
                _amount(r.unit, r.missing) if r.missing else "-",
            )
            for r in grade.criteria
        ),
        why=_why(grade),
    )


THAI_FONTS = (
    '"TH Sarabun New", "Sarabun", "Leelawadee UI", Tahoma, "Noto Sans Thai", Loma, Garuda, '
    "sans-serif"
)
"""The HTML pages' font stack: Thai fonts of Windows and macOS first, then Linux's
(Noto, and Loma and Garuda from fonts-thai-tlwg)."""
PAGE_STYLE = f"""
body {{ font-family: {THAI_FONTS}; margin: 24px; color: #222; }}
h1 {{ font-size: 20px; }} table {{ border-collapse: collapse; margin-top: 12px; }}
th, td {{ border: 1px solid #999; padding: 4px 8px; text-align: left; }}
th {{ background: #ddebf7; }} p.why {{ font-weight: bold; }}
@page {{ size: A4 landscape; margin: 12mm; }}
"""


def explanation_page(grade: GradeRow, back: str | None = None) -> str:
    """A standalone HTML page of :func:`district_explanation`, linking ``back`` to the
    report when given (no scripts, no network)."""
    explained = district_explanation(grade)
    title = html.escape(explained.title)
    facts = "".join(
        f"<tr><th>{html.escape(label)}</th><td>{html.escape(text)}</td></tr>"
        for label, text in explained.facts
    )
    head = "".join(f"<th>{html.escape(h)}</th>" for h in CRITERIA_HEADERS)
    rows = "".join(
        "<tr>" + "".join(f"<td>{html.escape(cell)}</td>" for cell in row) + "</tr>"
        for row in explained.criteria
    )
    link = f'<p><a href="{html.escape(back)}">กลับไปที่รายงาน</a></p>' if back else ""
    return (
        f'<!DOCTYPE html>\n<html lang="th"><head><meta charset="utf-8"><title>{title}</title>'
        f"<style>{PAGE_STYLE}</style></head><body>{link}<h1>{title}</h1>"
        f'<p class="why">{html.escape(explained.why)}</p><table>{facts}</table>'
        f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table></body></html>\n"
    )


def write_explanation_sheet(sheet: Worksheet, grade: GradeRow, font: str) -> None:
    """:func:`district_explanation` as a worksheet, laid out for printing like the report."""
    explained = district_explanation(grade)
    sheet.append([explained.title])
    sheet["A1"].font = Font(name=font, bold=True, size=14)
    sheet.append([explained.why])
    sheet["A2"].font = Font(name=font, bold=True)
    sheet.append([])
    for label, text in explained.facts:
        sheet.append([label, text])
    sheet.append([])
    sheet.append(list(CRITERIA_HEADERS))
    header_row = sheet.max_row
    for row in explained.criteria:
        sheet.append(list(row))
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            cell.font = Font(name=font, bold=cell.row in (2, header_row) or cell.column == 1)
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    for letter, width in zip("ABCDEFG", (24, 40, 20, 20, 12, 12, 20), strict=True):
        sheet.column_dimensions[letter].width = width
    print_a4_landscape(sheet)


def print_a4_landscape(sheet: Worksheet) -> None:
    """Print set-up of every report sheet: A4 landscape, one page wide, centred, narrow
    margins, page numbers in the footer."""
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.print_options.horizontalCentered = True
    sheet.page_margins.left = sheet.page_margins.right = 0.4
    sheet.page_margins.top = sheet.page_margins.bottom = 0.5
    sheet.oddFooter.center.text = "หน้า &P / &N"
