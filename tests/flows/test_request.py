"""Run requests: typed, defaulted once, and free of settings and secrets."""

from datetime import date
from pathlib import Path

import pytest

from otop_sync.errors import OtopSyncError
from otop_sync.flows.request import GradeRequest, RunScope, SyncRequest, today_in_bangkok
from otop_sync.flows.settings import Settings, SourceKind


def test_missing_provinces_and_day_mean_chiang_rai_today():
    for scope in (RunScope(), RunScope(provinces=None, as_of=None), RunScope(provinces=[])):
        assert scope.provinces == ("57",)
        assert scope.as_of == today_in_bangkok()


def test_a_request_holds_no_setting_but_where_to_read_from():
    shared = set(SyncRequest.model_fields) & set(Settings.model_fields)
    assert shared == {"source", "inbox_dir"}
    assert not {"warehouse_url", "cdd_password", "cdd_username"} & set(GradeRequest.model_fields)


def test_settings_are_the_environment_with_the_requests_source(monkeypatch):
    monkeypatch.setenv("OTOP_SOURCE", "http")
    monkeypatch.setenv("OTOP_INBOX_DIR", "/srv/inbox")
    monkeypatch.setenv("OTOP_WAREHOUSE_URL", "sqlite:///from-the-environment.db")
    assert SyncRequest().settings().source is SourceKind.http
    chosen = SyncRequest(source="files", inbox_dir="drop-here").settings()
    assert (chosen.source, chosen.inbox_dir) == (SourceKind.files, Path("drop-here"))
    assert chosen.warehouse_url == "sqlite:///from-the-environment.db"


def test_one_run_per_province_unless_one_run():
    request = SyncRequest(provinces=["57", "50"], as_of=date(2025, 11, 15))
    assert request.groups() == [("57",), ("50",)]
    assert request.model_copy(update={"one_run": True}).groups() == [("57", "50")]


def test_the_mock_source_needs_a_url(monkeypatch):
    monkeypatch.delenv("OTOP_SOURCE", raising=False)
    with pytest.raises(OtopSyncError) as caught:
        SyncRequest().check_source()
    assert str(caught.value) == (
        "source mock needs mock_url: start `otop-sync mock serve` and pass its URL"
    )
    SyncRequest(mock_url="http://127.0.0.1:8757").check_source()
    SyncRequest(source="files").check_source()


def test_grade_request_quarters_are_read_once():
    request = GradeRequest(quarters=["๒๕๖๗q2", "2567Q3"])
    assert request.quarters == ("2567Q2", "2567Q3")
    assert [str(q) for q in request.parsed_quarters()] == ["2567Q2", "2567Q3"]
    with pytest.raises(ValueError, match=r"cannot read .2567Q5. as a fiscal quarter"):
        GradeRequest(quarters=["2567Q5"])


def test_unknown_provinces_and_quarters_are_refused():
    with pytest.raises(ValueError, match=r"not a province code: 00, 99"):
        RunScope(provinces=["57", "99", "00"])
    with pytest.raises(ValueError, match=r"cannot read '2567Q0' as a fiscal quarter"):
        SyncRequest(report_quarter="2567Q0")
    assert SyncRequest(report_quarter="๒๕๖๗q2").report_quarter == "2567Q2"
