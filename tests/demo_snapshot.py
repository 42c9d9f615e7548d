"""What the demo leaves behind, as plain data: grades, targets, every analyst view and the
report files. A test compares it with ``fixtures/demo_snapshot.json`` so that refactoring cannot
change what users see; after an intended change, write the fixture again with
``python -m tests.demo_snapshot DEMO_FOLDER > tests/fixtures/demo_snapshot.json``."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from sqlalchemy import inspect, text

from otop_sync.warehouse.db import make_engine

FIXTURE = Path(__file__).parent / "fixtures" / "demo_snapshot.json"
VOLATILE = frozenset(
    {
        *("run_id", "computed_at", "replaced_at", "replaced_by_run"),
        *("loading_runs", "graded_by_run", "file_names"),
    }
)
"""Columns that differ on every run: ids, clock times, and the mock's URLs (their port)."""
TABLES = ("kpi_grade", "kpi_target", "kpi_target_province", "kpi_rule")
REPORTS = ("csv", "md")


def _rows(connection, name: str) -> list[dict[str, str | None]]:
    result = connection.execute(text(f'SELECT * FROM "{name}"'))
    columns = [c for c in result.keys() if c not in VOLATILE]  # noqa: SIM118 - a Result, not a dict
    rows = [
        {c: None if row[c] is None else str(row[c]) for c in columns} for row in result.mappings()
    ]
    return sorted(rows, key=lambda r: json.dumps(r, ensure_ascii=False, sort_keys=True))


def demo_snapshot(folder: Path) -> dict[str, object]:
    """The demo's grades, targets, views and reports in ``folder`` (see module docstring)."""
    engine = make_engine(f"sqlite:///{folder / 'otop.db'}")
    with engine.connect() as connection:
        views = sorted(inspect(connection).get_view_names())
        snapshot: dict[str, object] = {
            "tables": {name: _rows(connection, name) for name in TABLES},
            "views": {name: _rows(connection, name) for name in views},
        }
    engine.dispose()
    reports = folder / "otop-data" / "reports"
    snapshot["reports"] = {
        suffix: (reports / f"otop_57_2567Q2.{suffix}").read_bytes().decode("utf-8-sig")
        for suffix in REPORTS
    }
    return snapshot


if __name__ == "__main__":
    json.dump(demo_snapshot(Path(sys.argv[1])), sys.stdout, ensure_ascii=False, indent=1)
    sys.stdout.write("\n")
