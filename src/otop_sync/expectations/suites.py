"""One Great Expectations suite per dataset, built by factory functions from a run's parameters.

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
from datetime import date
from decimal import Decimal

import great_expectations.expectations as gxe
import numpy as np
import pandas as pd

from otop_sync.expectations.context import gx
from otop_sync.transforms.formats import PRODUCTS, SALES, SHOPS

PRODUCT_CATEGORIES = [
    "อาหาร",
    "เครื่องดื่ม",
    "ผ้า เครื่องแต่งกาย",
    "ของใช้ ของตกแต่ง ของที่ระลึก",
    "สมุนไพรที่ไม่ใช่อาหาร",
]
PRODUCER_TYPES = [
    "กลุ่มผู้ผลิตชุมชน",
    "ผู้ผลิตชุมชนที่เป็นเจ้าของรายเดียว",
    "ผู้ผลิตที่เป็นวิสาหกิจขนาดกลางและขนาดย่อม",
]
SHOP_TYPES = ["ผู้ผลิต ผู้ประกอบการ OTOP", "ศูนย์จำหน่ายสินค้าชุมชน OTOP"]
EARLIEST_DATE = date(2000, 1, 1)
"""No OTOP registration or sale predates this (OTOP began in 2001)."""


@dataclass(frozen=True)
class SuiteParameters:
    """What a run's suites check against."""

    province_codes: tuple[str, ...]
    as_of: date
    sales_from: date = date(2022, 10, 1)
    """First month whose sales must be complete (the base year's first month)."""
    amount_ceiling: Decimal = Decimal("100000000.00")
    """Largest believable single sales figure (baht); above it a row is quarantined."""

    @property
    def district_pattern(self) -> str:
        """Regex of the district codes of the run's provinces."""
        return rf"^(?:{'|'.join(self.province_codes)})\d\d$"


def day_number(day: date) -> int:
    """A date as the number YYYYMMDD: how the suites compare dates (fast, and readable)."""
    return day.year * 10000 + day.month * 100 + day.day


DATE_COLUMNS = frozenset({"registered_on", "cancelled_on", "month", "recorded_on"})


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
        if column in DATE_COLUMNS:
            # Few distinct dates in millions of rows: convert each once.
            codes, uniques = pd.factorize(values.astype(object), use_na_sentinel=True)
            numbers = np.array(
                [day_number(day) if isinstance(day, date) else np.nan for day in uniques]
                + [np.nan],
                dtype="float64",
            )  # NaN where missing: GX compares numpy floats fast (not nullable Int64)
            frame[column] = numbers[codes]
        elif column in {"amount", "base_sales"}:
            frame[column] = pd.to_numeric(values.astype(object), errors="coerce").astype("float64")
        elif values.dtype == object:
            frame[column] = values.astype("string[pyarrow]")
        else:
            frame[column] = values
    return pd.DataFrame(frame).reset_index(drop=True)


def _check(
    expectation: gxe.Expectation, check_id: str, level: str, description: str
) -> gxe.Expectation:
    expectation.meta = {"id": check_id, "level": level, "description": description}
    return expectation


def _row(expectation: gxe.Expectation, check_id: str, description: str) -> gxe.Expectation:
    return _check(expectation, check_id, "row", description)


def _dataset(expectation: gxe.Expectation, check_id: str, description: str) -> gxe.Expectation:
    return _check(expectation, check_id, "dataset", description)


def _rows_present(dataset: str) -> gxe.Expectation:
    return _dataset(
        gxe.ExpectTableRowCountToBeBetween(min_value=1),
        f"{dataset}.rows_present",
        "the export has data rows",
    )


def _in_province(dataset: str, headers: dict[str, str], params: SuiteParameters) -> gxe.Expectation:
    return _row(
        gxe.ExpectColumnValuesToMatchRegex(column="district_code", regex=params.district_pattern),
        f"{dataset}.district_in_province",
        f"{headers['district']} is not a district of province {', '.join(params.province_codes)}",
    )


def _date_in_range(
    dataset: str, column: str, header: str, params: SuiteParameters
) -> gxe.Expectation:
    return _row(
        gxe.ExpectColumnValuesToBeBetween(
            column=column, min_value=day_number(EARLIEST_DATE), max_value=day_number(params.as_of)
        ),
        f"{dataset}.{column}_in_range",
        f"{header} is before {EARLIEST_DATE.isoformat()} or after {params.as_of.isoformat()}",
    )


def products_suite(params: SuiteParameters) -> gx.ExpectationSuite:
    """Checks of the OTOP Big Data product register."""
    h = PRODUCTS.headers
    return gx.ExpectationSuite(
        name="products",
        expectations=[
            _rows_present("products"),
            _row(
                gxe.ExpectColumnValuesToBeUnique(column="product_code"),
                "products.product_code_unique",
                f"{h['product_code']} appears more than once",
            ),
            _in_province("products", h, params),
            _date_in_range("products", "registered_on", h["registered_on"], params),
            _row(
                gxe.ExpectColumnPairValuesAToBeGreaterThanB(
                    column_A="cancelled_on",
                    column_B="registered_on",
                    or_equal=True,
                    ignore_row_if="either_value_is_missing",
                ),
                "products.cancelled_after_registered",
                f"{h['cancelled_on']} is before {h['registered_on']}",
            ),
            _row(
                gxe.ExpectColumnValuesToBeInSet(
                    column="product_category", value_set=PRODUCT_CATEGORIES
                ),
                "products.category_known",
                f"{h['product_category']} is not one of the five OTOP categories",
            ),
            _row(
                gxe.ExpectColumnValuesToBeInSet(column="producer_type", value_set=PRODUCER_TYPES),
                "products.producer_type_known",
                f"{h['producer_type']} is not a known producer type",
            ),
        ],
    )


def sales_suite(params: SuiteParameters) -> gx.ExpectationSuite:
    """Checks of monthly sales rows."""
    h = SALES.headers
    return gx.ExpectationSuite(
        name="sales",
        expectations=[
            _rows_present("sales"),
            _row(
                gxe.ExpectCompoundColumnsToBeUnique(
                    column_list=["district_code", "producer_code", "month", "recorded_on"]
                ),
                "sales.key_unique",
                f"the same {h['producer_code']}, {h['month']} and {h['recorded_on']} "
                "appear more than once in the district",
            ),
            _in_province("sales", h, params),
            _date_in_range("sales", "month", h["month"], params),
            _date_in_range("sales", "recorded_on", h["recorded_on"], params),
            _row(
                gxe.ExpectColumnPairValuesAToBeGreaterThanB(
                    column_A="recorded_on", column_B="month", or_equal=True
                ),
                "sales.recorded_after_month_began",
                f"{h['recorded_on']} is before the {h['month']} it reports",
            ),
            _row(
                gxe.ExpectColumnValuesToBeBetween(column="amount", min_value=0),
                "sales.amount_not_negative",
                f"{h['amount']} is negative",
            ),
            _row(
                gxe.ExpectColumnValuesToBeBetween(column="amount", max_value=params.amount_ceiling),
                "sales.amount_below_ceiling",
                f"{h['amount']} is above {params.amount_ceiling:,.2f} baht",
            ),
        ],
    )


def _coverage_suite(name: str, check_id: str, description: str) -> gx.ExpectationSuite:
    """A dataset-level check on a table of every expected key, each marked present or not."""
    return gx.ExpectationSuite(
        name=name,
        expectations=[
            _dataset(
                gxe.ExpectColumnValuesToBeInSet(column="present", value_set=[True]),
                check_id,
                description,
            )
        ],
    )


def sales_coverage_suite() -> gx.ExpectationSuite:
    """Every district of the province has sales for every month already due (keys
    ``district_code:month``)."""
    return _coverage_suite(
        "sales_coverage",
        "sales.months_complete",
        "every district has sales for every month already due (by the 18th)",
    )


def sales_reconciliation_suite() -> gx.ExpectationSuite:
    """Our sales per district and month equal the central system's summary report, to the
    satang (on the table comparing the two)."""
    return gx.ExpectationSuite(
        name="sales_reconciliation",
        expectations=[
            _dataset(
                gxe.ExpectColumnValuesToBeBetween(column="difference", min_value=0, max_value=0),
                "sales.reconciles_with_summary",
                "sales per district and month equal the central system's summary report",
            )
        ],
    )


def shops_suite(params: SuiteParameters) -> gx.ExpectationSuite:
    """Checks of Shop ชุมชน registrations."""
    h = SHOPS.headers
    return gx.ExpectationSuite(
        name="shops",
        expectations=[
            _rows_present("shops"),
            _row(
                gxe.ExpectColumnValuesToBeUnique(column="shop_code"),
                "shops.shop_code_unique",
                f"{h['shop_code']} appears more than once",
            ),
            _in_province("shops", h, params),
            _date_in_range("shops", "registered_on", h["registered_on"], params),
            _row(
                gxe.ExpectColumnValuesToBeInSet(column="shop_type", value_set=SHOP_TYPES),
                "shops.shop_type_known",
                f"{h['shop_type']} is neither a producer nor an OTOP sales centre",
            ),
        ],
    )


def baseline_suite(params: SuiteParameters) -> gx.ExpectationSuite:
    """Checks of the province's baseline sheet rows."""
    return gx.ExpectationSuite(
        name="baseline",
        expectations=[
            _rows_present("baseline"),
            _row(
                gxe.ExpectColumnValuesToMatchRegex(
                    column="district_code", regex=params.district_pattern
                ),
                "baseline.district_in_province",
                f"อำเภอ is not a district of province {', '.join(params.province_codes)}",
            ),
        ],
    )


def baseline_coverage_suite() -> gx.ExpectationSuite:
    """The baseline lists every district of the province (keys: district codes)."""
    return _coverage_suite(
        "baseline_coverage",
        "baseline.covers_every_district",
        "the baseline lists every district of the province",
    )
