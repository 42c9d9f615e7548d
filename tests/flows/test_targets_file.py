"""The ``targets`` command's core: a quarter's targets from a baseline file alone, in every
encoding and format the file may come in, as the letter's table."""

import io
from decimal import Decimal

import pandas as pd
import pytest
from openpyxl import Workbook

from otop_sync.flows.targets import targets_from_baseline_file
from otop_sync.reports.targets import targets_csv
from otop_sync.transforms.fiscal import Quarter

Q2 = Quarter(2567, 2)


@pytest.fixture
def baseline_text(bundled_baseline) -> str:
    return bundled_baseline.read_text(encoding="utf-8-sig")


def test_bundled_baseline_reproduces_the_letters_table(bundled_baseline, rulebook, seed_targets):
    table = targets_from_baseline_file(bundled_baseline, Q2, rulebook)
    assert len(table) == 19
    for row, expected in zip(table.to_dict("records"), seed_targets, strict=True):
        assert row["district_code"] == expected["district_code"]
        assert row["district_name_th"] == expected["district_name_th"]
        assert row["products_target"] == int(expected["products_target"])
        assert row["base_sales"] == Decimal(expected["base_sales_2566q2"])
        assert row["sales_target"] == Decimal(expected["sales_target"])
        assert row["interested_q1"] == int(expected["interested_q1"])
        for level in "dcba":
            assert row[f"threshold_{level}"] == int(expected[f"threshold_{level}"])


def test_targets_csv_matches_the_fixture_text(bundled_baseline, rulebook, seed_targets_csv):
    table = targets_from_baseline_file(bundled_baseline, Q2, rulebook)
    assert targets_csv(table) == seed_targets_csv


def test_total_row_comes_from_totals_not_from_summed_thresholds(bundled_baseline, rulebook):
    table = targets_from_baseline_file(bundled_baseline, Q2, rulebook)
    districts, total = table.iloc[:-1], table.iloc[-1]
    assert districts["threshold_d"].sum() == 55
    assert total["threshold_d"] == 52
    assert total["sales_target"] == Decimal("1434485054.92")


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp874"])
def test_baseline_in_each_encoding_gives_the_letters_targets(
    tmp_path, baseline_text, encoding, rulebook, seed_targets_csv
):
    path = tmp_path / f"chiangrai_baseline_{encoding}.csv"
    path.write_bytes(baseline_text.encode(encoding))
    assert targets_csv(targets_from_baseline_file(path, Q2, rulebook)) == seed_targets_csv


def test_baseline_as_xlsx_gives_the_letters_targets(
    tmp_path, baseline_text, rulebook, seed_targets_csv
):
    table = pd.read_csv(io.StringIO(baseline_text), dtype=str)
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(list(table.columns))
    for row in table.itertuples(index=False):
        # Years and counts as numbers, amounts as numbers without separators: what Excel keeps.
        sheet.append(
            [int(row[0]), int(row[1]), row[2], row[3], float(row[4].replace(",", "")), int(row[5])]
        )
    path = tmp_path / "baseline.xlsx"
    workbook.save(path)
    assert targets_csv(targets_from_baseline_file(path, Q2, rulebook)) == seed_targets_csv
