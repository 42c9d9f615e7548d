"""Sources built from settings: the real hosts are configuration only, credentials stay secret."""

import logging

import pytest

from otop_sync.connectors.landing import RawLandingStore
from otop_sync.flows.settings import Settings
from otop_sync.flows.sources import SourceSettingsError, http_sources
from tests.tables import same_text


def test_real_hosts_come_from_settings(tmp_path, monkeypatch):
    monkeypatch.setenv("OTOP_SHOPS_URL", "https://click.example.test")
    monkeypatch.setenv("OTOP_BASELINE_URL", "https://sheets.example.test")
    monkeypatch.setenv("OTOP_CDD_USERNAME", "officer")
    monkeypatch.setenv("OTOP_CDD_PASSWORD", "pa55word")
    sources = http_sources(Settings(), RawLandingStore(tmp_path))
    assert sources["products"].url("/x") == "https://otop.cdd.go.th/x"
    assert sources["sales"].url("/x") == "https://logi.cdd.go.th/x"
    assert sources["shops"].url("/x") == "https://click.example.test/x"
    assert sources["baseline"].credentials is None
    assert sources["sales"].session is not sources["products"].session
    assert "pa55word" not in repr(Settings())
    assert "pa55word" not in repr(sources["sales"].credentials)


def test_missing_settings_are_named(tmp_path, monkeypatch):
    monkeypatch.delenv("OTOP_SHOPS_URL", raising=False)
    with pytest.raises(SourceSettingsError) as caught:
        http_sources(Settings(), RawLandingStore(tmp_path))
    assert str(caught.value) == "source http needs OTOP_BASELINE_URL, OTOP_SHOPS_URL"
    monkeypatch.setenv("OTOP_SHOPS_URL", "https://click.example.test")
    monkeypatch.setenv("OTOP_BASELINE_FILE", str(tmp_path / "baseline.csv"))
    with pytest.raises(SourceSettingsError) as caught:
        http_sources(Settings(), RawLandingStore(tmp_path))
    assert str(caught.value) == (
        "source http needs OTOP_CDD_USERNAME and OTOP_CDD_PASSWORD (or OTOP_CDD_PASSWORD_BLOCK)"
    )


def test_no_credential_in_logs_errors_or_payload_names(mock_cdd, tmp_path, caplog):
    secret = "mock-password"  # the mock's real password: it must not leak anywhere
    landing = RawLandingStore(tmp_path / "raw")
    caplog.set_level(logging.DEBUG)
    sources = http_sources(Settings(), landing, mock_url=mock_cdd.url)
    mock_cdd.set_faults("expire_session@otop*1")
    for dataset in ("products", "sales", "shops", "baseline"):
        sources[dataset].extract(province="57")
    assert secret not in caplog.text
    assert "urllib3" in caplog.text or "connectionpool" in caplog.text  # the transport did log
    stored = [p.name for p in (tmp_path / "raw").rglob("*")]
    assert not any(secret in name for name in stored)
    assert secret not in landing.manifest.read_text(encoding="utf-8")


def test_endpoint_paths_come_from_settings(tmp_path, monkeypatch):
    monkeypatch.setenv(
        "OTOP_ENDPOINTS",
        '{"sales": {"export_path": "/otop/report/export.php", "login_path": "/otop/login.php"}}',
    )
    sources = http_sources(Settings(), RawLandingStore(tmp_path), mock_url="http://127.0.0.1:9")
    assert sources["sales"].endpoint.export_path == "/otop/report/export.php"
    assert sources["sales"].login_path == "/otop/login.php"
    assert sources["products"].endpoint.export_path == "/bigdata/export/products.csv"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ('{"stock": {"export_path": "/x"}}', "OTOP_ENDPOINTS: no dataset 'stock'"),
        (
            '{"sales": {"path": "/x"}}',
            "OTOP_ENDPOINTS.sales: unknown field(s) path; use export_path, listing_path, login_path, system",
        ),
    ],
)
def test_bad_endpoint_settings_are_named(tmp_path, monkeypatch, value, message):
    monkeypatch.setenv("OTOP_ENDPOINTS", value)
    with pytest.raises(SourceSettingsError) as caught:
        http_sources(Settings(), RawLandingStore(tmp_path), mock_url="http://127.0.0.1:9")
    assert str(caught.value) == message


def test_a_system_without_an_export_is_read_from_its_listing(mock_cdd, tmp_path, monkeypatch):
    monkeypatch.setenv("OTOP_ENDPOINTS", '{"shops": {"export_path": ""}}')
    sources = http_sources(Settings(), RawLandingStore(tmp_path / "raw"), mock_url=mock_cdd.url)
    listed = sources["shops"].extract(province="57")
    assert listed.raws
    assert all("/click/shops?" in raw.location for raw in listed.raws)
    monkeypatch.delenv("OTOP_ENDPOINTS")
    exported = http_sources(Settings(), RawLandingStore(tmp_path / "raw2"), mock_url=mock_cdd.url)
    assert same_text(listed.table, exported["shops"].extract(province="57").table)


def test_the_report_form_is_optional_on_real_hosts(tmp_path, monkeypatch):
    monkeypatch.setenv("OTOP_SHOPS_URL", "https://click.example.test")
    monkeypatch.setenv("OTOP_BASELINE_URL", "https://sheets.example.test")
    monkeypatch.setenv("OTOP_CDD_USERNAME", "officer")
    monkeypatch.setenv("OTOP_CDD_PASSWORD", "pa55word")
    assert "form_responses" not in http_sources(Settings(), RawLandingStore(tmp_path))
    monkeypatch.setenv("OTOP_FORM_RESPONSES_URL", "https://docs.example.test")
    form = http_sources(Settings(), RawLandingStore(tmp_path))["form_responses"]
    assert form.url(form.endpoint.export_path) == "https://docs.example.test/forms/shop-report.csv"


@pytest.mark.parametrize("path", ["", "/sheets/baseline.csv?gid=0&single=true&output=csv"])
def test_the_baseline_url_is_a_host_or_the_published_csv_itself(
    mock_cdd, tmp_path, monkeypatch, path
):
    monkeypatch.setenv("OTOP_SHOPS_URL", mock_cdd.url)
    monkeypatch.setenv("OTOP_BASELINE_URL", mock_cdd.url + path)
    monkeypatch.setenv("OTOP_CDD_USERNAME", "otop-officer")
    monkeypatch.setenv("OTOP_CDD_PASSWORD", "mock-password")
    source = http_sources(Settings(), RawLandingStore(tmp_path / "raw"))["baseline"]
    extract = source.extract(province="57")
    assert extract.rows_read > 0
    assert extract.raws[0].location.startswith(f"{mock_cdd.url}/sheets/baseline.csv?")
