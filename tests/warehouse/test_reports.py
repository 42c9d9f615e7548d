"""The quarter report from the warehouse, in every format."""

import dataclasses
import io
import struct
import subprocess
from datetime import date
from pathlib import Path

import pytest
from openpyxl import load_workbook

from otop_sync.reports.quarter import (
    QuarterReport,
    build_report,
    render,
    report_files,
    to_markdown,
    write_files,
    write_reports,
)
from otop_sync.rules import load_rulebook
from otop_sync.transforms.fiscal import Quarter
from otop_sync.warehouse.db import make_engine, upgrade
from otop_sync.warehouse.grading import grade_quarters
from tests.chromium import chromium, screenshot
from tests.conftest import s3_objects
from tests.warehouse.conftest import load_all

Q2 = Quarter(2567, 2)


def test_report_in_every_format(engine, chiang_rai_rows):
    load_all(engine, chiang_rai_rows, "run-1")
    with engine.begin() as connection:
        grade_quarters(connection, [Q2], ["57"], load_rulebook(), date(2024, 7, 15), "run-1")
    with engine.connect() as connection:
        report = build_report(connection, Q2, "57")
    assert report.title == (
        "เป้าหมายการดำเนินงานตามเกณฑ์การจัดระดับ ภารกิจสำคัญที่อธิบดีกรมการพัฒนาชุมชนเน้นย้ำ "
        "ไตรมาส 2 (เดือนมกราคม - มีนาคม 2567)"
    )
    assert report.subtitle == (
        "ประเด็นที่ 8 โครงการหนึ่งตำบล หนึ่งผลิตภัณฑ์ (OTOP) จังหวัดเชียงราย ปีงบประมาณ 2567"
    )
    assert len(report.rows) == 19
    total = report.rows.iloc[-1]
    assert (total["district_name_th"], total["threshold_d"], total["grade"]) == (
        "รวม",
        52,
        "A=4 B=3 C=3 D=3 ไม่ได้=5",
    )
    markdown = to_markdown(report)
    assert "| 12 | 5712 | พญาเม็งราย | 1 | 3,930,639.00 | 4,009,251.78 |" in markdown
    assert "B: ยอดจำหน่าย 0.01 บาท" in markdown

    page = render(report, "html").decode("utf-8")
    assert page.count("<svg") == 2
    assert page.count("<tr") == 21  # two header rows and 19 rows
    assert page.count("&lt;100%") == 1  # พญาเม็งราย, one satang short, is not shown as 100 %

    sheet = load_workbook(io.BytesIO(render(report, "xlsx"))).active
    assert sheet.freeze_panes == "D5"
    assert sheet["B5"].value == "5701"
    assert sheet["E5"].number_format == "#,##0.00"
    assert sheet.page_setup.orientation == "landscape"
    assert str(sheet["E23"].value) == "1406357896.98"

    csv_text = render(report, "csv").decode("utf-8")
    assert csv_text.startswith("\ufeffที่,รหัส,อำเภอ")


@pytest.fixture(scope="module")
def graded_report(tmp_path_factory, chiang_rai_rows) -> QuarterReport:
    """The 2567Q2 report as of 15 July 2567 (grades final), built once from SQLite: the tests
    below check its layout, which does not depend on the engine."""
    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('report') / 'w.db'}")
    upgrade(engine)
    load_all(engine, chiang_rai_rows, "run-1")
    with engine.begin() as connection:
        grade_quarters(connection, [Q2], ["57"], load_rulebook(), date(2024, 7, 15), "run-1")
    with engine.connect() as connection:
        report = build_report(connection, Q2, "57")
    engine.dispose()
    return report


def test_xlsx_has_the_letters_grouped_header_as_of_line_and_thai_status(graded_report):
    report = graded_report
    workbook = load_workbook(io.BytesIO(render(report, "xlsx")))
    sheet = workbook["2567Q2"]
    merged = {str(r) for r in sheet.merged_cells.ranges}
    # ที่ and อำเภอ span both header rows; each group spans its columns in the first row.
    assert {"A3:A4", "B3:B4", "C3:C4", "E3:F3", "G3:K3", "L3:O3", "P3:V3", "W3:W4"} <= (merged)
    assert [sheet.cell(3, c).value for c in (1, 3, 4, 5, 7, 12, 16, 23)] == [
        "ที่",
        "อำเภอ",
        "จำนวนผลิตภัณฑ์ OTOP ที่เพิ่มขึ้น",
        "ยอดจำหน่าย OTOP ที่เพิ่มขึ้น",
        'ผู้ผลิต ผู้ประกอบการ OTOP ที่เข้าร่วมโครงการ Digital Wallet ลงทะเบียน "Shop ชุมชน" '
        'ในระบบ "Click ชุมชน"',
        "ผลการดำเนินงาน",
        "ผลการประเมิน",
        "คำอธิบาย",
    ]
    assert [sheet.cell(4, c).value for c in range(4, 12)] == [
        "เป้าหมาย (ผลิตภัณฑ์)",
        "ฐานเดิมปี 66 (มกราคม - มีนาคม 66)",
        "เป้าหมายร้อยละ 2",
        "จำนวนผู้ผลิต ผู้ประกอบการ OTOP",
        "ระดับ D ร้อยละ 25",
        "ระดับ C ร้อยละ 50",
        "ระดับ B ร้อยละ 75",
        "ระดับ A ร้อยละ 100",
    ]
    assert sheet["A1"].value == report.title
    assert sheet["C23"].value == "รวม"
    assert sheet["A25"].value == "ข้อมูล ณ วันที่ 15 กรกฎาคม 2567"
    # 2567Q2's last sales were due on 18 April 2567: as of 15 July its grades are final.
    statuses = {sheet.cell(row, 17).value for row in range(5, 23)}
    assert statuses == {"ยืนยันแล้ว"}
    assert sheet["A1"].font.name == "Tahoma"
    assert sheet.print_title_rows == "$3:$4"
    assert int(sheet.page_setup.paperSize) == int(sheet.PAPERSIZE_A4)
    assert sheet.page_setup.orientation == "landscape"
    link = sheet["W16"].hyperlink  # พญาเม็งราย (5712), row 5 + 11
    assert link.location == "'5712'!A1"
    explanation = workbook["5712"]
    assert explanation["A1"].value == ("คำอธิบายระดับ อำเภอพญาเม็งราย (5712) ไตรมาส 2 ปีงบประมาณ 2567")
    assert explanation["A2"].value == "ไม่ได้ระดับ เพราะยังไม่ผ่านเกณฑ์ยอดจำหน่าย"
    assert len(workbook.sheetnames) == 19


def test_a_provisional_grade_is_written_in_thai(graded_report):
    report = dataclasses.replace(
        graded_report,
        rows=graded_report.rows.assign(status="provisional"),
        grades=[dataclasses.replace(g, status="provisional") for g in graded_report.grades],
        as_of=date(2024, 4, 10),
    )
    workbook = load_workbook(io.BytesIO(render(report, "xlsx")))
    sheet = workbook["2567Q2"]
    assert {sheet.cell(row, 17).value for row in range(5, 23)} == {"เบื้องต้น"}
    assert sheet["A25"].value == "ข้อมูล ณ วันที่ 10 เมษายน 2567"
    assert next(row for row in workbook["5701"].values if row[0] == "สถานะ")[1] == "เบื้องต้น"


def test_html_report_links_one_explanation_page_per_district(graded_report):
    files = report_files(graded_report, "html", "q2")
    assert sorted(files)[:3] == ["q2.html", "q2_districts/5701.html", "q2_districts/5702.html"]
    assert len(files) == 19
    page = files["q2.html"].decode("utf-8")
    assert page.count('<a href="q2_districts/') == 18
    assert '<th colspan="2">ยอดจำหน่าย OTOP ที่เพิ่มขึ้น</th>' in page
    assert "ข้อมูล ณ วันที่ 15 กรกฎาคม 2567" in page
    assert "ยืนยันแล้ว" in page
    district = files["q2_districts/5712.html"].decode("utf-8")
    assert '<a href="../q2.html">' in district
    assert "ยังไม่ผ่านเกณฑ์ยอดจำหน่าย" in district


SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-output" / "screenshots"
"""Where the browser test keeps its screenshots, for a person to look at (gitignored)."""


def _screenshot(page: Path, png: Path, width: int, height: int, home: Path) -> bytes:
    data = screenshot(page, png, home, [f"--window-size={width},{height}"])
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert struct.unpack(">II", data[16:24]) == (width, height)
    return data


def test_html_report_and_a_district_page_render_in_chromium(graded_report, tmp_path):
    chromium()  # skips without it, or fails in CI
    assert subprocess.run(
        ["fc-list", ":lang=th", "family"], capture_output=True, text=True, check=True
    ).stdout.strip(), "no Thai font is installed: apt-get install -y fonts-thai-tlwg"
    written = write_files(report_files(graded_report, "html"), str(tmp_path / "site"))
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    report_png = SCREENSHOTS / "otop_57_2567Q2.png"
    district_png = SCREENSHOTS / "otop_57_2567Q2_5712.png"
    for png in (report_png, district_png):
        png.unlink(missing_ok=True)
    report = _screenshot(Path(written[0]), report_png, 1800, 2000, tmp_path / "home")
    district = _screenshot(
        tmp_path / "site" / "otop_57_2567Q2_districts" / "5712.html",
        district_png,
        1100,
        700,
        tmp_path / "home",
    )
    # A blank page compresses to a few kilobytes; charts, table and Thai text do not.
    assert len(report) > 60_000
    assert len(district) > 15_000


def test_reports_are_written_to_an_s3_bucket_through_fsspec(graded_report, s3_bucket):
    written = write_reports(graded_report, f"s3://{s3_bucket}/chiang-rai/2567")
    assert written == [
        f"s3://{s3_bucket}/chiang-rai/2567/otop_57_2567Q2.{suffix}"
        for suffix in ("xlsx", "csv", "md", "html")
    ]
    stored = s3_objects(s3_bucket)
    assert len(stored) == 4 + 18  # every format, and the HTML's 18 district pages
    assert stored["chiang-rai/2567/otop_57_2567Q2.csv"] == render(graded_report, "csv")
    assert b"5712" in stored["chiang-rai/2567/otop_57_2567Q2_districts/5712.html"]
    sheet = load_workbook(io.BytesIO(stored["chiang-rai/2567/otop_57_2567Q2.xlsx"]))["2567Q2"]
    assert sheet["A25"].value == "ข้อมูล ณ วันที่ 15 กรกฎาคม 2567"
