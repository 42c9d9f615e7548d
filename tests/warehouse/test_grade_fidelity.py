"""Grades that say why and count what the letter counts, on both engines: a late district's
reason and the Shop ชุมชน units' make-up reach the views, the typed rows and every report."""

import io
from datetime import date

import pandas as pd
import pytest
from openpyxl import load_workbook
from sqlalchemy import text

from otop_sync.reports.quarter import build_report, render
from otop_sync.rules import load_rulebook
from otop_sync.transforms.fiscal import Quarter
from otop_sync.transforms.rules import RulesError
from otop_sync.warehouse import queries
from otop_sync.warehouse.grading import grade_quarters
from tests.warehouse.conftest import load_all

Q2 = Quarter(2567, 2)
FINAL_DAY = date(2024, 7, 15)
LATE = "ยังไม่บันทึกยอดจำหน่าย มี.ค. 2567, กำหนด 18 เม.ย. 2567"


def _grade(engine, rows, as_of=FINAL_DAY):
    load_all(engine, rows, "run-1")
    with engine.begin() as connection:
        grade_quarters(connection, [Q2], ["57"], load_rulebook(), as_of, "run-1")


def test_a_late_district_is_graded_and_says_why(engine, chiang_rai_rows):
    sales = chiang_rai_rows["sales"]
    march_5712 = (sales["district_code"] == "5712") & (sales["month"] == date(2024, 3, 1))
    assert march_5712.any()
    _grade(engine, {**chiang_rai_rows, "sales": sales[~march_5712]})
    with engine.connect() as connection:
        reasons = dict(
            connection.execute(
                text("SELECT district_code, reasons FROM v_grade WHERE quarter = 2")
            ).all()
        )
        sales_met = connection.execute(
            text("SELECT sales_met, reasons FROM kpi_grade WHERE district_code = '5712'")
        ).one()
        rows = {g.district_code: g for g in queries.grade_rows(connection, Q2, "57")}
        report = build_report(connection, Q2, "57")
    assert len(reasons) == 18
    assert reasons.pop("5712") == LATE
    assert set(reasons.values()) == {None}
    assert (bool(sales_met[0]), sales_met[1]) == (False, LATE)
    assert rows["5712"].reasons == LATE
    assert rows["5712"].display()["reasons"] == LATE
    assert rows["5701"].reasons == ""
    for file_format in ("csv", "md", "html"):
        assert LATE in render(report, file_format).decode("utf-8-sig"), file_format
    sheet = load_workbook(io.BytesIO(render(report, "xlsx"))).active
    assert LATE in [cell.value for cell in sheet[14]]  # title, header, then 5701..5712


def test_on_time_before_the_due_day(engine, chiang_rai_rows):
    sales = chiang_rai_rows["sales"]
    no_march = sales[~((sales["district_code"] == "5712") & (sales["month"] == date(2024, 3, 1)))]
    _grade(engine, {**chiang_rai_rows, "sales": no_march}, as_of=date(2024, 4, 18))
    with engine.connect() as connection:
        reasons = connection.execute(
            text("SELECT reasons FROM kpi_grade WHERE district_code = '5712'")
        ).scalar_one()
    assert reasons is None


def _extra_shops(shops: pd.DataFrame) -> pd.DataFrame:
    """Two shops of one new producer of 5701 and a centre of an unfamiliar type."""
    template = shops[shops["district_code"] == "5701"].iloc[0]
    extra = []
    for code, producer, shop_type in (
        ("TEST-1", "P-NEW", "ผู้ผลิต ผู้ประกอบการ OTOP"),
        ("TEST-2", "P-NEW", "ผู้ผลิต ผู้ประกอบการ OTOP"),
        ("TEST-3", "", "ร้านค้าชุมชนประชารัฐ"),
    ):
        row = template.copy()
        row["shop_code"], row["producer_code"], row["shop_type"] = code, producer, shop_type
        row["registered_on"] = date(2024, 2, 1)
        extra.append(row)
    return pd.concat([shops, pd.DataFrame(extra)], ignore_index=True)


def _units(engine, code):
    with engine.connect() as connection:
        return tuple(
            connection.execute(
                text(
                    "SELECT shops_registered, shop_producers, shop_centres FROM v_grade "
                    "WHERE district_code = :code AND quarter = 2"
                ),
                {"code": code},
            ).one()
        )


def test_a_producer_with_two_shops_counts_once_and_an_unfamiliar_centre_counts(
    engine, chiang_rai_rows
):
    _grade(engine, chiang_rai_rows)
    shops, producers, centres = _units(engine, "5701")
    assert shops == producers + centres
    with engine.begin() as connection:
        connection.execute(text("DELETE FROM kpi_grade_criterion"))
        connection.execute(text("DELETE FROM kpi_grade_version"))
    _grade(engine, {**chiang_rai_rows, "shops": _extra_shops(chiang_rai_rows["shops"])})
    assert _units(engine, "5701") == (shops + 2, producers + 1, centres + 1)
    with engine.connect() as connection:
        row = next(g for g in queries.grade_rows(connection, Q2, "57") if g.district_code == "5701")
        report = build_report(connection, Q2, "57")
    units = f"ผู้ผลิต {producers + 1}, ศูนย์จำหน่าย {centres + 1}"
    assert row.units_text() == units
    assert units in render(report, "md").decode("utf-8")


CARRIED = "ใช้เกณฑ์ปีงบประมาณ 2567 ยกมา (ยังไม่มีเกณฑ์ของปีงบประมาณ 2568)"


def test_a_year_on_carried_forward_rules_says_so_and_an_uncovered_quarter_is_refused(
    engine, chiang_rai_rows
):
    load_all(engine, chiang_rai_rows, "run-1")
    with engine.begin() as connection:
        grade_quarters(
            connection, [Quarter(2568, 1)], ["57"], load_rulebook(), date(2025, 11, 15), "run-1"
        )
        with pytest.raises(RulesError, match=r"^2566Q4: not graded, KPI rules version "):
            grade_quarters(
                connection, [Quarter(2566, 4)], ["57"], load_rulebook(), FINAL_DAY, "run-1"
            )
    with engine.connect() as connection:
        reasons = connection.execute(
            text("SELECT DISTINCT reasons FROM kpi_grade WHERE fiscal_year = 2568")
        ).scalars()
        assert list(reasons) == [CARRIED]
