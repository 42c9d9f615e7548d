"""Grading from what the warehouse holds: read the quarters' source figures once, compute
targets and grades with the transforms, and write them in the caller's transaction."""

from __future__ import annotations

import gc
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime

from sqlalchemy import Connection

from otop_sync.transforms.deltas import grading_days
from otop_sync.transforms.fiscal import Quarter
from otop_sync.transforms.kpi import QuarterResult, compute_quarter
from otop_sync.transforms.rules import RuleBook, RulesError
from otop_sync.warehouse import loaders, quarantined, queries


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector paused: grading makes hundreds of thousands of small
    objects in a burst (rows, results, frames) and none of them in a cycle, so the collections
    they would trigger find nothing to free and only cost time. Collected as usual after."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


@_collector_paused()
def grade_quarters(
    connection: Connection,
    quarters: Sequence[Quarter],
    province_codes: Sequence[str],
    rulebook: RuleBook,
    as_of: date,
    run_id: str,
) -> list[QuarterResult]:
    """Compute and write quarters' targets and grades for the provinces, from the warehouse.

    The warehouse is read once for all quarters, as aggregates computed in the database (sales
    per district and month, active products and Shop ชุมชน units per district on each quarter
    end), a few thousand rows whatever the size of the source tables. Each quarter is graded
    for every province at once (from its own months' sales), and the quarters' targets and
    grades are written together: one merge per target table, and the grades compared with the
    stored ones read in one go, only new versions written.
    A quarter the rule book does not cover is an error (callers skip it with
    :meth:`RuleBook.not_covered`'s reason).

    Grades are as of ``as_of``: only sales recorded, products registered or cancelled and
    shops registered by then count. A quarter whose stored grades are as of a later day is
    graded but not written (a point-in-time answer: what the grade was then); its result says
    so in its warnings and has ``stored`` false.
    """
    for quarter in quarters:
        reason = rulebook.not_covered(quarter)
        if reason is not None:
            raise RulesError(reason)
    if not quarters:
        return []
    rules_of = {q.fiscal_year: rulebook.for_year(q.fiscal_year) for q in quarters}
    months_of = {
        q: [*q.same_quarter_of(rules_of[q.fiscal_year].base_year).months, *q.months]
        for q in quarters
    }
    months = sorted({month for q in quarters for month in months_of[q]})
    monthly = queries.sales_by_month(connection, province_codes, months, recorded_by=as_of)
    days = grading_days(quarters)
    products = queries.active_product_counts(connection, province_codes, days, known_by=as_of)
    shops = queries.shop_unit_counts(connection, province_codes, days, known_by=as_of)
    baseline = queries.baseline(connection, province_codes)
    set_aside = quarantined.read_quarantined(
        connection, [c for rules in rules_of.values() for c in rules.criteria]
    )
    stored_as_of = queries.current_grades_as_of(connection, quarters, province_codes)
    loaders.write_rules(connection, [rule_row(rulebook, year) for year in rules_of])
    computed_at = datetime.now(UTC)
    results = []
    for quarter in quarters:
        rules = rules_of[quarter.fiscal_year]
        result = compute_quarter(
            quarter=quarter,
            rules=rules,
            rules_version=rulebook.version,
            province_codes=province_codes,
            baseline=baseline,
            products=products,
            shops=shops,
            sales_by_month=monthly[monthly["month"].isin(months_of[quarter])],
            as_of=as_of,
            days=frozenset(days),
        )
        result.grades = quarantined.with_quarantine(
            connection, result.grades, set_aside, rules.criteria, quarter, as_of
        )
        results.append(result)
        stored = stored_as_of.get(quarter)
        if stored is not None and as_of < stored:
            result.stored = False
            result.warnings.append(
                f"{quarter} as of {as_of}: the grades as they were then, not stored "
                f"(the stored grades are as of {stored}; only a newer sync changes them)"
            )
    by_quarter = {q: r for q, r in zip(quarters, results, strict=True) if r.stored}
    written = list(by_quarter.values())  # a quarter asked for twice is written once
    if written:
        loaders.write_targets(
            connection,
            [result.targets for result in written],
            [result.province_total for result in written],
            run_id,
        )
        loaders.write_grades(connection, [result.grades for result in written], run_id, computed_at)
    return results


def rule_row(rulebook: RuleBook, fiscal_year: int) -> dict[str, object]:
    """The ``kpi_rule`` row of a fiscal year."""
    rules = rulebook.for_year(fiscal_year)
    return {"fiscal_year": fiscal_year, "rules_version": rulebook.version, **rules.rule_columns()}
