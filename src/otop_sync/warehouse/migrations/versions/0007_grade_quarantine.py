"""Grades carry the rows set aside in quarantine that touch them: ``quarantined_rows`` and
``quarantine_reasons`` on ``kpi_grade_version``; ``quarantined_rows``,
``quarantined_unreadable`` and ``actual_with_quarantined`` on ``kpi_grade_criterion``;
``kpi_grade``, ``kpi_grade_history`` and ``v_grade`` show them after ``shop_centres``, with
each criterion's figure with the rows (``sales_with_quarantined``, …)

The views are those of migration ``0006`` with the new columns.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30 05:00:00
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

PIVOT_COLUMNS = (
    "g.quarantined_rows, g.quarantine_reasons, "
    "CAST(p.actual_with_quarantined AS INTEGER) AS products_with_quarantined, "
    "s.actual_with_quarantined AS sales_with_quarantined, "
    "CAST(h.actual_with_quarantined AS INTEGER) AS shops_with_quarantined"
)
V_GRADE_COLUMNS = (
    "g.quarantined_rows, g.quarantine_reasons, g.products_with_quarantined, "
    "g.sales_with_quarantined, g.shops_with_quarantined"
)
VIEWS = ("v_grade", "kpi_grade", "kpi_grade_history")
"""In the order they are dropped (``v_grade`` reads ``kpi_grade``)."""
CRITERION_COLUMNS = ("quarantined_rows", "quarantined_unreadable", "actual_with_quarantined")


def _module(name: str) -> ModuleType:
    path = Path(__file__).with_name(name)
    spec = importlib.util.spec_from_file_location(f"otop_migration_{path.stem}", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _create_views(with_new_columns: bool) -> None:
    old = _module("0002_grades_long_form.py")
    new = _module("0006_grade_reasons_and_units.py")
    current, replaced, v_grade = old._pivot(current=True), old._pivot(current=False), old.V_GRADE
    current, replaced = (
        sql.replace("g.status, g.as_of,", f"g.status, g.as_of, {new.NEW_COLUMNS},")
        for sql in (current, replaced)
    )
    v_grade = v_grade.replace("g.as_of,", f"g.as_of, {new.NEW_COLUMNS},")
    if with_new_columns:
        current, replaced = (
            sql.replace("g.shop_centres,", f"g.shop_centres, {PIVOT_COLUMNS},")
            for sql in (current, replaced)
        )
        v_grade = v_grade.replace("g.shop_centres,", f"g.shop_centres, {V_GRADE_COLUMNS},")
    op.execute(f"CREATE VIEW kpi_grade AS {current}")
    op.execute(f"CREATE VIEW kpi_grade_history AS {replaced}")
    op.execute(f"CREATE VIEW v_grade AS {v_grade}")


def _drop_views() -> None:
    for view in VIEWS:
        op.execute(f"DROP VIEW {view}")


def upgrade() -> None:
    _drop_views()
    op.add_column(
        "kpi_grade_version",
        sa.Column("quarantined_rows", sa.Integer(), server_default="0", nullable=False),
    )
    op.add_column("kpi_grade_version", sa.Column("quarantine_reasons", sa.Text(), nullable=True))
    for column in CRITERION_COLUMNS[:2]:
        op.add_column(
            "kpi_grade_criterion",
            sa.Column(column, sa.Integer(), server_default="0", nullable=False),
        )
    op.add_column(
        "kpi_grade_criterion",
        sa.Column("actual_with_quarantined", sa.Numeric(precision=18, scale=2), nullable=True),
    )
    _create_views(with_new_columns=True)


def downgrade() -> None:
    _drop_views()
    # ALTER TABLE ... DROP COLUMN in place (SQLite 3.35+), as 0006 does.
    for column in reversed(CRITERION_COLUMNS):
        op.execute(f"ALTER TABLE kpi_grade_criterion DROP COLUMN {column}")
    for column in ("quarantine_reasons", "quarantined_rows"):
        op.execute(f"ALTER TABLE kpi_grade_version DROP COLUMN {column}")
    _create_views(with_new_columns=False)
