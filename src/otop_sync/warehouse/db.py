"""Connecting to the warehouse and bringing its schema up to date.

One code path for both engines: a SQLite file by default, PostgreSQL by URL. Migrations are
Alembic's, run by otop-sync itself (``otop-sync db upgrade``, and before every sync).
"""

from __future__ import annotations

from decimal import Decimal
from importlib.resources import files
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import ColumnElement, Connection, Engine, create_engine, event, func, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, OperationalError

from otop_sync.errors import OtopSyncError


class WarehouseError(OtopSyncError):
    """The warehouse cannot be reached or is not in a state otop-sync can use."""


def normalize_url(url: str) -> str:
    """A SQLAlchemy URL with the driver otop-sync uses (psycopg 3 for PostgreSQL); a path or
    anything that is not a URL is refused with an example of one."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise WarehouseError(
            f"{url!r} is not a warehouse URL: write sqlite:///{url} for a SQLite file, or "
            "postgresql://user@host:5432/db"
        ) from None
    if parsed.drivername in {"postgresql", "postgres"}:
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def make_engine(url: str, **kwargs: object) -> Engine:
    """An engine for the warehouse URL; SQLite gets foreign keys, WAL and a busy timeout."""
    engine = create_engine(normalize_url(url), **kwargs)  # type: ignore[arg-type]
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin_immediate)
    return engine


def _sqlite_pragmas(dbapi_connection: object, _record: object) -> None:
    dbapi_connection.isolation_level = None  # type: ignore[attr-defined]  # we say BEGIN ourselves
    cursor = dbapi_connection.cursor()  # type: ignore[attr-defined]
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=60000")
    cursor.close()


def _sqlite_begin_immediate(connection: object) -> None:
    """Take SQLite's write lock when a transaction starts: a second writer then waits (busy
    timeout) instead of failing when it tries to upgrade a read lock mid-transaction."""
    connection.exec_driver_sql("BEGIN IMMEDIATE")  # type: ignore[attr-defined]


def _alembic_config() -> Config:
    config = Config()
    config.set_main_option(
        "script_location", str(Path(str(files("otop_sync.warehouse") / "migrations")))
    )
    return config


def head_revision() -> str:
    """The newest migration otop-sync ships."""
    return ScriptDirectory.from_config(_alembic_config()).get_current_head() or ""


def current_revision(engine: Engine) -> str | None:
    """The migration the warehouse is at (None if it has none)."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def check_reachable(engine: Engine) -> None:
    """Connect once, turning a refusal into a one-line error without the password."""
    try:
        with engine.connect():
            pass
    except OperationalError as error:
        reason = str(error.orig).strip().splitlines()[0]
        where = engine.url.render_as_string(hide_password=True)
        raise WarehouseError(f"cannot reach the warehouse at {where}: {reason}") from None


def upgrade(engine: Engine) -> str:
    """Migrate the warehouse to the newest schema and refresh the district table."""
    from otop_sync.warehouse.loaders import sync_districts

    config = _alembic_config()
    check_reachable(engine)
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            # One migration at a time, however many workers start together.
            connection.execute(text("SELECT pg_advisory_xact_lock(hashtext('otop-sync-migrate'))"))
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
        sync_districts(connection)
    return head_revision()


def satang_sum(connection: Connection, amount: ColumnElement[Decimal]) -> ColumnElement[Decimal]:
    """The sum of baht amounts in whole satang, exact on both engines: PostgreSQL adds NUMERIC
    exactly (and faster than rounding millions of rows one by one); SQLite keeps NUMERIC as
    floating point, so each amount is rounded to whole satang before they are added."""
    if connection.dialect.name == "postgresql":
        return func.sum(amount) * 100
    return func.sum(func.round(amount * 100))
