"""Regression cases from an adversarial pass: numbers with unusual spaces, values typed to
nothing, and history that must record each replaced value once (both engines)."""

from __future__ import annotations

from decimal import Decimal

import pandas as pd
import pytest
from sqlalchemy import text

from otop_sync.datasets import dataset
from otop_sync.datasets.sales import SALES
from otop_sync.transforms.cells import CellType
from otop_sync.transforms.rows import NOTHING_READ, RowIssue, parse_rows
from otop_sync.warehouse.loaders import MissingValueError, load_rows
from tests.warehouse.conftest import load_all
from tests.warehouse.test_loads import _correction


def _sales_table(*amounts: str) -> pd.DataFrame:
    return pd.DataFrame(
        [
            ["เชียงราย", "พาน", f"P{i}", "ม.ค. 67", amount, "10/2/2567"]
            for i, amount in enumerate(amounts)
        ],
        columns=SALES.canonical_columns,
    )


def test_amounts_with_a_no_break_space_or_a_tab_read_exactly():
    rows, issues = SALES.type_rows(_sales_table("1\u00a0234.50", "2\t000", "๓ ๐๐๐.๒๕"))
    assert issues == []
    assert [Decimal(str(a)) for a in rows["amount"]] == [
        Decimal("1234.50"),
        Decimal("2000.00"),
        Decimal("3000.25"),
    ]


def test_a_cell_typed_to_nothing_is_an_issue_not_a_null():
    silent = CellType(lambda _value, _row: None)
    table = pd.DataFrame({"x": ["a", ""]})
    rows, issues = parse_rows(table, {"x": silent}, {"x": "คอลัมน์"}, optional=frozenset({"x"}))
    assert issues == [RowIssue(2, "คอลัมน์", "a", NOTHING_READ)]
    assert list(rows["line"]) == [3]  # the blank optional cell stays, as None


def test_an_empty_required_value_is_refused_before_loading(engine, chiang_rai_rows):
    sales = chiang_rai_rows["sales"].head(3).copy()
    sales["amount"] = sales["amount"].astype(object)
    sales.iloc[1, sales.columns.get_loc("amount")] = None
    with engine.begin() as connection, pytest.raises(MissingValueError) as caught:
        load_rows(connection, dataset("sales"), sales, "run-1")
    line = int(sales["line"].iat[1])
    assert str(caught.value) == f"sales: 1 row(s) have no amount (lines {line}); nothing loaded"
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM monthly_sales")).scalar_one() == 0


def _history_count(engine) -> int:
    with engine.connect() as connection:
        return connection.execute(text("SELECT count(*) FROM monthly_sales_history")).scalar_one()


def test_an_export_carrying_a_correction_adds_history_once(engine, chiang_rai_rows):
    correction, original = _correction(chiang_rai_rows)
    both = pd.concat([chiang_rai_rows["sales"], correction], ignore_index=True)
    for run in ("run-1", "run-2", "run-3"):
        load_all(engine, {"sales": both}, run)
        assert _history_count(engine) == 1, run
    with engine.connect() as connection:
        kept = connection.execute(text("SELECT amount FROM monthly_sales_history")).scalar_one()
    assert Decimal(str(kept)).quantize(Decimal("0.01")) == original


def test_a_correction_loaded_after_its_original_adds_history_once(engine, chiang_rai_rows):
    correction, _ = _correction(chiang_rai_rows)
    load_all(engine, {"sales": chiang_rai_rows["sales"]}, "run-1")
    both = pd.concat([chiang_rai_rows["sales"], correction], ignore_index=True)
    load_all(engine, {"sales": both}, "run-2")
    load_all(engine, {"sales": both}, "run-3")
    assert _history_count(engine) == 1


def test_a_renumbered_producer_is_counted_once_and_the_export_wins(engine, chiang_rai_rows):
    sales = chiang_rai_rows["sales"]
    load_all(engine, {"sales": sales}, "run-1")
    renumbered = sales.copy()
    row = renumbered.index[(renumbered["producer_code"] != "")][0]
    old_code = renumbered.at[row, "producer_code"]
    renumbered.at[row, "producer_code"] = "NEW-0001"
    counts = load_all(engine, {"sales": renumbered}, "run-2")["sales"]
    assert (counts.renumbered, counts.inserted) == (1, 1)
    district, month = renumbered.at[row, "district_code"], renumbered.at[row, "month"]
    with engine.connect() as connection:
        total = connection.execute(text("SELECT count(*) FROM monthly_sales")).scalar_one()
        codes = (
            connection.execute(
                text(
                    "SELECT producer_code FROM monthly_sales WHERE district_code = :d AND month = :m "
                    "AND producer_code IN (:old, 'NEW-0001')"
                ),
                {"d": district, "m": month, "old": old_code},
            )
            .scalars()
            .all()
        )
        moved = connection.execute(
            text("SELECT producer_code, replaced_by_run FROM monthly_sales_history")
        ).all()
    assert total == len(sales)
    assert codes == ["NEW-0001"]
    assert [tuple(m) for m in moved] == [(old_code, "run-2")]
