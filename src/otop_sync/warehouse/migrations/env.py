"""Alembic environment: migrations run by otop-sync itself on the connection it passes."""

from __future__ import annotations

from alembic import context

from otop_sync.warehouse.models import Base

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - otop-sync always passes its connection
    raise RuntimeError("run migrations with `otop-sync db upgrade`")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
