"""The quarter report from the warehouse, in every format."""

import io
from datetime import date

from openpyxl import load_workbook

from otop_sync.reports.quarter import build_report, render, to_markdown
from otop_sync.rules import load_rulebook
from otop_sync.transforms.fiscal import Quarter
from otop_sync.warehouse.grading import grade_quarters
from tests.warehouse.conftest import load_all

Q2 = Quarter(2567, 2)


def test_report_in_every_format(engine, chiang_rai_rows):
    load_all(engine, chiang_rai_rows, "run-1")
    with engine.begin() as connection:
        grade_quarters(connection, [Q2], ["57"], load_rulebook(), date(2024, 7, 15), "run-1")
    with engine.connect() as connection:
        report = build_report(connection, Q2, "57")
    assert report.title == (
        "เป้าหมายและผลการดำเนินงาน OTOP ไตรมาส 2 ปีงบประมาณ 2567 (มกราคม - มีนาคม 2567) จังหวัดเชียงราย"
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
    assert page.count("<tr") == 20  # header and 19 rows
    assert page.count("&lt;100%") == 1  # พญาเม็งราย, one satang short, is not shown as 100 %

    sheet = load_workbook(io.BytesIO(render(report, "xlsx"))).active
    assert sheet.freeze_panes == "D3"
    assert sheet["B3"].value == "5701"
    assert sheet["E3"].number_format == "#,##0.00"
    assert sheet.page_setup.orientation == "landscape"
    assert str(sheet["E21"].value) == "1406357896.98"

    csv_text = render(report, "csv").decode("utf-8")
    assert csv_text.startswith("\ufeffที่,รหัส,อำเภอ")
