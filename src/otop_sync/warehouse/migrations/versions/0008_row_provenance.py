"""Every loaded row says where it came from: ``source_line`` (its line in the raw payload named
by ``raw_sha256``, loaded by ``run_id``) on every table a dataset loads, and the view
``v_grade_lineage``: one row per current grade with the raw files and runs behind it

``source_line`` is NULL for rows loaded before this revision.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30 04:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

LOADED_TABLES = (
    "product_registration",
    "monthly_sales",
    "monthly_sales_history",
    "shop_registration",
    "kpi_baseline",
    "shop_report_response",
)
"""Every table a dataset of the catalog loads (and the sales history), in creation order."""


def _month_start(index: str, dialect: str) -> str:
    """SQL for the first day of a month given as ``year * 12 + month - 1`` (CE)."""
    if dialect == "postgresql":
        return f"make_date(({index}) / 12, ({index}) % 12 + 1, 1)"
    return f"printf('%04d-%02d-01', ({index}) / 12, ({index}) % 12 + 1)"


def _aggregate(expression: str, dialect: str) -> str:
    """SQL joining the distinct values of ``expression``, comma-separated."""
    if dialect == "postgresql":
        return f"string_agg(DISTINCT {expression}, ',' ORDER BY {expression})"
    return f"group_concat(DISTINCT {expression})"


def lineage_view(dialect: str) -> str:
    """``v_grade_lineage``: per current grade, the payloads (sha256, where they came from) and
    the runs that loaded the rows it was graded from: the district's product and Shop ชุมชน
    registrations made by the quarter's end, its sales (current and replaced) of the quarter
    and of the base year's same quarter, and its baseline row of the fiscal year."""
    first = "(g.fiscal_year - 544) * 12 + 9 + 3 * (g.quarter - 1)"
    base_first = "(r.base_year - 544) * 12 + 9 + 3 * (g.quarter - 1)"
    start, end = _month_start(first, dialect), _month_start(f"{first} + 3", dialect)
    base_start = _month_start(base_first, dialect)
    base_end = _month_start(f"{base_first} + 3", dialect)
    in_months = (
        f"((x.month >= {start} AND x.month < {end}) "
        f"OR (x.month >= {base_start} AND x.month < {base_end}))"
    )
    sources = f"""
        SELECT g.fiscal_year, g.quarter, g.district_code, g.version, x.raw_sha256, x.run_id
        FROM kpi_grade_version g JOIN product_registration x
          ON x.district_code = g.district_code AND x.registered_on < {end}
        WHERE g.replaced_at IS NULL
        UNION
        SELECT g.fiscal_year, g.quarter, g.district_code, g.version, x.raw_sha256, x.run_id
        FROM kpi_grade_version g JOIN shop_registration x
          ON x.district_code = g.district_code AND x.registered_on < {end}
        WHERE g.replaced_at IS NULL
        UNION
        SELECT g.fiscal_year, g.quarter, g.district_code, g.version, x.raw_sha256, x.run_id
        FROM kpi_grade_version g JOIN kpi_rule r ON r.fiscal_year = g.fiscal_year
        JOIN monthly_sales x ON x.district_code = g.district_code AND {in_months}
        WHERE g.replaced_at IS NULL
        UNION
        SELECT g.fiscal_year, g.quarter, g.district_code, g.version, x.raw_sha256, x.run_id
        FROM kpi_grade_version g JOIN kpi_rule r ON r.fiscal_year = g.fiscal_year
        JOIN monthly_sales_history x ON x.district_code = g.district_code AND {in_months}
        WHERE g.replaced_at IS NULL
        UNION
        SELECT g.fiscal_year, g.quarter, g.district_code, g.version, x.raw_sha256, x.run_id
        FROM kpi_grade_version g JOIN kpi_baseline x
          ON x.district_code = g.district_code AND x.fiscal_year = g.fiscal_year
        WHERE g.replaced_at IS NULL"""
    return f"""
        SELECT g.fiscal_year, g.quarter, g.district_code, d.name_th AS district_name_th,
               g.version, g.grade, g.status, g.as_of, g.run_id AS graded_by_run,
               COUNT(DISTINCT s.raw_sha256) AS raw_files,
               {_aggregate("s.raw_sha256", dialect)} AS raw_sha256s,
               {_aggregate("f.location", dialect)} AS file_names,
               {_aggregate("s.run_id", dialect)} AS loading_runs
        FROM kpi_grade_version g
        JOIN district d ON d.district_code = g.district_code
        LEFT JOIN ({sources}) s
          ON s.fiscal_year = g.fiscal_year AND s.quarter = g.quarter
         AND s.district_code = g.district_code AND s.version = g.version
        LEFT JOIN raw_file f ON f.sha256 = s.raw_sha256
        WHERE g.replaced_at IS NULL
        GROUP BY g.fiscal_year, g.quarter, g.district_code, d.name_th, g.version, g.grade,
                 g.status, g.as_of, g.run_id"""


def upgrade() -> None:
    for table in LOADED_TABLES:
        op.add_column(table, sa.Column("source_line", sa.Integer(), nullable=True))
    op.execute(f"CREATE VIEW v_grade_lineage AS {lineage_view(op.get_bind().dialect.name)}")


def downgrade() -> None:
    op.execute("DROP VIEW v_grade_lineage")
    for table in reversed(LOADED_TABLES):
        op.execute(f"ALTER TABLE {table} DROP COLUMN source_line")
