"""Benchmark: the grading step of a national sync (928 districts, every quarter a national sync
grades) against a national warehouse in PostgreSQL, in transactions that are rolled back.

Times ``grade_quarters`` several times in three cases: a first grading (no grade or target of
those quarters stored yet: every grade written), every grade changed (each gets a new version
and the stored one is stamped as replaced), and the stored grades already current (the second,
unchanged nightly run: nothing written). Prints the best and median seconds of each, the
median seconds of its parts (reading the source aggregates, computing, writing: rules, targets
and grades, reading the stored grades to compare with included) and the grade versions written.

The warehouse is the one ``--pg`` names; if it holds no sales yet, a national sync from the
mock CDD (in its own process) builds it first (a minute or two, the mock's data as much again)
and the data are kept for the next run. Use a database of your own, not the tests' one. The
grade tables are vacuumed before each grading (the rolled-back ones leave dead rows behind).

    python3 run.py bench grading --pg postgresql://postgres@127.0.0.1:5432/DB [--repeat N]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from _mock import mock_process
from national_sync import AS_OF, _sync, _warm_up, reachable_pg
from sqlalchemy import Connection, Engine, inspect, text

from otop_sync.flows.cli import QUIET_PREFECT
from otop_sync.flows.pipeline import quarters_to_grade
from otop_sync.rules import load_rulebook
from otop_sync.transforms.districts import province_codes
from otop_sync.transforms.fiscal import Quarter
from otop_sync.warehouse import grading, loaders, quarantined, queries
from otop_sync.warehouse.db import make_engine, upgrade

PARTS: dict[str, list[tuple[object, str]]] = {
    "read": [
        (queries, "sales_by_month"),
        (queries, "active_product_counts"),
        (queries, "shop_unit_counts"),
        (queries, "baseline"),
        (quarantined, "read_quarantined"),
        (queries, "current_grades_as_of"),
    ],
    "write": [
        (loaders, "write_rules"),
        (loaders, "write_targets"),
        (loaders, "write_grades"),
    ],
}
"""The functions ``grade_quarters`` calls whose time makes each part (compute: the rest, the
quarantine's effect on the grades included; write: the stored grades read to compare too)."""
GRADE_TABLES = ("kpi_grade_criterion", "kpi_grade_version", "kpi_target", "kpi_target_province")


def _has_sales(engine: Engine) -> bool:
    if not inspect(engine).has_table("monthly_sales"):
        return False
    with engine.connect() as connection:
        return connection.execute(text("SELECT 1 FROM monthly_sales LIMIT 1")).first() is not None


def _build(url: str, engine: Engine) -> None:
    """A national sync from the mock into the warehouse (its data are kept), then the
    planner's statistics gathered, as autovacuum would soon after (a server may have it off)."""
    print("the warehouse holds no sales: building it with a national sync (a few minutes)")
    began = time.perf_counter()
    with tempfile.TemporaryDirectory() as scratch, mock_process("national") as mock_url:
        _warm_up()
        report, seconds = _sync(url, Path(scratch), mock_url)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("ANALYZE"))
    print(
        f"  national sync: {seconds:.1f} s ({time.perf_counter() - began:.1f} s with the mock), "
        f"{len(report.grades):,} grades"
    )


@contextmanager
def _timed_parts(seconds: dict[str, float]) -> Iterator[None]:
    """Add the time spent in each part's functions to ``seconds`` while inside."""
    originals = []

    def timer(part: str, function: Callable[..., object]) -> Callable[..., object]:
        def timed(*args: object, **kwargs: object) -> object:
            began = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                seconds[part] = seconds.get(part, 0.0) + time.perf_counter() - began

        return timed

    for part, functions in PARTS.items():
        for module, name in functions:
            function = getattr(module, name, None)
            if function is not None:
                originals.append((module, name, function))
                setattr(module, name, timer(part, function))
    try:
        yield
    finally:
        for module, name, function in originals:
            setattr(module, name, function)


def _vacuum(engine: Engine) -> None:
    """Clear the dead rows the rolled-back gradings left in the grade tables (autovacuum
    would; a server may have it off), so that every grading reads tables of the same size."""
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text(f"VACUUM ANALYZE {', '.join(GRADE_TABLES)}"))


def _versions(connection: Connection) -> int:
    return connection.execute(text("SELECT count(*) FROM kpi_grade_version")).scalar_one()


def _forget_grades(connection: Connection, quarters: list[Quarter]) -> None:
    """No grade or target of the quarters stored (a first grading)."""
    for table in GRADE_TABLES:
        for quarter in quarters:
            connection.execute(
                text(f"DELETE FROM {table} WHERE fiscal_year = :fy AND quarter = :q"),
                {"fy": quarter.fiscal_year, "q": quarter.number},
            )


def _change_grades(connection: Connection, quarters: list[Quarter]) -> None:
    """Every current grade of the quarters stored with other content (each grading then
    writes a new version)."""
    for quarter in quarters:
        connection.execute(
            text(
                "UPDATE kpi_grade_version SET reasons = 'changed' "
                "WHERE fiscal_year = :fy AND quarter = :q AND replaced_at IS NULL"
            ),
            {"fy": quarter.fiscal_year, "q": quarter.number},
        )


def _as_stored(connection: Connection) -> None:
    """The grades as the warehouse holds them: current (graded by the sync as of AS_OF)."""


def _grade(connection: Connection, quarters: list[Quarter], run_id: str) -> None:
    rulebook = load_rulebook()
    grading.grade_quarters(connection, quarters, province_codes(), rulebook, AS_OF, run_id)


def _case(
    engine: Engine, quarters: list[Quarter], repeat: int, prepare: Callable[[Connection], None]
) -> tuple[list[float], dict[str, list[float]], int]:
    """Seconds of each grading after ``prepare``, each part's seconds, versions written."""
    totals, parts, written = [], {part: [] for part in (*PARTS, "compute")}, 0
    for i in range(repeat):
        _vacuum(engine)
        with engine.connect() as connection:
            transaction = connection.begin()
            prepare(connection)
            before = _versions(connection)
            seconds: dict[str, float] = {}
            with _timed_parts(seconds):
                began = time.perf_counter()
                _grade(connection, quarters, f"bench-{i}")
                total = time.perf_counter() - began
            written = _versions(connection) - before
            transaction.rollback()
        totals.append(total)
        for part in PARTS:
            parts[part].append(seconds.get(part, 0.0))
        parts["compute"].append(total - sum(seconds.values()))
    return totals, parts, written


def _print_case(
    label: str, totals: list[float], parts: dict[str, list[float]], written: int
) -> None:
    print(
        f"{label}: best {min(totals):.3f} s, median {statistics.median(totals):.3f} s "
        f"({len(totals)} runs); {written:,} grade versions written"
    )
    print(
        "  median parts: "
        + ", ".join(f"{part} {statistics.median(values):.3f} s" for part, values in parts.items())
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--pg", required=True, help="the national warehouse: a database of its own, kept"
    )
    parser.add_argument("--repeat", type=int, default=7, help="gradings timed per case")
    args = parser.parse_args()
    os.environ.update(QUIET_PREFECT)
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "300")
    engine = make_engine(reachable_pg(args.pg))
    upgrade(engine)  # a warehouse built by an earlier version is brought up to date first
    if not _has_sales(engine):
        _build(args.pg, engine)
    quarters = quarters_to_grade(load_rulebook(), AS_OF)
    with engine.connect() as connection:
        districts = connection.execute(text("SELECT count(*) FROM district")).scalar_one()
    print(
        f"grading {len(quarters)} quarters ({quarters[0]}–{quarters[-1]}) of {districts} "
        f"districts as of {AS_OF}: {len(quarters) * districts:,} grades"
    )
    _vacuum(engine)
    with engine.connect() as connection:  # warm-up (imports, caches), rolled back
        transaction = connection.begin()
        _grade(connection, quarters, "bench-warm-up")
        transaction.rollback()
    cases = {
        "first grading (nothing stored)": lambda c: _forget_grades(c, quarters),
        "every grade changed": lambda c: _change_grades(c, quarters),
        "unchanged (stored grades current)": _as_stored,
    }
    for label, prepare in cases.items():
        _print_case(label, *_case(engine, quarters, args.repeat, prepare))
    engine.dispose()


if __name__ == "__main__":
    main()
