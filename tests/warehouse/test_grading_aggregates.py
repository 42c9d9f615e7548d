"""Grading reads aggregates counted in the database (active products and Shop ชุมชน units per
district and day), not the registrations row by row. On Chiang Rai's data, varied with
cancellations, shared producer codes and sales centres, the database's counts and the grades
made from them equal what the row-by-row functions compute from the same rows."""

from __future__ import annotations

import gc
from datetime import date, timedelta

import pandas as pd
import pytest

from otop_sync.transforms.criteria import QuarterData
from otop_sync.transforms.deltas import (
    active_product_counts,
    grading_days,
    products_added,
    products_known_by,
    quarter_sales,
    shop_unit_counts,
    shop_units,
    shops_known_by,
    shops_registered,
)
from otop_sync.transforms.fiscal import Quarter, quarter_range
from otop_sync.transforms.grades import grade_quarter
from otop_sync.transforms.rules import RulesError
from otop_sync.warehouse import queries
from otop_sync.warehouse.grading import grade_quarters
from tests.warehouse.conftest import load_all

QUARTERS = list(quarter_range(Quarter(2567, 1), Quarter(2568, 4)))
AS_OF_DAYS = (date(2024, 1, 10), date(2024, 7, 15), date(2025, 11, 15))


@pytest.fixture(scope="module")
def varied_rows(chiang_rai_rows) -> dict[str, pd.DataFrame]:
    """Chiang Rai's rows with every case the counts must get right: products cancelled before,
    between and after the days counted; shops sharing a producer code; shops without one."""
    rows = {name: frame.copy() for name, frame in chiang_rai_rows.items()}
    products = rows["products"]
    cancelled = products.index[::5]
    products.loc[cancelled, "cancelled_on"] = [
        registered + timedelta(days=37 * (i % 19))
        for i, registered in enumerate(products.loc[cancelled, "registered_on"])
    ]
    shops = rows["shops"].reset_index(drop=True)
    producers = shops["producer_code"].to_numpy(dtype=object).copy()
    for i in range(1, len(shops), 4):
        producers[i] = producers[i - 1]  # one producer, two shops: one unit
    producers[::9] = ""  # a sales centre
    rows["shops"] = shops.assign(producer_code=producers)
    return rows


def _sorted(frame: pd.DataFrame) -> list[tuple]:
    return sorted(tuple(int(v) if isinstance(v, int) else v for v in row) for row in frame.values)


def test_the_database_counts_and_grades_what_the_rows_count(engine, varied_rows, rulebook):
    load_all(engine, varied_rows, "run-1")
    days = grading_days(QUARTERS)
    seen = set()
    with engine.connect() as connection:
        product_rows = queries.products(connection, ["57"])
        shop_rows = queries.shops(connection, ["57"])
        for as_of in AS_OF_DAYS:
            products = queries.active_product_counts(connection, ["57"], days, known_by=as_of)
            units = queries.shop_unit_counts(connection, ["57"], days, known_by=as_of)
            by_rows = active_product_counts(products_known_by(product_rows, as_of), days)
            units_by_rows = shop_unit_counts(shops_known_by(shop_rows, as_of), days)
            assert _sorted(products) == _sorted(by_rows)
            assert _sorted(units) == _sorted(units_by_rows)
            seen.add((tuple(products["products"]), tuple(units["producers"])))
    assert len(seen) == len(AS_OF_DAYS)  # the day known by changes the counts
    _grades_from_aggregates_equal_the_row_by_row_grades(engine, rulebook)


def _grades_from_aggregates_equal_the_row_by_row_grades(engine, rulebook) -> None:
    as_of = date(2025, 11, 15)
    with engine.begin() as connection:
        results = grade_quarters(connection, QUARTERS, ["57"], rulebook, as_of, "run-g")
        product_rows = products_known_by(queries.products(connection, ["57"]), as_of)
        shop_rows = shops_known_by(queries.shops(connection, ["57"]), as_of)
        months = sorted({m for q in QUARTERS for m in q.months})
        sales = queries.sales_by_month(connection, ["57"], months, recorded_by=as_of)
    grades_seen = set()
    for quarter, result in zip(QUARTERS, results, strict=True):
        criteria = rulebook.for_year(quarter.fiscal_year).criteria
        codes = list(result.targets["district_code"])
        row_by_row = pd.DataFrame(
            {
                "district_code": codes,
                "products": products_added(product_rows, quarter, codes).to_numpy(),
                "sales": quarter_sales(sales, quarter, codes).to_numpy(),
                "shops": shops_registered(shop_rows, quarter.end, codes).to_numpy(),
            }
        )
        expected = grade_quarter(result.targets, row_by_row, criteria)
        got = result.grades
        for column in ("grade", "next_grade", "failed_criteria", "criteria"):
            assert list(got[column]) == list(expected[column]), (quarter, column)
        units = shop_units(shop_rows, quarter.end, codes)
        assert list(got["shop_producers"]) == list(units["producers"])
        assert list(got["shop_centres"]) == list(units["centres"])
        grades_seen |= set(got["grade"].dropna())
    assert len(grades_seen) > 1


def test_a_day_not_counted_is_an_error_not_a_zero(varied_rows):
    quarter = Quarter(2567, 2)
    data = QuarterData.from_rows(
        quarter, varied_rows["products"], varied_rows["sales"], varied_rows["shops"]
    )
    assert int(data.active_products(quarter.end, ["5701"]).iloc[0]) > 0
    message = "2567Q2: figures were counted on 2023-12-31, 2024-03-31, not on 2024-02-29"
    with pytest.raises(KeyError, match=message):
        data.shop_units(date(2024, 2, 29), ["5701"])


def test_grading_pauses_the_garbage_collector_only_while_it_runs(rulebook):
    seen = []
    real_not_covered = type(rulebook).not_covered

    def noting(self, quarter):
        seen.append(gc.isenabled())
        return real_not_covered(self, quarter)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(type(rulebook), "not_covered", noting)
        with pytest.raises(RulesError, match=r"^2566Q4: not graded"):
            grade_quarters(None, [Quarter(2566, 4)], ["57"], rulebook, date(2024, 1, 1), "r")
    assert seen == [False]  # paused inside
    assert gc.isenabled()  # and back after a failure
    gc.disable()
    try:
        assert grade_quarters(None, [], ["57"], rulebook, date(2024, 1, 1), "r") == []
        assert not gc.isenabled()  # a caller's own pause is left as it was
    finally:
        gc.enable()
