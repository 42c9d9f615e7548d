"""Grading several quarters at once stores what grading them one by one stores: the targets
merged in one go, the stored grades read once and compared, the new versions written in bulk
and the versions they replace stamped together. The times stored are the instants they were,
whatever the session's time zone, and a quarter asked for twice is written once."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import Connection, select, text

from otop_sync.transforms.fiscal import Quarter, quarter_range
from otop_sync.warehouse.grading import grade_quarters
from otop_sync.warehouse.models import KpiGradeVersion
from tests.warehouse.conftest import load_all

QUARTERS = list(quarter_range(Quarter(2567, 1), Quarter(2568, 4)))
AS_OF = date(2025, 11, 15)
TABLES = {
    "kpi_rule": "fiscal_year",
    "kpi_target": "fiscal_year, quarter, district_code",
    "kpi_target_province": "fiscal_year, quarter, province_code",
    "kpi_grade_version": "fiscal_year, quarter, district_code, version",
    "kpi_grade_criterion": "fiscal_year, quarter, district_code, version, criterion",
}
MOMENTS = {"computed_at", "replaced_at"}
"""When a run graded: each grading call has its own."""


def _stored(connection: Connection) -> dict[str, list[tuple]]:
    """Every row grading writes, in key order, without the moments of the calls."""
    stored = {}
    for table, key in TABLES.items():
        result = connection.execute(text(f"SELECT * FROM {table} ORDER BY {key}"))
        keep = [i for i, name in enumerate(result.keys()) if name not in MOMENTS]
        stored[table] = [tuple(row[i] for i in keep) for row in result]
    return stored


def _utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _grade_twice(connection: Connection, rulebook, together: bool) -> dict[str, list[tuple]]:
    """Grade every quarter, change some stored figures, grade again; what is stored."""
    for run_id in ("run-g", "run-h"):
        for quarters in [QUARTERS] if together else [[q] for q in QUARTERS]:
            grade_quarters(connection, quarters, ["57"], rulebook, AS_OF, run_id)
        connection.execute(
            text(
                "UPDATE kpi_grade_criterion SET actual = actual + 1 "
                "WHERE district_code IN ('5701', '5712') AND criterion = 'sales'"
            )
        )
    return _stored(connection)


def test_quarters_graded_together_store_what_one_by_one_stores(engine, chiang_rai_rows, rulebook):
    load_all(engine, chiang_rai_rows, "run-1")
    stored = {}
    with engine.connect() as connection:
        for together in (True, False):
            transaction = connection.begin()
            stored[together] = _grade_twice(connection, rulebook, together)
            old, new = KpiGradeVersion.__table__.alias(), KpiGradeVersion.__table__.alias()
            replaced = connection.execute(
                select(old.c.replaced_at, new.c.computed_at, old.c.replaced_by_run).join(
                    new,
                    (new.c.fiscal_year == old.c.fiscal_year)
                    & (new.c.quarter == old.c.quarter)
                    & (new.c.district_code == old.c.district_code)
                    & (new.c.version == old.c.version + 1),
                )
            ).all()
            transaction.rollback()
            assert {(_utc(at) == _utc(then), run) for at, then, run in replaced} == {
                (True, "run-h")
            }
            assert len(replaced) == 2 * len(QUARTERS)
    assert stored[True] == stored[False]
    versions = stored[True]["kpi_grade_version"]
    assert len(versions) == 18 * len(QUARTERS) + len(replaced)


def test_grade_times_are_the_instants_they_were(engine, chiang_rai_rows, rulebook):
    load_all(engine, chiang_rai_rows, "run-1")
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("SET LOCAL TIME ZONE 'Asia/Bangkok'"))
        before = datetime.now(UTC)
        grade_quarters(connection, QUARTERS[:2], ["57"], rulebook, AS_OF, "run-g")
        after = datetime.now(UTC)
        connection.execute(text("UPDATE kpi_grade_criterion SET actual = actual + 1"))
        grade_quarters(connection, QUARTERS[:2], ["57"], rulebook, AS_OF, "run-h")
        header = KpiGradeVersion.__table__
        moments = connection.execute(
            select(header.c.computed_at, header.c.replaced_at).distinct()
        ).all()
    first = [_utc(computed) for computed, replaced in moments if replaced is not None]
    assert len(set(first)) == 1
    assert before <= first[0] <= after
    assert {_utc(replaced) for _, replaced in moments if replaced is not None} == {
        _utc(computed) for computed, replaced in moments if replaced is None
    }


def test_a_quarter_asked_for_twice_is_written_once(engine, chiang_rai_rows, rulebook):
    load_all(engine, chiang_rai_rows, "run-1")
    q2 = Quarter(2567, 2)
    with engine.begin() as connection:
        results = grade_quarters(connection, [q2, q2], ["57"], rulebook, AS_OF, "run-g")
        versions = connection.execute(
            text("SELECT DISTINCT version FROM kpi_grade_version WHERE quarter = 2")
        ).scalars()
        assert list(versions) == [1]
    assert [len(result.grades) for result in results] == [18, 18]
    assert all(result.stored for result in results)
