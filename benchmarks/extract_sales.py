"""Benchmark: stream the national sales export from the mock CDD into a canonical DataFrame.

Prints rows/s for the whole extract (HTTP download into the raw landing store, decoding, CSV
parsing, header mapping) and the ratio to the floor: pyarrow reading the same bytes from disk.

    python3 run.py bench extract_sales [--repeat 3]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import pyarrow.csv as pa_csv
from _mock import mock_process

from otop_sync.connectors.cdd import DEFAULT_ENDPOINTS, cdd_sources
from otop_sync.connectors.http import Credentials, HttpConfig
from otop_sync.connectors.landing import RawLandingStore


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    account = Credentials("otop-officer", "mock-password")
    started = time.perf_counter()
    with mock_process("national") as mock_url:
        print(f"mock: national data generated and served in {time.perf_counter() - started:.1f} s")
        with tempfile.TemporaryDirectory() as scratch:
            warm = RawLandingStore(Path(scratch) / "warm")
            sales = lambda store: cdd_sources(  # noqa: E731
                dict.fromkeys(DEFAULT_ENDPOINTS, mock_url), store, account, HttpConfig("")
            )["sales"]
            first = time.perf_counter()
            sales(warm).extract()  # the mock renders its export file once
            print(f"mock: first export rendered and sent in {time.perf_counter() - first:.1f} s")
            extract_times, floor_times = [], []
            for attempt in range(args.repeat):
                store = RawLandingStore(Path(scratch) / f"run{attempt}")
                begin = time.perf_counter()
                extract = sales(store).extract()
                extract_times.append(time.perf_counter() - begin)
                payload = extract.raws[0].stored_path
                begin = time.perf_counter()
                table = pa_csv.read_csv(
                    payload,
                    convert_options=pa_csv.ConvertOptions(strings_can_be_null=False),
                )
                floor_times.append(time.perf_counter() - begin)
            rows = extract.rows_read
            size = extract.raws[0].size
    assert table.num_rows == rows, (table.num_rows, rows)
    best, floor = min(extract_times), min(floor_times)
    print(f"rows: {rows:,}  payload: {size / 1e6:.0f} MB")
    print(
        f"extract (HTTP → landing → canonical DataFrame): {best:.2f} s, {rows / best:,.0f} rows/s"
    )
    print(
        f"floor (pyarrow read of the same bytes on disk): {floor:.2f} s, {rows / floor:,.0f} rows/s"
    )
    print(f"ratio to floor: {best / floor:.2f}x  (target: at most 2x)")


if __name__ == "__main__":
    main()
