"""The command line as a user runs it: the installed ``otop-sync`` script in a subprocess."""

import subprocess
import sys
from pathlib import Path

import pytest

from otop_sync.warehouse.db import head_revision

OTOP_SYNC = str(Path(sys.executable).parent / "otop-sync")


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([OTOP_SYNC, *args], capture_output=True, text=True, timeout=120, env=env)


def plain(text: str) -> str:
    """Terminal output without Rich's box characters and line breaks."""
    return " ".join(text.translate({ord(c): " " for c in "│╭╮╰╯─"}).split())


def test_targets_csv_prints_the_letters_table(bundled_baseline, seed_targets_csv):
    result = run(
        "targets", "--quarter", "2567Q2", "--baseline", str(bundled_baseline), "--format", "csv"
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == seed_targets_csv


def test_targets_table_shows_every_district_and_the_total(bundled_baseline):
    result = run("targets", "--quarter", "2567Q2", "--baseline", str(bundled_baseline))
    assert result.returncode == 0, result.stderr
    for code in [f"57{i:02d}" for i in range(1, 19)]:
        assert code in result.stdout
    assert "1,434,485,054.92" in result.stdout


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (
            ["targets", "--quarter", "2567Q5", "--baseline", "x.csv"],
            "cannot read '2567Q5' as a fiscal quarter",
        ),
        (["targets", "--quarter", "2567Q2", "--baseline", "no/such/file.csv"], "does not exist"),
        (["targets", "--quarter", "2567Q2"], "Missing option '--baseline'"),
        (["no-such-command"], "No such command 'no-such-command'"),
    ],
)
def test_bad_usage_exits_2(args, fragment):
    result = run(*args)
    assert result.returncode == 2
    assert fragment in plain(result.stderr)


def test_failure_exits_1_with_one_line_reason(bundled_baseline):
    result = run("targets", "--quarter", "2566Q2", "--baseline", str(bundled_baseline))
    assert result.returncode == 1
    assert result.stderr == (
        "otop-sync: no KPI rules for fiscal year 2566 (rules version 2567.1 covers 2567, 2568)\n"
    )


def test_bad_baseline_row_names_file_line_and_column(tmp_path, bundled_baseline):
    lines = bundled_baseline.read_text(encoding="utf-8-sig").splitlines()
    lines[3] = lines[3].replace("เขียงทอง", "บางรัก")
    bad = tmp_path / "baseline.csv"
    bad.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = run("targets", "--quarter", "2567Q2", "--baseline", str(bad))
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith(
        f"otop-sync: {bad}: line 4, column อำเภอ: 'บางรัก' matches no place in province เชียงราย (57)"
    )


def test_every_command_has_help():
    result = run("--help")
    assert result.returncode == 0
    assert "targets" in result.stdout
    assert run("targets", "--help").returncode == 0


def test_db_upgrade_creates_the_warehouse(tmp_path):
    url = f"sqlite:///{tmp_path / 'otop.db'}"
    result = run("db", "upgrade", "--warehouse", url)
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"warehouse {url} is at revision {head_revision()}\n"
    assert (tmp_path / "otop.db").exists()


def test_db_upgrade_on_an_unreachable_server_says_so_without_the_password():
    result = run("db", "upgrade", "--warehouse", "postgresql://officer:s3cret@127.0.0.1:9/none")
    assert result.returncode == 1
    assert result.stderr.startswith(
        "otop-sync: cannot reach the warehouse at postgresql+psycopg://officer:***@127.0.0.1:9/none: "
    )
    assert "s3cret" not in result.stderr
    assert result.stderr.count("\n") == 1


def test_targets_for_a_province_the_baseline_lacks_names_its_districts(bundled_baseline):
    result = run(
        "targets", "--quarter", "2567Q2", "--baseline", str(bundled_baseline), "--province", "50"
    )
    assert result.returncode == 1
    assert result.stderr.startswith(
        "otop-sync: 2567Q2: no base sales or Q1 interest for เมืองเชียงใหม่ (5001), จอมทอง (5002), "
    )
    assert result.stderr.endswith("กัลยาณิวัฒนา (5025)\n")


def test_the_postgres_marker_selects_the_postgresql_variants():
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "--collect-only",
            "-q",
            "-m",
            "postgres",
            "tests/warehouse",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=Path(__file__).parents[1],
    )
    collected = [line for line in result.stdout.splitlines() if "::" in line]
    assert collected
    assert all(line.endswith("[postgresql]") for line in collected)
