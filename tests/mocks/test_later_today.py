"""A mock told a "today" after FY2568 goes on up to that day: every month due by then is there
for every district, the summary report agrees, and nothing up to FY2568's end changes."""

from collections.abc import Iterator
from datetime import date
from decimal import Decimal

import pandas as pd
import pytest
import requests
from bs4 import BeautifulSoup

from otop_sync.mocks.data import DATA_UNTIL, MockSpec, day_offset, generate, month_index
from otop_sync.mocks.server import MockConfig, RunningMock, serve_in_thread
from otop_sync.transforms.deltas import latest_sales
from tests.mocks.conftest import login
from tests.mocks.test_server import _sales

LATER_TODAY = date(2026, 11, 30)
FY2569_MONTHS = [date(2025 + (m > 12), (m - 1) % 12 + 1, 1) for m in range(10, 22)]


@pytest.fixture(scope="module")
def later_mock() -> Iterator[RunningMock]:
    with serve_in_thread(MockConfig(spec=MockSpec(today=LATER_TODAY))) as running:
        yield running


@pytest.fixture(scope="module")
def later_officer(later_mock) -> Iterator[requests.Session]:
    with requests.Session() as session:
        assert login(session, later_mock.url, "otop").status_code == 303
        yield session


def _months_by_district(sales: pd.DataFrame) -> dict[str, set[date]]:
    return {code: set(rows["month"]) for code, rows in sales.groupby("district_code")}


def test_every_fy2569_month_and_october_2026_are_served_for_every_district(
    later_mock, later_officer
):
    fy2569 = _sales(later_officer, f"{later_mock.url}/otop/export/sales.csv?year=2569")
    fy2570 = _sales(later_officer, f"{later_mock.url}/otop/export/sales.csv?year=2570")
    districts = {f"57{i:02d}" for i in range(1, 19)}
    assert _months_by_district(fy2569) == {code: set(FY2569_MONTHS) for code in districts}
    # October 2026 was due on 18 November; November's recording starts on 1 December.
    assert _months_by_district(fy2570) == {code: {date(2026, 10, 1)} for code in districts}
    assert max(fy2570["recorded_on"]) <= LATER_TODAY


def _summary(mock: RunningMock, year: int) -> dict[str, list[Decimal]]:
    report = requests.get(
        f"{mock.url}/otop/cdd_report/otop_r04.php",
        params={"year": year, "org_group": 0, "province": "57"},
        timeout=60,
    )
    assert report.status_code == 200
    rows = BeautifulSoup(report.content, "lxml").select("#report tbody tr")
    cells = [[td.text for td in row.find_all("td")] for row in rows]
    return {c[0]: [Decimal(v.replace(",", "")) for v in c[2:14]] for c in cells}


@pytest.mark.parametrize("year", [2569, 2570])
def test_the_summary_report_of_a_later_year_agrees_with_the_export(later_mock, later_officer, year):
    sales = latest_sales(
        _sales(later_officer, f"{later_mock.url}/otop/export/sales.csv?year={year}")
    )
    summary = _summary(later_mock, year)
    assert len(summary) == 18
    months = [date(year - 544 + (m > 12), (m - 1) % 12 + 1, 1) for m in range(10, 22)]
    for code, figures in summary.items():
        by_month = sales[sales["district_code"] == code].groupby("month")["amount"].sum()
        assert figures == [by_month.get(m, Decimal(0)) for m in months], code


def test_a_later_today_changes_nothing_up_to_fy2568s_end(later_mock, mock_server):
    later, fixed = later_mock.state.data, mock_server.state.data  # today: None, DATA_UNTIL
    last = day_offset(DATA_UNTIL)
    first_later_month = month_index(date(2025, 10, 1))
    sales = later.sales[later.sales["month_idx"] < first_later_month].reset_index(drop=True)
    pd.testing.assert_frame_equal(sales, fixed.sales)
    products = later.products[later.products["registered"] <= last].copy()
    products.loc[products["cancelled"] > last, "cancelled"] = -1
    pd.testing.assert_frame_equal(products.reset_index(drop=True), fixed.products)
    shops = later.shops[later.shops["registered"] <= last].reset_index(drop=True)
    pd.testing.assert_frame_equal(shops, fixed.shops)
    responses = later.form_responses
    responses = responses[responses["month"] <= last].reset_index(drop=True)
    pd.testing.assert_frame_equal(responses, fixed.form_responses)
    pd.testing.assert_frame_equal(later.baseline, fixed.baseline)
    # …and it goes on: products, cancellations and Shop ชุมชน registrations after it.
    assert (later.products["registered"] > last).sum() > 100
    assert (later.products["cancelled"] > last).sum() > 10
    assert (later.shops["registered"] > last).sum() > 18


def test_a_later_month_is_the_same_whichever_later_today(later_mock):
    sooner = generate(MockSpec(today=date(2026, 3, 31)))
    later = later_mock.state.data
    december = month_index(date(2025, 12, 1))
    assert sooner.sales[sooner.sales["month_idx"] == december]["amount"].sum() > 0
    pd.testing.assert_frame_equal(
        sooner.sales[sooner.sales["month_idx"] == december].reset_index(drop=True),
        later.sales[later.sales["month_idx"] == december].reset_index(drop=True),
    )


def test_a_today_past_what_the_mock_can_generate_is_refused():
    with pytest.raises(ValueError, match=r"^the mock generates data up to 2033-05-31 at most"):
        MockSpec(today=date(2033, 6, 1))
