"""The rows set aside in quarantine that a grade must carry, read from the warehouse.

A quarantined row is *current* while the payload it came from is still the latest one read
from its place (the export URL or the inbox file, ``raw_file.location``) by a run that did
not fail: a later payload from the same place supersedes its rows (they were fixed, or are
set aside again under the new payload). The same row set aside by several runs from one
payload counts once. What the rows mean for each grade is worked out by
:mod:`otop_sync.transforms.quarantine`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date

import pandas as pd
from sqlalchemy import Connection, func, select

from otop_sync.datasets import dataset
from otop_sync.transforms.criteria import Criterion
from otop_sync.transforms.deltas import shops_known_by
from otop_sync.transforms.fiscal import Quarter
from otop_sync.transforms.quarantine import KnownRows, quarantine_on_grades, touching_rows
from otop_sync.warehouse.models import Quarantine, RawFileRecord, ShopRegistration, SyncRun
from otop_sync.warehouse.queries import result_frame

FAILED = "failed"
"""The status of a run whose load was rolled back (its quarantine is kept for ops)."""
SHOP_COLUMNS = ["shop_code", "producer_code", "district_code", "registered_on"]


def current_quarantine(connection: Connection, datasets: Iterable[str]) -> pd.DataFrame:
    """The current quarantined rows of these datasets (see module docstring): ``dataset``,
    ``raw_sha256``, ``line``, ``raw_row`` (the source row as text) and ``reasons``."""
    names = sorted(set(datasets))
    columns = ["dataset", "raw_sha256", "line", "raw_row", "reasons"]
    if not names:
        return pd.DataFrame(columns=columns)
    raw, run, kept = RawFileRecord.__table__, SyncRun.__table__, Quarantine.__table__
    not_failed = run.c.status != FAILED
    latest = (
        select(func.max(raw.c.id).label("id"))
        .join(run, run.c.run_id == raw.c.run_id)
        .where(not_failed, raw.c.dataset.in_(names))
        .group_by(raw.c.dataset, raw.c.location)
    )
    current = select(raw.c.sha256).where(raw.c.id.in_(latest))
    statement = (
        select(kept.c.dataset, kept.c.raw_sha256, kept.c.line, kept.c.raw_row, kept.c.reasons)
        .join(run, run.c.run_id == kept.c.run_id)
        .where(not_failed, kept.c.dataset.in_(names), kept.c.raw_sha256.in_(current))
        .order_by(kept.c.id)
    )
    rows = result_frame(connection, statement, columns)
    return rows.drop_duplicates(["dataset", "raw_sha256", "line"]).reset_index(drop=True)


def typed_quarantine(rows: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Per dataset, what can be read of its quarantined rows (typed cell by cell, the way
    the dataset types its rows), with ``row_id`` and ``reasons``."""
    typed = {}
    for name, group in rows.groupby("dataset", sort=True):
        spec = dataset(str(name))
        table = pd.DataFrame(
            [{c: str(row.get(c, "")) for c in spec.canonical_columns} for row in group["raw_row"]]
        )
        cells = spec.type_cells(table)
        cells["row_id"] = [
            f"{name}:{s}:{line}" for s, line in zip(group["raw_sha256"], group["line"], strict=True)
        ]
        cells["reasons"] = group["reasons"].to_list()
        typed[str(name)] = cells
    return typed


def read_quarantined(
    connection: Connection, criteria: Iterable[Criterion]
) -> dict[str, pd.DataFrame]:
    """The current quarantined rows of the datasets the criteria read, typed per dataset
    (read once for every quarter graded)."""
    return typed_quarantine(
        current_quarantine(connection, {c.reads for c in criteria if c.reads is not None})
    )


def known_rows(
    connection: Connection,
    quarantined: dict[str, pd.DataFrame],
    criteria: Sequence[Criterion],
    quarter: Quarter,
    as_of: date,
    districts: Sequence[str],
) -> KnownRows:
    """The loaded rows the criteria must see beside the quarantined rows that touch a
    quarter's grades: the shops registered by ``as_of`` in the districts a set-aside shop
    touches (a producer already counted gets no second unit). Sales and products add up,
    so none of theirs are needed."""
    touching = touching_rows(quarantined, criteria, quarter, as_of, districts)
    shop_districts = sorted(
        {
            code
            for name, rows in touching.items()
            for code in rows["district_code"]
            if _reads(criteria, name) == "shops"
        }
    )
    shops = pd.DataFrame(columns=SHOP_COLUMNS)
    if shop_districts:
        table = ShopRegistration.__table__
        statement = select(*(table.c[c] for c in SHOP_COLUMNS)).where(
            table.c.district_code.in_(shop_districts)
        )
        loaded = result_frame(connection, statement, SHOP_COLUMNS)
        shops = shops_known_by(loaded, as_of)
    empty_sales = pd.DataFrame(columns=["district_code", "month", "amount"])
    empty_products = pd.DataFrame(
        columns=["product_code", "district_code", "registered_on", "cancelled_on"]
    )
    return KnownRows(quarter, empty_products, empty_sales, shops)


def _reads(criteria: Sequence[Criterion], name: str) -> str | None:
    return next(c.reads for c in criteria if c.name == name)


def with_quarantine(
    connection: Connection,
    grades: pd.DataFrame,
    quarantined: dict[str, pd.DataFrame],
    criteria: Sequence[Criterion],
    quarter: Quarter,
    as_of: date,
) -> pd.DataFrame:
    """A quarter's grades with the ``quarantined`` column of
    :func:`otop_sync.transforms.quarantine.quarantine_on_grades` (None throughout when no
    row is set aside: nothing to read or count)."""
    if grades.empty or all(rows.empty for rows in quarantined.values()):
        return grades.assign(quarantined=None)
    codes = list(grades["district_code"])
    known = known_rows(connection, quarantined, criteria, quarter, as_of, codes)
    return quarantine_on_grades(grades, quarantined, criteria, known, as_of)
