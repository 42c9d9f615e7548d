"""The warehouse: SQLAlchemy models, Alembic migrations, loaders and views."""
