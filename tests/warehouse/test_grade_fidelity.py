"""Grades that say why and count what the letter counts, on both engines: a late district's
reason and the Shop ชุมชน units' make-up reach the views, the typed rows and every report."""

import io
from datetime import date
from decimal import Decimal

import pandas as pd
import pytest
from openpyxl import load_workbook
from sqlalchemy import text

from otop_sync.reports.quarter import build_report, render
from otop_sync.rules import load_rulebook
from otop_sync.transforms.deltas import latest_sales, quarter_sales
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
    assert LATE in [cell.value for cell in sheet[16]]  # two title and two header rows, 5701..


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


def _with_correction(engine, rows):
    """The chiang_rai data, then the mock's 5712 correction recorded on 10 May 2024 (which
    lifts 5712 from no grade to B)."""
    from otop_sync.datasets import dataset
    from otop_sync.warehouse.loaders import load_rows
    from tests.warehouse.test_loads import _correction

    load_all(engine, rows, "run-1")
    correction, _ = _correction(rows)
    with engine.begin() as connection:
        load_rows(connection, dataset("sales"), correction, "run-2")


def _grade_at(engine, as_of, run_id):
    with engine.begin() as connection:
        results = grade_quarters(connection, [Q2], ["57"], load_rulebook(), as_of, run_id)
    return results[0]


def _stored(engine):
    with engine.connect() as connection:
        return connection.execute(
            text(
                "SELECT grade, status, CAST(as_of AS VARCHAR(10)), version, sales FROM kpi_grade "
                "WHERE district_code = '5712' AND quarter = 2"
            )
        ).one()


def test_a_grade_as_of_a_day_counts_only_what_was_recorded_by_then(engine, chiang_rai_rows):
    _with_correction(engine, chiang_rai_rows)
    then = _grade_at(engine, date(2024, 5, 1), "run-3")  # before the correction was recorded
    grade = then.grades.set_index("district_code").loc["5712"]
    assert (pd.isna(grade["grade"]), grade["status"]) == (True, "final")
    sales = next(r for r in grade["criteria"] if r.criterion == "sales")
    rows = chiang_rai_rows["sales"]
    known = latest_sales(rows[rows["recorded_on"] <= date(2024, 5, 1)])  # no correction yet
    expected = quarter_sales(known, Q2, ["5712"])["5712"]
    assert sales.actual == expected
    assert expected < Decimal("4009251.77")  # some of the quarter was recorded later
    assert then.stored
    assert _stored(engine)[:2] == (None, "final")
    now = _grade_at(engine, date(2024, 7, 16), "run-4")
    assert now.stored
    assert _stored(engine)[:4] == ("B", "final", "2024-07-16", 2)


def test_a_past_as_of_answers_without_overwriting_a_newer_grade(engine, chiang_rai_rows):
    _with_correction(engine, chiang_rai_rows)
    _grade_at(engine, date(2024, 7, 16), "run-3")
    before = _stored(engine)
    then = _grade_at(engine, date(2024, 5, 1), "run-4")
    assert not then.stored
    assert then.warnings[-1] == (
        "2567Q2 as of 2024-05-01: the grades as they were then, not stored "
        "(the stored grades are as of 2024-07-16; only a newer sync changes them)"
    )
    assert pd.isna(then.grades.set_index("district_code").loc["5712", "grade"])
    assert _stored(engine) == before
    assert before[:4] == ("B", "final", "2024-07-16", 1)
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM kpi_grade_history")).scalar_one() == 0


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
