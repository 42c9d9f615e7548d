"""Shared fixtures: the bundled inputs, the letter's table, and the mock CDD server."""

from __future__ import annotations

import csv
import os
import tempfile
from collections.abc import Iterator
from importlib.resources import files
from pathlib import Path

import pytest

from otop_sync.mocks.server import MockConfig, RunningMock, serve_in_thread
from otop_sync.rules import load_rulebook
from otop_sync.transforms.rules import RuleBook

# Prefect reads its settings at import: keep it in a private home, quiet, and offline.
for _name, _value in {
    "PREFECT_HOME": tempfile.mkdtemp(prefix="otop-prefect-home-"),
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "DO_NOT_TRACK": "1",
    "PREFECT_SERVER_UI_ENABLED": "false",
    "PREFECT_LOGGING_LEVEL": "WARNING",
}.items():
    os.environ[_name] = _value
os.environ.pop("PREFECT_API_URL", None)

FIXTURES = Path(__file__).parent / "fixtures"
_SESSION_SETTINGS = {k: v for k, v in os.environ.items() if k.startswith("OTOP_")}


@pytest.fixture(autouse=True)
def _settings_of_the_session() -> Iterator[None]:
    """Put the OTOP_* environment back after each test: a command run in-process applies
    ``--warehouse`` as ``OTOP_WAREHOUSE_URL`` for its process, and a later subprocess must not
    inherit a warehouse (perhaps a dropped schema) from an earlier test."""
    yield
    for name in [n for n in os.environ if n.startswith("OTOP_")]:
        if name not in _SESSION_SETTINGS:
            del os.environ[name]
    os.environ.update(_SESSION_SETTINGS)


@pytest.fixture(scope="session")
def rulebook() -> RuleBook:
    return load_rulebook()


@pytest.fixture(scope="session")
def bundled_baseline() -> Path:
    return Path(str(files("otop_sync.data").joinpath("chiangrai_2567_baseline.csv")))


@pytest.fixture(scope="session")
def seed_targets() -> list[dict[str, str]]:
    """The letter's 2567Q2 target table, cleaned and checked (18 districts and the total)."""
    with (FIXTURES / "chiangrai_2567Q2_targets.csv").open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="session")
def seed_targets_csv(seed_targets) -> str:
    """The fixture in the ``targets --format csv`` layout (no seed-name column)."""
    columns = [
        "district_code",
        "district_name_th",
        "products_target",
        "base_sales_2566q2",
        "sales_target",
        "interested_q1",
        "threshold_d",
        "threshold_c",
        "threshold_b",
        "threshold_a",
    ]
    lines = [",".join(columns).replace("base_sales_2566q2", "base_sales")]
    lines += [",".join(row[c] for c in columns) for row in seed_targets]
    return "\n".join(lines) + "\n"


@pytest.fixture(scope="session")
def mock_server() -> Iterator[RunningMock]:
    """The mock CDD systems on a free loopback port, shared by the whole session."""
    with serve_in_thread(MockConfig()) as running:
        yield running


@pytest.fixture
def mock_cdd(mock_server: RunningMock) -> RunningMock:
    """The shared mock, reset (no faults, sessions or corrections) before the test."""
    mock_server.reset()
    return mock_server


@pytest.fixture(scope="session")
def s3_server() -> Iterator[str]:
    """An S3-compatible store (moto's server) on a free loopback port, for the session."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


S3_SECRET = "s3-secret-that-must-not-show"
"""The test store's secret key: no artifact, log line or stored name may hold it."""


@pytest.fixture
def s3_bucket(s3_server: str, monkeypatch) -> str:
    """A fresh bucket on :func:`s3_server`, with the endpoint and credentials in the standard
    AWS variables (as production sets them); its name."""
    import uuid

    import boto3

    for name, value in {
        "AWS_ENDPOINT_URL": s3_server,
        "AWS_ACCESS_KEY_ID": "otop-test",
        "AWS_SECRET_ACCESS_KEY": S3_SECRET,
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(name, value)
    bucket = f"otop-reports-{uuid.uuid4().hex[:8]}"
    boto3.client("s3").create_bucket(Bucket=bucket)
    return bucket


def s3_objects(bucket: str) -> dict[str, bytes]:
    """Every object of a test bucket, by key."""
    import boto3

    client = boto3.client("s3")
    listing = client.list_objects_v2(Bucket=bucket).get("Contents", [])
    return {
        item["Key"]: client.get_object(Bucket=bucket, Key=item["Key"])["Body"].read()
        for item in listing
    }
