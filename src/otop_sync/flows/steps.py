"""The steps of a sync as plain functions, each wiring one layer to the next. The Prefect flows
call these; tests and the command line can too, without an orchestrator."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime

import pandas as pd
from sqlalchemy import Connection

from otop_sync.connectors.extract import Extract
from otop_sync.transforms.baseline import parse_baseline
from otop_sync.transforms.fiscal import Quarter
from otop_sync.transforms.kpi import QuarterResult, compute_quarter
from otop_sync.transforms.rows import RowIssue
from otop_sync.transforms.rules import RuleBook
from otop_sync.transforms.sources import parse_products, parse_sales, parse_shops
from otop_sync.warehouse import loaders, queries
from otop_sync.warehouse.loaders import MergeCounts

PARSERS = {
    "products": parse_products,
    "sales": parse_sales,
    "shops": parse_shops,
    "baseline": parse_baseline,
}
LOADERS = {
    "products": loaders.load_products,
    "sales": loaders.load_sales,
    "shops": loaders.load_shops,
    "baseline": loaders.load_baseline,
}


def type_rows(extract: Extract) -> tuple[pd.DataFrame, list[RowIssue]]:
    """Type an extract's canonical table; unreadable rows come back as issues."""
    rows, issues = PARSERS[extract.dataset](extract.table)
    return rows.assign(raw_sha256=extract.raws[0].sha256), issues


def load_rows(connection: Connection, dataset: str, rows: pd.DataFrame, run_id: str) -> MergeCounts:
    """Upsert typed rows of a dataset into its warehouse table."""
    return LOADERS[dataset](connection, rows, run_id)


def grade_quarter(
    connection: Connection,
    quarter: Quarter,
    province_codes: Sequence[str],
    rulebook: RuleBook,
    as_of: date,
    run_id: str,
) -> list[QuarterResult]:
    """Compute and write a quarter's targets and grades for the provinces, from the warehouse."""
    rules = rulebook.for_year(quarter.fiscal_year)
    base = quarter.same_quarter_of(rules.base_year)
    monthly = queries.sales_by_month(connection, province_codes, [*base.months, *quarter.months])
    products = queries.products(connection, province_codes)
    shops = queries.shops(connection, province_codes)
    baseline = queries.baseline(connection, province_codes)
    loaders.write_rules(connection, [rule_row(rulebook, quarter.fiscal_year)])
    results = []
    computed_at = datetime.now(UTC)
    for province_code in province_codes:
        result = compute_quarter(
            quarter=quarter,
            rules=rules,
            rules_version=rulebook.version,
            province_code=province_code,
            baseline=baseline,
            products=products[products["district_code"].str.startswith(province_code)],
            shops=shops[shops["district_code"].str.startswith(province_code)],
            sales_by_month=monthly,
            as_of=as_of,
        )
        loaders.write_targets(connection, result.targets, result.province_total, run_id)
        loaders.write_grades(connection, result.grades, run_id, computed_at)
        results.append(result)
    return results


def rule_row(rulebook: RuleBook, fiscal_year: int) -> dict[str, object]:
    """The ``kpi_rule`` row of a fiscal year."""
    rules = rulebook.for_year(fiscal_year)
    return {
        "fiscal_year": fiscal_year,
        "rules_version": rulebook.version,
        "base_year": rules.base_year,
        "products_target": rules.products_target,
        "sales_growth_percent": rules.sales_growth_percent,
        **{f"percent_{level.lower()}": pct for level, pct in rules.shop_level_percent.items()},
    }
