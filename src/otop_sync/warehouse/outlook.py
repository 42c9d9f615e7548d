"""The outlook and its backtest from what the warehouse holds (reads only; the projection is
:mod:`otop_sync.transforms.outlook`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import pandas as pd
from sqlalchemy import Connection

from otop_sync.transforms.deltas import products_known_by, shops_known_by
from otop_sync.transforms.fiscal import Quarter, quarter_range
from otop_sync.transforms.kpi import compute_quarter
from otop_sync.transforms.outlook import (
    BacktestCase,
    OutlookRow,
    months_to_read,
    province_outlook,
    stage_day,
    stage_of,
)
from otop_sync.transforms.rules import RuleBook, RulesError
from otop_sync.warehouse import queries


@dataclass(frozen=True)
class Sources:
    """A province's registrations and baseline, read once; sales are read per day."""

    province_code: str
    products: pd.DataFrame
    shops: pd.DataFrame
    baseline: pd.DataFrame

    @classmethod
    def read(cls, connection: Connection, province_code: str) -> Sources:
        return cls(
            province_code,
            queries.products(connection, [province_code]),
            queries.shops(connection, [province_code]),
            queries.baseline(connection, [province_code]),
        )


class OutlookError(RulesError):
    """An outlook asked for a quarter it cannot project."""


def _outlook(
    connection: Connection, sources: Sources, quarter: Quarter, rulebook: RuleBook, as_of: date
) -> list[OutlookRow]:
    rules = rulebook.for_year(quarter.fiscal_year)
    sales = queries.sales_by_month(
        connection,
        [sources.province_code],
        months_to_read(quarter, rules.base_year, as_of),
        recorded_by=as_of,
    )
    return province_outlook(
        quarter=quarter,
        rules=rules,
        rules_version=rulebook.version,
        province_code=sources.province_code,
        baseline=sources.baseline,
        products=sources.products,
        shops=sources.shops,
        sales_by_month=sales,
        as_of=as_of,
    )


def _final_grades(
    connection: Connection, sources: Sources, quarter: Quarter, rulebook: RuleBook
) -> dict[str, str | None]:
    """The quarter's grades as of the day they became final, per district."""
    rules = rulebook.for_year(quarter.fiscal_year)
    day = quarter.final_from
    base = quarter.same_quarter_of(rules.base_year)
    sales = queries.sales_by_month(
        connection, [sources.province_code], [*base.months, *quarter.months], recorded_by=day
    )
    result = compute_quarter(
        quarter=quarter,
        rules=rules,
        rules_version=rulebook.version,
        province_code=sources.province_code,
        baseline=sources.baseline,
        products=products_known_by(sources.products, day),
        shops=shops_known_by(sources.shops, day),
        sales_by_month=sales,
        as_of=day,
    )
    return {
        row["district_code"]: row["grade"] if isinstance(row["grade"], str) else None
        for row in result.grades.to_dict("records")
    }


def check_projectable(quarter: Quarter, rulebook: RuleBook, as_of: date) -> None:
    """An outlook needs a quarter the rules grade, and a day inside or after it."""
    reason = rulebook.not_covered(quarter)
    if reason is not None:
        raise OutlookError(reason)
    if as_of < quarter.start:
        raise OutlookError(
            f"{quarter} starts on {quarter.start}: an outlook as of {as_of} has nothing "
            "recorded in it yet"
        )


def backtest(
    connection: Connection,
    province_code: str,
    rulebook: RuleBook,
    stage: int,
    before: date,
    sources: Sources | None = None,
) -> list[BacktestCase]:
    """Every district of every quarter the rules grade that was final before ``before``:
    projected from the first day of ``stage`` (:func:`~otop_sync.transforms.outlook.
    stage_day`) against its final grade, using only what was recorded by each of those days."""
    sources = sources or Sources.read(connection, province_code)
    cases = []
    years = sorted(rulebook.years)
    if not years:
        return []
    for quarter in quarter_range(Quarter(years[0], 1), Quarter(years[-1], 4)):
        if not rulebook.covers(quarter) or quarter.final_from > before:
            continue
        final = _final_grades(connection, sources, quarter, rulebook)
        for row in _outlook(connection, sources, quarter, rulebook, stage_day(quarter, stage)):
            cases.append(
                BacktestCase(
                    quarter=quarter,
                    district_code=row.district_code,
                    stage=stage,
                    projected=row.projected_grade,
                    final=final[row.district_code],
                    so_far=row.so_far.grade,
                )
            )
    return cases


@dataclass(frozen=True)
class Outlook:
    """A province's outlook for a quarter, with the backtest at the same stage."""

    quarter: Quarter
    province_code: str
    as_of: date
    rows: list[OutlookRow]
    backtest: list[BacktestCase]

    @property
    def stage(self) -> int:
        return stage_of(self.quarter, self.as_of)


def read_outlook(
    connection: Connection,
    quarter: Quarter,
    province_codes: Sequence[str],
    rulebook: RuleBook,
    as_of: date,
) -> list[Outlook]:
    """Each province's outlook for ``quarter`` as of ``as_of``: only sales recorded, products
    registered (or cancelled) and shops registered by then count, as in ``grade --as-of``;
    the backtest runs on the quarters final by then, at the same stage."""
    check_projectable(quarter, rulebook, as_of)
    stage = stage_of(quarter, as_of)
    outlooks = []
    for code in province_codes:
        sources = Sources.read(connection, code)
        outlooks.append(
            Outlook(
                quarter=quarter,
                province_code=code,
                as_of=as_of,
                rows=_outlook(connection, sources, quarter, rulebook, as_of),
                backtest=backtest(connection, code, rulebook, stage, as_of, sources),
            )
        )
    return outlooks
