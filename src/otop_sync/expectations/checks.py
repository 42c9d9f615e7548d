"""Validating each dataset: its row suite, then the dataset-level checks on derived tables
(which district-months exist, how sales compare with the central system's summary)."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from otop_sync.expectations.runner import DatasetValidation, Validator
from otop_sync.expectations.suites import (
    SuiteParameters,
    baseline_coverage_suite,
    baseline_suite,
    products_suite,
    sales_coverage_suite,
    sales_reconciliation_suite,
    sales_suite,
    shops_suite,
)
from otop_sync.transforms.deltas import latest_sales
from otop_sync.transforms.districts import districts_of
from otop_sync.transforms.fiscal import months_due
from otop_sync.transforms.reconcile import compare_with_summary
from otop_sync.transforms.rows import RowIssue

ROW_SUITES = {
    "products": products_suite,
    "sales": sales_suite,
    "shops": shops_suite,
    "baseline": baseline_suite,
}


def _keys(frame: pd.DataFrame, columns: Sequence[str]) -> set[str]:
    """Distinct ``a:b`` keys of some columns (pairs are deduplicated before joining)."""
    pairs = frame[list(columns)].drop_duplicates()
    return {":".join(str(value) for value in pair) for pair in pairs.itertuples(index=False)}


def _coverage(expected: list[str], present: set[str]) -> pd.DataFrame:
    """Every expected key, marked present or not (the coverage suites check the marks)."""
    return pd.DataFrame({"key": expected, "present": [key in present for key in expected]})


def province_districts(params: SuiteParameters) -> list[str]:
    """Every district code of the run's provinces."""
    return [d.code for code in params.province_codes for d in districts_of(code)]


def validate_dataset(
    validator: Validator,
    dataset: str,
    raw: pd.DataFrame,
    typed: pd.DataFrame,
    issues: list[RowIssue],
    params: SuiteParameters,
    summary: pd.DataFrame | None = None,
) -> DatasetValidation:
    """Validate one dataset (see module docstring); ``summary`` is the central system's
    report for sales (district_code, month, amount), when the source has one."""
    validation = validator.validate_rows(dataset, raw, typed, issues, ROW_SUITES[dataset](params))
    clean = validation.clean
    if dataset == "baseline":
        coverage = _coverage(province_districts(params), set(clean["district_code"]))
        validation.outcomes += validator.check_dataset(dataset, coverage, baseline_coverage_suite())
    if dataset == "sales":
        months = months_due(params.sales_from, params.as_of)
        expected = [
            f"{code}:{month.isoformat()}" for code in province_districts(params) for month in months
        ]
        due = clean[clean["month"].isin(months)]
        coverage = _coverage(expected, _keys(due, ["district_code", "month"]))
        validation.outcomes += validator.check_dataset(dataset, coverage, sales_coverage_suite())
        if summary is not None:
            compared = compare_with_summary(latest_sales(clean), summary)
            differing = compared[compared["difference"] != 0]
            examples = tuple(
                f"{r.district_code} {r.month.isoformat()}: ours {r.ours / 100:,.2f}, "
                f"report {r.theirs / 100:,.2f}"
                for r in differing.itertuples()
            )
            validation.outcomes += validator.check_dataset(
                dataset, compared, sales_reconciliation_suite(), examples
            )
    return validation
