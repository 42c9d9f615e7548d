"""Validating one dataset: its row suite, then its dataset-level checks on derived tables
(which districts and district-months exist, how amounts compare with the source system's
summary report). Which checks run is what the dataset declares (:mod:`otop_sync.datasets`)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from otop_sync.datasets import DatasetSpec
from otop_sync.datasets.checks import DueMonthsNotCut, EveryDistrict, EveryDueMonth, MatchesSummary
from otop_sync.expectations.runner import DatasetValidation, Validator
from otop_sync.expectations.suites import SuiteParameters, derived_suite, row_suite
from otop_sync.transforms.deltas import group_codes, latest_sales
from otop_sync.transforms.districts import districts_of
from otop_sync.transforms.fiscal import months_due
from otop_sync.transforms.reconcile import compare_with_summary
from otop_sync.transforms.rows import RowIssue


def _keys(frame: pd.DataFrame, columns: Sequence[str]) -> set[str]:
    """Distinct ``a:b`` keys of some columns (pairs are told apart by integer codes, and only
    one row of each is joined into text: millions of sales rows, a few thousand keys)."""
    pairs = frame[list(columns)]
    _, first = np.unique(group_codes(pairs, columns), return_index=True)
    distinct = pairs.iloc[first].itertuples(index=False)
    return {":".join(str(value) for value in pair) for pair in distinct}


def _coverage(expected: list[str], present: set[str]) -> pd.DataFrame:
    """Every expected key, marked present or not (the coverage suites check the marks)."""
    return pd.DataFrame({"key": expected, "present": [key in present for key in expected]})


def _due_month_coverage(clean: pd.DataFrame, params: SuiteParameters) -> pd.DataFrame:
    """Every district-month already due (keys ``district:month``), marked present or not."""
    months = months_due(params.sales_from, params.as_of)
    expected = [
        f"{code}:{month.isoformat()}" for code in province_districts(params) for month in months
    ]
    due = clean.loc[clean["month"].isin(months), ["district_code", "month"]]
    return _coverage(expected, _keys(due, ["district_code", "month"]))


def _missing_shares(coverage: pd.DataFrame) -> pd.DataFrame:
    """Per province and due month: districts, how many lack it, and that share."""
    parts = coverage["key"].str.split(":", expand=True)
    frame = pd.DataFrame(
        {
            "province_code": parts[0].str[:2],
            "month": parts[1],
            "missing": ~coverage["present"].astype(bool),
        }
    )
    shares = (
        frame.groupby(["province_code", "month"], sort=True)["missing"]
        .agg(missing="sum", districts="size")
        .reset_index()
    )
    shares["missing_share"] = shares["missing"] / shares["districts"]
    return shares


def province_districts(params: SuiteParameters) -> list[str]:
    """Every district code of the run's provinces."""
    return [d.code for code in params.province_codes for d in districts_of(code)]


def validate_dataset(
    validator: Validator,
    spec: DatasetSpec,
    raw: pd.DataFrame,
    typed: pd.DataFrame,
    issues: list[RowIssue],
    params: SuiteParameters,
    summary: pd.DataFrame | None = None,
) -> DatasetValidation:
    """Validate one dataset (see module docstring); ``summary`` is the source system's report
    (district_code, month, amount), when the source has one."""
    validation = validator.validate_rows(spec.name, raw, typed, issues, row_suite(spec, params))
    clean = validation.clean
    due_months: pd.DataFrame | None = None  # computed once, for the checks that read it
    for check in spec.checks:
        if isinstance(check, EveryDistrict):
            suite = derived_suite(spec, check, params)
            coverage = _coverage(province_districts(params), set(clean["district_code"]))
            validation.outcomes += validator.check_dataset(spec.name, coverage, suite)
        elif isinstance(check, EveryDueMonth | DueMonthsNotCut):
            suite = derived_suite(spec, check, params)
            if due_months is None:
                due_months = _due_month_coverage(clean, params)
            if isinstance(check, EveryDueMonth):
                validation.outcomes += validator.check_dataset(spec.name, due_months, suite)
            else:
                shares = _missing_shares(due_months)
                cut = shares[shares["missing_share"] > float(params.max_missing_share)]
                examples = tuple(
                    f"{r.province_code} {r.month}: {r.missing} of {r.districts} districts"
                    for r in cut.itertuples()
                )
                validation.outcomes += validator.check_dataset(spec.name, shares, suite, examples)
        elif isinstance(check, MatchesSummary) and summary is not None:
            suite = derived_suite(spec, check, params)
            compared = compare_with_summary(latest_sales(clean), summary)
            differing = compared[compared["difference"] != 0]
            examples = tuple(
                f"{r.district_code} {r.month.isoformat()}: ours {r.ours / 100:,.2f}, "
                f"report {r.theirs / 100:,.2f}"
                for r in differing.itertuples()
            )
            validation.outcomes += validator.check_dataset(spec.name, compared, suite, examples)
    return validation
