"""Benchmark: a full national sync (77 provinces, 928 districts, 3.1 million sales rows) from
the mock CDD (in its own process) into PostgreSQL, with the time of every step and the share
taken by validation (target: validating the sales takes at most 30 % of the sync).

    python3 run.py bench national_sync [--pg URL]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
import uuid
from datetime import date

from _mock import mock_process
from sqlalchemy import text

from otop_sync.flows.cli import QUIET_PREFECT
from otop_sync.transforms.districts import province_codes
from otop_sync.warehouse.db import make_engine

AS_OF = date(2025, 11, 15)  # every mock sale recorded, October 2568 sales not yet due


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default_pg = os.environ.get("OTOP_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")
    parser.add_argument("--pg", default=default_pg)
    args = parser.parse_args()
    schema = f"bench_{uuid.uuid4().hex[:8]}"
    admin = make_engine(args.pg)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    separator = "&" if "?" in args.pg else "?"
    url = f"{args.pg}{separator}options=-csearch_path%3D{schema}"
    try:
        with tempfile.TemporaryDirectory() as scratch, mock_process("national") as mock_url:
            os.environ.update(
                {**QUIET_PREFECT, "OTOP_WAREHOUSE_URL": url, "OTOP_DATA_DIR": f"{scratch}/data"}
            )
            from otop_sync.flows.nightly import nightly_sync  # Prefect reads its settings here

            started = time.perf_counter()
            (report,) = nightly_sync(
                provinces=province_codes(),
                as_of=AS_OF,
                source="mock",
                mock_url=mock_url,
                one_run=True,
            )
            total = time.perf_counter() - started
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    read, loaded, quarantined = (
        sum(counts[kind] for counts in report.rows.values())
        for kind in ("read", "loaded", "quarantined")
    )
    print(
        f"national sync: {total:.1f} s; rows read {read:,}, loaded {loaded:,}, "
        f"quarantined {quarantined:,}; {len(report.grades):,} grades"
    )
    for step, seconds in sorted(report.seconds.items(), key=lambda item: -item[1]):
        print(f"  {step:<20} {seconds:7.1f} s  {seconds / total:6.1%}")
    validation = sum(s for step, s in report.seconds.items() if step.startswith("validate"))
    sales = report.seconds.get("validate sales", 0.0)
    print(f"validating the sales: {sales:.1f} s = {sales / total:.1%} of the sync (target: 30%)")
    print(f"all validation, Data Docs included: {validation:.1f} s = {validation / total:.1%}")


if __name__ == "__main__":
    main()
