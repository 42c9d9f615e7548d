"""``otop-sync mock serve`` and ``otop-sync mock export`` as a user runs them."""

import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

from otop_sync.connectors.files import read_table_file
from otop_sync.datasets import dataset_for_filename

OTOP_SYNC = str(Path(sys.executable).parent / "otop-sync")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_mock_serve_runs_until_stopped_with_faults_from_the_environment():
    port = _free_port()
    env = {"OTOP_MOCK_FAULTS": "503@baseline*1", "PATH": "/usr/bin:/bin"}
    server = subprocess.Popen(
        [OTOP_SYNC, "mock", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                requests.get(f"{url}/_mock/health", timeout=2)
                break
            except requests.ConnectionError:
                assert server.poll() is None, server.stderr.read()
                assert time.monotonic() < deadline, "mock serve did not come up"
                time.sleep(0.2)
        assert requests.get(f"{url}/sheets/baseline.csv", timeout=10).status_code == 503
        assert requests.get(f"{url}/sheets/baseline.csv", timeout=10).status_code == 200
    finally:
        server.terminate()
        server.wait(timeout=20)


def test_mock_serve_refuses_a_bad_fault_spec():
    result = subprocess.run(
        [OTOP_SYNC, "mock", "serve", "--faults", "teapot"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "not a fault: 'teapot'" in result.stderr


def test_mock_export_writes_every_dataset_for_the_inbox(tmp_path):
    result = subprocess.run(
        [OTOP_SYNC, "mock", "export", "--out", str(tmp_path), "--encoding", "cp874"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    paths = [Path(line) for line in result.stdout.splitlines()]
    assert sorted(p.name for p in paths) == [
        "baseline_57.csv",
        "form_responses_57.csv",
        "products_57.csv",
        "sales_57.csv",
        "shops_57.csv",
    ]
    for path in paths:
        assert dataset_for_filename(path.name).name == path.name.rsplit("_", 1)[0]
        assert len(read_table_file(path)) > 0
    assert "เชียงราย".encode("cp874") in (tmp_path / "sales_57.csv").read_bytes()


def test_mock_export_as_of_a_day_leaves_out_what_came_later(tmp_path):
    result = subprocess.run(
        [OTOP_SYNC, "mock", "export", "--out", str(tmp_path), "--today", "2024-07-15"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    sales = read_table_file(tmp_path / "sales_57.csv")
    recorded = {tuple(int(p) for p in d.split("/")) for d in sales["วันที่บันทึก"]}
    latest = max((y - 543, m, d) for d, m, y in recorded)
    assert latest <= (2024, 7, 15)
    assert latest >= (2024, 7, 1)
