"""One Great Expectations suite per dataset, built from the checks the dataset declares
(:mod:`otop_sync.datasets`) and a run's parameters.

The suites run on a validation copy of the typed rows (:func:`validation_frame`): dates as
integers YYYYMMDD, baht as floats for range checks, codes as Arrow strings. GX compares those
ten times faster than Python date and Decimal objects; the loaded values stay exact.

Each expectation carries an id (``sales.amount_not_negative``), a level and a description in its
``meta``. Row-level expectations run on the typed rows: the rows they flag are quarantined with
the description as the reason. Dataset-level expectations run on small derived tables (which
district-months exist, how sales compare with the central system's report): they pass or fail
as a whole. What a failure does (stop, quarantine, warn) is configuration: see
:mod:`otop_sync.expectations.severity`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

import great_expectations.expectations as gxe
import numpy as np
import pandas as pd
import pyarrow as pa

from otop_sync.datasets import DatasetSpec
from otop_sync.datasets.checks import (
    EARLIEST_DATE,
    Between,
    Check,
    DateInRange,
    DueMonthsNotCut,
    InProvince,
    InSet,
    MatchesSummary,
    NotBefore,
    RowsPresent,
    Unique,
)
from otop_sync.expectations.context import gx


@dataclass(frozen=True)
class SuiteParameters:
    """What a run's suites check against."""

    province_codes: tuple[str, ...]
    as_of: date
    sales_from: date = date(2022, 10, 1)
    """First month whose sales must be complete (the base year's first month)."""
    earliest_date: date = EARLIEST_DATE
    """Earliest believable date of a registration or sale; before it a row is quarantined
    (``OTOP_EARLIEST_DATE``)."""
    amount_ceiling: Decimal = Decimal("100000000.00")
    """Largest believable single sales figure (baht); above it a row is quarantined
    (``OTOP_AMOUNT_CEILING``)."""
    max_missing_share: Decimal = Decimal("0.5")
    """Largest share of a province's districts that may lack the same due month before the
    export is taken as cut short and the run stops (``OTOP_MAX_MISSING_SHARE``)."""

    @property
    def district_pattern(self) -> str:
        """Regex of the district codes of the run's provinces."""
        return rf"^(?:{'|'.join(self.province_codes)})\d\d$"


def day_number(day: date) -> int:
    """A date as the number YYYYMMDD: how the suites compare dates (fast, and readable)."""
    return day.year * 10000 + day.month * 100 + day.day


def _moment_number(moment: datetime) -> float:
    """A timestamp as the number YYYYMMDDhhmmss (unique per second, ordered)."""
    return (
        day_number(moment) * 1_000_000.0
        + moment.hour * 10_000
        + moment.minute * 100
        + moment.second
    )


def _first_value(values: pd.Series) -> object:
    """The first value that is not missing (scanned: it is nearly always the first)."""
    return next((v for v in values.to_numpy(dtype=object) if not pd.isna(v)), None)


def suite_columns(suite: gx.ExpectationSuite) -> list[str]:
    """The columns a suite's expectations read."""
    columns: list[str] = []
    for expectation in suite.expectations:
        config = expectation.configuration.kwargs
        named = [config.get("column"), config.get("column_A"), config.get("column_B")]
        for column in [*named, *(config.get("column_list") or [])]:
            if column and column not in columns:
                columns.append(column)
    return columns


def validation_frame(typed: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """The columns of the typed rows a suite reads, as the suite sees them (see module
    docstring); same order and length."""
    frame = {}
    for column in columns:
        values = typed[column]
        first = _first_value(values) if values.dtype == object else None
        if isinstance(first, date):
            # Few distinct dates in millions of rows: convert each once.
            number = _moment_number if isinstance(first, datetime) else day_number
            codes, uniques = pd.factorize(values.astype(object), use_na_sentinel=True)
            numbers = np.array(
                [number(day) if isinstance(day, date) else np.nan for day in uniques] + [np.nan],
                dtype="float64",
            )  # NaN where missing: GX compares numpy floats fast (not nullable Int64)
            frame[column] = numbers[codes]
        elif isinstance(values.dtype, pd.ArrowDtype) and pa.types.is_decimal(
            values.dtype.pyarrow_dtype
        ):
            frame[column] = values.astype("float64[pyarrow]").astype("float64")  # NaN: missing
        elif isinstance(first, Decimal):
            frame[column] = pd.to_numeric(values.astype(object), errors="coerce").astype("float64")
        elif values.dtype == object:
            frame[column] = values.astype("string[pyarrow]")
        else:
            frame[column] = values
    return pd.DataFrame(frame).reset_index(drop=True)


def _with_meta(
    expectation: gxe.Expectation,
    check_id: str,
    level: str,
    description: str,
    severity: str | None = None,
) -> gxe.Expectation:
    expectation.meta = {
        "id": check_id,
        "level": level,
        "description": description,
        "severity": severity,
        "column": expectation.configuration.kwargs.get("column"),
    }
    return expectation


def _expectation(check: Check, params: SuiteParameters) -> gxe.Expectation:
    """The GX expectation of one declared row-level check (or the row count)."""
    match check:
        case RowsPresent():
            return gxe.ExpectTableRowCountToBeBetween(min_value=1)
        case Unique(columns=(column,)):
            return gxe.ExpectColumnValuesToBeUnique(column=column)
        case Unique(columns=columns):
            return gxe.ExpectCompoundColumnsToBeUnique(column_list=list(columns))
        case InProvince(column=column):
            return gxe.ExpectColumnValuesToMatchRegex(column=column, regex=params.district_pattern)
        case DateInRange(column=column):
            return gxe.ExpectColumnValuesToBeBetween(
                column=column,
                min_value=day_number(params.earliest_date),
                max_value=day_number(params.as_of),
            )
        case NotBefore(column=column, other=other, skip_missing=skip):
            return gxe.ExpectColumnPairValuesAToBeGreaterThanB(
                column_A=column,
                column_B=other,
                or_equal=True,
                **({"ignore_row_if": "either_value_is_missing"} if skip else {}),
            )
        case InSet(column=column, values=values):
            return gxe.ExpectColumnValuesToBeInSet(column=column, value_set=list(values))
        case Between(column=column, minimum=minimum, maximum_setting=setting):
            bounds: dict[str, object] = {}
            if minimum is not None:
                bounds["min_value"] = minimum
            if setting is not None:
                bounds["max_value"] = getattr(params, setting)
            return gxe.ExpectColumnValuesToBeBetween(column=column, **bounds)
    raise TypeError(f"no expectation for {type(check).__name__} checks")


def check_values(spec: DatasetSpec, params: SuiteParameters) -> dict[str, str]:
    """What a check's description template can name: headers and the run's values."""
    return {
        **spec.headers,
        "provinces": ", ".join(params.province_codes),
        "as_of": params.as_of.isoformat(),
        "earliest": params.earliest_date.isoformat(),
        "amount_ceiling": f"{params.amount_ceiling:,.2f}",
        "max_missing_share": f"{params.max_missing_share:.0%}",
    }


def row_suite(spec: DatasetSpec, params: SuiteParameters) -> gx.ExpectationSuite:
    """The suite of a dataset's row checks (and its row count), for one run."""
    values = check_values(spec, params)
    return gx.ExpectationSuite(
        name=spec.name,
        expectations=[
            _with_meta(
                _expectation(check, params),
                f"{spec.name}.{check.name}",
                check.level,
                check.describe(values),
                check.severity,
            )
            for check in spec.checks
            if check.level == "row" or isinstance(check, RowsPresent)
        ],
    )


def derived_suite(spec: DatasetSpec, check: Check, params: SuiteParameters) -> gx.ExpectationSuite:
    """A dataset-level check on a derived table: a coverage table of every expected key marked
    present (``present``), or a comparison with a summary (``difference`` in satang)."""
    if isinstance(check, MatchesSummary):
        expectation = gxe.ExpectColumnValuesToBeBetween(
            column="difference", min_value=0, max_value=0
        )
        suite = f"{spec.name}_reconciliation"
    elif isinstance(check, DueMonthsNotCut):
        expectation = gxe.ExpectColumnValuesToBeBetween(
            column="missing_share", max_value=float(params.max_missing_share)
        )
        suite = f"{spec.name}_completeness"
    else:
        expectation = gxe.ExpectColumnValuesToBeInSet(column="present", value_set=[True])
        suite = f"{spec.name}_coverage"
    return gx.ExpectationSuite(
        name=suite,
        expectations=[
            _with_meta(
                expectation,
                f"{spec.name}.{check.name}",
                "dataset",
                check.describe(check_values(spec, params)),
                check.severity,
            )
        ],
    )
