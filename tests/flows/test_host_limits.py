"""Each CDD host's global concurrency limit (``cdd-<host>``): occupied while a sync reads from
the host when ops have created it; not asked for when they have not."""

from __future__ import annotations

from contextlib import nullcontext

import pytest
from prefect.client.orchestration import get_client
from prefect.client.schemas.actions import GlobalConcurrencyLimitCreate

from otop_sync.flows.nightly import _host_guard, existing_limits, host_limits
from otop_sync.flows.request import SyncRequest

pytestmark = pytest.mark.usefixtures("prefect_api", "flow_settings")

REQUEST = SyncRequest(provinces=["57"], source="mock", mock_url="http://127.0.0.2:9")
LIMIT = "cdd-127-0-0-2"


def _active_slots() -> int:
    with get_client(sync_client=True) as client:
        return client.read_global_concurrency_limit_by_name(LIMIT).active_slots


def test_a_limit_ops_created_is_occupied_while_the_host_is_read():
    assert host_limits(REQUEST.settings(), REQUEST.mock_url) == [LIMIT]
    with get_client(sync_client=True) as client:
        client.create_global_concurrency_limit(GlobalConcurrencyLimitCreate(name=LIMIT, limit=2))
    try:
        assert existing_limits([LIMIT, "cdd-no-such-host"]) == [LIMIT]
        guard = _host_guard(REQUEST)
        with guard():
            assert _active_slots() == 1
        assert _active_slots() == 0
    finally:
        with get_client(sync_client=True) as client:
            client.delete_global_concurrency_limit_by_name(LIMIT)


def test_without_a_limit_the_host_is_read_without_asking_prefect_for_a_slot():
    assert existing_limits([LIMIT]) == []
    assert isinstance(_host_guard(REQUEST)(), nullcontext)
