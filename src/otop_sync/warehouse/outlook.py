"""The outlook and its backtest from what the warehouse holds (reads only; the projection is
:mod:`otop_sync.transforms.outlook`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import pandas as pd
from sqlalchemy import Connection

from otop_sync.transforms.fiscal import Quarter
from otop_sync.transforms.outlook import (
    BacktestCase,
    OutlookRow,
    ProvinceSources,
    backtest,
    final_quarters,
    outlook_as_of,
    stage_of,
)
from otop_sync.transforms.rules import RuleBook, RulesError
from otop_sync.warehouse import queries


class OutlookError(RulesError):
    """An outlook asked for a quarter it cannot project."""


def province_sources(connection: Connection, province_code: str) -> ProvinceSources:
    """A province's registrations and baseline, read once; its sales are read per day, with
    only what was recorded by that day (corrections made later undone, as ``grade --as-of``)."""

    def read_sales(months: Sequence[date], day: date) -> pd.DataFrame:
        return queries.sales_by_month(connection, [province_code], months, recorded_by=day)

    return ProvinceSources(
        province_code=province_code,
        baseline=queries.baseline(connection, [province_code]),
        products=queries.products(connection, [province_code]),
        shops=queries.shops(connection, [province_code]),
        read_sales=read_sales,
    )


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


def read_backtest(
    connection: Connection, province_code: str, rulebook: RuleBook, stage: int, before: date
) -> list[BacktestCase]:
    """The backtest (:func:`otop_sync.transforms.outlook.backtest`) of every quarter the rules
    grade that was final by ``before``, projected from ``stage``."""
    sources = province_sources(connection, province_code)
    return backtest(sources, final_quarters(rulebook, before), rulebook, stage)


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
        sources = province_sources(connection, code)
        outlooks.append(
            Outlook(
                quarter=quarter,
                province_code=code,
                as_of=as_of,
                rows=outlook_as_of(sources, quarter, rulebook, as_of),
                backtest=backtest(sources, final_quarters(rulebook, as_of), rulebook, stage),
            )
        )
    return outlooks
