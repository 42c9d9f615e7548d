"""Benchmark: the national nightly as Prefect deployments, scaled out over process workers.

A local Prefect server keeps its state in a PostgreSQL database of its own; the deployments of
prefect.yaml go to a process work pool; the mock CDD runs in its own process. The
``national-sync`` flow starts one run of ``nightly-sync/nightly`` per province, first with one
worker taking them from the pool, then with two, each round into a fresh PostgreSQL warehouse
schema. Printed: the wall time of each round, the provinces and rows each worker loaded (from
the flow runs' ``prefect.worker.name`` label and the warehouse's ``sync_run`` rows), the seconds
the load and grade tasks took (they run one at a time, under the warehouse's load lock: the floor
of any number of workers), that both rounds loaded the same rows and that no province was loaded
twice.

    python3 run.py bench scale_out [--pg URL] [--provinces N|all] [--limit K]
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import requests
from _mock import mock_process
from national_sync import AS_OF, pg_schema, reachable_pg
from sqlalchemy import make_url, text

from otop_sync.flows.cli import QUIET_PREFECT
from otop_sync.transforms.districts import province_codes
from otop_sync.warehouse.db import make_engine

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
POOL = "otop-sync"
WORKER_LABEL = "prefect.worker.name"


@dataclass
class Round:
    """What one round (one number of workers) did."""

    workers: int
    seconds: float
    loaded_by_worker: dict[str, dict[str, int]]  # worker → province → rows loaded
    running_by_worker: dict[str, float]  # worker → seconds its flow runs were Running
    locked_seconds: float  # load and grade tasks, which run under the warehouse's load lock
    runs_per_province: dict[str, int]  # sync_run rows per province
    failed: list[str]

    def total(self) -> int:
        return sum(sum(rows.values()) for rows in self.loaded_by_worker.values())


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=30)


def _prefect(env: dict[str, str], *args: str) -> None:
    result = subprocess.run(
        [str(BIN / "prefect"), "--no-prompt", *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    if result.returncode != 0:
        raise RuntimeError(f"prefect {' '.join(args)}: {result.stdout}{result.stderr}")


@contextmanager
def _database(admin_url: str, name: str) -> Iterator[str]:
    """A PostgreSQL database of its own for the Prefect server; dropped afterwards. Yields the
    server's (asyncpg) URL of it."""
    admin = make_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        url = make_url(admin_url).set(drivername="postgresql+asyncpg", database=name)
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@contextmanager
def _server(env: dict[str, str], port: int, logs: Path) -> Iterator[None]:
    """``prefect server start`` on the port, until it answers."""
    with (logs / "server.log").open("w") as log:
        server = subprocess.Popen(
            [str(BIN / "prefect"), "server", "start", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            deadline = time.monotonic() + 300
            while True:
                try:
                    if requests.get(f"{env['PREFECT_API_URL']}/health", timeout=2).ok:
                        break
                except requests.ConnectionError:
                    pass
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"the Prefect server did not start; see {logs}/server.log")
                time.sleep(0.5)
            yield
        finally:
            _stop(server)


@contextmanager
def _workers(env: dict[str, str], names: list[str], limit: int, logs: Path) -> Iterator[None]:
    """Process workers taking flow runs from the pool, until each has said it is online."""
    from prefect.client.orchestration import get_client

    with ExitStack() as stack:
        for name in names:
            log = stack.enter_context((logs / f"{name}.log").open("w"))
            worker = subprocess.Popen(
                [
                    str(BIN / "prefect"),
                    "worker",
                    "start",
                    "--pool",
                    POOL,
                    "--type",
                    "process",
                    "--name",
                    name,
                    "--limit",
                    str(limit),
                ],
                env=env,
                cwd=ROOT,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
            stack.callback(_stop, worker)
        deadline = time.monotonic() + 180
        with get_client(sync_client=True) as client:
            while True:
                online = {
                    w.name for w in client.read_workers_for_work_pool(POOL) if w.status == "ONLINE"
                }
                if set(names) <= online:
                    break
                if time.monotonic() > deadline:
                    raise RuntimeError(f"workers {names} did not come online; see {logs}")
                time.sleep(0.5)
        yield


def _round(
    workers: int, provinces: list[str], mock_url: str, env: dict[str, str], args: argparse.Namespace
) -> Round:
    """One round: fresh warehouse schema, ``workers`` process workers, the national sync."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import (
        FlowRunFilter,
        FlowRunFilterParentFlowRunId,
        TaskRunFilter,
        TaskRunFilterName,
        TaskRunFilterStartTime,
    )

    from otop_sync.flows.nightly import national_sync

    schema = f"bench_scale_{uuid.uuid4().hex[:8]}_{workers}w"
    names = [f"worker-{i + 1}-of-{workers}" for i in range(workers)]
    with (
        pg_schema(args.pg, schema) as warehouse,
        tempfile.TemporaryDirectory() as data_dir,
    ):
        worker_env = {**env, "OTOP_WAREHOUSE_URL": warehouse, "OTOP_DATA_DIR": data_dir}
        with _workers(worker_env, names, args.limit, Path(env["PREFECT_HOME"])):
            round_start = datetime.now(UTC)
            started = time.perf_counter()
            state = national_sync(
                provinces=provinces,
                as_of=AS_OF,
                source="mock",
                mock_url=mock_url,
                return_state=True,
            )
            seconds = time.perf_counter() - started
        failed = [] if state.is_completed() else [str(state.message)]
        with get_client(sync_client=True) as client:
            children = client.read_flow_runs(
                flow_run_filter=FlowRunFilter(
                    parent_flow_run_id=FlowRunFilterParentFlowRunId(
                        any_=[state.state_details.flow_run_id]
                    )
                ),
                limit=len(provinces) + 1,
            )
            locked = client.read_task_runs(
                task_run_filter=TaskRunFilter(
                    name=TaskRunFilterName(
                        any_=[f"{step}-{code}" for step in ("load", "grade") for code in provinces]
                    ),
                    start_time=TaskRunFilterStartTime(after_=round_start),
                ),
                limit=2 * len(provinces) + 1,
            )
        worker_of = {
            run.parameters["provinces"][0]: run.labels.get(WORKER_LABEL, "?") for run in children
        }
        running: dict[str, float] = {}
        for run in children:
            worker = run.labels.get(WORKER_LABEL, "?")
            running[worker] = running.get(worker, 0.0) + run.total_run_time.total_seconds()
        engine = make_engine(warehouse)
        with engine.connect() as connection:
            rows = connection.execute(
                text("SELECT province_codes, status, rows_loaded FROM sync_run")
            ).all()
        engine.dispose()
    loaded: dict[str, dict[str, int]] = {name: {} for name in names}
    runs: dict[str, int] = {}
    for codes, status, rows_loaded in rows:
        runs[codes] = runs.get(codes, 0) + 1
        if status != "completed":
            failed.append(f"{codes}: {status}")
        loaded.setdefault(worker_of.get(codes, "?"), {})[codes] = rows_loaded
    locked_seconds = sum(task.total_run_time.total_seconds() for task in locked)
    return Round(workers, seconds, loaded, running, locked_seconds, runs, failed)


def _workers_named(count: int) -> str:
    return f"{count} worker" if count == 1 else f"{count} workers"


def _print_round(result: Round, provinces: list[str]) -> None:
    print(
        f"{_workers_named(result.workers)}: {result.seconds:.1f} s for {len(provinces)} "
        f"provinces, {result.total():,} rows loaded"
    )
    for worker, by_province in sorted(result.loaded_by_worker.items()):
        codes = ", ".join(sorted(by_province))
        print(
            f"  {worker:<14} {len(by_province):3} provinces {sum(by_province.values()):>10,} rows"
            f"  {result.running_by_worker.get(worker, 0.0):6.1f} s in Running flow runs  [{codes}]"
        )
    print(
        f"  load and grade, one province at a time under the load lock: "
        f"{result.locked_seconds:.1f} s in all"
    )
    for failure in result.failed:
        print(f"  FAILED {failure}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default_pg = os.environ.get("OTOP_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")
    parser.add_argument("--pg", default=default_pg, help="PostgreSQL admin URL (a database)")
    parser.add_argument(
        "--provinces", default="8", help="how many provinces (the first N codes), or all"
    )
    parser.add_argument("--limit", type=int, default=1, help="flow runs at once per worker")
    args = parser.parse_args()
    reachable_pg(args.pg)
    codes = province_codes()
    provinces = codes if args.provinces == "all" else codes[: int(args.provinces)]
    token = uuid.uuid4().hex[:8]
    home = Path(tempfile.mkdtemp(prefix="otop-scale-out-"))  # Prefect's home and the logs
    port = _free_port()
    # Prefect reads its settings when it is first imported: the server's API, for this process
    os.environ.update(
        {
            **QUIET_PREFECT,
            "PREFECT_HOME": str(home),
            "PREFECT_API_URL": f"http://127.0.0.1:{port}/api",
        }
    )
    with ExitStack() as stack:
        prefect_db = stack.enter_context(_database(args.pg, f"bench_prefect_{token}"))
        env = {
            **os.environ,
            **QUIET_PREFECT,
            "PREFECT_LOGGING_LEVEL": "INFO",
            "PREFECT_API_DATABASE_CONNECTION_URL": prefect_db,
            "PREFECT_WORKER_QUERY_SECONDS": "1",
            "OTOP_SYNC_HOME": str(ROOT),
        }
        stack.enter_context(_server(env, port, home))
        _prefect(env, "work-pool", "create", POOL, "--type", "process")
        _prefect(env, "deploy", "--all")
        mock_url = stack.enter_context(mock_process("national"))
        print(
            f"Prefect server on PostgreSQL (database bench_prefect_{token}), process pool "
            f"{POOL!r}, {args.limit} flow run(s) at once per worker, logs in {home}"
        )
        results = [_round(n, provinces, mock_url, env, args) for n in (1, 2)]
    for result in results:
        _print_round(result, provinces)
    one, two = results
    print(f"speed-up, wall time of 1 worker / 2 workers: {one.seconds / two.seconds:.2f}x")
    print(
        f"rows loaded: {one.total():,} with 1 worker, {two.total():,} with 2 workers: "
        f"{'equal' if one.total() == two.total() else 'NOT EQUAL'}"
    )
    for result in results:
        twice = sorted(code for code, n in result.runs_per_province.items() if n > 1)
        missing = sorted(set(provinces) - set(result.runs_per_province))
        print(
            f"{_workers_named(result.workers)}: {len(result.runs_per_province)} provinces loaded, "
            f"loaded twice: {', '.join(twice) or 'none'}, missing: {', '.join(missing) or 'none'}"
        )


if __name__ == "__main__":
    main()
