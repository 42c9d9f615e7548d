"""The seed's target table as CSV and as a terminal table."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pandas as pd
from rich.table import Table

from otop_sync.transforms.targets import TARGET_COLUMNS

TARGETS_CSV_COLUMNS: list[str] = [c for c in TARGET_COLUMNS if c not in ("fiscal_year", "quarter")]
_BAHT_COLUMNS = {"base_sales", "sales_target"}


def _csv_cell(column: str, value: object) -> str:
    if column in _BAHT_COLUMNS:
        assert isinstance(value, Decimal), f"{column} must be Decimal, got {type(value)}"
        return f"{value:.2f}"
    return str(value)


def targets_csv(targets: pd.DataFrame) -> str:
    """Targets as CSV: baht with two decimals and no separators, the fixture's layout."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(TARGETS_CSV_COLUMNS)
    for row in targets[TARGETS_CSV_COLUMNS].to_dict("records"):
        writer.writerow([_csv_cell(c, row[c]) for c in TARGETS_CSV_COLUMNS])
    return buffer.getvalue()


def targets_table(targets: pd.DataFrame, title: str) -> Table:
    """Targets as a Rich table with Thai district names and baht separators."""
    table = Table(title=title)
    headers = ["รหัส", "อำเภอ", "ผลิตภัณฑ์", "ฐานเดิมปีฐาน", "เป้าหมาย +2%", "ผู้สนใจ Q1"]
    headers += list("DCBA")
    for i, header in enumerate(headers):
        table.add_column(header, justify="left" if i < 2 else "right")
    for row in targets[TARGETS_CSV_COLUMNS].to_dict("records"):
        table.add_row(
            *(f"{row[c]:,.2f}" if c in _BAHT_COLUMNS else str(row[c]) for c in TARGETS_CSV_COLUMNS)
        )
    return table
