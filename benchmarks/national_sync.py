"""Benchmark: a full national sync (77 provinces, 928 districts, 3.1 million sales rows) from
the mock CDD (in its own process) into PostgreSQL through the real path (HTTP, Thai parsing,
typing, Great Expectations, load, grading; artifacts off), against the floor measured in the
same run: pyarrow parsing the sales export plus one COPY of it into a plain table.

Prints the seconds of every step, the ratio to the floor (target: at most 8x), the peak RSS of
this process during the sync (target: under 2 GB), a second run with nothing new (target: at
most 5 % of the full sync) and, unless ``--no-sqlite``, the same for SQLite (in a process
of its own, so that its peak RSS is its own).

    python3 run.py bench national_sync [--pg URL] [--no-sqlite] [--no-rerun]
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import pyarrow.csv as pa_csv
from _mock import mock_process
from sqlalchemy import text

from otop_sync.connectors.landing import RawLandingStore
from otop_sync.flows.cli import QUIET_PREFECT
from otop_sync.flows.pipeline import extract_sources, fetch_summaries
from otop_sync.flows.request import SyncRequest
from otop_sync.transforms.districts import province_codes
from otop_sync.warehouse.db import WarehouseError, check_reachable, make_engine

if TYPE_CHECKING:
    from otop_sync.flows.nightly import RunReport

AS_OF = date(2025, 11, 15)  # every mock sale recorded, October 2568 sales not yet due
FISCAL_YEARS = [2566, 2567, 2568, 2569]
"""The fiscal years of the mock's sales as of AS_OF (each one's summary report is rendered
once by the warm-up)."""
STEPS = ("extract", "land", "type", "extract summary", "validate", "load", "grade")


def _peak_rss_gb() -> float:
    """This process's peak resident set in GiB: Linux's VmHWM, which starts afresh in a new
    process (``ru_maxrss`` would carry the parent's peak into a spawned one)."""
    status = Path("/proc/self/status").read_text()
    peak_kb = next(line.split()[1] for line in status.splitlines() if line.startswith("VmHWM:"))
    return int(peak_kb) / 1024**2


def reachable_pg(url: str) -> str:
    """The PostgreSQL URL a benchmark was given, once it answers; else the one-line reason
    (exit status 1) before anything slow starts."""
    try:
        check_reachable(make_engine(url))
    except WarehouseError as error:
        raise SystemExit(f"{Path(sys.argv[0]).stem}: {error}") from None
    return url


@contextmanager
def pg_schema(pg: str, schema: str | None = None) -> Iterator[str]:
    """A fresh PostgreSQL schema (``schema``, or a new name); yields a URL whose search path
    is it; dropped afterwards."""
    schema = schema or f"bench_{uuid.uuid4().hex[:8]}"
    admin = make_engine(pg)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    separator = "&" if "?" in pg else "?"
    try:
        yield f"{pg}{separator}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def _warm_up() -> None:
    """Start Prefect (its ephemeral server) before anything is timed."""
    from prefect import flow

    flow(name="warm-up")(lambda: None)()


def _request(mock_url: str) -> SyncRequest:
    return SyncRequest(
        provinces=province_codes(), as_of=AS_OF, source="mock", mock_url=mock_url, one_run=True
    )


def _fetch_everything(mock_url: str, scratch: str) -> None:
    """Every export and summary report of a national sync, fetched into a throwaway store."""
    request = _request(mock_url)
    landing = RawLandingStore(Path(scratch))
    extract_sources(request.settings(), landing, province_codes(), mock_url)
    fetch_summaries(request.settings(), landing, province_codes()[:1], FISCAL_YEARS, mock_url)


def _warm_mock(mock_url: str, scratch: Path) -> float:
    """Have the mock render its exports and reports once, before anything is timed (a CDD
    host serves files it holds; the mock renders each on its first request). Runs in its own
    process, so that this process's peak RSS is the sync's. Returns the seconds it took."""
    began = time.perf_counter()
    spawn = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(1, mp_context=spawn) as pool:
        pool.submit(_fetch_everything, mock_url, str(scratch)).result()
    return time.perf_counter() - began


def _sync(url: str, data_dir: Path, mock_url: str):  # type: ignore[no-untyped-def]
    """One national sync run (the ``sync-provinces`` flow: every step, no artifacts)."""
    os.environ.update({"OTOP_WAREHOUSE_URL": url, "OTOP_DATA_DIR": str(data_dir)})
    from otop_sync.flows.nightly import sync_provinces  # Prefect reads its settings here

    request = _request(mock_url)
    started = time.perf_counter()
    report = sync_provinces(request, province_codes())
    return report, time.perf_counter() - started


def _print_run(label: str, report, total: float) -> None:  # type: ignore[no-untyped-def]
    read, loaded, quarantined = (
        sum(counts[kind] for counts in report.rows.values())
        for kind in ("read", "loaded", "quarantined")
    )
    print(
        f"{label}: {total:.1f} s; rows read {read:,}, loaded {loaded:,}, "
        f"quarantined {quarantined:,}; {len(report.grades):,} grades"
    )
    steps = {step: report.seconds.get(step, 0.0) for step in STEPS}
    print("  " + ", ".join(f"{step} {seconds:.1f} s" for step, seconds in steps.items()))
    print(
        f"  in the steps: {sum(steps.values()):.1f} s; Prefect and the run's bookkeeping: "
        f"{total - sum(steps.values()):.1f} s"
    )


@dataclass
class Runs:
    """A full sync and, if asked, the unchanged rerun after it, with the peak RSS."""

    report: RunReport
    total: float
    rss_before: float
    peak_rss: float
    again: RunReport | None = None
    again_total: float = 0.0


def _sync_and_rerun(url: str, data_dir: Path, mock_url: str, rerun: bool) -> Runs:
    """Start Prefect (untimed), run a full sync and, with ``rerun``, the same again."""
    _warm_up()
    before = _peak_rss_gb()
    report, total = _sync(url, data_dir, mock_url)
    runs = Runs(report, total, before, _peak_rss_gb())
    if rerun:
        runs.again, runs.again_total = _sync(url, data_dir, mock_url)
    return runs


def _print_runs(engine: str, runs: Runs) -> None:
    _print_run(f"national sync, {engine}", runs.report, runs.total)
    print(
        f"  peak RSS of the sync's process: {runs.peak_rss:.2f} GB "
        f"(before the sync: {runs.rss_before:.2f} GB)"
    )
    if runs.again is not None:
        _print_run(f"unchanged rerun, {engine}", runs.again, runs.again_total)
        in_steps = sum(runs.again.seconds.get(step, 0.0) for step in STEPS)
        print(
            f"  rerun / full sync: {runs.again_total / runs.total:.1%} "
            f"(steps only: {in_steps / runs.total:.1%}; target: at most 5%)"
        )


def _floor(url: str, payload: Path) -> tuple[float, float, float, int]:
    """Seconds of pyarrow parsing the sales export, of one COPY of it into a plain table, and
    of a COPY of the warehouse's typed sales rows into a copy of ``monthly_sales`` with its
    key and indexes; and the rows parsed."""
    begin = time.perf_counter()
    table = pa_csv.read_csv(
        payload, convert_options=pa_csv.ConvertOptions(strings_can_be_null=False)
    )
    parse = time.perf_counter() - begin
    engine = make_engine(url)
    columns = ", ".join(f"c{i} text" for i in range(table.num_columns))
    with engine.begin() as connection:
        connection.execute(text(f"CREATE TABLE floor_plain ({columns})"))
        connection.execute(text("CREATE TABLE floor_real (LIKE monthly_sales INCLUDING ALL)"))
        cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
        typed = bytearray()
        with cursor.copy("COPY monthly_sales TO STDOUT") as out:
            for chunk in out:
                typed += chunk
    begin = time.perf_counter()
    with engine.begin() as connection, payload.open("rb") as body:
        cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
        with cursor.copy("COPY floor_plain FROM STDIN (FORMAT csv, HEADER true)") as copy:
            while block := body.read(1 << 20):
                copy.write(block)
    plain = time.perf_counter() - begin
    begin = time.perf_counter()
    with engine.begin() as connection:
        cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
        with cursor.copy("COPY floor_real FROM STDIN") as copy:
            copy.write(bytes(typed))
    real = time.perf_counter() - begin
    engine.dispose()
    return parse, plain, real, table.num_rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default_pg = os.environ.get("OTOP_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")
    parser.add_argument("--pg", default=default_pg)
    parser.add_argument("--no-sqlite", action="store_true", help="skip the SQLite sync")
    parser.add_argument("--no-rerun", action="store_true", help="skip the unchanged rerun")
    args = parser.parse_args()
    reachable_pg(args.pg)
    os.environ.update(QUIET_PREFECT)
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "300")
    with (
        tempfile.TemporaryDirectory() as scratch,
        mock_process("national") as mock_url,
        pg_schema(args.pg) as url,
    ):
        data_dir = Path(scratch) / "data"
        warm = _warm_mock(mock_url, Path(scratch) / "warm")
        print(f"mock warm-up (its exports and reports rendered once, not timed): {warm:.1f} s")
        runs = _sync_and_rerun(url, data_dir, mock_url, not args.no_rerun)
        _print_runs("PostgreSQL", runs)
        total = runs.total
        payload = max((data_dir / "raw").rglob("*.csv"), key=lambda p: p.stat().st_size)
        parse, plain, real, rows = _floor(url, payload)
        floor = parse + plain
        print(
            f"floor: pyarrow parse of the sales export ({rows:,} rows, "
            f"{payload.stat().st_size / 1e6:.0f} MB) {parse:.1f} s + COPY into a plain table "
            f"{plain:.1f} s = {floor:.1f} s"
        )
        print(f"  COPY of the typed rows into a copy of monthly_sales (indexes too): {real:.1f} s")
        print(f"national sync / floor: {total / floor:.1f}x (target: at most 8x)")
        if not args.no_sqlite:  # in a process of its own: its own peak RSS
            spawn = multiprocessing.get_context("spawn")
            with ProcessPoolExecutor(1, mp_context=spawn) as pool:
                sqlite = pool.submit(
                    _sync_and_rerun,
                    "sqlite:///" + str(Path(scratch) / "national.db"),
                    Path(scratch) / "s",
                    mock_url,
                    not args.no_rerun,
                ).result()
            _print_runs("SQLite", sqlite)
            print(f"  SQLite / PostgreSQL: {sqlite.total / total:.1f}x")


if __name__ == "__main__":
    main()
