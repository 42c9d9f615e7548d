"""``otop-sync mock serve`` and ``otop-sync mock export`` as a user runs them."""

import socket
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

import requests

from otop_sync.connectors.files import read_table_file
from otop_sync.datasets import dataset_for_filename
from otop_sync.flows.request import today_in_bangkok

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
    # Without --today the mock's today is today: last month's sales are being recorded.
    today = today_in_bangkok()
    last_month = (today.replace(day=1) - timedelta(days=1)).replace(day=1)
    assert max(_sales(tmp_path / "sales_57.csv")["month"]) == last_month


def test_mock_export_refuses_a_today_past_its_data(tmp_path):
    result = subprocess.run(
        [OTOP_SYNC, "mock", "export", "--out", str(tmp_path), "--today", "2033-06-01"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2
    words = " ".join(result.stderr.translate({ord(c): " " for c in "│╭╮╰╯─"}).split())
    assert "Invalid value for --today: the mock generates data up to 2033-05-31 at most" in words


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


def _export(out, *options):
    result = subprocess.run(
        [OTOP_SYNC, "mock", "export", "--out", str(out), "--today", "2024-07-15", *options],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return [Path(line) for line in result.stdout.splitlines()]


def _sales(path):
    from otop_sync.datasets.sales import SALES
    from otop_sync.transforms.formats import to_canonical

    rows, issues = SALES.type_rows(to_canonical(read_table_file(path), SALES, str(path))[0])
    assert issues == []
    return rows


def test_mock_export_seed_and_format(tmp_path):
    default = _export(tmp_path / "default")
    seeded = _export(tmp_path / "seeded", "--seed", "7", "--format", "xlsx")
    assert sorted(p.name for p in seeded) == [
        "baseline_57.xlsx",
        "form_responses_57.xlsx",
        "products_57.xlsx",
        "sales_57.xlsx",
        "shops_57.xlsx",
    ]
    by_default, by_seed = _sales(default[1]), _sales(seeded[1])
    assert by_default["month"].max() == by_seed["month"].max()  # the same day…
    assert by_default["amount"].sum() != by_seed["amount"].sum()  # …other data


class _Serving:
    """``otop-sync mock serve`` with options, on a free port, until the block ends."""

    def __init__(self, *options):
        self.url = f"http://127.0.0.1:{_free_port()}"
        self.options = options

    def __enter__(self):
        port = self.url.rsplit(":", 1)[1]
        self.process = subprocess.Popen(
            [OTOP_SYNC, "mock", "serve", "--port", port, *self.options],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        deadline = time.monotonic() + 120
        while True:
            try:
                requests.get(f"{self.url}/_mock/health", timeout=2)
                return self
            except requests.ConnectionError:
                assert self.process.poll() is None, self.process.stderr.read()
                assert time.monotonic() < deadline, "mock serve did not come up"
                time.sleep(0.2)

    def __exit__(self, *_exc):
        self.process.terminate()
        self.process.wait(timeout=20)


def _summary(url, year, province):
    return requests.get(
        f"{url}/otop/cdd_report/otop_r04.php",
        params={"year": year, "org_group": 0, "province": province},
        timeout=60,
    )


def test_mock_serve_national_scale_as_of_a_day(mock_cdd, tmp_path):
    assert _summary(mock_cdd.url, 2567, "50").status_code == 404  # province scale: 57 only
    with _Serving("--scale", "national", "--today", "2024-03-31") as mock, requests.Session() as s:
        assert _summary(mock.url, 2567, "50").status_code == 200
        from tests.mocks.conftest import login

        assert login(s, mock.url, "otop").status_code == 303
        export = s.get(f"{mock.url}/otop/export/sales.csv", params={"province": "50"}, timeout=60)
        assert export.status_code == 200
    path = tmp_path / "sales_50.csv"
    path.write_bytes(export.content)
    sales = _sales(path)
    assert set(sales["district_code"].str[:2]) == {"50"}
    assert sales["recorded_on"].max() <= date(2024, 3, 31)


def test_mock_serve_seed_and_faults_options(mock_cdd):
    with _Serving("--seed", "7", "--faults", "503@report*1") as mock:
        assert _summary(mock.url, 2566, "57").status_code == 503
        seeded = _summary(mock.url, 2566, "57")
    default = _summary(mock_cdd.url, 2566, "57")  # FY2566 ended before either mock's today
    assert seeded.status_code == default.status_code == 200
    assert seeded.text != default.text
