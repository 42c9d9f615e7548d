"""Flows under Prefect's test harness (a temporary API; see the top of tests/conftest.py)."""

from __future__ import annotations

import pytest
from prefect.testing.utilities import prefect_test_harness


@pytest.fixture(scope="session")
def prefect_api():
    """Prefect's test harness for the whole session (start-up takes several seconds)."""
    with prefect_test_harness(server_startup_timeout=180):
        yield


@pytest.fixture
def flow_settings(tmp_path, monkeypatch):
    """Where a flow run keeps its warehouse and data (``OTOP_*`` variables, as in production);
    quick retries for fault tests."""
    monkeypatch.setenv("OTOP_HTTP_RETRIES", "1")
    monkeypatch.setenv("OTOP_HTTP_BACKOFF", "0.01")
    monkeypatch.setenv("OTOP_TASK_RETRIES", "0")
    settings = {
        "warehouse_url": f"sqlite:///{tmp_path / 'otop.db'}",
        "data_dir": str(tmp_path / "data"),
    }
    for name, value in settings.items():
        monkeypatch.setenv(f"OTOP_{name.upper()}", value)  # settings come from the environment
    return settings
