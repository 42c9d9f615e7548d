"""Benchmark: load the national sales dataset (3.1 million typed rows) into the warehouse.

Prints the time of otop-sync's loader on PostgreSQL (COPY into a staging table, then one
INSERT … ON CONFLICT merge, in one transaction) and its ratio to a plain COPY of the same rows
into a table of the same definition (the floor) and to a naive ``pandas.to_sql``; then the
loader's time on SQLite (batched executemany in one transaction).

    python3 run.py bench load_sales [--pg postgresql://postgres@127.0.0.1:5432/test]
"""

from __future__ import annotations

import argparse
import io
import os
import tempfile
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pa_csv
from national_sync import pg_schema, reachable_pg
from sqlalchemy import text

from otop_sync.connectors.files import read_table_payload
from otop_sync.datasets.sales import SALES
from otop_sync.mocks.data import MockSpec, generate
from otop_sync.mocks.render import ExportOptions, Renderer, write_export
from otop_sync.transforms.formats import to_canonical
from otop_sync.warehouse.db import make_engine, upgrade
from otop_sync.warehouse.loaders import load_rows


def typed_national_sales(folder: Path):  # type: ignore[no-untyped-def]
    """The mock's national sales export, read and typed as a sync does."""
    data = generate(MockSpec(scale="national"))
    path = folder / "sales_national.csv"
    write_export(Renderer(data), "sales", None, "csv", "utf-8", ExportOptions(), path)
    table, _ = to_canonical(read_table_payload(path, str(path)), SALES, str(path))
    rows, issues = SALES.type_rows(table)
    assert not issues
    return rows.assign(raw_sha256="0" * 64)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--pg",
        default=os.environ.get("OTOP_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test"),
    )
    parser.add_argument("--skip-to-sql", action="store_true")
    args = parser.parse_args()
    reachable_pg(args.pg)
    with tempfile.TemporaryDirectory() as scratch:
        started = time.perf_counter()
        rows = typed_national_sales(Path(scratch))
        print(f"prepared {len(rows):,} typed sales rows in {time.perf_counter() - started:.1f} s")
        with pg_schema(args.pg) as url:
            engine = make_engine(url)
            upgrade(engine)
            begin = time.perf_counter()
            with engine.begin() as connection:
                counts = load_rows(connection, SALES, rows, "bench")
            loader = time.perf_counter() - begin
            assert counts.inserted == len(rows)

            frame = rows[[*SALES.target.columns, "raw_sha256"]].assign(run_id="bench")
            arrow = pa.Table.from_pandas(frame, preserve_index=False)
            buffer = io.BytesIO()
            pa_csv.write_csv(arrow, buffer, pa_csv.WriteOptions(include_header=False))
            payload = buffer.getvalue()
            columns = ", ".join(frame.columns)
            with engine.begin() as connection:
                connection.execute(
                    text("CREATE TABLE floor_copy (LIKE monthly_sales INCLUDING ALL)")
                )
            begin = time.perf_counter()
            with engine.begin() as connection:
                cursor = connection.connection.driver_connection.cursor()
                with cursor.copy(f"COPY floor_copy ({columns}) FROM STDIN (FORMAT csv)") as copy:
                    copy.write(payload)
            floor = time.perf_counter() - begin

            to_sql = None
            if not args.skip_to_sql:
                begin = time.perf_counter()
                frame.astype({"amount": object}).to_sql(
                    "naive_to_sql", engine, index=False, chunksize=10_000
                )
                to_sql = time.perf_counter() - begin
            engine.dispose()

        sqlite_engine = make_engine(f"sqlite:///{Path(scratch) / 'bench.db'}")
        upgrade(sqlite_engine)
        begin = time.perf_counter()
        with sqlite_engine.begin() as connection:
            load_rows(connection, SALES, rows, "bench")
        sqlite_time = time.perf_counter() - begin

    n = len(rows)

    def line(label: str, seconds: float) -> None:
        print(f"{label:<58} {seconds:7.2f} s {n / seconds:12,.0f} rows/s")

    line("PostgreSQL, otop-sync loader (COPY, staging, merge)", loader)
    line("PostgreSQL, plain COPY of the same rows (floor)", floor)
    print(f"  ratio loader / floor: {loader / floor:.2f}x  (target: at most 2x)")
    if to_sql is not None:
        line("PostgreSQL, pandas.to_sql (naive)", to_sql)
        print(f"  ratio to_sql / loader: {to_sql / loader:.1f}x")
    line("SQLite, otop-sync loader (executemany, staging, merge)", sqlite_time)


if __name__ == "__main__":
    main()
