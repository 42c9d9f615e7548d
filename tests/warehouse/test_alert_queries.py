"""What the ops alerts read (payload changes, run durations), on both engines."""

from datetime import UTC, date, datetime, timedelta

from otop_sync.warehouse import loaders, queries

T0 = datetime(2025, 11, 1, 2, 0, tzinfo=UTC)
SALES_KEY = "otop:/otop/export/sales.csv?province=57"


def _run(connection, run_id, started, seconds, status="completed", provinces=("57",)):
    loaders.start_run(connection, run_id, None, "mock", provinces, date(2025, 11, 1), started)
    loaders.finish_run(connection, run_id, status, started + timedelta(seconds=seconds))


def _raw(sha, dataset="sales"):
    return {
        "dataset": dataset,
        "source": "mock",
        "location": "x",
        "sha256": sha,
        "bytes": 1,
        "fetched_at": T0,
        "stored_path": "x",
        "unchanged": False,
    }


def test_payload_changes_of_the_requests_a_run_fetched(engine):
    with engine.begin() as connection:
        for day, run_id in enumerate(["r1", "r2", "r3"]):
            _run(connection, run_id, T0 + timedelta(days=day), 10)
        loaders.record_consumed(
            connection, "r1", [{"request_key": SALES_KEY, "sha256": "a", "dataset": "sales"}], T0
        )
        loaders.record_consumed(
            connection,
            "r2",
            [
                {"request_key": SALES_KEY, "sha256": "b", "dataset": "sales"},
                {"request_key": "other", "sha256": "c", "dataset": "products"},
            ],
            T0 + timedelta(days=1),
        )
        loaders.record_raw_files(connection, "r3", [_raw("b")])  # r3 fetched b again
        changes = queries.payload_changes(connection, "r3")
    assert sorted(changes.itertuples(index=False, name=None)) == [
        (SALES_KEY, "sales", T0),
        (SALES_KEY, "sales", T0 + timedelta(days=1)),
    ]


def test_run_seconds_compares_with_earlier_completed_runs_alike(engine):
    with engine.begin() as connection:
        _run(connection, "old", T0, 30)
        _run(connection, "failed", T0 + timedelta(days=1), 5, status="failed")
        _run(connection, "other", T0 + timedelta(days=2), 7, provinces=("50",))
        _run(connection, "prev", T0 + timedelta(days=3), 40)
        _run(connection, "now", T0 + timedelta(days=4), 400)
        assert queries.run_seconds(connection, "now", 20) == (400.0, [40.0, 30.0])
        assert queries.run_seconds(connection, "now", 1) == (400.0, [40.0])
