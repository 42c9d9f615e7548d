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
from pathlib import Path

from _mock import mock_process
from sqlalchemy import text

from otop_sync.flows.pipeline import new_run_id, run_sync
from otop_sync.flows.settings import Settings
from otop_sync.rules import load_rulebook
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
            settings = Settings(warehouse_url=url, data_dir=Path(scratch) / "data")
            started = time.perf_counter()
            outcome = run_sync(
                settings, load_rulebook(), province_codes(), AS_OF, new_run_id(), mock_url=mock_url
            )
            total = time.perf_counter() - started
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    read, loaded, quarantined = outcome.rows
    print(
        f"national sync: {total:.1f} s; rows read {read:,}, loaded {loaded:,}, "
        f"quarantined {quarantined:,}; {len(outcome.grades):,} grades"
    )
    for step, seconds in sorted(outcome.seconds.items(), key=lambda item: -item[1]):
        print(f"  {step:<20} {seconds:7.1f} s  {seconds / total:6.1%}")
    validation = sum(s for step, s in outcome.seconds.items() if step.startswith("validate"))
    sales = outcome.seconds.get("validate sales", 0.0)
    print(f"validating the sales: {sales:.1f} s = {sales / total:.1%} of the sync (target: 30%)")
    print(f"all validation, Data Docs included: {validation:.1f} s = {validation / total:.1%}")


if __name__ == "__main__":
    main()
