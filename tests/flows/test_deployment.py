"""End to end: a real Prefect server and a process worker on loopback, deployments from
prefect.yaml, the national deployment run against the mock CDD (it starts the nightly
deployment's run for the province), then the warehouse and the artifacts checked."""

from __future__ import annotations

import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import text

from otop_sync.warehouse.db import make_engine
from tests.prefect_server import running_prefect_server, stop

ROOT = Path(__file__).parents[2]
BIN = Path(sys.executable).parent


@pytest.fixture
def prefect_server(tmp_path):
    with running_prefect_server(
        tmp_path, PREFECT_WORKER_QUERY_SECONDS="2", OTOP_SYNC_HOME=str(ROOT)
    ) as env:
        yield env


def _prefect(env, *args):
    result = subprocess.run(
        [str(BIN / "prefect"), "--no-prompt", *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def test_national_deployment_runs_the_nightly_one_per_province_on_a_worker(
    prefect_server, mock_cdd, tmp_path
):
    env = prefect_server
    _prefect(env, "work-pool", "create", "otop-sync", "--type", "process")
    deployed = _prefect(env, "deploy", "--all")
    for name in (
        "nightly-sync/nightly",
        "national-sync/national",
        "deadline-monitor/deadline-monitor",
        "deadline-nudge/deadline-nudge",
        "finalise-quarter/finalise-quarter",
        "backfill/backfill",
    ):
        assert name in deployed
    warehouse = f"sqlite:///{tmp_path / 'otop.db'}"
    # Settings reach the flow runs from the worker's environment, never as parameters.
    worker_env = {**env, "OTOP_WAREHOUSE_URL": warehouse, "OTOP_DATA_DIR": str(tmp_path / "data")}
    worker = subprocess.Popen(
        [str(BIN / "prefect"), "worker", "start", "--pool", "otop-sync", "--name", "worker-a"],
        env=worker_env,
        cwd=ROOT,
        stdout=(tmp_path / "worker.log").open("w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        from prefect.client.orchestration import get_client
        from prefect.client.schemas.filters import (
            ArtifactFilter,
            ArtifactFilterFlowRunId,
            FlowRunFilter,
            FlowRunFilterParentFlowRunId,
        )
        from prefect.deployments import run_deployment
        from prefect.settings import PREFECT_API_URL, temporary_settings

        with temporary_settings(updates={PREFECT_API_URL: env["PREFECT_API_URL"]}):
            # The national flow starts one run of the nightly deployment per province, which
            # any worker of the pool may take (here the one worker). The mock serves Chiang
            # Rai only: province 50's run fails, 57's completes all the same.
            national = run_deployment(
                "national-sync/national",
                parameters={
                    "provinces": ["57", "50"],
                    "as_of": date(2025, 11, 15).isoformat(),
                    "source": "mock",
                    "mock_url": mock_cdd.url,
                    "report_quarter": "2567Q2",
                },
                timeout=600,
                poll_interval=2,
            )
            assert national.state.message == (
                "Flow run encountered an exception: OtopSyncError: 1 of 2 province runs failed: "
                "50 (Failed: Flow run encountered an exception: OtopSyncError: sheets: "
                f"{mock_cdd.url}/sheets/baseline.csv?province=50 answered HTTP 404 "
                "(a wrong URL, path or parameter: not retried))"
            ), (tmp_path / "worker.log").read_text()[-3000:]
            with get_client(sync_client=True) as client:
                province_runs = client.read_flow_runs(
                    flow_run_filter=FlowRunFilter(
                        parent_flow_run_id=FlowRunFilterParentFlowRunId(any_=[national.id])
                    )
                )
                (flow_run,) = [r for r in province_runs if r.parameters["provinces"] == ["57"]]
                found = client.read_artifacts(
                    artifact_filter=ArtifactFilter(
                        flow_run_id=ArtifactFilterFlowRunId(any_=[flow_run.id])
                    )
                )
    finally:
        stop(worker)
    keys = {a.key for a in found}
    assert {"grades-57", "run-rows-57", "sync-summary-57", "report-57-html"} <= keys
    engine = make_engine(warehouse)
    with engine.connect() as connection:
        grades = dict(
            connection.execute(
                text(
                    "SELECT district_code, grade FROM kpi_grade WHERE fiscal_year = 2567 AND quarter = 2"
                )
            ).all()
        )
        runs = set(
            connection.execute(text("SELECT province_codes, status, flow_run_id FROM sync_run"))
        )
    engine.dispose()
    assert (grades["5701"], grades["5702"], grades["5712"]) == ("A", "B", None)
    # The run record names the flow run ops started: the national one.
    assert runs == {("57", "completed", str(national.id)), ("50", "failed", str(national.id))}
    assert sorted(r.name for r in province_runs) == ["nightly-50", "nightly-57"]
    assert flow_run.state.is_completed()
    assert {r.labels["prefect.worker.name"] for r in province_runs} == {"worker-a"}
    assert (tmp_path / "data" / "reports" / "otop_57_2567Q2.xlsx").exists()
