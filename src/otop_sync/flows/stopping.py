"""Stopping when asked: a TERM (from a shell, a service manager, or Prefect cancelling the run)
ends the process within seconds, also while a step waits to retry.

Whatever the run had not committed is rolled back by the database when the process's
connections close, so the warehouse stays as it was. First the runs this process has open are
marked cancelled with the reason; if the warehouse is busy (SQLite locked by the very load being
stopped), that is left to the next run on the machine, which marks them crashed.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from datetime import UTC, datetime
from types import FrameType

from sqlalchemy.exc import SQLAlchemyError

from otop_sync.flows.settings import Settings
from otop_sync.warehouse.db import make_engine
from otop_sync.warehouse.models import SyncRun

ACTIVE_RUNS: set[str] = set()
"""Run ids this process has started and not yet finished."""
MARK_TIMEOUT_SECONDS = 2


def stop_on_terminate() -> None:
    """Make a TERM stop this process (see module docstring); only the main thread can."""
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _terminate)


def _terminate(signum: int, _frame: FrameType | None) -> None:
    reason = f"stopped by {signal.Signals(signum).name}"
    try:
        _mark_cancelled(reason)
        _stop_temporary_prefect_server()
        print(
            f"otop-sync: {reason}; what the run had not committed was rolled back",
            file=sys.stderr,
        )
        sys.stderr.flush()
    finally:  # whatever happened above, the process ends as asked
        os._exit(128 + signum)


def _stop_temporary_prefect_server() -> None:
    """End the temporary Prefect API a command started for itself, so it does not outlive us."""
    from prefect.server.api.server import SubprocessASGIServer

    for server in list(SubprocessASGIServer._instances.values()):
        if server.server_process is not None and server.server_process.poll() is None:
            server.server_process.terminate()


def _mark_cancelled(reason: str) -> None:
    if not ACTIVE_RUNS:
        return
    engine = make_engine(Settings().warehouse_url)
    runs = SyncRun.__table__
    try:
        with engine.connect() as connection:
            if connection.dialect.name == "sqlite":  # on the driver's connection: no autobegin
                connection.connection.driver_connection.execute(  # type: ignore[union-attr]
                    f"PRAGMA busy_timeout = {MARK_TIMEOUT_SECONDS * 1000}"
                )
            with connection.begin():
                if connection.dialect.name == "postgresql":
                    connection.exec_driver_sql(
                        f"SET LOCAL lock_timeout = '{MARK_TIMEOUT_SECONDS}s'"
                    )
                connection.execute(
                    runs.update()
                    .where(runs.c.run_id.in_(sorted(ACTIVE_RUNS)), runs.c.status == "running")
                    .values(
                        status="cancelled",
                        message=reason,
                        finished_at=datetime.now(UTC),
                        rows_loaded=0,
                    )
                )
    except SQLAlchemyError as error:  # busy with the load being stopped: the next run marks it
        print(
            f"otop-sync: runs not marked cancelled ({error.__class__.__name__}: "
            f"{str(getattr(error, 'orig', error)).splitlines()[0]}); the next run on this "
            "machine marks them crashed",
            file=sys.stderr,
        )
    finally:
        engine.dispose()
