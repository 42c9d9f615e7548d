"""The Prefect flows under the test harness, against the mock CDD over HTTP and SQLite."""

import json
from datetime import date

import pytest
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import (
    ArtifactFilter,
    ArtifactFilterFlowRunId,
    FlowRunFilter,
    FlowRunFilterId,
)
from sqlalchemy import text

from otop_sync.flows.nightly import backfill, deadline_monitor, nightly_sync
from otop_sync.warehouse.db import make_engine
from tests.conftest import S3_SECRET, s3_objects

AS_OF = date(2025, 11, 15)  # every mock sale is recorded by then; 2567Q2 is long final

pytestmark = pytest.mark.usefixtures("prefect_api")


def query(settings, sql):
    engine = make_engine(settings["warehouse_url"])
    with engine.connect() as connection:
        rows = connection.execute(text(sql)).all()
    engine.dispose()
    return rows


def artifacts(flow_run_id):
    with get_client(sync_client=True) as client:
        found = client.read_artifacts(
            artifact_filter=ArtifactFilter(flow_run_id=ArtifactFilterFlowRunId(any_=[flow_run_id]))
        )
    return {a.key: a for a in found}


def task_runs(flow_run_id, name):
    """The flow run's task runs of a task, by the task's name."""
    with get_client(sync_client=True) as client:
        found = client.read_task_runs(
            flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[flow_run_id]))
        )
    return [run for run in found if run.name.startswith(name)]


def sync(mock_cdd, **extra):
    return nightly_sync(
        provinces=["57"],
        as_of=AS_OF,
        source="mock",
        mock_url=mock_cdd.url,
        return_state=True,
        **extra,
    )


def test_nightly_sync_publishes_grades_artifacts_and_reports(
    mock_cdd, flow_settings, s3_bucket, monkeypatch
):
    monkeypatch.setenv("OTOP_REPORT_LOCATION", f"s3://{s3_bucket}/otop")
    state = sync(mock_cdd, report_quarter="2567Q2")
    assert state.is_completed(), state.message
    (report,) = state.result()
    assert report.skipped == []
    assert report.rows["sales"]["read"] == report.rows["sales"]["loaded"] > 50_000
    q2 = {g.district_code: g.grade for g in report.grades if str(g.quarter) == "2567Q2"}
    assert (q2["5701"], q2["5705"], q2["5712"]) == ("A", None, None)
    assert query(flow_settings, "SELECT count(*) FROM kpi_grade") == [(18 * 8,)]
    runs = query(flow_settings, "SELECT status, flow_run_id, rows_quarantined FROM sync_run")
    assert runs == [("completed", str(state.state_details.flow_run_id), 0)]
    found = artifacts(state.state_details.flow_run_id)
    assert {
        "grades-57",
        "run-rows-57",
        "sync-summary-57",
        "data-docs-57",
        "report-57-html",
        "report-57-xlsx",
    } <= set(found)
    assert found["grades-57"].type == "table"
    assert "sales.reconciles_with_summary" in found["sync-summary-57"].data
    assert sorted(report.reports) == [
        f"s3://{s3_bucket}/otop/otop_57_2567Q2.{suffix}" for suffix in ("csv", "html", "md", "xlsx")
    ]
    assert "otop/otop_57_2567Q2_districts/5712.html" in s3_objects(s3_bucket)
    assert found["report-57-xlsx"].data == (
        f"[otop_57_2567Q2.xlsx](s3://{s3_bucket}/otop/otop_57_2567Q2.xlsx)"
    )
    # The report itself is in the artifact: its table, grade counts and data-as-of day.
    summary = found["report-57"].data
    assert found["report-57"].type == "markdown"
    assert "| 12 | 5712 | พญาเม็งราย | 1 | 3,930,639.00 | 4,009,251.78 |" in summary
    assert "ข้อมูล ณ วันที่ 15 พฤศจิกายน 2568" in summary
    assert "จำนวนอำเภอตามระดับ: A 4, B 3, C 3, D 3, ไม่ได้ระดับ 5." in summary
    assert not [key for key, artifact in found.items() if S3_SECRET in str(artifact.data)]
    assert sorted(p.rsplit(".", 1)[1] for p in report.reports) == ["csv", "html", "md", "xlsx"]
    # the outlook task ran; 2569Q1, the quarter of AS_OF, is not graded, so it made no artifact
    [outlook] = task_runs(state.state_details.flow_run_id, "publish-outlook")
    assert outlook.state.is_completed()
    assert not any(key.startswith("outlook") for key in found)


def test_unchanged_source_is_skipped(mock_cdd, flow_settings):
    assert sync(mock_cdd).is_completed()
    state = sync(mock_cdd)
    assert state.is_completed(), state.message
    (report,) = state.result()
    assert sorted(report.skipped) == ["baseline", "form_responses", "products", "sales", "shops"]
    assert report.rows == {}
    assert query(flow_settings, "SELECT status, rows_read FROM sync_run ORDER BY started_at")[
        1
    ] == ("completed", 0)
    assert query(flow_settings, "SELECT max(version) FROM kpi_grade") == [(1,)]


def test_a_new_warehouse_with_an_old_data_folder_loads_everything(
    mock_cdd, flow_settings, tmp_path, monkeypatch
):
    assert sync(mock_cdd).is_completed()
    fresh = {**flow_settings, "warehouse_url": f"sqlite:///{tmp_path / 'restored.db'}"}
    monkeypatch.setenv("OTOP_WAREHOUSE_URL", fresh["warehouse_url"])
    state = sync(mock_cdd)
    assert state.is_completed(), state.message
    (report,) = state.result()
    assert report.skipped == []
    assert query(fresh, "SELECT count(*) FROM kpi_grade") == [(18 * 8,)]
    assert query(fresh, "SELECT count(*) FROM monthly_sales") == query(
        flow_settings, "SELECT count(*) FROM monthly_sales"
    )
    again = sync(mock_cdd)
    assert sorted(again.result()[0].skipped) == [
        "baseline",
        "form_responses",
        "products",
        "sales",
        "shops",
    ]
    assert not (tmp_path / "data" / "raw" / "consumed.jsonl").exists()


def test_failed_critical_expectation_publishes_no_grades(mock_cdd, flow_settings):
    mock_cdd.set_faults("summary_drift@report")
    state = sync(mock_cdd)
    assert state.is_failed()
    assert "sales.reconciles_with_summary failed" in state.message
    assert query(flow_settings, "SELECT count(*) FROM kpi_grade") == [(0,)]
    assert query(flow_settings, "SELECT count(*) FROM monthly_sales") == [(0,)]
    [(status, message)] = query(flow_settings, "SELECT status, message FROM sync_run")
    assert status == "failed"
    assert message.startswith("critical expectations failed: sales: sales.reconciles_with_summary")
    failed = query(flow_settings, "SELECT expectation FROM validation_result WHERE success = false")
    assert ("sales.reconciles_with_summary",) in failed


def test_source_outage_leaves_the_warehouse_as_it_was(mock_cdd, flow_settings):
    assert sync(mock_cdd).is_completed()
    tables = ["monthly_sales", "product_registration", "shop_registration", "kpi_grade"]
    before = {t: query(flow_settings, f"SELECT count(*) FROM {t}") for t in tables}
    mock_cdd.set_faults("correction;503@sales")  # new data waits behind a broken system
    state = sync(mock_cdd)
    assert state.is_failed()
    assert "answered HTTP 503" in state.message
    assert {t: query(flow_settings, f"SELECT count(*) FROM {t}") for t in tables} == before
    statuses = query(flow_settings, "SELECT status, message FROM sync_run ORDER BY started_at")
    assert statuses[0][0] == "completed"
    assert statuses[1][0] == "failed"
    assert "answered HTTP 503" in statuses[1][1]


@pytest.mark.usefixtures("flow_settings")
def test_deadline_monitor_publishes_the_monitors_rows(mock_cdd):
    assert sync(mock_cdd).is_completed()
    # On 20 November 2568 the October sales (due on the 18th) and October's Shop ชุมชน reports
    # (due on the 15th) are missing everywhere: the mock's data end in September.
    state = deadline_monitor(provinces=["57"], as_of=date(2025, 11, 20), return_state=True)
    rows = state.result()
    late_sales = [r for r in rows if r["what"] == "ยอดจำหน่าย"]
    assert len(late_sales) == 18
    assert late_sales[0] == {
        "district_code": "5701",
        "district": "เมืองเชียงราย",
        "what": "ยอดจำหน่าย",
        "month": "ตุลาคม 2568",
        "due": "18/11/2568",
        "status": "ยังไม่บันทึก",
        "reported": "",
        "click": "",
    }
    reports = [r for r in rows if r["what"] == "รายงาน Shop ชุมชน"]
    assert [(r["district_code"], r["status"], r["due"]) for r in reports] == [
        (f"57{i:02d}", "ยังไม่รายงาน", "15/11/2568") for i in range(1, 19)
    ]
    artifact = artifacts(state.state_details.flow_run_id)["late-57"]
    assert artifact.type == "table"
    assert json.loads(artifact.data) == rows


@pytest.mark.usefixtures("flow_settings")
def test_backfill_grades_a_range_and_skips_years_without_rules(mock_cdd):
    assert sync(mock_cdd).is_completed()
    (report,) = backfill("2566Q4", "2567Q2", provinces=["57"], as_of=AS_OF)
    assert report.notes[0] == (
        "2566Q4: not graded, KPI rules version 2567.1 cover 2567Q1-Q4, "
        "2568Q1-Q4 (carried forward); add rules for it to grade it"
    )
    assert sorted({str(g.quarter) for g in report.grades}) == ["2567Q1", "2567Q2"]


def test_http_source_reads_the_password_from_a_secret_block(mock_cdd, flow_settings, monkeypatch):
    from prefect.blocks.system import Secret

    Secret(value="mock-password").save("cdd-password", overwrite=True)
    for dataset in ("PRODUCTS", "SALES", "SHOPS", "BASELINE"):
        monkeypatch.setenv(f"OTOP_{dataset}_URL", mock_cdd.url)  # the mock standing in for CDD
    monkeypatch.setenv("OTOP_CDD_USERNAME", "otop-officer")
    monkeypatch.setenv("OTOP_CDD_PASSWORD_BLOCK", "cdd-password")
    state = nightly_sync(provinces=["57"], as_of=AS_OF, source="http", return_state=True)
    assert state.is_completed(), state.message
    assert query(flow_settings, "SELECT source, status FROM sync_run") == [("http", "completed")]
