"""The sync's graph under Prefect's test harness: one task per step, retries on extract alone,
and flow runs whose stored parameters hold no setting or secret."""

import json
from datetime import date

import pytest
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import (
    FlowRunFilter,
    FlowRunFilterId,
    FlowRunFilterParentFlowRunId,
    TaskRunFilter,
    TaskRunFilterFlowRunId,
)
from sqlalchemy import text

from otop_sync.flows.nightly import grade_quarters, nightly_sync
from otop_sync.flows.progress import listening
from otop_sync.warehouse.db import make_engine

AS_OF = date(2025, 11, 15)
SYNC_STEPS = ["extract", "land", "type", "extract summary", "validate", "load", "grade"]

pytestmark = pytest.mark.usefixtures("prefect_api", "flow_settings")


def flow_runs(flow_run_id):
    """The flow run and every flow run under it (the per-province runs)."""
    with get_client(sync_client=True) as client:
        top = client.read_flow_runs(
            flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[flow_run_id]))
        )
        children = client.read_flow_runs(
            flow_run_filter=FlowRunFilter(
                parent_flow_run_id=FlowRunFilterParentFlowRunId(any_=[flow_run_id])
            )
        )
    return top + children


def task_runs(flow_run_ids):
    """Task run name → how many times it ran, over these flow runs."""
    with get_client(sync_client=True) as client:
        found = client.read_task_runs(
            task_run_filter=TaskRunFilter(flow_run_id=TaskRunFilterFlowRunId(any_=flow_run_ids))
        )
    return {run.name: run.run_count for run in found}


def test_each_step_is_a_task_and_a_transient_extract_failure_retries_extract_alone(
    mock_cdd, monkeypatch
):
    monkeypatch.setenv("OTOP_TASK_RETRIES", "1")
    monkeypatch.setenv("OTOP_TASK_RETRY_DELAY", "0")
    # Two 503s: the request and its one HTTP retry (OTOP_HTTP_RETRIES=1), so the extract fails
    # once with SourceUnreachableError; Prefect's retry then finds the system back.
    mock_cdd.set_faults("503@sales*2")
    events = []
    with listening(events.append):
        state = nightly_sync(
            provinces=["57"], as_of=AS_OF, source="mock", mock_url=mock_cdd.url, return_state=True
        )
    assert state.is_completed(), state.message
    runs = flow_runs(state.state_details.flow_run_id)
    counts = task_runs([r.id for r in runs])
    assert {name: count for name, count in counts.items() if name.endswith("-57")} == {
        "sync-57": 1,  # the nightly flow's task that starts the province's run
        "extract-57": 2,
        "land-57": 1,
        "type-57": 1,
        "extract-summary-57": 1,
        "validate-57": 1,
        "load-57": 1,
        "grade-57": 1,
    }
    assert [(e.step, e.phase) for e in events if e.step == "extract"] == [
        ("extract", "start"),
        ("extract", "fail"),
        ("extract", "start"),
        ("extract", "finish"),
    ]
    finished = [e.step for e in events if e.phase == "finish"]
    assert finished == SYNC_STEPS
    assert "sales 6" in next(e.detail for e in events if e.step == "type" and e.phase == "finish")


def test_a_non_transient_failure_is_not_retried(mock_cdd, monkeypatch):
    monkeypatch.setenv("OTOP_TASK_RETRIES", "1")
    monkeypatch.setenv("OTOP_TASK_RETRY_DELAY", "0")
    mock_cdd.set_faults("drop_column=เดือน@sales")  # schema drift: retrying cannot help
    state = nightly_sync(
        provinces=["57"], as_of=AS_OF, source="mock", mock_url=mock_cdd.url, return_state=True
    )
    assert state.is_failed()
    assert "sales export lacks column(s) เดือน" in state.message
    counts = task_runs([r.id for r in flow_runs(state.state_details.flow_run_id)])
    assert counts["extract-57"] == 1


def test_no_flow_run_stores_the_warehouse_url(mock_cdd, flow_settings, monkeypatch):
    secret_url = flow_settings["warehouse_url"].replace("otop.db", "s3cret-warehouse.db")
    monkeypatch.setenv("OTOP_WAREHOUSE_URL", secret_url)
    monkeypatch.setenv("OTOP_CDD_PASSWORD", "cdd-s3cret")
    synced = nightly_sync(
        provinces=["57"], as_of=AS_OF, source="mock", mock_url=mock_cdd.url, return_state=True
    )
    graded = grade_quarters(["2567Q2"], provinces=["57"], as_of=AS_OF, return_state=True)
    assert synced.is_completed(), synced.message
    assert graded.is_completed(), graded.message
    runs = flow_runs(synced.state_details.flow_run_id) + flow_runs(graded.state_details.flow_run_id)
    assert len(runs) == 4  # nightly-sync, sync-provinces, grade-quarters, grade-provinces
    for run in runs:
        stored = json.dumps(run.parameters, default=str)
        assert "s3cret" not in stored, run.name
        assert "warehouse" not in stored, run.name
        assert "sqlite" not in stored, run.name


def test_each_province_is_its_own_run(mock_cdd, flow_settings):
    # The mock serves Chiang Rai only: the run for Chiang Mai (50) fails, Chiang Rai's does not.
    state = nightly_sync(
        provinces=["57", "50"], as_of=AS_OF, source="mock", mock_url=mock_cdd.url, return_state=True
    )
    assert state.is_failed()
    assert "OtopSyncError: 1 of 2 province syncs failed: " in state.message
    assert "baseline.csv?province=50 answered HTTP 404" in state.message
    engine = make_engine(flow_settings["warehouse_url"])
    with engine.connect() as connection:
        runs = connection.execute(text("SELECT province_codes, status FROM sync_run")).all()
        graded = connection.execute(text("SELECT count(*) FROM kpi_grade")).scalar_one()
    engine.dispose()
    assert sorted(runs) == [("50", "failed"), ("57", "completed")]
    assert graded == 18 * 8
