"""The commands that run flows, as a user runs them: demo, sync from the inbox, grade, report,
monitor (each in a subprocess, all talking to one real local Prefect server rather than each
starting Prefect's temporary API; the README test runs the demo with the temporary API)."""

import csv
import io
import json
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import text

from otop_sync.warehouse.db import make_engine
from tests.demo_snapshot import FIXTURE, demo_snapshot
from tests.prefect_server import running_prefect_server

OTOP_SYNC = str(Path(sys.executable).parent / "otop-sync")


PREFECT: dict[str, str] = {}
"""How the subprocesses reach the module's Prefect server."""


@pytest.fixture(scope="module", autouse=True)
def prefect_server(tmp_path_factory):
    with running_prefect_server(tmp_path_factory.mktemp("prefect")) as env:
        PREFECT.update({k: env[k] for k in ("PREFECT_API_URL", "PREFECT_HOME")})
        yield
        PREFECT.clear()


def run(*args, cwd):
    return subprocess.run(
        [OTOP_SYNC, *args],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=cwd,
        env={**os.environ, **PREFECT},
    )


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    folder = tmp_path_factory.mktemp("demo")
    result = run("demo", cwd=folder)
    assert result.returncode == 0, result.stderr[-3000:]
    return folder, result


def test_demo_prints_the_2567q2_grades_and_writes_the_reports(demo):
    folder, result = demo
    assert (folder / "otop.db").exists()
    lines = result.stdout.splitlines()
    row = next(line for line in lines if "5712" in line)
    assert "พญาเม็งราย" in row
    assert "0.01 บาท" in row
    assert any("5701" in line and " A " in line for line in lines)
    for suffix in ("xlsx", "csv", "md", "html"):
        assert (folder / "otop-data" / "reports" / f"otop_57_2567Q2.{suffix}").exists()


def test_report_target_columns_equal_the_letters_table(demo, seed_targets):
    folder, _ = demo
    out = folder / "q2.csv"
    result = run("report", "--quarter", "2567Q2", "--format", "csv", "--out", str(out), cwd=folder)
    assert result.returncode == 0, result.stderr
    rows = list(csv.reader(io.StringIO(out.read_bytes().decode("utf-8-sig"))))
    header, body = rows[0], rows[1:]
    assert header[:11] == [
        "ที่",
        "รหัส",
        "อำเภอ",
        "เป้าหมาย (ผลิตภัณฑ์)",
        "ฐานเดิมปี 66 (มกราคม - มีนาคม 66)",
        "เป้าหมายร้อยละ 2",
        "จำนวนผู้ผลิต ผู้ประกอบการ OTOP",
        "ระดับ D ร้อยละ 25",
        "ระดับ C ร้อยละ 50",
        "ระดับ B ร้อยละ 75",
        "ระดับ A ร้อยละ 100",
    ]
    assert len(body) == 19
    for row, expected in zip(body, seed_targets, strict=True):
        assert row[1] == expected["district_code"]
        assert int(row[3]) == int(expected["products_target"])
        assert Decimal(row[4]) == Decimal(expected["base_sales_2566q2"])
        assert Decimal(row[5]) == Decimal(expected["sales_target"])
        assert [int(v) for v in row[6:11]] == [
            int(expected[c])
            for c in ("interested_q1", "threshold_d", "threshold_c", "threshold_b", "threshold_a")
        ]


def test_report_for_a_quarter_without_grades_says_so(demo):
    folder, _ = demo
    result = run("report", "--quarter", "2566Q2", "--format", "md", "--out", "x.md", cwd=folder)
    assert result.returncode == 1
    assert result.stderr == "otop-sync: no grades for province 57 in 2566Q2: run a sync first\n"


def test_monitor_lists_late_districts(demo):
    folder, _ = demo
    result = run("monitor", "--as-of", "2024-07-20", cwd=folder)
    assert result.returncode == 0, result.stderr
    assert "อำเภอที่ยังไม่รายงานหรือรายงานล่าช้า ณ 20/7/2567" in result.stdout
    # The demo synced on 15 July: every district had recorded its sales, and the June reports
    # sent by then are all the warehouse knows.
    assert "ยอดจำหน่าย" not in result.stdout
    late = [line for line in result.stdout.splitlines() if "มิถุนายน 2567" in line]
    assert late
    assert all("รายงาน Shop ชุมชน" in line and "15/7/2567" in line for line in late)


def _grade_versions(folder):
    engine = make_engine(f"sqlite:///{folder / 'otop.db'}")
    with engine.connect() as connection:
        versions = connection.execute(text("SELECT max(version) FROM kpi_grade")).scalar_one()
        history = connection.execute(text("SELECT count(*) FROM kpi_grade_history")).scalar_one()
    engine.dispose()
    return versions, history


def test_grade_again_changes_nothing(demo):
    folder, _ = demo
    result = run("grade", "--quarter", "2567Q2", "--as-of", "2024-07-15", cwd=folder)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "ผลการประเมิน 2567Q2" in result.stdout
    assert _grade_versions(folder) == (1, 0)


def test_sync_from_the_file_inbox(tmp_path):
    inbox = tmp_path / "drop-here"  # not the default folder name: the option must reach the flow
    exported = run("mock", "export", "--out", str(inbox), "--today", "2025-11-15", cwd=tmp_path)
    assert exported.returncode == 0, exported.stderr
    warehouse = f"sqlite:///{tmp_path / 'w.db'}"
    sync = (
        "sync",
        "--source",
        "files",
        "--inbox",
        str(inbox),
        "--as-of",
        "2025-11-15",
        "--warehouse",
        warehouse,
    )
    first = run(*sync, cwd=tmp_path)
    assert first.returncode == 0, first.stderr[-2000:]
    assert "note: reconciliation skipped: the file inbox has no summary report" in first.stdout
    # One grade table per quarter, newest first, each with the day its figures are as of.
    titles = [line.strip() for line in first.stdout.splitlines() if "ผลการประเมิน" in line]
    assert titles == [
        f"ผลการประเมิน {quarter} ข้อมูล ณ วันที่ 15 พฤศจิกายน 2568"
        for quarter in (
            "2568Q4",
            "2568Q3",
            "2568Q2",
            "2568Q1",
            "2567Q4",
            "2567Q3",
            "2567Q2",
            "2567Q1",
        )
    ]
    again = run(*sync, cwd=tmp_path)
    assert again.returncode == 0, again.stderr[-2000:]
    assert "note: inbox: sales_57.csv was loaded before; not read again" in again.stdout
    (inbox / "[bold]odd.txt").write_text("x", encoding="utf-8")
    odd = run(*sync, cwd=tmp_path)
    assert "note: inbox: [bold]odd.txt is not a known export; left alone" in odd.stdout


def test_a_district_without_february_is_graded_late_and_the_province_goes_on(tmp_path):
    from otop_sync.transforms.thai import parse_be_month

    inbox = tmp_path / "exports-in"
    exported = run("mock", "export", "--out", str(inbox), "--today", "2024-07-15", cwd=tmp_path)
    assert exported.returncode == 0, exported.stderr
    sales = inbox / "sales_57.csv"
    rows = list(csv.reader(io.StringIO(sales.read_text(encoding="utf-8"))))
    kept = [rows[0]] + [
        r
        for r in rows[1:]
        if not ("เมืองเชียงราย" in r[1] and parse_be_month(r[3]).isoformat() == "2024-02-01")
    ]
    assert len(kept) < len(rows)
    with sales.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle, lineterminator="\r\n").writerows(kept)
    warehouse = f"sqlite:///{tmp_path / 'w.db'}"
    result = run(
        "sync", "--source", "files", "--inbox", str(inbox), "--as-of", "2024-07-15",
        "--warehouse", warehouse, cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    engine = make_engine(warehouse)
    with engine.connect() as connection:
        graded = connection.execute(
            text(
                "SELECT district_code, sales_met, reasons FROM kpi_grade "
                "WHERE fiscal_year = 2567 AND quarter = 2 ORDER BY district_code"
            )
        ).all()
    engine.dispose()
    assert len(graded) == 18
    late = {code: (met, reasons) for code, met, reasons in graded if reasons}
    assert late == {"5701": (False, "ยังไม่บันทึกยอดจำหน่าย ก.พ. 2567, กำหนด 18 มี.ค. 2567")}


def test_two_sales_files_count_every_row(tmp_path):
    inbox = tmp_path / "two-files"
    exported = run("mock", "export", "--out", str(inbox), "--today", "2024-07-15", cwd=tmp_path)
    assert exported.returncode == 0, exported.stderr
    lines = (inbox / "sales_57.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    half = len(lines) // 2
    (inbox / "sales_57.csv").unlink()
    (inbox / "sales_a.csv").write_text("".join(lines[:half]), encoding="utf-8")
    (inbox / "sales_b.csv").write_text(lines[0] + "".join(lines[half:]), encoding="utf-8")
    others = sum(
        len(p.read_text(encoding="utf-8-sig").splitlines()) - 1
        for p in inbox.iterdir()
        if not p.name.startswith("sales")
    )
    result = run(
        "sync", "--source", "files", "--inbox", str(inbox), "--as-of", "2024-07-15",
        "--warehouse", f"sqlite:///{tmp_path / 'w.db'}", cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    total = others + len(lines) - 1
    assert f": {total:,} rows read, {total:,} loaded, 0 quarantined" in result.stdout


def test_sync_serves_the_mock_for_another_province(tmp_path):
    result = run(
        "sync", "--province", "50", "--as-of", "2024-07-15",
        "--warehouse", f"sqlite:///{tmp_path / 'w.db'}", cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    assert "50 grade done in" in result.stdout
    engine = make_engine(f"sqlite:///{tmp_path / 'w.db'}")
    with engine.connect() as connection:
        provinces = (
            connection.execute(text("SELECT DISTINCT substr(district_code, 1, 2) FROM kpi_grade"))
            .scalars()
            .all()
        )
    engine.dispose()
    assert provinces == ["50"]


def test_sync_as_of_a_day_after_fy2568_serves_the_mock_up_to_it_and_grades(tmp_path):
    result = run(
        "sync", "--as-of", "2026-11-30",
        "--warehouse", f"sqlite:///{tmp_path / 'w.db'}", cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    assert "rows for FY2566, FY2567, FY2568, FY2569, FY2570" in result.stdout  # the summary
    assert "57 grade done in" in result.stdout
    engine = make_engine(f"sqlite:///{tmp_path / 'w.db'}")
    with engine.connect() as connection:
        october_2026 = connection.execute(
            text("SELECT COUNT(DISTINCT district_code) FROM monthly_sales WHERE month = :m"),
            {"m": "2026-10-01"},
        ).scalar_one()
        graded = connection.execute(text("SELECT COUNT(*) FROM kpi_grade")).scalar_one()
    engine.dispose()
    assert october_2026 == 18
    assert graded == 8 * 18  # 2567Q1 to 2568Q4, the quarters with rules


def test_bad_as_of_is_bad_usage(tmp_path):
    result = run("sync", "--as-of", "15/7/2567", cwd=tmp_path)
    assert result.returncode == 2
    assert "'15/7/2567' is not a CE date YYYY-MM-DD" in result.stderr


def test_demo_grades_views_and_reports_match_the_recorded_snapshot(demo):
    folder, _ = demo
    expected = json.loads(FIXTURE.read_text(encoding="utf-8"))
    actual = demo_snapshot(folder)
    for part in ("tables", "views", "reports"):
        for name in expected[part]:
            assert actual[part][name] == expected[part][name], f"{part} {name} changed"


SYNC_STEPS = ["extract", "land", "type", "extract summary", "validate", "load", "grade"]


def test_sync_prints_each_step_as_it_happens_from_a_running_mock(tmp_path, mock_cdd):
    (tmp_path / "run").mkdir()
    (tmp_path / "elsewhere").mkdir()
    warehouse = f"sqlite:///{tmp_path / 'elsewhere' / 'w.db'}"
    result = run(
        "sync",
        "--mock-url",
        mock_cdd.url,
        "--as-of",
        "2025-11-15",
        "--warehouse",
        warehouse,
        cwd=tmp_path / "run",
    )
    assert result.returncode == 0, result.stderr[-2000:]
    lines = result.stdout.splitlines()
    summary = next(i for i, line in enumerate(lines) if line.startswith("run "))
    events = lines[:summary]
    expected = [f"57 {step} {phase}" for step in SYNC_STEPS for phase in ("…", "done in")]
    assert [line[: len(e)] for line, e in zip(events, expected, strict=True)] == expected
    assert events[1].endswith(
        ": baseline 144 rows, products 2,921 rows, shops 316 rows, form_responses 428 rows, "
        "sales 61,209 rows"
    )
    assert events[9].endswith(": 65,018 rows read, 65,018 clean, 0 quarantined")
    assert events[11].endswith(": 65,018 rows into 5 tables")
    assert events[13].endswith(
        ": 144 grades for 2567Q1, 2567Q2, 2567Q3, 2567Q4, 2568Q1, 2568Q2, 2568Q3, 2568Q4"
    )
    assert "prefect" not in result.stdout.lower() + result.stderr.lower()
    assert not (tmp_path / "run" / "otop.db").exists()
    engine = make_engine(warehouse)
    with engine.connect() as connection:
        runs = connection.execute(text("SELECT source, as_of, status FROM sync_run")).all()
        locations = connection.execute(text("SELECT location FROM raw_file")).scalars().all()
    engine.dispose()
    assert runs == [("mock", "2025-11-15", "completed")]
    assert locations
    assert all(location.startswith(mock_cdd.url) for location in locations)


def test_monitor_another_province_in_the_warehouse_named(demo, tmp_path):
    folder, _ = demo
    result = run(
        "monitor",
        "--province",
        "50",
        "--as-of",
        "2024-07-20",
        "--warehouse",
        f"sqlite:///{folder / 'otop.db'}",
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    late = [line for line in result.stdout.splitlines() if "มิถุนายน 2567" in line]
    assert len([line for line in late if "ยอดจำหน่าย" in line]) == 25
    assert len([line for line in late if "ยังไม่รายงาน" in line]) == 25
    assert all(line.startswith("│ 50") for line in late)
    assert "5701" not in result.stdout
    assert not (tmp_path / "otop.db").exists()


@pytest.mark.parametrize(
    "command",
    [["monitor"], ["report", "--quarter", "2567Q2", "--format", "csv", "--out", "q2.csv"]],
)
def test_readers_do_not_migrate_a_warehouse_without_the_schema(tmp_path, command):
    empty = tmp_path / "empty.db"
    result = run(*command, "--warehouse", f"sqlite:///{empty}", cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr == (
        f"otop-sync: the warehouse at sqlite:///{empty} has no otop-sync schema: "
        "run `otop-sync db upgrade`\n"
    )
    engine = make_engine(f"sqlite:///{empty}")
    with engine.connect() as connection:
        tables = connection.execute(text("SELECT name FROM sqlite_master")).all()
    engine.dispose()
    assert tables == []


def test_report_for_another_province_says_it_has_no_grades(demo):
    folder, _ = demo
    result = run(
        "report",
        "--quarter",
        "2567Q2",
        "--format",
        "md",
        "--out",
        "x.md",
        "--province",
        "50",
        cwd=folder,
    )
    assert result.returncode == 1
    assert result.stderr == "otop-sync: no grades for province 50 in 2567Q2: run a sync first\n"


def test_report_html_to_the_file_named(demo, tmp_path):
    folder, _ = demo
    out = tmp_path / "chiang-rai-q1.html"
    result = run(
        "report",
        "--quarter",
        "2567Q1",
        "--format",
        "html",
        "--out",
        str(out),
        "--warehouse",
        f"sqlite:///{folder / 'otop.db'}",
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"{out}\n"
    page = out.read_text(encoding="utf-8")
    assert page.lstrip().lower().startswith("<!doctype html")
    assert "2567" in page


def _rewrite_sales(path, change):
    """Rewrite an exported sales file: ``change(district, month, row)`` returns the row to keep
    (changed or not), or None to drop it."""
    from otop_sync.transforms.thai import parse_be_month

    with path.open(encoding="utf-8", newline="") as handle:
        header, *rows = list(csv.reader(handle))
    kept = [
        kept for row in rows if (kept := change(row[1], parse_be_month(row[3]), row)) is not None
    ]
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows([header, *kept])


def _cells(stdout):
    """The cells of the monitor table's body lines."""
    return [
        [cell.strip() for cell in line.strip()[1:-1].split("│")]
        for line in stdout.splitlines()
        if line.startswith("│ 57")
    ]


@pytest.fixture(scope="module")
def monitored(tmp_path_factory):
    """The monitor on 25 July 2567 after a file-inbox sync on the 18th, where พาน recorded
    May's sales late (on 20 June, after the 18th) and พญาเม็งราย had not recorded June's (a
    sync after the 18th stops on that: see ``sales.months_complete``)."""
    from datetime import date

    folder = tmp_path_factory.mktemp("monitored")
    inbox = folder / "inbox"
    exported = run("mock", "export", "--out", str(inbox), "--today", "2024-07-18", cwd=folder)
    assert exported.returncode == 0, exported.stderr

    def change(district, month, row):
        if district == "พาน" and month == date(2024, 5, 1):
            return [*row[:5], "20/6/2567"]
        if district == "พญาเม็งราย" and month == date(2024, 6, 1):
            return None
        return row

    _rewrite_sales(inbox / "sales_57.csv", change)
    warehouse = f"sqlite:///{folder / 'w.db'}"
    synced = run(
        "sync", "--source", "files", "--inbox", str(inbox), "--as-of", "2024-07-18",
        "--warehouse", warehouse, cwd=folder,
    )  # fmt: skip
    assert synced.returncode == 0, synced.stderr[-2000:]
    result = run("monitor", "--as-of", "2024-07-25", "--warehouse", warehouse, cwd=folder)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_monitor_names_who_recorded_sales_late_or_not_at_all(monitored):
    assert monitored.splitlines()[0].strip() == "อำเภอที่ยังไม่รายงานหรือรายงานล่าช้า ณ 25/7/2567"
    assert "not configured" not in monitored
    sales = [row for row in _cells(monitored) if row[2] == "ยอดจำหน่าย"]
    assert sales == [
        ["5705", "พาน", "ยอดจำหน่าย", "พฤษภาคม 2567", "18/6/2567", "บันทึกล่าช้า 20/6/2567", "", ""],
        ["5712", "พญาเม็งราย", "ยอดจำหน่าย", "มิถุนายน 2567", "18/7/2567", "ยังไม่บันทึก", "", ""],
    ]


def test_monitor_names_who_has_not_reported_last_month_by_the_15th(monitored):
    # The mock's June responses: เวียงชัย and แม่สรวย never sent one, เชียงของ sent it on
    # the 19th (after the sync), พญาเม็งราย on the 18th, everyone else by the 15th.
    reports = [row for row in _cells(monitored) if row[2] == "รายงาน Shop ชุมชน"]
    assert [row for row in reports if row[5] != "ไม่ตรงกับ Click ชุมชน"] == [
        ["5702", "เวียงชัย", "รายงาน Shop ชุมชน", "มิถุนายน 2567", "15/7/2567", "ยังไม่รายงาน", "", "12/1"],
        ["5703", "เชียงของ", "รายงาน Shop ชุมชน", "มิถุนายน 2567", "15/7/2567", "ยังไม่รายงาน", "", "14/0"],
        ["5710", "แม่สรวย", "รายงาน Shop ชุมชน", "มิถุนายน 2567", "15/7/2567", "ยังไม่รายงาน", "", "8/0"],
        ["5712", "พญาเม็งราย", "รายงาน Shop ชุมชน", "มิถุนายน 2567", "15/7/2567", "รายงานล่าช้า 18/7/2567", "13/2", "13/2"],
    ]  # fmt: skip


def test_monitor_flags_a_report_that_differs_from_click_chumchon(monitored):
    # The mock's แม่สาย counts one producer more in June than Click ชุมชน registered by 30 June.
    differing = [row for row in _cells(monitored) if "ไม่ตรงกับ Click ชุมชน" in row[5]]
    assert differing == [
        ["5709", "แม่สาย", "รายงาน Shop ชุมชน", "มิถุนายน 2567", "15/7/2567", "ไม่ตรงกับ Click ชุมชน", "8/0", "7/0"],
    ]  # fmt: skip


def test_monitor_without_form_responses_says_the_report_channel_is_not_configured(tmp_path):
    warehouse = f"sqlite:///{tmp_path / 'w.db'}"
    assert run("db", "upgrade", "--warehouse", warehouse, cwd=tmp_path).returncode == 0
    result = run("monitor", "--as-of", "2024-07-25", "--warehouse", warehouse, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == (
        "the Shop ชุมชน report channel is not configured: "
        "set OTOP_FORM_RESPONSES_URL or drop the form's responses in the inbox"
    )
    rows = _cells(result.stdout)
    # Nothing recorded: every month of FY2567 due by then is missing, and no report is guessed.
    assert len(rows) == 18 * 9
    assert rows[0] == [
        "5701", "เมืองเชียงราย", "ยอดจำหน่าย", "ตุลาคม 2566", "18/11/2566", "ยังไม่บันทึก", "", ""
    ]  # fmt: skip
    assert {row[2] for row in rows} == {"ยอดจำหน่าย"}


def test_registrants_lists_the_producers_in_otop_big_data_per_district(demo):
    from openpyxl import load_workbook

    folder, _ = demo
    result = run("registrants", "--out", "producers.xlsx", "--as-of", "2024-07-15", cwd=folder)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "producers.xlsx\n"
    workbook = load_workbook(folder / "producers.xlsx")
    counts, listing = workbook["รายอำเภอ"], workbook["รายชื่อผู้ผลิต"]
    assert counts["A1"].value == (
        "แบบรายงานข้อมูลผู้ผลิต ผู้ประกอบการ OTOP ที่ลงทะเบียนในระบบ OTOP Big Data จังหวัดเชียงราย"
    )
    rows = list(counts.iter_rows(min_row=3, values_only=True))
    total = rows[18]
    assert (rows[0][1], rows[0][2], total[2]) == ("5701", "เมืองเชียงราย", "รวม")
    assert rows[20][0] == "ข้อมูล ณ วันที่ 15 กรกฎาคม 2567"
    engine = make_engine(f"sqlite:///{folder / 'otop.db'}")
    with engine.connect() as connection:
        producers = connection.execute(
            text(
                "SELECT count(DISTINCT producer_code) FROM product_registration "
                "WHERE registered_on <= '2024-07-15' "
                "AND (cancelled_on IS NULL OR cancelled_on > '2024-07-15')"
            )
        ).scalar_one()
    engine.dispose()
    assert total[3] == producers == sum(row[3] for row in rows[:18])
    assert listing.max_row == 2 + producers + 2  # title, header, producers, blank, as-of line

    earlier = run(
        "registrants",
        "--out",
        "producers.csv",
        "--as-of",
        "2023-10-01",
        "--province",
        "57",
        cwd=folder,
    )
    assert earlier.returncode == 0, earlier.stderr
    table = list(csv.reader(io.StringIO((folder / "producers.csv").read_text("utf-8-sig"))))
    assert table[0][:4] == ["ที่", "รหัส", "อำเภอ", "จำนวนผู้ผลิต ผู้ประกอบการ OTOP ที่ลงทะเบียน"]
    assert table[-1][2] == "รวม"
    assert 0 < int(table[-1][3]) < producers  # fewer producers were listed a year earlier
