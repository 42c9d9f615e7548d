"""Backtest of the outlook on the mock's history: sync Chiang Rai (province 57) from the mock
into a temporary SQLite warehouse as of 20 October 2025 (every quarter of FY2567–FY2568 final),
then project each graded quarter from 0, 1 and 2 of its months due and print how often the
projected grade was the final one, beside the floor of not projecting (the grade on what was
recorded by then).

    python3 run.py bench outlook_backtest
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

OTOP_SYNC = str(Path(sys.executable).parent / "otop-sync")
AS_OF = "2025-10-20"  # the day after 2568Q4's last sales were due: every quarter is final


def run(*args: str, cwd: str) -> str:
    """Run an otop-sync command (Prefect in a home of its own, with time to start its
    temporary API on a busy machine); its output, or stop with its reason."""
    env = {
        **os.environ,
        "PREFECT_HOME": f"{cwd}/prefect",
        "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "180",
    }
    result = subprocess.run([OTOP_SYNC, *args], capture_output=True, text=True, cwd=cwd, env=env)
    if result.returncode != 0:
        sys.exit(f"otop-sync {args[0]} failed: {result.stderr.strip()[-2000:]}")
    return result.stdout


def main() -> None:
    with tempfile.TemporaryDirectory() as scratch:
        warehouse = f"sqlite:///{scratch}/otop.db"
        started = time.perf_counter()
        run("sync", "--as-of", AS_OF, "--warehouse", warehouse, cwd=scratch)
        synced = time.perf_counter()
        lines = run(
            "outlook", "--backtest", "--as-of", AS_OF, "--warehouse", warehouse, cwd=scratch
        )
        done = time.perf_counter()
    print(lines, end="")
    print(f"sync {synced - started:.1f} s, backtest {done - synced:.1f} s")


if __name__ == "__main__":
    main()
