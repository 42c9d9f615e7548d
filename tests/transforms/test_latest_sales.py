"""latest_sales picks, per (district, producer, month), the row recorded last, and among rows
recorded the same day the one later in the source, exactly as sorting by the day and keeping
the last of each key does."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd

from otop_sync.transforms.deltas import SALES_KEY, latest_sales


def _by_sorting(sales: pd.DataFrame) -> pd.DataFrame:
    ordered = sales.sort_values("recorded_on", kind="stable")
    return ordered.drop_duplicates(list(SALES_KEY), keep="last").sort_index()


def _sales(rows: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    districts = np.array(["5701", "5702", "5703"], dtype=object)
    producers = np.array(["", "P1", "P2", None], dtype=object)
    months = np.array([date(2024, m, 1) for m in (1, 2, 3)], dtype=object)
    days = np.array([date(2024, 4, 1) + timedelta(days=d) for d in range(4)], dtype=object)
    return pd.DataFrame(
        {
            "district_code": districts[rng.integers(0, 3, rows)],
            "producer_code": producers[rng.integers(0, 4, rows)],
            "month": months[rng.integers(0, 3, rows)],
            "recorded_on": days[rng.integers(0, 4, rows)],
            "amount": rng.integers(0, 1000, rows),
        },
        index=pd.Index(rng.permutation(rows) * 3 + 7),
    )


def test_the_same_rows_as_sorting_by_the_day_and_keeping_the_last():
    for seed in range(20):
        sales = _sales(400, seed)  # many repeats, ties on the day, a missing producer
        expected = _by_sorting(sales)
        got = latest_sales(sales)
        assert got.index.equals(expected.index), seed
        pd.testing.assert_frame_equal(got, expected)


def test_a_correction_recorded_later_wins_and_a_same_day_tie_goes_to_the_later_line():
    sales = pd.DataFrame(
        {
            "district_code": ["5701"] * 4,
            "producer_code": ["P1", "P1", "P1", "P2"],
            "month": [date(2024, 1, 1)] * 4,
            "recorded_on": [
                date(2024, 2, 20),
                date(2024, 2, 5),
                date(2024, 2, 20),
                date(2024, 2, 1),
            ],
            "amount": [10, 20, 30, 40],
        }
    )
    assert list(latest_sales(sales)["amount"]) == [30, 40]
    assert latest_sales(sales.iloc[:0]).empty
