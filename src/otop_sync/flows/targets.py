"""A quarter's targets from a baseline file alone (no warehouse): the ``targets`` command."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from otop_sync.connectors.files import read_table_file
from otop_sync.datasets.baseline import BASELINE
from otop_sync.transforms.baseline import baseline_province, quarter_inputs
from otop_sync.transforms.fiscal import Quarter
from otop_sync.transforms.formats import to_canonical
from otop_sync.transforms.rows import SourceRowsError
from otop_sync.transforms.rules import RuleBook
from otop_sync.transforms.targets import district_targets, province_total


def targets_from_baseline_file(
    path: Path, quarter: Quarter, rulebook: RuleBook, province_code: str | None = None
) -> pd.DataFrame:
    """District targets in code order, then the province total row, from one baseline file.

    The file must be clean: any unreadable row stops it with the line, column and value.
    """
    raw = read_table_file(path)
    table, _unknown_columns = to_canonical(raw, BASELINE, str(path))
    rows, issues = BASELINE.type_rows(table)
    if issues:
        raise SourceRowsError(str(path), issues)
    province_code = province_code or baseline_province(rows)
    rules = rulebook.for_year(quarter.fiscal_year)
    inputs = quarter_inputs(rows, quarter, province_code)
    districts = district_targets(inputs, quarter, rules, province_code)
    return pd.concat(
        [districts, province_total(districts, rules, province_code)], ignore_index=True
    )
