"""No secret is a flow parameter, a log line, an artifact or a stored file: a canary password
in the warehouse URL is searched for in Prefect's records of the run, the logs, the data folder
and Prefect's home after a nightly sync."""

from __future__ import annotations

import json
import os
import uuid
from datetime import date
from pathlib import Path

import pytest
from prefect.client.orchestration import get_client
from sqlalchemy import text

from otop_sync.flows.nightly import nightly_sync
from otop_sync.warehouse.db import make_engine

CANARY = "Canary-pw-7c1e"
pytestmark = [pytest.mark.usefixtures("prefect_api"), pytest.mark.postgres]


@pytest.fixture
def canary_warehouse(monkeypatch):
    """A PostgreSQL warehouse whose URL carries the canary password (trust auth ignores it)."""
    base = os.environ.get("OTOP_TEST_PG_URL")
    if not base:
        if os.environ.get("CI"):
            pytest.fail("CI must run the PostgreSQL tests: set OTOP_TEST_PG_URL (.ci/run does)")
        pytest.skip("needs OTOP_TEST_PG_URL")
    schema = f"canary_{uuid.uuid4().hex[:8]}"
    admin = make_engine(base)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    user, rest = base.split("://", 1)[1].split("@", 1)
    url = f"postgresql://{user.split(':')[0]}:{CANARY}@{rest}?options=-csearch_path%3D{schema}"
    monkeypatch.setenv("OTOP_WAREHOUSE_URL", url)
    yield url
    with admin.begin() as connection:
        connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


def _files_holding(folder: Path, secret: bytes) -> list[str]:
    return [
        str(p)
        for p in folder.rglob("*")
        if p.is_file() and p.stat().st_size < 200 << 20 and secret in p.read_bytes()
    ]


def test_a_canary_password_reaches_no_record_log_or_file(
    mock_cdd, flow_settings, canary_warehouse, caplog
):
    caplog.set_level("DEBUG")
    state = nightly_sync(
        provinces=["57"],
        as_of=date(2025, 11, 15),
        source="mock",
        mock_url=mock_cdd.url,
        report_quarter="2567Q2",
        return_state=True,
    )
    assert state.is_completed(), state.message
    engine = make_engine(canary_warehouse)  # the run wrote where the canary URL points
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM kpi_grade")).scalar_one() > 0
    engine.dispose()
    with get_client(sync_client=True) as client:
        records = [
            *(r.model_dump(mode="json") for r in client.read_flow_runs()),
            *(r.model_dump(mode="json") for r in client.read_task_runs()),
            *(r.model_dump(mode="json") for r in client.read_logs()),
            *(r.model_dump(mode="json") for r in client.read_artifacts()),
        ]
    assert records
    assert CANARY not in json.dumps(records, ensure_ascii=False)
    assert CANARY not in caplog.text
    assert _files_holding(Path(flow_settings["data_dir"]), CANARY.encode()) == []
    assert _files_holding(Path(os.environ["PREFECT_HOME"]), CANARY.encode()) == []
