"""The record of consumed payloads lives in the warehouse (it was a file in the data folder)

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30 01:50:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "consumed_payload",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("request_key", sa.Text(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("dataset", sa.String(length=20), nullable=False),
        sa.Column("run_id", sa.String(length=36), nullable=False),
        sa.Column("consumed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"], ["sync_run.run_id"], name=op.f("fk_consumed_payload_run_id_sync_run")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consumed_payload")),
    )
    with op.batch_alter_table("consumed_payload") as batch:
        batch.create_index(batch.f("ix_consumed_payload_request_key"), ["request_key"])
        batch.create_index(batch.f("ix_consumed_payload_sha256"), ["sha256"])
        batch.create_index(batch.f("ix_consumed_payload_run_id"), ["run_id"])


def downgrade() -> None:
    op.drop_table("consumed_payload")
