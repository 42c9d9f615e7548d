"""Grading several quarters at once stores what grading them one by one stores: the targets
merged in one go, the stored grades read once and compared, the new versions written in bulk
and the versions they replace stamped together. The times stored are the instants they were,
whatever the session's time zone, and a quarter asked for twice is written once. Every
criterion row has its version header and every header its criteria, and grades or targets of a
district the warehouse does not know are refused (no per-row foreign key checks them)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import Connection, select, text

from otop_sync.transforms.fiscal import Quarter, quarter_range
from otop_sync.warehouse import loaders
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


def test_every_criterion_row_has_its_header_and_every_header_its_criteria(
    engine, chiang_rai_rows, rulebook
):
    load_all(engine, chiang_rai_rows, "run-1")
    with engine.begin() as connection:
        _grade_twice(connection, rulebook, together=True)
        key = "fiscal_year, quarter, district_code, version"
        headers = set(connection.execute(text(f"SELECT {key} FROM kpi_grade_version")).all())
        criteria = connection.execute(
            text(f"SELECT {key}, count(*) FROM kpi_grade_criterion GROUP BY {key}")
        ).all()
    assert len(headers) == 18 * len(QUARTERS) + 2 * len(QUARTERS)
    assert {tuple(row[:4]) for row in criteria} == headers
    assert {row[4] for row in criteria} == {3}


def test_grades_and_targets_of_an_unknown_district_are_refused(engine, chiang_rai_rows, rulebook):
    load_all(engine, chiang_rai_rows, "run-1")
    with engine.connect() as connection:
        transaction = connection.begin()
        (result,) = grade_quarters(connection, QUARTERS[:1], ["57"], rulebook, AS_OF, "run-g")
        transaction.rollback()
        targets = result.targets.replace({"district_code": {"5712": "9912"}})
        grades = result.grades.replace({"district_code": {"5712": "9912", "5701": "9901"}})
        with connection.begin():
            with pytest.raises(
                loaders.UnknownDistrictError, match=r"^targets name unknown districts: 9912$"
            ):
                loaders.write_targets(connection, [targets], [result.province_total], "run-h")
            with pytest.raises(
                loaders.UnknownDistrictError, match=r"^grades name unknown districts: 9901, 9912$"
            ):
                loaders.write_grades(connection, [grades], "run-h", datetime.now(UTC))
            stored = connection.execute(text("SELECT count(*) FROM kpi_grade_version")).scalar()
    assert stored == 0
