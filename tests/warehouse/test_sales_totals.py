"""``monthly_sales_total`` is always the sales rows summed per district and month: after a load
into an empty table, a correction, a renumbered producer and a load of new rows, and after the
migration that adds it to a warehouse already holding sales; and grading's sales as of a day
before a correction equal what the rows recorded by then sum to. On both engines."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pandas as pd
from alembic import command
from sqlalchemy import text

from otop_sync.datasets import dataset
from otop_sync.transforms.deltas import latest_sales
from otop_sync.warehouse import queries
from otop_sync.warehouse.db import _alembic_config, make_engine, upgrade
from otop_sync.warehouse.loaders import load_rows
from tests.warehouse.conftest import load_all

CENTS = Decimal("0.01")


def _totals(engine) -> list[tuple]:
    with engine.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT district_code, month, province_code, amount, rows_summed, recorded_until "
                "FROM monthly_sales_total ORDER BY district_code, month"
            )
        ).all()
    return [
        (d, str(m)[:10], p, Decimal(str(a)).quantize(CENTS), n, str(r)[:10])
        for d, m, p, a, n, r in rows
    ]


def _summed_from_rows(engine) -> list[tuple]:
    """The totals computed in Python from every row of ``monthly_sales``."""
    with engine.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT district_code, month, province_code, amount, recorded_on FROM monthly_sales"
            )
        ).all()
    sums: dict[tuple, list] = {}
    for district, month, province, amount, recorded_on in rows:
        key = (district, str(month)[:10], province)
        total = sums.setdefault(key, [Decimal(0), 0, ""])
        total[0] += Decimal(str(amount)).quantize(CENTS)
        total[1] += 1
        total[2] = max(total[2], str(recorded_on)[:10])
    return sorted((*key, amount, count, until) for key, (amount, count, until) in sums.items())


def _kept(engine) -> list[tuple]:
    totals = _totals(engine)
    assert totals == _summed_from_rows(engine)
    return totals


def test_the_totals_are_the_rows_summed_after_every_kind_of_load(engine, chiang_rai_rows):
    sales = chiang_rai_rows["sales"]
    load_all(engine, {"sales": sales}, "run-1")
    first = _kept(engine)
    assert len(first) == sales.groupby(["district_code", "month"]).ngroups

    corrected = sales.copy()
    row = corrected.index[
        (corrected["district_code"] == "5712") & (corrected["producer_code"] != "")
    ][0]
    corrected.at[row, "amount"] += Decimal("10000.00")
    corrected.at[row, "recorded_on"] = date(2025, 11, 20)
    load_all(engine, {"sales": corrected}, "run-2")
    after_correction = _kept(engine)
    changed = [new for old, new in zip(first, after_correction, strict=True) if old != new]
    key = (corrected.at[row, "district_code"], str(corrected.at[row, "month"]))
    assert [c[:2] for c in changed] == [key]
    assert changed[0][3] - {(t[0], t[1]): t[3] for t in first}[key] == Decimal("10000.00")
    assert changed[0][5] == "2025-11-20"

    renumbered = corrected.copy()
    other = renumbered.index[(renumbered["producer_code"] != "") & (renumbered.index != row)][0]
    renumbered.at[other, "producer_code"] = "NEW-0001"
    counts = load_all(engine, {"sales": renumbered}, "run-3")["sales"]
    assert counts.renumbered == 1
    assert _kept(engine) == after_correction  # the same figure under a new code: same totals

    extra = renumbered.iloc[[other]].assign(producer_code="NEW-0002", amount=Decimal("123.45"))
    load_all(engine, {"sales": pd.concat([renumbered, extra], ignore_index=True)}, "run-4")
    with_extra = {(t[0], t[1]): t for t in _kept(engine)}
    district, month = renumbered.at[other, "district_code"], str(renumbered.at[other, "month"])
    before = {(t[0], t[1]): t for t in after_correction}[(district, month)]
    assert with_extra[(district, month)][3:5] == (before[3] + Decimal("123.45"), before[4] + 1)


def test_a_target_without_corrections_keeps_its_totals_too(engine, chiang_rai_rows):
    sales = dataset("sales")
    plain = replace(
        sales, target=replace(sales.target, corrections=False, history_table=None, identity=None)
    )
    rows = chiang_rai_rows["sales"]
    with engine.begin() as connection:
        load_rows(connection, plain, rows, "run-1")  # into the empty table
    first = _kept(engine)
    changed = rows.copy()
    changed.at[changed.index[0], "amount"] += Decimal("1.00")
    with engine.begin() as connection:
        load_rows(connection, plain, changed, "run-2")  # merged
    assert _kept(engine) != first


def test_sales_as_of_a_day_before_a_correction_are_the_rows_recorded_by_then(
    engine, chiang_rai_rows
):
    sales = chiang_rai_rows["sales"]
    corrected = sales.copy()
    rows = corrected.index[(corrected["producer_code"] != "")][::50]
    corrected.loc[rows, "amount"] = [a + Decimal("7.31") for a in corrected.loc[rows, "amount"]]
    corrected.loc[rows, "recorded_on"] = date(2025, 11, 20)
    load_all(engine, {"sales": sales}, "run-1")
    load_all(engine, {"sales": corrected}, "run-2")
    months = sorted(sales["month"].unique())
    every = pd.concat([sales, corrected.loc[rows]], ignore_index=True)
    for day in (date(2024, 3, 1), date(2025, 11, 19), date(2025, 11, 20)):
        with engine.connect() as connection:
            got = queries.sales_by_month(connection, ["57"], months, recorded_by=day)
        known = latest_sales(every[every["recorded_on"] <= day])
        expected = known.groupby(["district_code", "month"])["amount"].sum()
        assert {(d, m): Decimal(a).quantize(CENTS) for d, m, a in got.itertuples(index=False)} == {
            key: Decimal(a).quantize(CENTS) for key, a in expected.items()
        }, day


def test_the_migration_sums_the_sales_already_loaded(warehouse_url):
    engine = make_engine(warehouse_url)
    config = _alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0008")
        connection.execute(
            text(
                "INSERT INTO monthly_sales (district_code, producer_code, month, province_code, "
                "amount, recorded_on, raw_sha256, run_id) VALUES "
                "('5701', 'P1', '2024-01-01', '57', 100.10, '2024-02-05', 's', 'r'), "
                "('5701', 'P2', '2024-01-01', '57', 0.20, '2024-02-09', 's', 'r'), "
                "('5702', 'P1', '2024-01-01', '57', 5.00, '2024-02-01', 's', 'r')"
            )
        )
    upgrade(engine)
    assert _totals(engine) == [
        ("5701", "2024-01-01", "57", Decimal("100.30"), 2, "2024-02-09"),
        ("5702", "2024-01-01", "57", Decimal("5.00"), 1, "2024-02-01"),
    ]
    engine.dispose()
