"""Every option of the commands that run flows reaches the run: the command line is run in
process with the flows replaced by recorders, with values unlike the defaults. Bad input is
bad usage with an exact message (the installed script, in a subprocess)."""

import os
import subprocess
import sys
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from otop_sync.flows import nightly
from otop_sync.flows.cli import app
from otop_sync.flows.request import today_in_bangkok
from otop_sync.flows.settings import SourceKind
from otop_sync.mocks import server

OTOP_SYNC = str(Path(sys.executable).parent / "otop-sync")


class Recorder:
    """Stands in for a flow: keeps its parameters and the warehouse it would write to."""

    def __init__(self):
        self.calls = []

    def __call__(self, **parameters):
        import os

        self.calls.append((parameters, os.environ.get("OTOP_WAREHOUSE_URL")))
        return []


@pytest.fixture
def flows(monkeypatch):
    """The sync and grading flows replaced by recorders; no mock is served for real."""
    monkeypatch.delenv("OTOP_WAREHOUSE_URL", raising=False)  # restored after the test
    monkeypatch.delenv("OTOP_SOURCE", raising=False)
    recorders = {"sync": Recorder(), "grade": Recorder(), "served": []}
    monkeypatch.setattr(nightly, "nightly_sync", recorders["sync"])
    monkeypatch.setattr(nightly, "grade_quarters", recorders["grade"])

    @contextmanager
    def fake_serve(config):
        recorders["served"].append(config.spec.today)
        yield server.RunningMock("http://127.0.0.1:1", None)

    monkeypatch.setattr(server, "serve_in_thread", fake_serve)
    return recorders


def invoke(*args):
    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == 0, (result.output, result.exception)
    return result


def test_sync_options_make_the_run_request(flows, tmp_path):
    drop = tmp_path / "drop-here"
    drop.mkdir()
    warehouse = f"sqlite:///{tmp_path / 'elsewhere.db'}"
    invoke(
        "sync",
        "--source",
        "files",
        "--inbox",
        str(drop),
        "--province",
        "50",
        "--province",
        "57",
        "--as-of",
        "2025-11-15",
        "--warehouse",
        warehouse,
    )
    [(parameters, used_warehouse)] = flows["sync"].calls
    assert parameters["source"] is SourceKind.files
    assert parameters["inbox_dir"] == drop
    assert list(parameters["provinces"]) == ["50", "57"]
    assert parameters["as_of"] == date(2025, 11, 15)
    assert parameters["mock_url"] is None
    assert used_warehouse == warehouse  # applied as OTOP_WAREHOUSE_URL, not a flow parameter
    assert not any("warehouse" in name for name in parameters)
    assert flows["served"] == []


def test_sync_mock_url_is_used_instead_of_serving_a_mock(flows):
    invoke("sync", "--source", "mock", "--mock-url", "http://127.0.0.1:8999")
    [(parameters, _)] = flows["sync"].calls
    assert parameters["mock_url"] == "http://127.0.0.1:8999"
    assert flows["served"] == []


def test_sync_without_options_serves_a_mock_as_of_today_for_chiang_rai(flows):
    invoke("sync")
    [(parameters, used_warehouse)] = flows["sync"].calls
    assert list(parameters["provinces"]) == ["57"]
    assert parameters["as_of"] == today_in_bangkok()
    assert parameters["source"] is None  # the OTOP_SOURCE setting: mock unless set
    assert parameters["mock_url"] == "http://127.0.0.1:1"
    assert flows["served"] == [today_in_bangkok()]
    assert used_warehouse is None


def test_sync_as_of_is_the_served_mocks_today(flows):
    invoke("sync", "--as-of", "2024-03-31")
    assert flows["served"] == [date(2024, 3, 31)]


def test_demo_warehouse_option(flows, tmp_path):
    warehouse = f"sqlite:///{tmp_path / 'demo-elsewhere.db'}"
    invoke("demo", "--warehouse", warehouse)
    [(parameters, used_warehouse)] = flows["sync"].calls
    assert used_warehouse == warehouse
    assert (parameters["as_of"], parameters["report_quarter"]) == (date(2024, 7, 15), "2567Q2")
    assert parameters["source"] is SourceKind.mock


def test_grade_options_make_the_grading_request(flows, tmp_path):
    warehouse = f"sqlite:///{tmp_path / 'graded.db'}"
    invoke(
        "grade",
        "--quarter",
        "2567Q1",
        "--quarter",
        "๒๕๖๗q3",
        "--province",
        "50",
        "--as-of",
        "2024-08-01",
        "--warehouse",
        warehouse,
    )
    [(parameters, used_warehouse)] = flows["grade"].calls
    assert parameters == {
        "quarters": ("2567Q1", "2567Q3"),
        "provinces": ("50",),
        "as_of": date(2024, 8, 1),
    }
    assert used_warehouse == warehouse


def test_backfill_grades_every_quarter_from_to(flows, tmp_path):
    warehouse = f"sqlite:///{tmp_path / 'backfilled.db'}"
    invoke(
        "backfill",
        "--from",
        "2566Q4",
        "--to",
        "2567Q2",
        "--province",
        "50",
        "--as-of",
        "2024-08-01",
        "--warehouse",
        warehouse,
    )
    [(parameters, used_warehouse)] = flows["grade"].calls
    assert parameters == {
        "quarters": ("2566Q4", "2567Q1", "2567Q2"),
        "provinces": ("50",),
        "as_of": date(2024, 8, 1),
    }
    assert used_warehouse == warehouse


def plain(text: str) -> str:
    """Terminal output without Rich's box characters and line breaks."""
    return " ".join(text.translate({ord(c): " " for c in "│╭╮╰╯─"}).split())


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["sync", "--source", "ftp"],
            "Invalid value for '--source': Value error, 'ftp' is not one of 'mock', 'http', 'files'.",
        ),
        (
            ["sync", "--province", "99"],
            "Invalid value for '--province': '99' is not a province code, such as 57 (Chiang Rai)",
        ),
        (["sync", "--inbox", "a-file"], "Invalid value for '--inbox': dir 'a-file' is a file."),
        (
            ["sync", "--as-of", "2567-07-15x"],
            "Invalid value for --as-of: '2567-07-15x' is not a CE date YYYY-MM-DD",
        ),
        (
            ["grade", "--quarter", "2567Q5"],
            "Invalid value for '--quarter': cannot read '2567Q5' as a fiscal quarter such as 2567Q2",
        ),
        (
            ["grade", "--quarter", "2567Q2", "--province", "5"],
            "Invalid value for '--province': '5' is not a province code, such as 57 (Chiang Rai)",
        ),
        (
            ["backfill", "--from", "2567Q3", "--to", "2567Q1"],
            "Invalid value for --to: 2567Q1 is before 2567Q3",
        ),
        (
            ["backfill", "--from", "Q3", "--to", "2567Q1"],
            "Invalid value for '--from': cannot read 'Q3' as a fiscal quarter such as 2567Q2",
        ),
        (
            ["report", "--quarter", "2567Q2", "--format", "pdf", "--out", "x.pdf"],
            "Invalid value for '--format': Value error, 'pdf' is not one of 'xlsx', 'csv', 'md', 'html'.",
        ),
        (
            [
                "report",
                "--quarter",
                "2567Q2",
                "--format",
                "md",
                "--out",
                "x.md",
                "--province",
                "เชียงราย",
            ],
            "Invalid value for '--province': 'เชียงราย' is not a province code, such as 57 (Chiang Rai)",
        ),
        (
            ["monitor", "--as-of", "20/7/2024"],
            "Invalid value for --as-of: '20/7/2024' is not a CE date YYYY-MM-DD",
        ),
        (
            ["mock", "export", "--out", "x", "--format", "json"],
            "Invalid value for --format: must be csv or xlsx",
        ),
        (
            ["mock", "export", "--out", "x", "--encoding", "latin-1"],
            "Invalid value for --encoding: must be utf-8, utf-8-sig or cp874",
        ),
        (
            ["mock", "serve", "--today", "tomorrow"],
            "Invalid value for --today: 'tomorrow' is not a CE date YYYY-MM-DD",
        ),
        (
            ["sync", "--as-of", "2567-07-15"],
            "Invalid value for --as-of: 2567-07-15 has a Buddhist Era year; dates here are CE: "
            "use 2024-07-15",
        ),
        (
            ["grade", "--quarter", "2567Q2", "--as-of", "2567-07-15"],
            "Invalid value for --as-of: 2567-07-15 has a Buddhist Era year; dates here are CE: "
            "use 2024-07-15",
        ),
        (
            ["monitor", "--as-of", "2567-07-15"],
            "Invalid value for --as-of: 2567-07-15 has a Buddhist Era year; dates here are CE: "
            "use 2024-07-15",
        ),
        (
            ["report", "--quarter", "2567Q2", "--format", "xlsx", "--out", "x.csv"],
            "Invalid value for --out: 'x.csv' does not end in .xlsx, the --format asked for",
        ),
        (
            ["report", "--quarter", "2567Q2", "--out", "x.pdf"],
            "Invalid value for --out: 'x.pdf' does not end in .xlsx, .csv, .md or .html: give "
            "--format",
        ),
        (
            ["report", "--quarter", "2567Q2", "--out", "no-such-folder/q2.xlsx"],
            "Invalid value for --out: the folder 'no-such-folder' does not exist",
        ),
        (
            ["registrants", "--out", "producers.html"],
            "Invalid value for --out: 'producers.html' does not end in .xlsx or .csv: give "
            "--format",
        ),
        (
            ["registrants", "--out", "producers.csv", "--as-of", "2567-07-15"],
            "Invalid value for --as-of: 2567-07-15 has a Buddhist Era year; dates here are CE: "
            "use 2024-07-15",
        ),
    ],
)
def test_bad_input_is_bad_usage_with_the_reason(args, message, tmp_path):
    (tmp_path / "a-file").touch()
    result = subprocess.run(
        [OTOP_SYNC, *args], capture_output=True, text=True, timeout=120, cwd=tmp_path
    )
    assert result.returncode == 2, result.stderr
    assert plain(result.stderr).endswith(f"Error {message}")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["db", "upgrade", "--warehouse", "otop.db"],
            "otop-sync: 'otop.db' is not a warehouse URL: write sqlite:///otop.db for a SQLite "
            "file, or postgresql://user@host:5432/db\n",
        ),
        (
            ["sync", "--as-of", "2034-01-01"],
            "otop-sync: the mock generates data up to 2033-05-31 at most, not up to 2034-01-01\n",
        ),
    ],
)
def test_a_failure_is_one_line_with_the_cause(args, message, tmp_path):
    result = subprocess.run(
        [OTOP_SYNC, *args], capture_output=True, text=True, timeout=120, cwd=tmp_path
    )
    assert result.returncode == 1
    assert result.stderr == message


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("OTOP_NUDGE_BLOCKS", "not-json", "OTOP_NUDGE_BLOCKS cannot be read: it is not valid JSON"),
        (
            "OTOP_NUDGE_WITHIN_DAYS",
            "five",
            "OTOP_NUDGE_WITHIN_DAYS cannot be read: Input should be a valid integer, unable to "
            "parse string as an integer",
        ),
    ],
)
def test_a_setting_that_cannot_be_read_is_one_line_without_its_value(
    variable, value, message, tmp_path
):
    result = subprocess.run(
        [OTOP_SYNC, "monitor", "--warehouse", f"sqlite:///{tmp_path / 'w.db'}"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
        env={**os.environ, variable: value},
    )
    assert result.returncode == 1
    assert result.stderr == f"otop-sync: {message}\n"
    assert value not in result.stderr


def test_a_read_only_warehouse_is_one_line_without_sql(tmp_path):
    from alembic import command

    from otop_sync.warehouse.db import _alembic_config, make_engine

    engine = make_engine(f"sqlite:///{tmp_path / 'w.db'}")
    config = _alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0001")  # an older warehouse: upgrading it must write
    engine.dispose()
    read_only = f"sqlite:///file:{tmp_path / 'w.db'}?mode=ro&uri=true"  # as a replica's account
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_LOGGING")}
    result = subprocess.run(
        [OTOP_SYNC, "db", "upgrade", "--warehouse", read_only],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
        env=env,
    )
    assert result.returncode == 1
    assert (
        result.stderr == "otop-sync: the warehouse refused: attempt to write a readonly database\n"
    )
