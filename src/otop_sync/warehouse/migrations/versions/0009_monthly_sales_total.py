"""``monthly_sales_total``: sales per district and month, kept by every load of sales in its
transaction, summed here once from the rows already loaded

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30 11:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "monthly_sales_total",
        sa.Column("district_code", sa.String(4), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("province_code", sa.String(2), nullable=False),
        sa.Column("amount", sa.Numeric(18, 2), nullable=False),
        sa.Column("rows_summed", sa.Integer(), nullable=False),
        sa.Column("recorded_until", sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint("district_code", "month", name="pk_monthly_sales_total"),
    )
    exact_sum = (
        "sum(amount)"
        if op.get_bind().dialect.name == "postgresql"
        else "sum(round(amount * 100)) / 100.0"
    )
    op.execute(
        "INSERT INTO monthly_sales_total (district_code, month, province_code, amount, "
        f"rows_summed, recorded_until) SELECT district_code, month, min(province_code), "
        f"{exact_sum}, count(*), max(recorded_on) FROM monthly_sales GROUP BY district_code, month"
    )


def downgrade() -> None:
    op.drop_table("monthly_sales_total")
