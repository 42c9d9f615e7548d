"""The mock CDD systems over real HTTP on loopback: login, listings, exports, report, faults."""

import csv
import hashlib
import io
import re
import time
from decimal import Decimal

import pytest
import requests
from bs4 import BeautifulSoup
from openpyxl import load_workbook

from otop_sync.connectors.files import decode_text, read_table_bytes
from otop_sync.datasets.sales import SALES
from otop_sync.mocks.data import MockSpec
from otop_sync.mocks.server import MockConfig, serve_in_thread
from otop_sync.transforms.deltas import latest_sales, quarter_sales
from otop_sync.transforms.fiscal import Quarter
from otop_sync.transforms.formats import to_canonical
from tests.mocks.conftest import login

EXPORTS = [("bigdata", "products"), ("otop", "sales"), ("click", "shops")]


def test_health_reports_the_data(mock_cdd):
    health = requests.get(f"{mock_cdd.url}/_mock/health", timeout=10).json()
    assert health["status"] == "ok"
    assert health["rows"]["sales"] > 50_000


def test_exports_need_a_login(mock_cdd):
    response = requests.get(
        f"{mock_cdd.url}/otop/export/sales.csv", allow_redirects=False, timeout=10
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/otop/login?next=/otop/export/sales.csv"


def test_login_needs_the_csrf_token(mock_cdd):
    with requests.Session() as session:
        session.get(f"{mock_cdd.url}/otop/login")
        response = session.post(
            f"{mock_cdd.url}/otop/login",
            data={"username": "otop-officer", "password": "mock-password", "csrf_token": "forged"},
        )
    assert response.status_code == 403
    assert response.text == "CSRF token missing or invalid"


def test_wrong_password_gives_the_form_again_without_a_session(mock_cdd):
    with requests.Session() as session:
        response = login(session, mock_cdd.url, "otop", password="wrong")
        assert response.status_code == 200
        assert "ชื่อผู้ใช้หรือรหัสผ่านไม่ถูกต้อง" in response.text
        assert "otop_session" not in session.cookies


def test_session_expires_and_a_new_login_works(mock_cdd, officer):
    mock_cdd.set_faults("expire_session@otop*1")
    expired = officer.get(f"{mock_cdd.url}/otop/export/baseline.csv", allow_redirects=False)
    assert expired.status_code == 404  # baseline is not an otop export
    expired = officer.get(f"{mock_cdd.url}/otop/export/sales.csv", allow_redirects=False)
    assert expired.status_code == 302
    assert expired.headers["Location"].startswith("/otop/login")
    assert login(officer, mock_cdd.url, "otop").status_code == 303
    assert officer.get(f"{mock_cdd.url}/otop/export/sales.csv").status_code == 200


def test_sessions_time_out():
    config = MockConfig(session_ttl=0.3)
    with serve_in_thread(config) as mock, requests.Session() as session:
        login(session, mock.url, "click")
        assert (
            session.get(f"{mock.url}/click/export/shops.csv", allow_redirects=False).status_code
            == 200
        )
        time.sleep(0.4)
        assert (
            session.get(f"{mock.url}/click/export/shops.csv", allow_redirects=False).status_code
            == 302
        )


@pytest.mark.parametrize(("system", "dataset"), EXPORTS)
@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp874"])
def test_each_export_in_each_encoding(mock_cdd, officer, system, dataset, encoding):
    url = f"{mock_cdd.url}/{system}/export/{dataset}.csv?province=57&encoding={encoding}"
    declared = officer.get(url)
    missing = officer.get(url + "&charset=missing")
    assert declared.status_code == missing.status_code == 200
    charset = "TIS-620" if encoding == "cp874" else "utf-8"
    assert declared.headers["Content-Type"] == f"text/csv; charset={charset}"
    assert missing.headers["Content-Type"] == "text/csv"
    assert declared.content == missing.content
    text, detected = decode_text(declared.content, url)
    assert detected == encoding
    assert declared.content.startswith(b"\xef\xbb\xbf") == (encoding == "utf-8-sig")
    reference = officer.get(f"{mock_cdd.url}/{system}/export/{dataset}.csv?province=57").content
    assert text == reference.decode("utf-8")
    assert "เชียงราย" in text


@pytest.mark.parametrize(("system", "dataset"), EXPORTS)
def test_xlsx_export_has_the_same_rows_as_csv(mock_cdd, officer, system, dataset):
    query = "?year=2568" if dataset == "sales" else ""  # a year of sales keeps the test quick
    xlsx = officer.get(f"{mock_cdd.url}/{system}/export/{dataset}.xlsx{query}")
    assert xlsx.headers["Content-Type"].startswith("application/vnd.openxmlformats")
    csv_export = officer.get(f"{mock_cdd.url}/{system}/export/{dataset}.csv{query}")
    csv_table = read_table_bytes(csv_export.content, "csv")
    sheet = load_workbook(io.BytesIO(xlsx.content), read_only=True).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == list(csv_table.columns)
    assert len(rows) - 1 == len(csv_table)
    assert [("" if v is None else v) for v in rows[1]] == list(csv_table.iloc[0])


def test_baseline_sheet_is_public(mock_cdd):
    response = requests.get(f"{mock_cdd.url}/sheets/baseline.csv?province=57", timeout=10)
    assert response.status_code == 200
    assert response.text.splitlines()[0] == (
        "ปีงบประมาณ,ไตรมาส,จังหวัด,อำเภอ,ฐานเดิมปีฐาน (บาท),จำนวนผู้สนใจ Digital Wallet ไตรมาส 1"
    )
    assert '2567,2,เชียงราย,เวียงชัย,"25,432,495.20",15' in response.text


def test_thai_digits_on_request(mock_cdd, officer):
    thai = officer.get(f"{mock_cdd.url}/otop/export/sales.csv?digits=thai").text.splitlines()
    arabic = officer.get(f"{mock_cdd.url}/otop/export/sales.csv").text.splitlines()
    assert thai[0] == arabic[0]
    assert re.search("[๐-๙]", thai[1])
    assert thai[1].translate(str.maketrans("๐๑๒๓๔๕๖๗๘๙", "0123456789")) == arabic[1]
    assert "P5701" in thai[5]  # codes stay as they are


def test_unknown_province_and_bad_parameters(mock_cdd, officer):
    assert officer.get(f"{mock_cdd.url}/otop/export/sales.csv?province=99").status_code == 404
    bad = officer.get(f"{mock_cdd.url}/otop/export/sales.csv?encoding=latin-1")
    assert (bad.status_code, bad.text) == (400, "encoding must be one of utf-8, utf-8-sig, cp874")


def test_conditional_requests_get_304(mock_cdd, officer):
    url = f"{mock_cdd.url}/bigdata/export/products.csv"
    first = officer.get(url)
    etag, modified = first.headers["ETag"], first.headers["Last-Modified"]
    assert officer.get(url, headers={"If-None-Match": etag}).status_code == 304
    assert officer.get(url, headers={"If-Modified-Since": modified}).status_code == 304
    assert officer.get(url, headers={"If-None-Match": '"other"'}).status_code == 200
    assert etag.strip('"') == hashlib.sha256(first.content).hexdigest()[:40]


def test_a_correction_changes_the_etag_and_the_data(mock_cdd, officer):
    url = f"{mock_cdd.url}/otop/export/sales.csv"
    before = officer.get(url)
    mock_cdd.set_faults("correction")
    after = officer.get(url, headers={"If-None-Match": before.headers["ETag"]})
    assert after.status_code == 200
    assert after.headers["ETag"] != before.headers["ETag"]
    new_rows = after.text.splitlines()[len(before.text.splitlines()) :]
    assert len(new_rows) == 1
    (correction,) = csv.reader(new_rows)
    _province, district, producer, month, amount, recorded = correction
    assert (district, recorded) == ("พญาเม็งราย", "10/5/2567")
    originals = [
        row
        for row in csv.reader(before.text.splitlines())
        if row[2] == producer and row[3] == month
    ]
    assert len(originals) == 1
    raise_by = Decimal(amount.replace(",", "")) - Decimal(originals[0][4].replace(",", ""))
    assert raise_by == Decimal("10000.00")


@pytest.mark.parametrize(("system", "dataset"), EXPORTS)
def test_listing_pages_report_the_total(mock_cdd, officer, system, dataset):
    page = BeautifulSoup(
        officer.get(f"{mock_cdd.url}/{system}/{dataset}?page=2&per_page=50&province=57").text,
        "lxml",
    )
    summary = page.select_one("p.summary")
    total = int(summary["data-total"])
    assert summary["data-pages"] == str(-(-total // 50))
    assert summary.text == f"แสดง 51-100 จาก {total:,} รายการ"
    rows = page.select("table.data tbody tr")
    assert len(rows) == 50
    export = read_table_bytes(
        officer.get(f"{mock_cdd.url}/{system}/export/{dataset}.csv").content, "x"
    )
    assert len(export) == total
    assert [td.text for td in rows[0].find_all("td")] == list(export.iloc[50])


def _first_codes(session, url):
    page = BeautifulSoup(session.get(url).text, "lxml")
    return [tr.find("td").text for tr in page.select("table.data tbody tr")]


def test_repeated_and_skipped_pages(mock_cdd, officer):
    base = f"{mock_cdd.url}/bigdata/products?per_page=20&page="
    pages = {n: _first_codes(officer, base + str(n)) for n in (2, 3, 4)}
    mock_cdd.set_faults("repeat_page=3@products*1;skip_page=2@products*1")
    assert _first_codes(officer, base + "3") == pages[2]
    assert _first_codes(officer, base + "2") == pages[3]
    assert _first_codes(officer, base + "3") == pages[3]  # spent


@pytest.mark.parametrize("status", [500, 502, 503])
def test_server_errors_then_recovery(mock_cdd, officer, status):
    mock_cdd.set_faults(f"{status}@shops*2")
    url = f"{mock_cdd.url}/click/export/shops.csv"
    assert [officer.get(url).status_code for _ in range(3)] == [status, status, 200]


def test_rate_limit_says_when_to_come_back(mock_cdd):
    mock_cdd.set_faults("429=7@baseline*1")
    limited = requests.get(f"{mock_cdd.url}/sheets/baseline.csv", timeout=10)
    assert (limited.status_code, limited.headers["Retry-After"]) == (429, "7")
    assert requests.get(f"{mock_cdd.url}/sheets/baseline.csv", timeout=10).status_code == 200


def test_slow_responses(mock_cdd):
    started = time.monotonic()
    requests.get(
        f"{mock_cdd.url}/sheets/baseline.csv", headers={"X-Mock-Faults": "slow=0.6"}, timeout=10
    )
    assert time.monotonic() - started >= 0.6


def test_body_cut_short_breaks_the_connection(mock_cdd, officer):
    mock_cdd.set_faults("truncate@sales*1")
    with pytest.raises(requests.exceptions.ChunkedEncodingError, match="IncompleteRead"):
        officer.get(f"{mock_cdd.url}/otop/export/sales.csv")
    assert officer.get(f"{mock_cdd.url}/otop/export/sales.csv").status_code == 200


def test_clean_cut_body_ends_inside_a_row(mock_cdd, officer):
    whole = officer.get(f"{mock_cdd.url}/otop/export/sales.csv").content
    cut = officer.get(
        f"{mock_cdd.url}/otop/export/sales.csv", headers={"X-Mock-Faults": "truncate=clean"}
    )
    assert int(cut.headers["Content-Length"]) == len(cut.content) < len(whole)
    assert whole.startswith(cut.content)
    assert not cut.content.endswith(b"\r\n")


def test_renamed_and_dropped_columns(mock_cdd, officer):
    mock_cdd.set_faults("rename_column=ยอดจำหน่าย (บาท)>ยอดขาย@sales;drop_column=วันที่บันทึก@sales")
    header = officer.get(f"{mock_cdd.url}/otop/export/sales.csv").text.splitlines()[0]
    assert header == "จังหวัด,อำเภอ,รหัสผู้ผลิต,เดือน,ยอดขาย"


def test_fault_admin_endpoint(mock_cdd):
    bad = requests.put(f"{mock_cdd.url}/_mock/faults", data="teapot", timeout=10)
    assert bad.status_code == 400
    assert bad.text.startswith("not a fault: 'teapot'")
    assert (
        requests.put(f"{mock_cdd.url}/_mock/faults", data="503@report*1", timeout=10).status_code
        == 200
    )
    assert requests.get(f"{mock_cdd.url}/_mock/faults", timeout=10).json()[0]["kind"] == "503"
    requests.delete(f"{mock_cdd.url}/_mock/faults", timeout=10)
    assert requests.get(f"{mock_cdd.url}/_mock/faults", timeout=10).json() == []


def _sales(session, url):
    table, _ = to_canonical(read_table_bytes(session.get(url).content, url), SALES, url)
    rows, issues = SALES.type_rows(table)
    assert issues == []
    return rows


def test_chiang_rai_2566q2_sales_add_up_to_the_letters_base(mock_cdd, officer, seed_targets):
    sales = _sales(officer, f"{mock_cdd.url}/otop/export/sales.csv?province=57&encoding=cp874")
    codes = [row["district_code"] for row in seed_targets[:-1]]
    totals = quarter_sales(latest_sales(sales), Quarter(2566, 2), codes)
    for row in seed_targets[:-1]:
        assert totals[row["district_code"]] == Decimal(row["base_sales_2566q2"]), row[
            "district_code"
        ]
    assert sum(totals, Decimal(0)) == Decimal(seed_targets[-1]["base_sales_2566q2"])


def test_summary_report_agrees_with_the_export(mock_cdd, officer):
    before = f"{mock_cdd.url}/otop/cdd_report/otop_r04.php?year=2567&org_group=0&province=57"
    assert requests.get(before, timeout=10).status_code == 200  # totals summed before
    mock_cdd.set_faults("correction=3")  # corrections change the report's totals
    sales = latest_sales(_sales(officer, f"{mock_cdd.url}/otop/export/sales.csv?year=2567"))
    report = requests.get(
        f"{mock_cdd.url}/otop/cdd_report/otop_r04.php?year=2567&org_group=0&province=57&encoding=cp874",
        timeout=10,
    )
    assert report.headers["Content-Type"] == "text/html; charset=TIS-620"
    page = BeautifulSoup(report.content, "lxml", from_encoding="cp874")
    rows = page.select("#report tbody tr")
    assert len(rows) == 18
    first = [td.text for td in rows[0].find_all("td")]
    assert first[:2] == ["5701", "เมืองเชียงราย"]
    expected = sales[sales["district_code"] == "5701"].groupby("month")["amount"].sum()
    assert [Decimal(v.replace(",", "")) for v in first[2:14]] == list(expected)


def test_same_seed_same_bytes_other_seed_other_bytes():
    digests = []
    for seed in (2567, 2567, 11):
        with serve_in_thread(MockConfig(spec=MockSpec(seed=seed))) as mock, requests.Session() as s:
            login(s, mock.url, "otop")
            login(s, mock.url, "bigdata")
            digests.append(
                tuple(
                    hashlib.sha256(s.get(mock.url + path).content).hexdigest()
                    for path in (
                        "/otop/export/sales.csv",
                        "/bigdata/export/products.xlsx",
                        "/sheets/baseline.csv?encoding=cp874",
                    )
                )
            )
    assert digests[0] == digests[1]
    assert all(a != b for a, b in zip(digests[0], digests[2], strict=True))
