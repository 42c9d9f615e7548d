"""Loads, targets, grades and views on both engines, from the mock's Chiang Rai data."""

import hashlib
from datetime import date
from decimal import Decimal

import pandas as pd
import pytest
from sqlalchemy import select, text

from otop_sync.datasets import dataset
from otop_sync.transforms.fiscal import Quarter
from otop_sync.warehouse.grading import grade_quarters
from otop_sync.warehouse.loaders import load_rows
from otop_sync.warehouse.models import KpiTarget
from tests.warehouse.conftest import load_all

Q2 = Quarter(2567, 2)
FINAL_DAY = date(2024, 7, 15)  # inside 2567Q3: 2567Q2 is final
EXPECTED_GRADES = {
    "5701": "A",
    "5702": "B",
    "5703": "C",
    "5704": "D",
    "5705": None,
    "5706": None,
    "5707": None,
    "5708": "A",
    "5709": "B",
    "5710": "C",
    "5711": "D",
    "5712": None,
    "5713": "A",
    "5714": "B",
    "5715": None,
    "5716": "C",
    "5717": "A",
    "5718": "D",
}
TABLES = ["product_registration", "monthly_sales", "shop_registration", "kpi_baseline"]


def checksum(engine, table):
    """Row count and a digest of every row, in key order."""
    with engine.connect() as connection:
        rows = connection.execute(text(f"SELECT * FROM {table}")).all()
    lines = sorted(repr(tuple(str(v) for v in row)) for row in rows)
    return len(rows), hashlib.sha256("\n".join(lines).encode()).hexdigest()


def graded(engine, rows, run_id="run-1", as_of=FINAL_DAY):
    load_all(engine, rows, run_id)
    with engine.begin() as connection:
        return grade_quarters(connection, [Q2], ["57"], _rulebook(), as_of, run_id)


def _rulebook():
    from otop_sync.rules import load_rulebook

    return load_rulebook()


def test_targets_equal_the_letters_table(engine, chiang_rai_rows, seed_targets):
    graded(engine, chiang_rai_rows)
    with engine.connect() as connection:
        table = KpiTarget.__table__
        targets = connection.execute(
            select(
                table.c[
                    "district_code",
                    "products_target",
                    "base_sales",
                    "sales_target",
                    "interested_q1",
                    "threshold_d",
                    "threshold_c",
                    "threshold_b",
                    "threshold_a",
                ]
            )
            .where(table.c.fiscal_year == 2567, table.c.quarter == 2)
            .order_by(table.c.district_code)
        ).all()
        seed_view = connection.execute(
            text(
                "SELECT district_code, district_name_th, products_target, base_sales, sales_target, "
                "interested_q1, threshold_d, threshold_c, threshold_b, threshold_a FROM v_seed_table "
                "WHERE fiscal_year = 2567 AND quarter = 2 ORDER BY is_total, district_code"
            )
        ).all()
    columns = [
        "products_target",
        "base_sales_2566q2",
        "sales_target",
        "interested_q1",
        "threshold_d",
        "threshold_c",
        "threshold_b",
        "threshold_a",
    ]

    def expected(row):
        return (
            row["district_code"],
            *(Decimal(row[c]) if "sales" in c else int(row[c]) for c in columns),
        )

    assert [tuple(r) for r in targets] == [expected(r) for r in seed_targets[:-1]]
    assert len(seed_view) == 19
    for row, fixture in zip(seed_view, seed_targets, strict=True):
        assert row[0] == fixture["district_code"]
        assert row[1] == fixture["district_name_th"]
        assert (
            tuple(
                Decimal(str(v)).quantize(Decimal("0.01")) if i in (1, 2) else int(v)
                for i, v in enumerate(row[2:])
            )
            == expected(fixture)[1:]
        )


def test_grades_cover_every_outcome_and_are_final(engine, chiang_rai_rows):
    graded(engine, chiang_rai_rows)
    with engine.connect() as connection:
        grades = connection.execute(
            text(
                "SELECT district_code, grade, status, district_name_th, missing_sales FROM v_grade "
                "WHERE fiscal_year = 2567 AND quarter = 2 ORDER BY district_code"
            )
        ).all()
    assert {code: grade for code, grade, *_ in grades} == EXPECTED_GRADES
    assert {status for _, _, status, *_ in grades} == {"final"}
    by_code = {row[0]: row for row in grades}
    assert by_code["5712"][3] == "พญาเม็งราย"
    assert Decimal(str(by_code["5712"][4])).quantize(Decimal("0.01")) == Decimal("0.01")


def test_grade_is_provisional_before_the_last_sales_are_due(engine, chiang_rai_rows):
    graded(engine, chiang_rai_rows, as_of=date(2024, 4, 18))
    with engine.connect() as connection:
        statuses = connection.execute(text("SELECT DISTINCT status FROM kpi_grade")).scalars().all()
    assert statuses == ["provisional"]


def test_loading_the_same_inputs_again_changes_nothing(engine, chiang_rai_rows):
    first = load_all(engine, chiang_rai_rows, "run-1")
    assert first["sales"].inserted == len(chiang_rai_rows["sales"])
    before = {table: checksum(engine, table) for table in TABLES}
    again = load_all(engine, chiang_rai_rows, "run-2")
    assert all(c.inserted == c.updated == c.history == 0 for c in again.values())
    assert {table: checksum(engine, table) for table in TABLES} == before


def test_regrading_the_same_data_keeps_one_version(engine, chiang_rai_rows):
    graded(engine, chiang_rai_rows, run_id="run-1")
    with engine.begin() as connection:
        grade_quarters(connection, [Q2], ["57"], _rulebook(), FINAL_DAY, "run-2")
    with engine.connect() as connection:
        assert connection.execute(text("SELECT max(version) FROM kpi_grade")).scalar_one() == 1
        assert connection.execute(text("SELECT count(*) FROM kpi_grade_history")).scalar_one() == 0


def _correction(rows):
    """The 5712 correction the mock makes: its largest January 2024 row plus 10,000 baht,
    recorded on 10 May 2024 (after 2567Q2 became final)."""
    sales = rows["sales"]
    january = sales[
        (sales["district_code"] == "5712")
        & (sales["month"] == date(2024, 1, 1))
        & (sales["producer_code"] != "")
    ]
    row = january.loc[january["amount"].idxmax()].copy()
    row["amount"] = row["amount"] + Decimal("10000.00")
    row["recorded_on"] = date(2024, 5, 10)
    row["raw_sha256"] = "c" * 64
    return pd.DataFrame([row]), january["amount"].max()


def test_a_correction_after_the_quarter_is_final_makes_a_new_grade_version(engine, chiang_rai_rows):
    graded(engine, chiang_rai_rows, run_id="run-1")
    correction, original = _correction(chiang_rai_rows)
    with engine.begin() as connection:
        counts = load_rows(connection, dataset("sales"), correction, "run-2")
        grade_quarters(connection, [Q2], ["57"], _rulebook(), date(2024, 7, 16), "run-2")
    assert (counts.updated, counts.history) == (1, 1)
    with engine.connect() as connection:
        current = connection.execute(
            text(
                "SELECT grade, version, run_id, status FROM kpi_grade WHERE district_code = '5712' "
                "AND fiscal_year = 2567 AND quarter = 2"
            )
        ).one()
        history = connection.execute(
            text(
                "SELECT grade, version, run_id, replaced_by_run FROM kpi_grade_history "
                "WHERE district_code = '5712'"
            )
        ).all()
        replaced = connection.execute(
            text("SELECT amount, replaced_by_run FROM monthly_sales_history")
        ).all()
        others = connection.execute(
            text("SELECT count(*) FROM kpi_grade WHERE version > 1")
        ).scalar_one()
    assert tuple(current) == ("B", 2, "run-2", "final")
    assert [tuple(h) for h in history] == [(None, 1, "run-1", "run-2")]
    assert [(Decimal(str(a)).quantize(Decimal("0.01")), r) for a, r in replaced] == [
        (original, "run-2")
    ]
    assert others == 1


def test_an_older_row_does_not_replace_a_newer_one(engine, chiang_rai_rows):
    load_all(engine, chiang_rai_rows, "run-1")
    correction, _ = _correction(chiang_rai_rows)
    stale = correction.assign(recorded_on=date(2024, 2, 1), amount=Decimal("1.00"))

    with engine.begin() as connection:
        counts = load_rows(connection, dataset("sales"), stale, "run-2")
    assert (counts.inserted, counts.updated, counts.history) == (0, 0, 0)


def test_a_correction_within_one_file_keeps_the_replaced_row(engine, chiang_rai_rows):
    correction, original = _correction(chiang_rai_rows)
    both = pd.concat([chiang_rai_rows["sales"], correction], ignore_index=True)
    counts = load_all(engine, {"sales": both}, "run-1")["sales"]
    assert counts.history == 1
    assert counts.inserted == len(chiang_rai_rows["sales"])
    with engine.connect() as connection:
        kept = connection.execute(text("SELECT amount FROM monthly_sales_history")).scalar_one()
    assert Decimal(str(kept)).quantize(Decimal("0.01")) == original


def test_a_failure_mid_load_leaves_the_warehouse_as_it_was(engine, chiang_rai_rows):
    load_all(engine, {"baseline": chiang_rai_rows["baseline"]}, "run-1")
    before = {table: checksum(engine, table) for table in TABLES}
    broken = chiang_rai_rows["shops"].copy()
    broken.loc[broken.index[-1], "district_code"] = "9999"  # no such district: the load fails
    with pytest.raises(Exception, match=r"(?i)foreign key|violates"):
        load_all(
            engine,
            {
                "products": chiang_rai_rows["products"],
                "sales": chiang_rai_rows["sales"],
                "shops": broken,
            },
            "run-2",
        )
    assert {table: checksum(engine, table) for table in TABLES} == before


def test_monthly_sales_view(engine, chiang_rai_rows):
    load_all(engine, {"sales": chiang_rai_rows["sales"]}, "run-1")
    with engine.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT district_code, district_name_th, amount FROM v_monthly_sales "
                "WHERE month = :month ORDER BY district_code"
            ),
            {"month": date(2023, 1, 1)},
        ).all()
    assert len(rows) == 18
    assert rows[0][1] == "เมืองเชียงราย"


def test_sales_naming_an_unknown_district_load_nothing(engine, chiang_rai_rows):
    from otop_sync.warehouse.loaders import UnknownDistrictError

    broken = chiang_rai_rows["sales"].copy()
    broken.loc[broken.index[:2], "district_code"] = ["9998", "9999"]
    with pytest.raises(
        UnknownDistrictError, match=r"^sales rows name unknown districts: 9998, 9999$"
    ):
        load_all(engine, {"sales": broken}, "run-1")
    assert checksum(engine, "monthly_sales")[0] == 0
    assert checksum(engine, "monthly_sales_history")[0] == 0


def test_a_large_load_into_empty_tables_builds_its_key_afterwards_and_still_checks_it(
    engine, chiang_rai_rows, monkeypatch
):
    from sqlalchemy.exc import IntegrityError

    from otop_sync.warehouse import loaders

    monkeypatch.setattr(loaders, "REBUILD_KEY_ROWS", 1)  # every load here counts as large
    products = chiang_rai_rows["products"]
    repeated = pd.concat([products, products.iloc[:1]], ignore_index=True)
    with pytest.raises(IntegrityError, match=r"(?i)unique"):
        load_all(engine, {"products": repeated}, "run-1")
    assert checksum(engine, "product_registration")[0] == 0

    load_all(engine, {"products": products, "sales": chiang_rai_rows["sales"]}, "run-1")
    assert checksum(engine, "product_registration")[0] == len(products)
    with pytest.raises(IntegrityError, match=r"(?i)unique"), engine.begin() as connection:
        connection.execute(  # the key is back on the table
            text("INSERT INTO product_registration SELECT * FROM product_registration LIMIT 1")
        )
    with engine.connect() as connection:
        indexes = set(_index_names(connection, "monthly_sales"))
    assert "ix_monthly_sales_month_district" in indexes


def _index_names(connection, table):
    from sqlalchemy import inspect

    return [index["name"] for index in inspect(connection).get_indexes(table)]
