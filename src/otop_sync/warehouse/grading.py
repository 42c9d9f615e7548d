"""Grading from what the warehouse holds: read the quarters' source figures once, compute
targets and grades with the transforms, and write them in the caller's transaction."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime

import pandas as pd
from sqlalchemy import Connection

from otop_sync.transforms.fiscal import Quarter
from otop_sync.transforms.kpi import QuarterResult, compute_quarter
from otop_sync.transforms.rules import RuleBook, RulesError
from otop_sync.warehouse import loaders, queries


def _by_province(frame: pd.DataFrame) -> dict[str, pd.DataFrame]:
    if frame.empty:
        return {}
    return dict(iter(frame.groupby(frame["district_code"].str[:2], sort=False)))


def grade_quarters(
    connection: Connection,
    quarters: Sequence[Quarter],
    province_codes: Sequence[str],
    rulebook: RuleBook,
    as_of: date,
    run_id: str,
) -> list[QuarterResult]:
    """Compute and write quarters' targets and grades for the provinces, from the warehouse.

    The warehouse is read once for all quarters; each quarter's targets and grades are written
    in one statement set for every province. A quarter the rule book does not cover is an
    error (callers skip it with :meth:`RuleBook.not_covered`'s reason).
    """
    for quarter in quarters:
        reason = rulebook.not_covered(quarter)
        if reason is not None:
            raise RulesError(reason)
    base_months = {
        month
        for q in quarters
        for month in q.same_quarter_of(rulebook.for_year(q.fiscal_year).base_year).months
    }
    months = sorted(base_months | {m for q in quarters for m in q.months})
    monthly = _by_province(queries.sales_by_month(connection, province_codes, months))
    products = _by_province(queries.products(connection, province_codes))
    shops = _by_province(queries.shops(connection, province_codes))
    baseline = queries.baseline(connection, province_codes)
    empty_products = pd.DataFrame(
        columns=["product_code", "district_code", "registered_on", "cancelled_on"]
    )
    empty_shops = pd.DataFrame(
        columns=["shop_code", "producer_code", "district_code", "registered_on"]
    )
    empty_sales = pd.DataFrame(columns=["district_code", "month", "amount"])
    computed_at = datetime.now(UTC)
    results = []
    for quarter in quarters:
        rules = rulebook.for_year(quarter.fiscal_year)
        loaders.write_rules(connection, [rule_row(rulebook, quarter.fiscal_year)])
        quarter_results = [
            compute_quarter(
                quarter=quarter,
                rules=rules,
                rules_version=rulebook.version,
                province_code=code,
                baseline=baseline,
                products=products.get(code, empty_products),
                shops=shops.get(code, empty_shops),
                sales_by_month=monthly.get(code, empty_sales),
                as_of=as_of,
            )
            for code in province_codes
        ]
        loaders.write_targets(
            connection,
            pd.concat([r.targets for r in quarter_results], ignore_index=True),
            pd.concat([r.province_total for r in quarter_results], ignore_index=True),
            run_id,
        )
        loaders.write_grades(
            connection,
            pd.concat([r.grades for r in quarter_results], ignore_index=True),
            run_id,
            computed_at,
        )
        results += quarter_results
    return results


def rule_row(rulebook: RuleBook, fiscal_year: int) -> dict[str, object]:
    """The ``kpi_rule`` row of a fiscal year."""
    rules = rulebook.for_year(fiscal_year)
    return {"fiscal_year": fiscal_year, "rules_version": rulebook.version, **rules.rule_columns()}
