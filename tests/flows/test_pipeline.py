"""The steps as plain functions, without Prefect: the run's record around them, one event per
step start and finish, and the warehouse left as it was when a step fails."""

from datetime import date

import pytest
from sqlalchemy import text

from otop_sync.expectations.runner import CriticalExpectationError
from otop_sync.flows import pipeline
from otop_sync.flows.progress import listening
from otop_sync.flows.readers import late_report
from otop_sync.flows.request import SyncRequest
from otop_sync.warehouse.db import make_engine, upgrade

AS_OF = date(2025, 11, 15)


def query(settings, sql):
    engine = make_engine(settings["warehouse_url"])
    with engine.connect() as connection:
        rows = connection.execute(text(sql)).all()
    engine.dispose()
    return rows


def sync_steps(request, run):
    """The nightly sync's steps in the flow's order, called directly."""
    extracts = pipeline.land(run, pipeline.extract(request, run))
    typed = pipeline.type_extracts(request, run, extracts)
    clean = pipeline.validate(request, run, typed, pipeline.extract_summary(request, run, typed))
    with pipeline.warehouse_transaction(run) as connection:
        pipeline.load(run, connection, clean)
        pipeline.grade(run, connection)


def test_the_steps_run_without_prefect_and_say_what_they_did(mock_cdd, flow_settings):
    request = SyncRequest(as_of=AS_OF, source="mock", mock_url=mock_cdd.url)
    events = []
    with listening(events.append), pipeline.recorded_run("mock", ["57"], AS_OF, None) as run:
        sync_steps(request, run)
    assert [(e.step, e.phase) for e in events] == [
        (step, phase)
        for step in ("extract", "land", "type", "extract summary", "validate", "load", "grade")
        for phase in ("start", "finish")
    ]
    assert {e.scope for e in events} == {"57"}
    load_done = next(e for e in events if e.step == "load" and e.phase == "finish")
    assert load_done.detail == "65,018 rows into 5 tables"
    assert query(flow_settings, "SELECT status, flow_run_id FROM sync_run") == [("completed", None)]
    assert query(flow_settings, "SELECT count(*) FROM kpi_grade") == [(18 * 8,)]
    assert {"extract", "land", "type", "validate", "validate sales", "load", "grade"} <= set(
        run.seconds
    )


def test_a_failed_step_fails_the_run_and_keeps_what_the_checks_found(mock_cdd, flow_settings):
    mock_cdd.set_faults("summary_drift@report")
    request = SyncRequest(as_of=AS_OF, source="mock", mock_url=mock_cdd.url)
    events = []
    with (
        pytest.raises(CriticalExpectationError),
        listening(events.append),
        pipeline.recorded_run("mock", ["57"], AS_OF, None) as run,
    ):
        sync_steps(request, run)
    assert events[-1].step == "validate"
    assert events[-1].phase == "fail"
    assert "sales.reconciles_with_summary" in events[-1].detail
    [(status, message)] = query(flow_settings, "SELECT status, message FROM sync_run")
    assert status == "failed"
    assert message.startswith("critical expectations failed: sales:")
    assert query(flow_settings, "SELECT count(*) FROM monthly_sales") == [(0,)]
    assert query(flow_settings, "SELECT count(*) FROM validation_result WHERE success = false")[0][
        0
    ]
    assert query(flow_settings, "SELECT count(*) FROM raw_file") == [(5,)]


class DiskFullError(Exception):
    pass


def load_then_fail(request, run):
    """The steps up to the load, then a failure inside the run's transaction."""
    extracts = pipeline.land(run, pipeline.extract(request, run))
    clean = pipeline.validate(request, run, pipeline.type_extracts(request, run, extracts), None)
    with pipeline.warehouse_transaction(run) as connection:
        pipeline.load(run, connection, clean)
        raise DiskFullError("the disk filled up")


def test_a_failure_inside_the_transaction_leaves_the_warehouse_and_payloads_as_they_were(
    mock_cdd, flow_settings
):
    request = SyncRequest(as_of=AS_OF, source="mock", mock_url=mock_cdd.url)
    with (
        pytest.raises(DiskFullError),
        pipeline.recorded_run("mock", ["57"], AS_OF, None) as run,
    ):
        load_then_fail(request, run)
    assert query(flow_settings, "SELECT status, message FROM sync_run") == [
        ("failed", "the disk filled up")
    ]
    assert query(flow_settings, "SELECT count(*) FROM monthly_sales") == [(0,)]
    assert query(flow_settings, "SELECT count(*) FROM consumed_payload") == [(0,)]


def test_the_late_report_reads_only(flow_settings):
    from otop_sync.flows.settings import Settings
    from otop_sync.warehouse.db import WarehouseError

    with pytest.raises(
        WarehouseError, match=r"has no otop-sync schema: run `otop-sync db upgrade`$"
    ):
        late_report(Settings(), ["57"], AS_OF)
    upgrade(make_engine(flow_settings["warehouse_url"]))
    report = late_report(Settings(), ["57"], AS_OF)
    assert set(report.late["district_code"]) == {f"57{i:02d}" for i in range(1, 19)}
    assert not report.report_channel_configured


REPORT_PAGE = (
    '<html><body><table id="report"><thead><tr><th>รหัส</th><th>อำเภอ</th><th>ม.ค. 67</th>'
    "<th>รวม</th></tr></thead><tbody>{rows}</tbody></table></body></html>"
)


def _report_rows(code: str, amounts: list[str]) -> str:
    return "".join(
        f"<tr><td>{code}{i + 1:02d}</td><td>x</td><td>{amount}</td><td>0</td></tr>"
        for i, amount in enumerate(amounts)
    )


@pytest.fixture
def report_server():
    """A loopback server of summary report pages: province 57's readable, 50's with an
    unreadable amount on its second row."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
    from urllib.parse import parse_qs, urlparse

    pages = {"57": ["1,000.00", "2.50"], "50": ["3.00", "three baht", "4.00"]}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            province = parse_qs(urlparse(self.path).query)["province"][0]
            body = REPORT_PAGE.format(rows=_report_rows(province, pages[province])).encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_summary_pages_are_read_and_a_bad_cell_names_its_page_and_line(report_server, tmp_path):
    from otop_sync.connectors.html import PageFormatError
    from otop_sync.connectors.landing import RawLandingStore
    from otop_sync.flows.settings import Settings

    settings, landing = Settings(), RawLandingStore(tmp_path / "raw")
    rows = pipeline.fetch_summaries(settings, landing, ("57",), [2567], report_server)
    assert list(rows["district_code"]) == ["5701", "5702"]
    assert [str(a) for a in rows["amount"]] == ["1000.00", "2.50"]
    with pytest.raises(PageFormatError) as raised:
        pipeline.fetch_summaries(settings, landing, ("57", "50"), [2567], report_server)
    message = str(raised.value)
    assert message.startswith(f"{report_server}/otop/cdd_report/otop_r04.php?")
    assert "province=50" in message
    assert message.endswith(
        ": line 3, column ยอดจำหน่าย: cannot read 'three baht' as an amount in baht"
    )
