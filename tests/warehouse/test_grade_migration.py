"""Migration 0002 on a warehouse at 0001 that holds grades: kpi_grade and kpi_grade_history
read the same afterwards (now as views over the long-form tables), and back again on
downgrade; on both engines."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from alembic import command
from sqlalchemy import MetaData, Table, text

from otop_sync.warehouse.db import (
    _alembic_config,
    current_revision,
    head_revision,
    make_engine,
    upgrade,
)
from otop_sync.warehouse.loaders import sync_districts

COMMON = {
    "fiscal_year": 2567,
    "quarter": 2,
    "district_code": "5712",
    "products_added": 13,
    "products_target": 1,
    "products_met": True,
    "base_sales": Decimal("3930639.00"),
    "sales_target": Decimal("4009251.78"),
    "shops_registered": 14,
    "interested_q1": 18,
    "shop_level": "B",
    "as_of": date(2024, 7, 16),
}
CURRENT = {
    **COMMON,
    "sales": Decimal("4009251.77"),
    "sales_met": False,
    "grade": None,
    "failed_criteria": "sales",
    "next_grade": "B",
    "missing_products": 0,
    "missing_sales": Decimal("0.01"),
    "missing_shops": 0,
    "status": "final",
    "version": 2,
    "run_id": "run-2",
    "computed_at": datetime(2024, 7, 16, 1, 0, tzinfo=UTC),
}
REPLACED = {
    **COMMON,
    "sales": Decimal("4009251.78"),
    "sales_met": True,
    "grade": "B",
    "failed_criteria": "",
    "next_grade": "A",
    "missing_products": 0,
    "missing_sales": Decimal("0.00"),
    "missing_shops": 4,
    "status": "final",
    "version": 1,
    "run_id": "run-1",
    "computed_at": datetime(2024, 7, 15, 1, 0, tzinfo=UTC),
    "replaced_at": datetime(2024, 7, 16, 1, 0, tzinfo=UTC),
    "replaced_by_run": "run-2",
}


def _migrate(engine, revision: str, direction=command.upgrade) -> None:
    config = _alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        direction(config, revision)


def _insert(connection, table: str, row: dict) -> None:
    """Insert through the table as it is at 0001 (typed binds: Decimal, dates, booleans)."""
    connection.execute(Table(table, MetaData(), autoload_with=connection).insert(), row)


def _read(connection, table: str, like: dict) -> dict:
    result = connection.execute(text(f"SELECT {', '.join(like)} FROM {table}")).mappings().one()
    return {column: _plain(like[column], result[column]) for column in like}


def _plain(expected: object, value: object) -> object:
    """A raw database value in the type written (SQLite returns text, floats and 0/1)."""
    if value is None:
        return None
    if isinstance(expected, bool):
        return bool(value)
    if isinstance(expected, Decimal):
        return Decimal(str(value)).quantize(Decimal("0.01"))
    if isinstance(expected, datetime):
        moment = value if isinstance(value, datetime) else datetime.fromisoformat(value)
        return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    if isinstance(expected, date):
        return value if isinstance(value, date) else date.fromisoformat(value)
    return value


def test_grades_survive_the_upgrade_to_long_form_and_back(warehouse_url):
    engine = make_engine(warehouse_url)
    _migrate(engine, "0001")
    with engine.begin() as connection:
        sync_districts(connection)
        _insert(connection, "kpi_grade", CURRENT)
        _insert(connection, "kpi_grade_history", REPLACED)

    assert upgrade(engine) == head_revision()
    with engine.connect() as connection:
        assert _read(connection, "kpi_grade", CURRENT) == CURRENT
        assert _read(connection, "kpi_grade_history", REPLACED) == REPLACED
        long_form = connection.execute(
            text(
                "SELECT version, criterion, position, unit, met, level FROM kpi_grade_criterion "
                "ORDER BY version, position"
            )
        ).all()
        grade_name = connection.execute(
            text("SELECT district_name_th, missing_sales FROM v_grade")
        ).one()
    assert [(v, c, p, u, bool(m), lv) for v, c, p, u, m, lv in long_form] == [
        (1, "products", 1, "count", True, None),
        (1, "sales", 2, "baht", True, None),
        (1, "shops", 3, "count", True, "B"),
        (2, "products", 1, "count", True, None),
        (2, "sales", 2, "baht", False, None),
        (2, "shops", 3, "count", True, "B"),
    ]
    assert grade_name[0] == "พญาเม็งราย"
    assert Decimal(str(grade_name[1])) == Decimal("0.01")

    _migrate(engine, "0001", command.downgrade)
    assert current_revision(engine) == "0001"
    with engine.connect() as connection:
        assert _read(connection, "kpi_grade", CURRENT) == CURRENT
        assert _read(connection, "kpi_grade_history", REPLACED) == REPLACED
    engine.dispose()
