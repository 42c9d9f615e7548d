"""Adding a KPI criterion takes one module and the rules: this module defines a criterion kind
(new Shop ชุมชน units in the quarter), a rules TOML names it, and it is graded, stored
long-form and shown in the reports with no other change to otop-sync."""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, Self

import pandas as pd
import pytest
from sqlalchemy import text

from otop_sync.reports.quarter import build_report, render, to_markdown
from otop_sync.rules import load_rulebook
from otop_sync.transforms.criteria import (
    Criterion,
    CriterionResult,
    QuarterData,
    check_parameters,
    criterion_kind,
    int_parameter,
)
from otop_sync.transforms.fiscal import Quarter
from otop_sync.transforms.rules import rulebook_from_document
from otop_sync.warehouse import queries
from otop_sync.warehouse.grading import grade_quarters
from tests.warehouse.conftest import load_all
from tests.warehouse.test_loads import EXPECTED_GRADES

Q2 = Quarter(2567, 2)
FINAL_DAY = date(2024, 7, 15)


@criterion_kind
@dataclass(frozen=True, slots=True)
class NewShopUnits(Criterion):
    """Shop ชุมชน units registered during the quarter, at least ``target`` of them."""

    name = "new_shops"
    label_th = "Shop ชุมชน ใหม่"
    unit = "count"
    target_columns = ("new_shops_target",)

    target: int

    @classmethod
    def from_parameters(cls, parameters: Mapping[str, Any], where: str) -> Self:
        check_parameters(parameters, ["target"], where)
        return cls(int_parameter(parameters["target"], f"{where}.target"))

    def targets(self, inputs: Mapping[str, Any]) -> dict[str, object]:  # noqa: ARG002
        return {"new_shops_target": self.target}

    def actuals(self, data: QuarterData, districts: list[str]) -> pd.Series:
        at_end = data.shops_registered(data.quarter.end, districts)
        return at_end - data.shops_registered(data.quarter.previous().end, districts)

    def assess(self, actual, targets, next_grade) -> CriterionResult:  # noqa: ARG002
        target, added = int(targets["new_shops_target"]), int(actual)
        return CriterionResult(
            self.name, self.unit, added, target, added >= target, max(0, target - added)
        )


RULES_TOML = """
version = "test.new-shops"

[fiscal_year.2567]
base_year = 2566

[fiscal_year.2567.criteria.products]
target = 1

[fiscal_year.2567.criteria.sales]
growth_percent = "2"

[fiscal_year.2567.criteria.shops]
level_percent = { D = "25", C = "50", B = "75", A = "100" }

[fiscal_year.2567.criteria.new_shops]
target = 2
"""


@pytest.fixture
def rulebook_with_new_shops(tmp_path):
    path = tmp_path / "rules.toml"
    path.write_text(RULES_TOML, encoding="utf-8")
    return load_rulebook(path)


def _new_shops_in_q2(connection) -> dict[str, int]:
    rows = connection.execute(
        text(
            "SELECT district_code, count(*) FROM shop_registration "
            "WHERE registered_on BETWEEN '2024-01-01' AND '2024-03-31' GROUP BY district_code"
        )
    ).all()
    return dict(rows)


def test_a_criterion_from_a_test_module_is_graded_and_stored_long_form(
    engine, chiang_rai_rows, rulebook_with_new_shops
):
    load_all(engine, chiang_rai_rows, "run-1")
    with engine.begin() as connection:
        grade_quarters(connection, [Q2], ["57"], rulebook_with_new_shops, FINAL_DAY, "run-1")
    with engine.connect() as connection:
        added = _new_shops_in_q2(connection)
        figures = connection.execute(
            text(
                "SELECT district_code, actual, target, met, missing, unit, position "
                "FROM kpi_grade_criterion WHERE criterion = 'new_shops'"
            )
        ).all()
        wide = connection.execute(
            text("SELECT district_code, grade, failed_criteria FROM kpi_grade")
        ).all()
        per_criterion = dict(
            connection.execute(
                text("SELECT criterion, count(*) FROM kpi_grade_criterion GROUP BY criterion")
            ).all()
        )
        rows = queries.grade_rows(connection, Q2, "57")
        markdown = to_markdown(build_report(connection, Q2, "57"))

    assert per_criterion == {"products": 18, "sales": 18, "shops": 18, "new_shops": 18}
    met = {code: added.get(code, 0) >= 2 for code in EXPECTED_GRADES}
    assert {code for code, ok in met.items() if not ok} == {"5704", "5708", "5715", "5716", "5718"}
    by_code = {
        code: (int(a), int(t), bool(m), int(miss), u, p) for code, a, t, m, miss, u, p in figures
    }
    for code, ok in met.items():
        assert by_code[code] == (
            added.get(code, 0),
            2,
            ok,
            0 if ok else 2 - added.get(code, 0),
            "count",
            4,
        )
    for code, grade, failed in wide:
        assert grade == (EXPECTED_GRADES[code] if met[code] else None), code
        assert ("new_shops" in failed.split(",")) is not met[code], code

    mae_sai = next(row for row in rows if row.district_code == "5708")  # grade A but one new shop
    assert [r.criterion for r in mae_sai.criteria] == ["products", "sales", "shops", "new_shops"]
    assert (mae_sai.grade, mae_sai.failed_criteria, mae_sai.next_grade) == (None, "new_shops", "A")
    assert mae_sai.missing_text() == "A: Shop ชุมชน ใหม่ 1"
    assert "| A: Shop ชุมชน ใหม่ 1 |" in markdown


def test_grading_again_with_the_new_criterion_keeps_one_version(
    engine, chiang_rai_rows, rulebook_with_new_shops
):
    load_all(engine, chiang_rai_rows, "run-1")
    for run_id in ("run-1", "run-2"):
        with engine.begin() as connection:
            grade_quarters(connection, [Q2], ["57"], rulebook_with_new_shops, FINAL_DAY, run_id)
    with engine.connect() as connection:
        assert connection.execute(text("SELECT max(version) FROM kpi_grade")).scalar_one() == 1
        history = connection.execute(text("SELECT count(*) FROM kpi_grade_history"))
        assert history.scalar_one() == 0


def test_dropping_the_criterion_from_the_rules_makes_new_versions(engine, chiang_rai_rows):
    """Regrading under rules without new_shops (the bundled ones) changes every grade's
    criteria: each gets version 2, and version 1 with its new_shops row stays in the history."""
    load_all(engine, chiang_rai_rows, "run-1")
    with_new_shops = rulebook_from_document(tomllib.loads(RULES_TOML))
    with engine.begin() as connection:
        grade_quarters(connection, [Q2], ["57"], with_new_shops, FINAL_DAY, "run-1")
        grade_quarters(connection, [Q2], ["57"], load_rulebook(), FINAL_DAY, "run-2")
    with engine.connect() as connection:
        current = dict(connection.execute(text("SELECT district_code, grade FROM kpi_grade")).all())
        replaced = connection.execute(
            text("SELECT district_code, grade, version, replaced_by_run FROM kpi_grade_history")
        ).all()
        kept = connection.execute(
            text("SELECT count(*) FROM kpi_grade_criterion WHERE criterion = 'new_shops'")
        ).scalar_one()
        versions = connection.execute(text("SELECT DISTINCT version FROM kpi_grade")).all()
    assert current == EXPECTED_GRADES
    assert versions == [(2,)]
    held_back = {"5704", "5708", "5715", "5716", "5718"}
    assert sorted(replaced) == [
        (code, None if code in held_back else grade, 1, "run-2")
        for code, grade in sorted(EXPECTED_GRADES.items())
    ]
    assert kept == 18


WITHOUT_SALES_TOML = """
version = "test.no-sales"

[fiscal_year.2567]
base_year = 2566

[fiscal_year.2567.criteria.products]
target = 1

[fiscal_year.2567.criteria.shops]
level_percent = { D = "25", C = "50", B = "75", A = "100" }
"""


def test_a_year_need_not_grade_every_criterion_of_the_letter(engine, chiang_rai_rows):
    """Rules without the sales criterion: grades come from products and shops alone, the
    sales columns are NULL, and the report still builds."""
    load_all(engine, chiang_rai_rows, "run-1")
    rulebook = rulebook_from_document(tomllib.loads(WITHOUT_SALES_TOML))
    with engine.begin() as connection:
        grade_quarters(connection, [Q2], ["57"], rulebook, FINAL_DAY, "run-1")
    with engine.connect() as connection:
        grades = dict(connection.execute(text("SELECT district_code, grade FROM kpi_grade")).all())
        sales = connection.execute(
            text("SELECT DISTINCT sales, sales_target, sales_met FROM kpi_grade")
        ).all()
        rule = connection.execute(
            text("SELECT products_target, sales_growth_percent, percent_d FROM kpi_rule")
        ).one()
        seed_sales = connection.execute(
            text("SELECT DISTINCT base_sales, sales_target FROM v_seed_table")
        ).all()
        report = build_report(connection, Q2, "57")
    held_back_by_sales = {"5707": "B", "5712": "B"}  # their shop level, once sales do not count
    assert grades == {**EXPECTED_GRADES, **held_back_by_sales}
    assert sales == [(None, None, None)]
    assert (rule[0], rule[1], Decimal(str(rule[2]))) == (1, None, Decimal(25))
    assert seed_sales == [(None, None)]
    assert report.labels["sales_target"] == "เป้าหมายร้อยละ -"
    markdown = to_markdown(report)
    assert "| 12 | 5712 | พญาเม็งราย | 1 |  |  | 18 |" in markdown
    assert render(report, "html").count(b"<svg") == 2
    assert render(report, "xlsx").startswith(b"PK")
