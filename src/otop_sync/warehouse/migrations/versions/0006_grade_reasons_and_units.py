"""Grades say why and count what the letter counts: ``reasons`` (a late month and its due
date, in Thai), ``shop_producers`` and ``shop_centres`` (the Shop ชุมชน units' make-up) on
``kpi_grade_version``, shown by ``kpi_grade``, ``kpi_grade_history`` and ``v_grade``

The views are those of migration ``0002`` with the three columns after ``as_of``.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30 02:50:00
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

NEW_COLUMNS = "g.reasons, g.shop_producers, g.shop_centres"
VIEWS = ("v_grade", "kpi_grade", "kpi_grade_history")
"""In the order they are dropped (``v_grade`` reads ``kpi_grade``)."""


def _revision_0002() -> ModuleType:
    path = Path(__file__).with_name("0002_grades_long_form.py")
    spec = importlib.util.spec_from_file_location("otop_migration_0002", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _create_views(with_new_columns: bool) -> None:
    old = _revision_0002()
    current, replaced, v_grade = old._pivot(current=True), old._pivot(current=False), old.V_GRADE
    if with_new_columns:
        current, replaced = (
            sql.replace("g.status, g.as_of,", f"g.status, g.as_of, {NEW_COLUMNS},")
            for sql in (current, replaced)
        )
        v_grade = v_grade.replace("g.as_of,", f"g.as_of, {NEW_COLUMNS},")
    op.execute(f"CREATE VIEW kpi_grade AS {current}")
    op.execute(f"CREATE VIEW kpi_grade_history AS {replaced}")
    op.execute(f"CREATE VIEW v_grade AS {v_grade}")


def _drop_views() -> None:
    for view in VIEWS:
        op.execute(f"DROP VIEW {view}")


def upgrade() -> None:
    _drop_views()
    op.add_column("kpi_grade_version", sa.Column("reasons", sa.Text(), nullable=True))
    op.add_column("kpi_grade_version", sa.Column("shop_producers", sa.Integer(), nullable=True))
    op.add_column("kpi_grade_version", sa.Column("shop_centres", sa.Integer(), nullable=True))
    _create_views(with_new_columns=True)


def downgrade() -> None:
    _drop_views()
    # ALTER TABLE ... DROP COLUMN in place (SQLite 3.35+): a batch copy would drop a table
    # that kpi_grade_criterion's foreign key points at.
    for column in ("shop_centres", "shop_producers", "reasons"):
        op.execute(f"ALTER TABLE kpi_grade_version DROP COLUMN {column}")
    _create_views(with_new_columns=False)
