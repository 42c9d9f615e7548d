"""What the commands and flows that only read the warehouse share: they never migrate it."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import pandas as pd
from sqlalchemy import Engine

from otop_sync.flows.settings import Settings
from otop_sync.transforms.deadlines import last_due_month, late_districts
from otop_sync.transforms.districts import districts_of
from otop_sync.transforms.fiscal import sales_due_date
from otop_sync.warehouse import queries
from otop_sync.warehouse.db import (
    WarehouseError,
    check_reachable,
    current_revision,
    head_revision,
    make_engine,
)


def require_current_schema(engine: Engine) -> None:
    """Stop a reader when the warehouse is unreachable or not at the newest schema; readers
    never migrate (``otop-sync db upgrade`` does)."""
    check_reachable(engine)
    current, head = current_revision(engine), head_revision()
    if current != head:
        where = engine.url.render_as_string(hide_password=True)
        state = "has no otop-sync schema" if current is None else f"is at revision {current}"
        raise WarehouseError(f"the warehouse at {where} {state}: run `otop-sync db upgrade`")


def late_report(settings: Settings, province_codes: Sequence[str], as_of: date) -> pd.DataFrame:
    """Districts late with last month's sales (after the 18th) or Shop report (after the 15th).

    Only reads: a warehouse without the schema is an error asking for ``otop-sync db upgrade``.
    """
    engine = make_engine(settings.warehouse_url)
    codes = [d.code for p in province_codes for d in districts_of(p)]
    months = [last_due_month(as_of, sales_due_date)]
    try:
        require_current_schema(engine)
        with engine.connect() as connection:
            late = late_districts(
                codes,
                queries.months_with_sales(connection, province_codes, months),
                queries.months_with_shops(connection, province_codes),
                as_of,
            )
    finally:
        engine.dispose()
    names = {d.code: d.name_th for p in province_codes for d in districts_of(p)}
    return late.assign(district_name_th=late["district_code"].map(names))
