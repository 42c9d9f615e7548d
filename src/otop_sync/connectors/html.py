"""Small, pure parsers for the CDD systems' HTML: the login form, paginated listings and the
central system's sales summary report (``otop_r04.php``). They return text exactly as shown;
typing the values is the transforms' job."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pandas as pd
from bs4 import BeautifulSoup
from lxml import html as lxml_html
from lxml.html import HtmlElement as LxmlElement

from otop_sync.errors import OtopSyncError
from otop_sync.transforms.rows import with_source_lines

_COUNT = re.compile(r"[\d,]+")


class PageFormatError(OtopSyncError, ValueError):
    """A page that does not have the structure the parser knows (the site may have changed)."""


@dataclass(frozen=True)
class ListingPage:
    """One page of a listing: its header, rows, and where it stands in the whole."""

    header: list[str]
    rows: list[list[str]]
    total: int
    page: int
    pages: int


def _soup(html: str) -> BeautifulSoup:
    return BeautifulSoup(html, "lxml")


def parse_csrf_token(html: str) -> str:
    """The CSRF token of a login form."""
    field = _soup(html).find("input", attrs={"name": "csrf_token"})
    if field is None or not field.get("value"):
        raise PageFormatError("the login page has no CSRF token")
    return str(field["value"])


def _number(text: str | None, what: str) -> int:
    if text is None or not _COUNT.fullmatch(text.strip()):
        raise PageFormatError(f"the listing's {what} is missing or not a number: {text!r}")
    return int(text.strip().replace(",", ""))


def parse_listing(html: str) -> ListingPage:
    """A paginated listing page: the data table and the summary line's total and page count."""
    soup = _soup(html)
    summary = soup.select_one("p.summary")
    table = soup.select_one("table.data")
    if summary is None or table is None:
        raise PageFormatError("the listing page has no summary line or no data table")
    header = [th.get_text(strip=True) for th in table.select("thead th")]
    rows = [[td.get_text() for td in tr.find_all("td")] for tr in table.select("tbody tr")]
    widths = {len(row) for row in rows}
    if rows and widths != {len(header)}:
        raise PageFormatError(f"rows of {sorted(widths)} cells under {len(header)} headers")
    return ListingPage(
        header=header,
        rows=rows,
        total=_number(summary.get("data-total"), "total"),
        page=_number(summary.get("data-page"), "page number"),
        pages=_number(summary.get("data-pages"), "page count"),
    )


def listing_table(pages: list[ListingPage]) -> pd.DataFrame:
    """The rows of every page as one table of text under the listing's header, indexed by
    their place in the listing (``line``, counted as an export's lines are)."""
    if not pages:
        raise PageFormatError("no listing pages")
    table = pd.DataFrame([row for page in pages for row in page.rows], columns=pages[0].header)
    return with_source_lines(table)


def _text_of(element: LxmlElement) -> str:
    """An element's text as BeautifulSoup's ``get_text(strip=True)`` gives it: every piece
    of text stripped, the pieces joined."""
    return "".join(piece.strip() for piece in element.itertext())


def parse_summary_report(html: str) -> pd.DataFrame:
    """The sales summary report as long text rows: place_code, place_name, month, amount.

    ``month`` is the column heading as printed (``ม.ค. 67``); the total column and the
    footer's total row are left out (they are sums the transforms can recompute). Parsed with
    lxml directly: a national run reads 231 of these pages.
    """
    tables = lxml_html.fromstring(html).xpath('//table[@id="report"]') if html.strip() else []
    if not tables:
        raise PageFormatError("the summary report has no table with id 'report'")
    table = tables[0]
    headings = [_text_of(th) for th in table.xpath(".//thead//th")]
    if len(headings) < 4 or headings[-1] != "รวม":
        raise PageFormatError(f"unexpected summary report headings: {headings}")
    months = headings[2:-1]
    records = []
    for tr in table.xpath(".//tbody//tr"):
        cells = [_text_of(td) for td in tr.xpath(".//td")]
        if len(cells) != len(headings):
            raise PageFormatError(f"a report row has {len(cells)} cells, expected {len(headings)}")
        code, name, amounts = cells[0], cells[1], cells[2:-1]
        records += [
            (code, name, month, amount) for month, amount in zip(months, amounts, strict=True)
        ]
    return pd.DataFrame(records, columns=["place_code", "place_name", "month", "amount"])
