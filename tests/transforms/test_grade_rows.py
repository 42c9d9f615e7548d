"""The one typed grade row every presentation reads, and the criteria registry."""

import dataclasses
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import pytest

from otop_sync.reports.explanation import district_explanation
from otop_sync.reports.grades import grades_table, quarter_tables
from otop_sync.transforms.criteria import CriterionResult, criterion_kind
from otop_sync.transforms.criteria.products import ProductsAdded
from otop_sync.transforms.fiscal import Quarter
from otop_sync.transforms.grades import GradeRow

Q2 = Quarter(2567, 2)


def row(grade, next_grade, products=0, sales="0.00", shops=0, **extra):
    return GradeRow(
        quarter=Q2,
        district_code="5712",
        district_name_th="พญาเม็งราย",
        grade=grade,
        status="final",
        as_of=date(2024, 7, 15),
        next_grade=next_grade,
        criteria=(
            CriterionResult("products", "count", 13, 1, products == 0, products),
            CriterionResult(
                "sales",
                "baht",
                Decimal("4009251.77"),
                Decimal("4009251.78"),
                sales == "0.00",
                Decimal(sales),
                basis=Decimal("3930639.00"),
            ),
            CriterionResult("shops", "count", 14, 18, True, shops, level="B"),
        ),
        **extra,
    )


@pytest.mark.parametrize(
    ("grade_row", "text"),
    [
        (row(None, "B", sales="24806474.79"), "B: ยอดจำหน่าย 24,806,474.79 บาท"),
        (row(None, "A", products=1, shops=4), "A: ผลิตภัณฑ์ 1, Shop ชุมชน 4"),
        (row("A", None), "-"),
        (row("B", "A"), ""),
    ],
)
def test_missing_text_is_the_reports(grade_row, text):
    assert grade_row.missing_text() == text


LATE = "ยังไม่บันทึกยอดจำหน่าย มี.ค. 2567, กำหนด 18 เม.ย. 2567"


def test_one_row_feeds_the_artifact_and_the_terminal():
    grade_row = row(None, "B", sales="0.01", reasons=LATE, shop_producers=12, shop_centres=2)
    assert grade_row.failed_criteria == "sales"
    assert grade_row.display() == {
        "quarter": "2567Q2",
        "district_code": "5712",
        "district": "พญาเม็งราย",
        "grade": "-",
        "status": "final",
        "failed": "sales",
        "next_grade": "B",
        "products": "13",
        "products_target": "1",
        "missing_products": "0",
        "sales": "4,009,251.77",
        "sales_target": "4,009,251.78",
        "missing_sales": "0.01",
        "shops": "14",
        "shops_target": "18",
        "missing_shops": "0",
        "missing": "B: ยอดจำหน่าย 0.01 บาท",
        "shop_units": "ผู้ผลิต 12, ศูนย์จำหน่าย 2",
        "reasons": LATE,
        "quarantined": "-",
        "quarantine_reasons": "-",
        "with_quarantined": "-",
    }
    table = grades_table([grade_row], "t")
    cells = [column._cells[0] for column in table.columns]
    assert cells == [
        "5712",
        "พญาเม็งราย",
        "-",
        "final",
        "13",
        "4,009,251.77",
        "4,009,251.78",
        "14",
        "ผู้ผลิต 12, ศูนย์จำหน่าย 2",
        "sales",
        "B: ยอดจำหน่าย 0.01 บาท",
        LATE,
        "-",
    ]


def test_grades_print_one_table_per_quarter_newest_first_with_the_data_as_of_day():
    q1 = dataclasses.replace(row("A", None), quarter=Quarter(2567, 1), as_of=date(2024, 1, 19))
    q2 = row("B", "A")
    q2_other = dataclasses.replace(q2, district_code="5701", as_of=date(2024, 4, 19))
    tables = quarter_tables([q1, q2, q2_other])
    assert [t.title for t in tables] == [
        "ผลการประเมิน 2567Q2 ข้อมูล ณ วันที่ 15 กรกฎาคม 2567",
        "ผลการประเมิน 2567Q1 ข้อมูล ณ วันที่ 19 มกราคม 2567",
    ]
    assert [t.row_count for t in tables] == [2, 1]


@pytest.mark.parametrize(
    ("grade_row", "why"),
    [
        (row(None, "B", sales="0.01"), "ไม่ได้ระดับ เพราะยังไม่ผ่านเกณฑ์ยอดจำหน่าย"),
        (row("B", "A"), "ได้ระดับ B เพราะผ่านเกณฑ์อื่นครบ และ Shop ชุมชน ถึงระดับ B"),
    ],
)
def test_an_explanation_says_why_from_the_grade_row_alone(grade_row, why):
    explained = district_explanation(grade_row)
    assert explained.why == why
    assert explained.title == "คำอธิบายระดับ อำเภอพญาเม็งราย (5712) ไตรมาส 2 ปีงบประมาณ 2567"
    assert dict(explained.facts)["สถานะ"] == "ยืนยันแล้ว"
    assert dict(explained.facts)["ข้อมูล ณ วันที่"] == "15 กรกฎาคม 2567"
    assert explained.criteria[1] == (
        "ยอดจำหน่าย",
        "4,009,251.77 บาท",
        "4,009,251.78 บาท",
        "3,930,639.00 บาท",
        "ผ่าน" if grade_row.grade else "ไม่ผ่าน",
        "-",
        "0.01 บาท" if grade_row.grade is None else "-",
    )


def test_a_row_without_reasons_or_units_shows_dashes():
    grade_row = row("A", None)
    assert (grade_row.display()["shop_units"], grade_row.display()["reasons"]) == ("-", "-")
    assert grade_row.units_text() == ""


def test_a_kind_name_is_taken_once():
    @dataclass(frozen=True)
    class Impostor(ProductsAdded):
        pass

    with pytest.raises(ValueError, match=r"^criterion kind 'products' is already ProductsAdded$"):
        criterion_kind(Impostor)
