"""Stopping when asked: a TERM ends a sync that waits to retry within seconds, marks its run
cancelled with the reason and leaves the warehouse as it was; a run whose process vanished is
marked crashed by the next run on the machine."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy import text

from otop_sync.mocks.server import MockConfig, serve_in_thread
from otop_sync.warehouse import loaders
from otop_sync.warehouse.db import make_engine, upgrade

OTOP_SYNC = str(Path(sys.executable).parent / "otop-sync")


def test_term_while_waiting_to_retry_stops_within_seconds(tmp_path):
    url = f"sqlite:///{tmp_path / 'w.db'}"
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("PREFECT_LOGGING")},
        "PYTHONUNBUFFERED": "1",
        "OTOP_TASK_RETRIES": "2",
        "OTOP_TASK_RETRY_DELAY": "300",
        "OTOP_HTTP_RETRIES": "0",
        "OTOP_DATA_DIR": str(tmp_path / "data"),
    }
    with serve_in_thread(MockConfig(faults="503@sales")) as mock:
        process = subprocess.Popen(
            [
                OTOP_SYNC,
                "sync",
                "--mock-url",
                mock.url,
                "--as-of",
                "2025-11-15",
                "--warehouse",
                url,
            ],
            stdout=subprocess.PIPE,
            stderr=(tmp_path / "stderr.txt").open("w"),
            text=True,
            env=env,
            cwd=tmp_path,
        )
        deadline = time.monotonic() + 120
        for line in process.stdout:  # type: ignore[union-attr]
            if line.startswith("57 extract failed"):
                break
            assert time.monotonic() < deadline, "the extract never failed"
        time.sleep(1)  # now waiting 300 s to retry
        children = subprocess.run(
            ["pgrep", "-P", str(process.pid)], capture_output=True, text=True
        ).stdout.split()
        stopped_at = time.monotonic()
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)
        took = time.monotonic() - stopped_at
    assert took < 10
    assert process.returncode == 128 + signal.SIGTERM
    assert (
        (tmp_path / "stderr.txt")
        .read_text()
        .strip()
        .endswith("otop-sync: stopped by SIGTERM; what the run had not committed was rolled back")
    )
    engine = make_engine(url)
    with engine.connect() as connection:
        runs = connection.execute(text("SELECT status, message, rows_loaded FROM sync_run")).all()
        sales = connection.execute(text("SELECT count(*) FROM monthly_sales")).scalar_one()
    engine.dispose()
    assert [tuple(r) for r in runs] == [("cancelled", "stopped by SIGTERM", 0)]
    assert sales == 0
    assert children  # the temporary Prefect API the command started for itself
    time.sleep(3)
    assert [c for c in children if Path(f"/proc/{c}").exists()] == []  # ended with it


def test_a_run_left_running_by_a_vanished_process_is_marked_crashed(tmp_path):
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    engine = make_engine(f"sqlite:///{tmp_path / 'w.db'}")
    upgrade(engine)
    started = datetime(2025, 11, 15, 2, 0, tzinfo=UTC)
    with engine.begin() as connection:
        loaders.start_run(connection, "run-old", None, "mock", ["57"], date(2025, 11, 15), started)
        connection.execute(
            text("UPDATE sync_run SET pid = :pid WHERE run_id = 'run-old'"), {"pid": gone.pid}
        )
        loaders.start_run(connection, "run-live", None, "mock", ["57"], date(2025, 11, 15), started)
    with engine.begin() as connection:
        assert loaders.mark_abandoned_runs(connection, datetime.now(UTC)) == 1
    with engine.connect() as connection:
        runs = dict(
            connection.execute(
                text("SELECT run_id, status || ': ' || coalesce(message, '') FROM sync_run")
            ).all()
        )
    engine.dispose()
    host = socket.gethostname()
    assert runs == {
        "run-old": f"crashed: the process running it ({host}, pid {gone.pid}) ended before it finished",
        "run-live": "running: ",
    }
