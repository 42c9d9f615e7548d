"""The HTML parsers on small inline pages."""

import pytest

from otop_sync.connectors.html import (
    PageFormatError,
    listing_table,
    parse_csrf_token,
    parse_listing,
    parse_summary_report,
)

LISTING = """<html><body>
<p class="summary" data-total="3" data-page="1" data-pages="2">แสดง 1-2 จาก 3 รายการ</p>
<table class="data"><thead><tr><th>รหัสร้านค้า</th><th>อำเภอ</th></tr></thead>
<tbody><tr><td>S57010001</td><td>พาน</td></tr><tr><td>S57010002</td><td> แม่สาย</td></tr></tbody>
</table></body></html>"""

REPORT = """<table id="report"><thead><tr><th>รหัส</th><th>อำเภอ</th><th>ต.ค. 66</th>
<th>พ.ย. 66</th><th>รวม</th></tr></thead><tbody>
<tr><td>5701</td><td>เมืองเชียงราย</td><td>1,000.00</td><td>2,500.50</td><td>3,500.50</td></tr>
</tbody><tfoot><tr><td></td><td>รวมทั้งสิ้น</td><td>1,000.00</td><td>2,500.50</td><td>3,500.50</td></tr></tfoot></table>"""


def test_csrf_token():
    page = '<form><input type="hidden" name="csrf_token" value="abc123"></form>'
    assert parse_csrf_token(page) == "abc123"
    with pytest.raises(PageFormatError, match=r"^the login page has no CSRF token$"):
        parse_csrf_token("<form><input name='username'></form>")


def test_listing_page():
    page = parse_listing(LISTING)
    assert (page.total, page.page, page.pages) == (3, 1, 2)
    assert page.header == ["รหัสร้านค้า", "อำเภอ"]
    assert page.rows == [["S57010001", "พาน"], ["S57010002", " แม่สาย"]]
    assert listing_table([page]).to_dict("records")[1] == {
        "รหัสร้านค้า": "S57010002",
        "อำเภอ": " แม่สาย",
    }


@pytest.mark.parametrize(
    ("page", "message"),
    [
        (
            "<html><table class='data'></table></html>",
            "the listing page has no summary line or no data table",
        ),
        (
            LISTING.replace('data-total="3"', 'data-total="many"'),
            "the listing's total is missing or not a number: 'many'",
        ),
        (LISTING.replace("<td>พาน</td>", ""), "rows of [1, 2] cells under 2 headers"),
    ],
)
def test_listing_page_errors(page, message):
    with pytest.raises(PageFormatError) as caught:
        parse_listing(page)
    assert str(caught.value) == message


def test_summary_report_long_rows_without_totals():
    table = parse_summary_report(REPORT)
    assert table.to_dict("records") == [
        {
            "place_code": "5701",
            "place_name": "เมืองเชียงราย",
            "month": "ต.ค. 66",
            "amount": "1,000.00",
        },
        {
            "place_code": "5701",
            "place_name": "เมืองเชียงราย",
            "month": "พ.ย. 66",
            "amount": "2,500.50",
        },
    ]


def test_summary_report_that_changed_shape():
    with pytest.raises(
        PageFormatError, match=r"^the summary report has no table with id 'report'$"
    ):
        parse_summary_report("<table></table>")
    with pytest.raises(
        PageFormatError, match=r"^unexpected summary report headings: \['รหัส', 'อำเภอ'\]$"
    ):
        parse_summary_report(
            '<table id="report"><thead><tr><th>รหัส</th><th>อำเภอ</th></tr></thead></table>'
        )
