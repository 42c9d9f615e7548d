"""Grades long-form: a grade version header and one row per criterion; kpi_grade and
kpi_grade_history become views with their columns unchanged

Why views: a criterion is data (the rules TOML names a fiscal year's criteria), so its figures
are rows of ``kpi_grade_criterion`` rather than columns; analysts' queries and the reports keep
reading ``kpi_grade`` (current versions) and ``kpi_grade_history`` (replaced ones) with the
same columns, pivoted from the one copy of the figures. Versions stay put: a new version is a
new header (version + 1) and the replaced one is stamped ``replaced_at``/``replaced_by_run``.

Existing grades and their history are copied over (the history's version rows keep their
numbers); ``downgrade`` copies them back. The letter's criteria's columns of ``kpi_rule``,
``kpi_target`` and ``kpi_target_province`` may now be NULL: a fiscal year's rules need not grade
every criterion.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-30 01:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

KEY = "fiscal_year, quarter, district_code, version"
HEADER = "grade, failed_criteria, next_grade, status, as_of, run_id, computed_at"
CRITERIA = {
    # criterion: (unit, actual, target, basis, met, level, missing) in the wide tables
    "products": (
        "count", "products_added", "products_target", None, "products_met", None,
        "missing_products",
    ),
    "sales": ("baht", "sales", "sales_target", "base_sales", "sales_met", None, "missing_sales"),
    "shops": (
        "count", "shops_registered", "interested_q1", None, "shop_level IS NOT NULL",
        "shop_level", "missing_shops",
    ),
}  # fmt: skip


def _pivot(current: bool) -> str:
    """The wide grade columns of the current (or the replaced) versions."""
    joins = "".join(
        f" LEFT JOIN kpi_grade_criterion {alias} ON {alias}.fiscal_year = g.fiscal_year"
        f" AND {alias}.quarter = g.quarter AND {alias}.district_code = g.district_code"
        f" AND {alias}.version = g.version AND {alias}.criterion = '{name}'"
        for alias, name in (("p", "products"), ("s", "sales"), ("h", "shops"))
    )
    replaced = "" if current else ", g.replaced_at, g.replaced_by_run"
    return f"""
        SELECT g.fiscal_year, g.quarter, g.district_code,
               CAST(p.actual AS INTEGER) AS products_added,
               CAST(p.target AS INTEGER) AS products_target, p.met AS products_met,
               s.actual AS sales, s.basis AS base_sales, s.target AS sales_target,
               s.met AS sales_met, CAST(h.actual AS INTEGER) AS shops_registered,
               CAST(h.target AS INTEGER) AS interested_q1, h.level AS shop_level, g.grade,
               g.failed_criteria, g.next_grade, CAST(p.missing AS INTEGER) AS missing_products,
               s.missing AS missing_sales, CAST(h.missing AS INTEGER) AS missing_shops,
               g.status, g.as_of, g.version, g.run_id, g.computed_at{replaced}
        FROM kpi_grade_version g{joins}
        WHERE g.replaced_at IS {"NULL" if current else "NOT NULL"}"""


V_GRADE = """
        SELECT g.fiscal_year, g.quarter, d.province_code, d.province_name_th, g.district_code,
               d.name_th AS district_name_th, d.name_en AS district_name_en, g.grade, g.status,
               g.products_added, g.products_target, g.products_met, g.sales, g.sales_target,
               g.sales_met, g.shops_registered, g.interested_q1, g.shop_level,
               g.failed_criteria, g.next_grade, g.missing_products, g.missing_sales,
               g.missing_shops, g.as_of, g.version, g.computed_at
        FROM kpi_grade g JOIN district d ON d.district_code = g.district_code"""
"""``v_grade`` as migration 0001 made it (it reads ``kpi_grade``, so it is made again)."""
V_SEED_TABLE = """
        SELECT t.fiscal_year, t.quarter, d.province_code, 0 AS is_total, t.district_code,
               d.name_th AS district_name_th, t.products_target, t.base_sales, t.sales_target,
               t.interested_q1, t.threshold_d, t.threshold_c, t.threshold_b, t.threshold_a
        FROM kpi_target t JOIN district d ON d.district_code = t.district_code
        UNION ALL
        SELECT p.fiscal_year, p.quarter, p.province_code, 1 AS is_total, p.province_code,
               p.name_th, p.products_target, p.base_sales, p.sales_target, p.interested_q1,
               p.threshold_d, p.threshold_c, p.threshold_b, p.threshold_a
        FROM kpi_target_province p"""
"""``v_seed_table`` as migration 0001 made it (SQLite rebuilds the tables it reads)."""
CRITERION_COLUMNS = {
    "kpi_rule": {
        "products_target": sa.Integer(),
        **{
            column: sa.Numeric(precision=7, scale=3)
            for column in (
                "sales_growth_percent",
                "percent_d",
                "percent_c",
                "percent_b",
                "percent_a",
            )
        },
    },
    **{
        table: {
            "products_target": sa.Integer(),
            "base_sales": sa.Numeric(precision=18, scale=2),
            "sales_target": sa.Numeric(precision=18, scale=2),
            "interested_q1": sa.Integer(),
            **{f"threshold_{level}": sa.Integer() for level in "dcba"},
        }
        for table in ("kpi_target", "kpi_target_province")
    },
}
"""The letter's criteria's columns, NULL where a year's rules do not grade the criterion."""


def _criterion_columns_nullable(nullable: bool) -> None:
    op.execute("DROP VIEW v_seed_table")
    for table, columns in CRITERION_COLUMNS.items():
        with op.batch_alter_table(table) as batch_op:
            for column, type_ in columns.items():
                batch_op.alter_column(column, existing_type=type_, nullable=nullable)
    op.execute(f"CREATE VIEW v_seed_table AS {V_SEED_TABLE}")


def _create_views() -> None:
    op.execute(f"CREATE VIEW kpi_grade AS {_pivot(current=True)}")
    op.execute(f"CREATE VIEW kpi_grade_history AS {_pivot(current=False)}")
    op.execute(f"CREATE VIEW v_grade AS {V_GRADE}")


def _copy_to_long_form(table: str, replaced: str) -> None:
    op.execute(
        f"INSERT INTO kpi_grade_version ({KEY}, {HEADER}, replaced_at, replaced_by_run) "
        f"SELECT {KEY}, {HEADER}, {replaced} FROM {table}"
    )
    for position, (name, figures) in enumerate(CRITERIA.items(), start=1):
        unit, actual, target, basis, met, level, missing = figures
        op.execute(
            f"INSERT INTO kpi_grade_criterion ({KEY}, criterion, position, unit, actual, target, "
            f"basis, met, level, missing) SELECT {KEY}, '{name}', {position}, '{unit}', {actual}, "
            f"{target}, "
            f"{basis or 'CAST(NULL AS NUMERIC(18, 2))'}, {met}, "
            f"{level or 'CAST(NULL AS VARCHAR(1))'}, {missing} FROM {table}"
        )


def _wide_columns() -> list[sa.Column]:
    baht = sa.Numeric(precision=18, scale=2)
    return [
        sa.Column("fiscal_year", sa.Integer(), nullable=False),
        sa.Column("quarter", sa.Integer(), nullable=False),
        sa.Column("district_code", sa.String(length=4), nullable=False),
        sa.Column("products_added", sa.Integer(), nullable=False),
        sa.Column("products_target", sa.Integer(), nullable=False),
        sa.Column("products_met", sa.Boolean(), nullable=False),
        sa.Column("sales", baht, nullable=False),
        sa.Column("base_sales", baht, nullable=False),
        sa.Column("sales_target", baht, nullable=False),
        sa.Column("sales_met", sa.Boolean(), nullable=False),
        sa.Column("shops_registered", sa.Integer(), nullable=False),
        sa.Column("interested_q1", sa.Integer(), nullable=False),
        sa.Column("shop_level", sa.String(length=1), nullable=True),
        sa.Column("grade", sa.String(length=1), nullable=True),
        sa.Column("failed_criteria", sa.String(length=40), nullable=False),
        sa.Column("next_grade", sa.String(length=1), nullable=True),
        sa.Column("missing_products", sa.Integer(), nullable=False),
        sa.Column("missing_sales", baht, nullable=False),
        sa.Column("missing_shops", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.String(length=36), nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
    ]


def upgrade() -> None:
    op.execute("DROP VIEW v_grade")
    op.create_table(
        "kpi_grade_version",
        sa.Column("fiscal_year", sa.Integer(), nullable=False),
        sa.Column("quarter", sa.Integer(), nullable=False),
        sa.Column("district_code", sa.String(length=4), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("grade", sa.String(length=1), nullable=True),
        sa.Column("failed_criteria", sa.String(length=200), nullable=False),
        sa.Column("next_grade", sa.String(length=1), nullable=True),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("run_id", sa.String(length=36), nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("replaced_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("replaced_by_run", sa.String(length=36), nullable=True),
        sa.ForeignKeyConstraint(
            ["district_code"],
            ["district.district_code"],
            name=op.f("fk_kpi_grade_version_district_code_district"),
        ),
        sa.PrimaryKeyConstraint(
            "fiscal_year", "quarter", "district_code", "version", name=op.f("pk_kpi_grade_version")
        ),
    )
    op.create_table(
        "kpi_grade_criterion",
        sa.Column("fiscal_year", sa.Integer(), nullable=False),
        sa.Column("quarter", sa.Integer(), nullable=False),
        sa.Column("district_code", sa.String(length=4), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("criterion", sa.String(length=40), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("unit", sa.String(length=8), nullable=False),
        sa.Column("actual", sa.Numeric(precision=18, scale=2), nullable=False),
        sa.Column("target", sa.Numeric(precision=18, scale=2), nullable=False),
        sa.Column("basis", sa.Numeric(precision=18, scale=2), nullable=True),
        sa.Column("met", sa.Boolean(), nullable=False),
        sa.Column("level", sa.String(length=1), nullable=True),
        sa.Column("missing", sa.Numeric(precision=18, scale=2), nullable=False),
        sa.ForeignKeyConstraint(
            ["fiscal_year", "quarter", "district_code", "version"],
            [
                "kpi_grade_version.fiscal_year",
                "kpi_grade_version.quarter",
                "kpi_grade_version.district_code",
                "kpi_grade_version.version",
            ],
            name=op.f("fk_kpi_grade_criterion_fiscal_year_kpi_grade_version"),
        ),
        sa.PrimaryKeyConstraint(
            "fiscal_year",
            "quarter",
            "district_code",
            "version",
            "criterion",
            name=op.f("pk_kpi_grade_criterion"),
        ),
    )
    _copy_to_long_form("kpi_grade", "CAST(NULL AS TIMESTAMP), CAST(NULL AS VARCHAR(36))")
    _copy_to_long_form("kpi_grade_history", "replaced_at, replaced_by_run")
    op.drop_table("kpi_grade_history")
    op.drop_table("kpi_grade")
    _create_views()
    _criterion_columns_nullable(True)


def downgrade() -> None:
    _criterion_columns_nullable(False)
    for view in ("v_grade", "kpi_grade", "kpi_grade_history"):
        op.execute(f"DROP VIEW {view}")
    op.create_table(
        "kpi_grade_history",
        *[
            sa.Column(c.name, c.type, nullable=c.nullable)
            for c in _wide_columns()
            if c.name != "version"
        ],
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("replaced_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("replaced_by_run", sa.String(length=36), nullable=False),
        sa.PrimaryKeyConstraint(
            "fiscal_year", "quarter", "district_code", "version", name=op.f("pk_kpi_grade_history")
        ),
    )
    op.create_table(
        "kpi_grade",
        *_wide_columns(),
        sa.ForeignKeyConstraint(
            ["district_code"],
            ["district.district_code"],
            name=op.f("fk_kpi_grade_district_code_district"),
        ),
        sa.PrimaryKeyConstraint(
            "fiscal_year", "quarter", "district_code", name=op.f("pk_kpi_grade")
        ),
    )
    columns = ", ".join(c.name for c in _wide_columns())
    op.execute(f"INSERT INTO kpi_grade ({columns}) SELECT {columns} FROM ({_pivot(True)}) w")
    op.execute(
        f"INSERT INTO kpi_grade_history ({columns}, replaced_at, replaced_by_run) "
        f"SELECT {columns}, replaced_at, replaced_by_run FROM ({_pivot(False)}) w"
    )
    op.drop_table("kpi_grade_criterion")
    op.drop_table("kpi_grade_version")
    op.execute(f"CREATE VIEW v_grade AS {V_GRADE}")
