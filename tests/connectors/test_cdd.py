"""The CDD sources against the mock CDD systems over real HTTP on loopback."""

import re
import time
from dataclasses import replace

import pytest

from otop_sync.connectors.cdd import cdd_sources
from otop_sync.connectors.errors import (
    TRANSIENT_ERRORS,
    PaginationError,
    SchemaDriftError,
    SourceAuthError,
    SourceRequestError,
    SourceUnreachableError,
    TruncatedPayloadError,
)
from otop_sync.connectors.http import Credentials, HttpConfig, public_url
from otop_sync.connectors.landing import ConsumedPayloads, RawLandingStore
from otop_sync.datasets import CATALOG, Endpoint
from otop_sync.datasets import dataset as globals_dataset
from tests.tables import same_text

ACCOUNT = Credentials("otop-officer", "mock-password")
FAST = HttpConfig(base_url="", retries=3, backoff_factor=0.01, max_retry_after=0.5, read_timeout=30)


def sources(url, landing, credentials=ACCOUNT, http=FAST, endpoints=None):
    reachable = [spec for spec in CATALOG if spec.endpoint is not None]
    return cdd_sources(dict.fromkeys(reachable, url), landing, credentials, http, endpoints)


@pytest.fixture
def landing(tmp_path):
    return RawLandingStore(tmp_path / "raw")


def _manifest_lines(landing):
    return (
        landing.manifest.read_text(encoding="utf-8").splitlines()
        if landing.manifest.exists()
        else []
    )


def _with_query(dataset, **query):
    endpoint = globals_dataset(dataset).endpoint
    return {dataset: replace(endpoint, query=tuple(query.items()))}


@pytest.mark.parametrize("dataset", ["products", "sales", "shops", "baseline"])
@pytest.mark.parametrize(
    ("encoding", "charset"),
    [("utf-8", "declared"), ("utf-8-sig", "missing"), ("cp874", "declared"), ("cp874", "missing")],
)
def test_each_dataset_in_each_encoding(mock_cdd, landing, dataset, encoding, charset):
    reference = sources(mock_cdd.url, landing)[dataset].extract(province="57")
    source = sources(
        mock_cdd.url, landing, endpoints=_with_query(dataset, encoding=encoding, charset=charset)
    )[dataset]
    extract = source.extract(province="57")
    assert same_text(extract.table, reference.table)
    assert list(extract.table.columns) == list(reference.table.columns)
    assert extract.unknown_columns == ()
    assert extract.rows_read > 0
    assert "เชียงราย" in set(extract.table["province"])
    raw = extract.raws[0]
    assert raw.stored_path.read_bytes().startswith(b"\xef\xbb\xbf") == (encoding == "utf-8-sig")
    assert raw.stored_path.name == f"{raw.sha256}.csv"


def test_payload_is_kept_byte_for_byte_with_its_record(mock_cdd, landing):
    import hashlib

    import requests

    extract = sources(mock_cdd.url, landing)["baseline"].extract(province="57")
    raw = extract.raws[0]
    served = requests.get(f"{mock_cdd.url}/sheets/baseline.csv?province=57", timeout=10).content
    assert raw.stored_path.read_bytes() == served
    assert raw.sha256 == hashlib.sha256(served).hexdigest()
    assert (raw.size, raw.source, raw.location) == (
        len(served),
        "sheets",
        f"{mock_cdd.url}/sheets/baseline.csv?province=57",
    )
    assert raw.etag
    assert raw.last_modified


def test_unchanged_after_a_load_is_skipped_via_304(mock_cdd, landing):
    source = sources(mock_cdd.url, landing)["products"]
    first = source.extract()
    assert not first.unchanged
    again = source.extract()
    assert not again.unchanged  # fetched, but never loaded: it must be read again
    assert same_text(again.table, first.table)
    landing.consumed_payloads = ConsumedPayloads.of(first.raws)
    third = source.extract()
    assert third.unchanged
    assert third.rows_read == 0
    assert third.raws[0] == first.raws[0]  # a 304 answer: nothing new was downloaded
    mock_cdd.set_faults("correction")  # the data changes
    assert not sources(mock_cdd.url, landing)["sales"].extract().unchanged


def test_server_errors_are_retried(mock_cdd, landing):
    mock_cdd.set_faults("503@sales*2;500@login*1")
    assert sources(mock_cdd.url, landing)["sales"].extract().rows_read > 50_000


def test_lasting_server_errors_raise_and_land_nothing(mock_cdd, landing):
    mock_cdd.set_faults("502@shops")
    with pytest.raises(SourceUnreachableError) as caught:
        sources(mock_cdd.url, landing)["shops"].extract()
    assert str(caught.value) == (
        f"click: {mock_cdd.url}/click/export/shops.csv answered HTTP 502 after 3 retries"
    )
    assert _manifest_lines(landing) == []


def test_every_wait_is_logged_with_its_reason_and_length(mock_cdd, landing, caplog):
    mock_cdd.set_faults("503@shops*2")
    with caplog.at_level("WARNING", logger="otop_sync.connectors.http"):
        sources(mock_cdd.url, landing)["shops"].extract()
    waits = [r.getMessage() for r in caplog.records if r.name == "otop_sync.connectors.http"]
    assert len(waits) == 2
    assert all(
        re.fullmatch(r"retrying /click/export/shops\.csv in \d+\.\d s after HTTP 503", w)
        for w in waits
    ), waits


def test_a_wrong_path_fails_at_once_and_is_not_retried(mock_cdd, landing):
    wrong = replace(globals_dataset("sales").endpoint, export_path="/otop/export/nothing.csv")
    started = time.monotonic()
    with pytest.raises(SourceRequestError) as caught:
        sources(mock_cdd.url, landing, endpoints={"sales": wrong})["sales"].extract()
    assert time.monotonic() - started < 5
    assert str(caught.value) == (
        f"otop: {mock_cdd.url}/otop/export/nothing.csv answered HTTP 404 "
        "(a wrong URL, path or parameter: not retried)"
    )
    assert not isinstance(caught.value, TRANSIENT_ERRORS)


def test_rate_limit_waits_as_told_within_the_cap(mock_cdd, landing):
    mock_cdd.set_faults("429=1@baseline*1")
    started = time.monotonic()
    sources(mock_cdd.url, landing, http=replace(FAST, max_retry_after=5))["baseline"].extract()
    assert time.monotonic() - started >= 1
    mock_cdd.set_faults("429=3600@baseline*1")
    started = time.monotonic()
    sources(mock_cdd.url, landing)["baseline"].extract()
    assert time.monotonic() - started < 5  # capped at max_retry_after, not an hour


def test_unreachable_host(landing):
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    http = replace(FAST, retries=1)
    with pytest.raises(SourceUnreachableError) as caught:
        sources(f"http://127.0.0.1:{port}", landing, http=http)["baseline"].extract()
    assert str(caught.value).startswith(
        f"sheets: cannot reach http://127.0.0.1:{port}/sheets/baseline.csv after 1 retries"
    )


def test_expired_session_logs_in_again(mock_cdd, landing):
    source = sources(mock_cdd.url, landing)["sales"]
    source.extract(province="57", fiscal_year=2567)
    mock_cdd.set_faults("expire_session@otop*1")
    assert source.extract(province="57", fiscal_year=2568).rows_read > 0
    assert mock_cdd.state.faults.active() == []  # the expiry was met and handled


def test_wrong_password_is_an_auth_error_without_the_password(mock_cdd, landing):
    wrong = Credentials("otop-officer", "s3cret-wrong")
    with pytest.raises(SourceAuthError) as caught:
        sources(mock_cdd.url, landing, credentials=wrong)["products"].extract()
    assert str(caught.value) == (
        f"bigdata: login as 'otop-officer' at {mock_cdd.url}/bigdata/login failed: "
        "user name or password refused (HTTP 200)"
    )
    assert "s3cret" not in repr(wrong)
    assert _manifest_lines(landing) == []


def test_session_that_never_sticks_is_an_auth_error(mock_cdd, landing):
    mock_cdd.set_faults("expire_session@otop")
    with pytest.raises(SourceAuthError, match=r"still asks for a login after logging in$"):
        sources(mock_cdd.url, landing)["sales"].extract()


def test_cut_short_body_is_detected_and_lands_nothing(mock_cdd, landing):
    mock_cdd.set_faults("truncate@sales*1")
    with pytest.raises(TruncatedPayloadError) as caught:
        sources(mock_cdd.url, landing)["sales"].extract()
    assert str(caught.value).startswith(
        f"otop: {mock_cdd.url}/otop/export/sales.csv ended before its announced length (IncompleteRead"
    )
    assert _manifest_lines(landing) == []
    assert list((landing.root / "tmp").iterdir()) == []


def test_body_cut_inside_a_row_is_detected(mock_cdd, landing):
    mock_cdd.set_faults("truncate=clean@shops*1")
    with pytest.raises(
        TruncatedPayloadError,
        match=r"the last row is cut short \(1 of 7 fields, no final line break\)$",
    ):
        sources(mock_cdd.url, landing)["shops"].extract()


@pytest.mark.parametrize(
    ("fault", "missing"),
    [
        ("rename_column=ยอดจำหน่าย (บาท)>ยอดขาย@sales", "ยอดจำหน่าย (บาท)"),
        ("drop_column=เดือน@sales", "เดือน"),
    ],
)
def test_schema_drift_names_the_column(mock_cdd, landing, fault, missing):
    mock_cdd.set_faults(fault)
    with pytest.raises(SchemaDriftError) as caught:
        sources(mock_cdd.url, landing)["sales"].extract(province="57")
    assert str(caught.value).startswith(
        f"{mock_cdd.url}/otop/export/sales.csv?province=57: sales export lacks column(s) {missing}; found "
    )


def test_listing_gives_the_same_table_as_the_export(mock_cdd, landing):
    source = sources(mock_cdd.url, landing)["shops"]
    listing = source.extract_listing(province="57", per_page=100)
    export = source.extract(province="57")
    assert same_text(listing.table, export.table)
    assert len(listing.raws) == -(-export.rows_read // 100)


@pytest.mark.parametrize("fault", ["repeat_page=2@shops*1", "skip_page=2@shops*1"])
def test_repeated_or_skipped_page_is_detected(mock_cdd, landing, fault):
    mock_cdd.set_faults(fault)
    with pytest.raises(
        PaginationError,
        match=r"page 3 repeats the rows of page 2 \(a page was repeated or skipped\)$|page 2 repeats the rows of page 1",
    ):
        sources(mock_cdd.url, landing)["shops"].extract_listing(province="57", per_page=100)


def test_summary_report_in_cp874_without_charset(mock_cdd, landing):
    source = sources(mock_cdd.url, landing)["summary"]
    report = source.summary_report(2567, province="57")
    assert report.table["place_code"].nunique() == 18
    assert len(report.table) == 18 * 12
    assert report.table.iloc[0]["place_name"] == "เมืองเชียงราย"
    assert report.raw.stored_path.read_bytes().decode("utf-8").count("<tr>") >= 19


def test_public_url_drops_credentials():
    assert (
        public_url("https://officer:pw@logi.cdd.go.th:8443/otop/?a=1")
        == "https://logi.cdd.go.th:8443/otop/?a=1"
    )


def test_endpoint_query_is_sent():
    endpoint = Endpoint("otop", "/otop/export/sales.csv", "sales_url", query=(("org_group", "0"),))
    assert endpoint.params("57", None) == {"org_group": "0", "province": "57", "year": None}


def test_a_dataset_without_a_listing_says_so(mock_cdd, landing):
    from otop_sync.connectors.errors import SourceError

    with pytest.raises(SourceError, match=r"^baseline has no listing on sheets$"):
        sources(mock_cdd.url, landing)["baseline"].extract_listing()
