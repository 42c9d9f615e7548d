"""The tables grading writes (``kpi_target``, ``kpi_grade_version``, ``kpi_grade_criterion``)
without per-row foreign keys: grading checks their districts once per write, and writes each
criterion row with its version header in the same statement set

PostgreSQL checked each of the 30 thousand rows a national grading writes against its parent,
which took longer than writing the rows. On SQLite the tables are copied without the keys (its
views are dropped first and created again as they were: SQLite checks them on a rename).

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-30 14:10:00
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

KEYS: tuple[tuple[str, str, list[str], str, list[str]], ...] = (
    (
        "kpi_grade_criterion",
        "fk_kpi_grade_criterion_fiscal_year_kpi_grade_version",
        ["fiscal_year", "quarter", "district_code", "version"],
        "kpi_grade_version",
        ["fiscal_year", "quarter", "district_code", "version"],
    ),
    (
        "kpi_grade_version",
        "fk_kpi_grade_version_district_code_district",
        ["district_code"],
        "district",
        ["district_code"],
    ),
    (
        "kpi_target",
        "fk_kpi_target_district_code_district",
        ["district_code"],
        "district",
        ["district_code"],
    ),
)
"""(table, constraint, columns, referred table, referred columns), children before parents."""


@contextmanager
def _views_set_aside() -> Iterator[None]:
    """On SQLite, every view dropped while inside and created again after, as it was."""
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        yield
        return
    views = bind.execute(
        sa.text("SELECT name, sql FROM sqlite_master WHERE type = 'view' ORDER BY rowid")
    ).all()
    for name, _ in reversed(views):
        op.execute(f'DROP VIEW "{name}"')
    yield
    for _, definition in views:
        op.execute(definition)


def upgrade() -> None:
    with _views_set_aside():
        for table, name, *_ in KEYS:
            with op.batch_alter_table(table) as batch:
                batch.drop_constraint(name, type_="foreignkey")


def downgrade() -> None:
    with _views_set_aside():
        for table, name, columns, referred, referred_columns in reversed(KEYS):
            with op.batch_alter_table(table) as batch:
                batch.create_foreign_key(name, referred, columns, referred_columns)
