"""The Shop ชุมชน report form's responses (dataset ``form_responses``)

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30 02:50:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "shop_report_response",
        sa.Column("district_code", sa.String(length=4), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("submitted_at", sa.DateTime(), nullable=False),
        sa.Column("province_code", sa.String(length=2), nullable=False),
        sa.Column("producers", sa.Integer(), nullable=False),
        sa.Column("centres", sa.Integer(), nullable=False),
        sa.Column("raw_sha256", sa.String(length=64), nullable=False),
        sa.Column("run_id", sa.String(length=36), nullable=False),
        sa.ForeignKeyConstraint(
            ["district_code"],
            ["district.district_code"],
            name=op.f("fk_shop_report_response_district_code_district"),
        ),
        sa.PrimaryKeyConstraint(
            "district_code", "month", "submitted_at", name=op.f("pk_shop_report_response")
        ),
    )


def downgrade() -> None:
    op.drop_table("shop_report_response")
