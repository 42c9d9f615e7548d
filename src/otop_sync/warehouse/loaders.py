"""Loading typed source rows, targets and grades into the warehouse.

Every function here works inside the caller's transaction (one per run): a failure anywhere
rolls the whole run back. Source rows go into a temporary staging table (PostgreSQL ``COPY``;
SQLite ``executemany``) and then into their table with one ``INSERT … ON CONFLICT DO UPDATE``
keyed by the natural key, which only touches rows whose values changed; re-loading the same
inputs changes nothing. Sales corrections (a later วันที่บันทึก) replace the value and move the
replaced one to ``monthly_sales_history``; a grade that changes gets a new version and keeps the
previous one (``kpi_grade_history`` shows it).
"""

from __future__ import annotations

import io
import os
import socket
import uuid
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from operator import attrgetter

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv
from sqlalchemy import (
    Column,
    Connection,
    MetaData,
    Table,
    and_,
    bindparam,
    delete,
    func,
    insert,
    or_,
    select,
    text,
    tuple_,
)
from sqlalchemy.dialects import postgresql, sqlite

from otop_sync.datasets import DatasetSpec, LoadTarget
from otop_sync.datasets.base import LOADED_PROVENANCE, Totals
from otop_sync.errors import OtopSyncError
from otop_sync.transforms.deltas import group_codes, latest_sales
from otop_sync.transforms.districts import district_table, province
from otop_sync.transforms.grades import count_or_none
from otop_sync.transforms.quarantine import Quarantined, join_reasons
from otop_sync.warehouse.db import satang_sum
from otop_sync.warehouse.models import (
    Base,
    ConsumedPayload,
    District,
    KpiGradeCriterion,
    KpiGradeVersion,
    KpiRule,
    KpiTarget,
    KpiTargetProvince,
    Quarantine,
    RawFileRecord,
    SyncRun,
    ValidationResult,
)

LOAD_LOCK = "otop-sync-load"
QUARTER_KEY = ("fiscal_year", "quarter", "district_code")
"""Targets and grades are kept per fiscal year, quarter and district."""
COPY_CHUNK_ROWS = 100_000
"""Rows sent per bulk-insert chunk (a PostgreSQL COPY chunk, about 17 MB of CSV for sales rows;
a SQLite executemany), so that the load holds one small chunk at a time beside its rows."""


@dataclass(frozen=True)
class MergeCounts:
    """What a merge did: rows offered, inserted, updated, and kept in history."""

    offered: int
    inserted: int
    updated: int
    history: int = 0
    renumbered: int = 0
    """Loaded rows found again under a new code (identity drift) and replaced by it."""

    @property
    def unchanged(self) -> int:
        """Rows offered that matched what the warehouse already had."""
        return self.offered - self.inserted - self.updated - self.history


class UnknownDistrictError(OtopSyncError):
    """Rows name a district code the warehouse does not know."""


def _repeated_keys(frame: pd.DataFrame, key: Sequence[str]) -> np.ndarray:
    """Rows whose key appears more than once (cheap on millions of rows: integer codes)."""
    return pd.Series(group_codes(frame, key)).duplicated(keep=False).to_numpy()


def lock_for_load(connection: Connection) -> None:
    """Serialise loads: on PostgreSQL a transaction-level advisory lock (two workers wait for
    each other instead of interleaving); SQLite already allows one writer at a time."""
    if connection.dialect.name == "postgresql":
        connection.execute(
            text("SELECT pg_advisory_xact_lock(hashtext(:name))"), {"name": LOAD_LOCK}
        )


def _insert(connection: Connection):  # type: ignore[no-untyped-def]
    return (postgresql if connection.dialect.name == "postgresql" else sqlite).insert


def sync_districts(connection: Connection) -> None:
    """Make the district table hold every district geothai knows, with current names."""
    districts = district_table()
    districts["province_name_th"] = [province(code).name_th for code in districts["province_code"]]
    table = District.__table__
    statement = _insert(connection)(table)
    statement = statement.on_conflict_do_update(
        index_elements=["district_code"],
        set_={
            c: statement.excluded[c]
            for c in ("province_code", "name_th", "name_en", "province_name_th")
        },
    )
    connection.execute(statement, districts.to_dict("records"))


def _stage(connection: Connection, target: Table, frame: pd.DataFrame) -> Table:
    """A temporary copy of ``target``'s columns holding ``frame`` (bulk-loaded)."""
    name = f"stage_{target.name}_{uuid.uuid4().hex[:8]}"
    columns = [Column(c.name, c.type) for c in target.columns if c.name in frame.columns]
    stage = Table(name, MetaData(), *columns, prefixes=["TEMPORARY"])
    stage.create(connection)
    _bulk_insert(connection, stage, frame)
    return stage


def _bulk_insert(connection: Connection, table: Table, frame: pd.DataFrame) -> None:
    """Insert ``frame``'s rows into the table's columns it has: PostgreSQL ``COPY``, SQLite
    one ``executemany``."""
    columns = [c for c in table.columns if c.name in frame.columns]
    ordered = frame[[c.name for c in columns]]
    if connection.dialect.name == "postgresql":
        _copy(connection, table.name, columns, ordered)
    else:
        _insert_many(connection, table.name, columns, ordered)


def _bound_values(connection: Connection, column: Column, values: pd.Series) -> np.ndarray:
    """A column's values as the driver takes them, bound as SQLAlchemy binds them (a date as
    ISO text, an amount as a number on SQLite), each distinct value converted once."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    bind = column.type.dialect_impl(connection.dialect).bind_processor(connection.dialect)
    plain = [None if pd.isna(v) else bind(v) if bind else v for v in uniques.tolist()]
    return np.array([*plain, None], dtype=object)[codes]  # code -1 (missing): the None


def _insert_many(
    connection: Connection, table_name: str, columns: list[Column], frame: pd.DataFrame
) -> None:
    """SQLite: ``executemany`` of plain tuples, :data:`COPY_CHUNK_ROWS` at a time (no per-row
    dict or statement compilation: millions of rows)."""
    if frame.empty:
        return
    names = ", ".join(f'"{c.name}"' for c in columns)
    statement = f'INSERT INTO "{table_name}" ({names}) VALUES ({", ".join("?" for _ in columns)})'
    values = [_bound_values(connection, c, frame[c.name]) for c in columns]
    for start in range(0, len(frame), COPY_CHUNK_ROWS):
        chunk = [column[start : start + COPY_CHUNK_ROWS] for column in values]
        connection.exec_driver_sql(statement, list(zip(*chunk, strict=True)))


def _is_empty(connection: Connection, table: Table) -> bool:
    return connection.execute(select(table.c[0]).limit(1)).first() is None


REBUILD_KEY_ROWS = 100_000
"""From this many rows, a load into an empty PostgreSQL table drops its primary key too and
builds it once the rows are in: one sorted build instead of an index insertion per row (about
half the time of a national sales load)."""


INDEX_BUILD_MEMORY = "256MB"
"""PostgreSQL's memory for building the indexes of a large load (the default, 64 MB, sorts a
national sales key on disk)."""


def _rebuildable_key(connection: Connection, table: Table) -> str | None:
    """The name of the table's primary key, when no foreign key refers to it."""
    return connection.execute(
        text(
            "SELECT conname FROM pg_constraint WHERE conrelid = to_regclass(:t) "
            "AND contype = 'p' AND NOT EXISTS (SELECT 1 FROM pg_constraint r "
            "WHERE r.confrelid = to_regclass(:t) AND r.contype = 'f')"
        ),
        {"t": f'"{table.name}"'},
    ).scalar()


def _load_into_empty(
    connection: Connection, table: Table, frame: pd.DataFrame, totals: Totals | None = None
) -> None:
    """Bulk-load rows straight into an empty table: on PostgreSQL its secondary indexes are
    dropped first and built once afterwards (cheaper than keeping them up to date row by row),
    and so is its primary key for a large load (:data:`REBUILD_KEY_ROWS`); building the key
    checks it, so a repeated key still fails the load. The table is then analyzed: what the
    run reads next in its transaction (the grading's aggregates over millions of sales) is
    planned on the rows loaded, not on guesses for a table autovacuum has not seen. Its
    ``totals`` are summed from it whole."""
    if connection.dialect.name != "postgresql":
        _bulk_insert(connection, table, frame)
        _refresh_totals(connection, totals, table)
        return
    indexes = list(table.indexes)
    key = _rebuildable_key(connection, table) if len(frame) >= REBUILD_KEY_ROWS else None
    for index in indexes:
        index.drop(connection)
    if key is not None:
        connection.execute(text(f'ALTER TABLE "{table.name}" DROP CONSTRAINT "{key}"'))
        connection.execute(text(f"SET LOCAL maintenance_work_mem = '{INDEX_BUILD_MEMORY}'"))
    _bulk_insert(connection, table, frame)
    if key is not None:
        columns = ", ".join(f'"{c.name}"' for c in table.primary_key.columns)
        connection.execute(
            text(f'ALTER TABLE "{table.name}" ADD CONSTRAINT "{key}" PRIMARY KEY ({columns})')
        )
    for index in indexes:
        index.create(connection)
    connection.execute(text(f'ANALYZE "{table.name}"'))
    _refresh_totals(connection, totals, table)


def _refresh_totals(
    connection: Connection, totals: Totals | None, table: Table, touched: Table | None = None
) -> None:
    """Sum again, from ``table`` as it now is, the keys of its ``totals`` that the staged rows
    ``touched`` hold (every key when None: the table was loaded whole)."""
    if totals is None:
        return
    total = warehouse_table(connection, totals.table)
    by = [table.c[c] for c in totals.by]
    sums = select(
        *by,
        *(func.min(table.c[c]) for c in totals.carried),
        satang_sum(connection, table.c.amount) / 100,
        func.count(),
        func.max(table.c.recorded_on),
    ).group_by(*by)
    clear = delete(total)
    if touched is not None:
        keys = select(*(touched.c[c] for c in totals.by)).distinct()
        sums = sums.where(tuple_(*by).in_(keys))
        clear = clear.where(tuple_(*(total.c[c] for c in totals.by)).in_(keys))
    columns = [*totals.by, *totals.carried, "amount", "rows_summed", "recorded_until"]
    connection.execute(clear)
    connection.execute(insert(total).from_select(columns, sums))


def _arrow_type(column: Column) -> pa.DataType:
    python = column.type.python_type
    if python is Decimal:
        return pa.decimal128(column.type.precision or 18, column.type.scale or 2)  # type: ignore[attr-defined]
    if python is date:
        return pa.date32()
    if python is datetime:
        return pa.timestamp("us", tz="UTC" if column.type.timezone else None)  # type: ignore[attr-defined]
    if python is int:
        return pa.int64()
    if python is bool:
        return pa.bool_()
    return pa.string()


def _copy(
    connection: Connection, table_name: str, columns: list[Column], frame: pd.DataFrame
) -> None:
    """PostgreSQL COPY of a frame into a table's ``columns``, as CSV written by pyarrow."""
    schema = pa.schema([pa.field(c.name, _arrow_type(c)) for c in columns])
    cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
    names = ", ".join(f'"{c.name}"' for c in columns)
    with cursor.copy(f'COPY "{table_name}" ({names}) FROM STDIN (FORMAT csv)') as copy:
        for start in range(0, len(frame), COPY_CHUNK_ROWS):
            chunk = pa.Table.from_pandas(
                frame.iloc[start : start + COPY_CHUNK_ROWS], schema=schema, preserve_index=False
            )
            buffer = io.BytesIO()
            pa_csv.write_csv(chunk, buffer, pa_csv.WriteOptions(include_header=False))
            copy.write(buffer.getvalue())


def _distinct(connection: Connection, left: str, right: str) -> str:
    operator = "IS DISTINCT FROM" if connection.dialect.name == "postgresql" else "IS NOT"
    return f"{left} {operator} {right}"


def _merge(
    connection: Connection,
    target: Table,
    stage: Table,
    key: Sequence[str],
    condition: str,
    totals: Totals | None = None,
) -> tuple[int, int]:
    """Update the target's rows whose staged values differ (``condition``, comparing ``t``
    with ``s``), insert the staged rows it lacks, sum again the target's ``totals`` of the
    keys staged, drop the stage; returns (inserted, updated).

    Two plain statements rather than ``ON CONFLICT``: under the load lock no other writer can
    add a key in between, and a plain insert of new rows is as fast as COPY into the table.
    """
    columns = [c.name for c in stage.columns]
    matches = " AND ".join(f't."{k}" = s."{k}"' for k in key)
    assignments = ", ".join(f'"{c}" = s."{c}"' for c in columns if c not in key)
    updated = connection.execute(
        text(
            f'UPDATE "{target.name}" AS t SET {assignments} FROM "{stage.name}" AS s '
            f"WHERE {matches} AND ({condition})"
        )
    ).rowcount
    quoted = ", ".join(f'"{c}"' for c in columns)
    selected = ", ".join(f's."{c}"' for c in columns)
    inserted = connection.execute(
        text(
            f'INSERT INTO "{target.name}" ({quoted}) SELECT {selected} FROM "{stage.name}" AS s '
            f'WHERE NOT EXISTS (SELECT 1 FROM "{target.name}" AS t WHERE {matches})'
        )
    ).rowcount
    _refresh_totals(connection, totals, target, stage)
    stage.drop(connection)
    return inserted, updated


def _changed_any(connection: Connection, columns: Iterable[str]) -> str:
    return " OR ".join(_distinct(connection, f't."{c}"', f's."{c}"') for c in columns)


def _merge_rows(
    connection: Connection,
    target: Table,
    frame: pd.DataFrame,
    key: Sequence[str],
    run_id: str,
    totals: Totals | None = None,
) -> MergeCounts:
    frame = frame.assign(run_id=run_id)
    if _is_empty(connection, target):
        _load_into_empty(connection, target, frame, totals)
        return MergeCounts(len(frame), len(frame), 0)
    compared = [c for c in frame.columns if c not in (*key, *LOADED_PROVENANCE)]
    stage = _stage(connection, target, frame)
    changed = _changed_any(connection, compared)
    inserted, updated = _merge(connection, target, stage, key, changed, totals)
    return MergeCounts(len(frame), inserted, updated)


def warehouse_table(connection: Connection, name: str) -> Table:
    """A table by name: the model's, or (for a dataset whose table only a migration declares)
    read from the database."""
    table = Base.metadata.tables.get(name)
    return table if table is not None else Table(name, MetaData(), autoload_with=connection)


def load_rows(
    connection: Connection, spec: DatasetSpec, rows: pd.DataFrame, run_id: str
) -> MergeCounts:
    """Upsert a dataset's typed rows into its table by its natural key (see module docstring);
    a target with corrections keeps the latest recorded value and the replaced ones in history."""
    target = spec.target
    if target is None:
        raise OtopSyncError(f"{spec.name} is not loaded into the warehouse")
    frame = target.loaded_frame(rows)
    table = warehouse_table(connection, target.table)
    _check_not_null(table, rows, spec.name)
    if target.corrections:
        return _load_corrections(connection, spec.name, target, table, frame, run_id)
    return _merge_rows(connection, table, frame, target.key, run_id, target.totals)


class MissingValueError(OtopSyncError):
    """Rows about to be loaded lack a value their table requires (a bug upstream: a cell typed
    to nothing without a reason); nothing is loaded."""


def _check_not_null(table: Table, frame: pd.DataFrame, dataset: str) -> None:
    """Refuse a frame with an empty value in a column the table requires, naming the lines."""
    for column in table.columns:
        if column.nullable or column.name not in frame.columns:
            continue
        empty = frame[column.name].isna().to_numpy()
        if empty.any():
            lines = frame["line"][empty].head(5) if "line" in frame else []
            where = f" (lines {', '.join(str(int(x)) for x in lines)})" if len(lines) else ""
            raise MissingValueError(
                f"{dataset}: {int(empty.sum())} row(s) have no {column.name}{where}; nothing loaded"
            )


def _check_districts(connection: Connection, stage: Table, dataset: str) -> None:
    """Refuse rows naming a district the warehouse does not know (checked once per load
    instead of a per-row foreign key, which costs more than the merge itself)."""
    unknown = (
        connection.execute(
            text(
                f'SELECT DISTINCT s.district_code FROM "{stage.name}" s LEFT JOIN district d '
                "ON d.district_code = s.district_code WHERE d.district_code IS NULL"
            )
        )
        .scalars()
        .all()
    )
    _refuse_unknown(unknown, f"{dataset} rows")


def _check_districts_known(connection: Connection, codes: Iterable[str], what: str) -> None:
    """Refuse rows grading writes for a district the warehouse does not know (the district
    table read once: a thousand codes, where a per-row foreign key checked each row)."""
    known = set(connection.execute(select(District.district_code)).scalars())
    _refuse_unknown(set(codes) - known, what)


def _refuse_unknown(unknown: Iterable[str], what: str) -> None:
    if unknown:
        raise UnknownDistrictError(f"{what} name unknown districts: {', '.join(sorted(unknown))}")


def _load_corrections(
    connection: Connection,
    dataset: str,
    target: LoadTarget,
    table: Table,
    rows: pd.DataFrame,
    run_id: str,
) -> MergeCounts:
    """Merge rows where the latest ``recorded_on`` wins (see :func:`load_rows`).

    A replaced value goes to the history table once, when it is replaced: the warehouse's
    value replaced by a later recording, or an earlier recording that a later row of the same
    export replaces. A value already in history (an export that still carries a correction
    already loaded) is not added again. An older row than the warehouse's is kept out of the
    table (it is not news) but still counted as offered.
    """
    key = list(target.key)
    frame = rows.assign(run_id=run_id).reset_index(drop=True)
    repeated = _repeated_keys(frame, key)
    if repeated.any():
        candidates = frame[repeated]
        superseded = candidates.drop(index=latest_sales(candidates).index)
        latest = frame.drop(index=superseded.index)
    else:
        superseded, latest = frame.iloc[0:0], frame
    history = warehouse_table(connection, target.history_table or f"{target.table}_history")
    kept = [c.name for c in history.columns if c.name in frame.columns]
    if _is_empty(connection, table):
        _load_into_empty(connection, table, latest, target.totals)
        _check_districts(connection, table, dataset)
        moved = _keep_superseded(connection, history, superseded[kept], key, run_id)
        return MergeCounts(len(frame), len(latest), 0, moved)
    stage = _stage(connection, table, latest)
    _check_districts(connection, stage, dataset)
    newer = (
        "(s.recorded_on > t.recorded_on "
        "OR (s.recorded_on = t.recorded_on AND s.amount <> t.amount))"
    )
    matches = " AND ".join(f's."{k}" = t."{k}"' for k in key)
    not_in_history = _not_in_history(history, key)
    moved = connection.execute(
        text(
            f'INSERT INTO "{history.name}" ({", ".join(kept)}, replaced_by_run) '
            f"SELECT {', '.join(f't.{c}' for c in kept)}, :run_id "
            f'FROM "{table.name}" t JOIN "{stage.name}" s ON {matches} '
            f"WHERE {newer} AND {not_in_history}"
        ),
        {"run_id": run_id},
    ).rowcount
    renumbered = (
        _replace_renumbered(connection, target, table, latest, stage, history, kept, run_id)
        if target.identity
        else 0
    )
    inserted, updated = _merge(connection, table, stage, key, newer, target.totals)
    moved += _keep_superseded(connection, history, superseded[kept], key, run_id)
    return MergeCounts(len(frame), inserted, updated, moved + renumbered, renumbered)


def _not_in_history(history: Table, key: Sequence[str]) -> str:
    same_value = " AND ".join(f'h."{c}" = t."{c}"' for c in (*key, "recorded_on", "amount"))
    return f'NOT EXISTS (SELECT 1 FROM "{history.name}" h WHERE {same_value})'


def _keep_superseded(
    connection: Connection,
    history: Table,
    superseded: pd.DataFrame,
    key: Sequence[str],
    run_id: str,
) -> int:
    """Put rows that a later row of the same export replaces into history, unless they are
    there already; returns how many went in."""
    if superseded.empty:
        return 0
    kept = list(superseded.columns)
    earlier = _stage(connection, history, superseded)
    moved = connection.execute(
        text(
            f'INSERT INTO "{history.name}" ({", ".join(kept)}, replaced_by_run) '
            f'SELECT {", ".join(f"t.{c}" for c in kept)}, :run_id FROM "{earlier.name}" t '
            f"WHERE {_not_in_history(history, key)}"
        ),
        {"run_id": run_id},
    ).rowcount
    earlier.drop(connection)
    return moved


def _replace_renumbered(
    connection: Connection,
    target: LoadTarget,
    table: Table,
    staged: pd.DataFrame,
    stage: Table,
    history: Table,
    kept: list[str],
    run_id: str,
) -> int:
    """Identity drift: a loaded row that the new export no longer has, while the export has a
    row with the same other key columns and amount under a new code (a key not loaded yet),
    is the same figure renumbered. The export's code wins: the old row moves to history and
    leaves the table, so the figure is counted once. Returns how many.

    Cheap on a nightly load: only staged rows whose key is new are matched (by the table's
    month and district index), and only their matches are checked against the export.
    """
    identity = str(target.identity)
    key = list(target.key)
    new_key = " AND ".join(f'x."{k}" = s."{k}"' for k in key)
    same_figure = " AND ".join(f'a."{c}" = t."{c}"' for c in (*key, "amount") if c != identity)
    arrived = f"arrived_{uuid.uuid4().hex[:8]}"
    connection.execute(
        text(
            f'CREATE TEMPORARY TABLE "{arrived}" AS SELECT s.* FROM "{stage.name}" s '
            f'WHERE NOT EXISTS (SELECT 1 FROM "{table.name}" x WHERE {new_key})'
        )
    )
    candidates = (
        connection.execute(
            text(
                f"SELECT DISTINCT {', '.join(f't.{c}' for c in kept)} "
                f'FROM "{arrived}" a JOIN "{table.name}" t ON {same_figure} '
                f'AND a."{identity}" <> t."{identity}"'
            ).columns(*(table.c[c] for c in kept))
        )
        .mappings()
        .all()
    )
    connection.execute(text(f'DROP TABLE "{arrived}"'))
    exported = set(staged[key].itertuples(index=False, name=None)) if candidates else set()
    renumbered = [row for row in candidates if tuple(row[k] for k in key) not in exported]
    if not renumbered:
        return 0
    connection.execute(history.insert(), [{**row, "replaced_by_run": run_id} for row in renumbered])
    connection.execute(
        table.delete().where(*(table.c[k] == bindparam(f"key_{k}") for k in key)),
        [{f"key_{k}": row[k] for k in key} for row in renumbered],
    )
    return len(renumbered)


def write_rules(connection: Connection, rows: list[dict[str, object]]) -> None:
    """Record the KPI rules used (one row per fiscal year); a parameter the year's criteria
    do not have is NULL."""
    table = KpiRule.__table__
    statement = _insert(connection)(table)
    columns = [c.name for c in table.columns if c.name != "fiscal_year"]
    statement = statement.on_conflict_do_update(
        index_elements=["fiscal_year"], set_={c: statement.excluded[c] for c in columns}
    )
    if rows:
        connection.execute(
            statement, [{c.name: r.get(c.name) for c in table.columns} for r in rows]
        )


def _with_columns(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """The frame's ``columns``, a missing one as NULLs."""
    missing = [c for c in columns if c not in frame.columns]
    return frame.assign(**dict.fromkeys(missing))[columns]


def write_targets(
    connection: Connection,
    districts: Sequence[pd.DataFrame],
    totals: Sequence[pd.DataFrame],
    run_id: str,
) -> MergeCounts:
    """Upsert quarters' district targets and province total rows (a frame per quarter; a
    target column that a year's criteria do not give is NULL), each table in one merge. A
    district the warehouse does not know is refused (:class:`UnknownDistrictError`)."""
    district_columns = [c.name for c in KpiTarget.__table__.columns if c.name != "run_id"]
    rows = _stacked(districts, district_columns)
    _check_districts_known(connection, rows["district_code"].tolist(), "targets")
    counts = _merge_rows(
        connection,
        KpiTarget.__table__,
        rows,
        QUARTER_KEY,
        run_id,
    )
    total_columns = [c.name for c in KpiTargetProvince.__table__.columns if c.name != "run_id"]
    _merge_rows(
        connection,
        KpiTargetProvince.__table__,
        _stacked(totals, total_columns),
        ["fiscal_year", "quarter", "province_code"],
        run_id,
    )
    return counts


def _stacked(frames: Sequence[pd.DataFrame], columns: list[str]) -> pd.DataFrame:
    """The frames' ``columns`` one under the other (each frame's missing ones as NULLs, so that
    a year without a column does not turn another year's whole numbers into floats)."""
    return pd.concat([_with_columns(frame, columns) for frame in frames], ignore_index=True)


GRADE_CONTENT = (
    "grade",
    "failed_criteria",
    "next_grade",
    "status",
    "reasons",
    "shop_producers",
    "shop_centres",
    "quarantined_rows",
    "quarantine_reasons",
)
"""With every criterion's figures: a grade changes (and gets a new version) only when one of
these changes."""
CRITERION_CONTENT = ("unit", "actual", "target", "basis", "met", "level", "missing")
QUARANTINE_CONTENT = ("quarantined_rows", "quarantined_unreadable", "actual_with_quarantined")
"""A criterion's figures of the rows set aside that touch it (:func:`quarantine_columns`)."""
FIGURE_CONTENT = (*CRITERION_CONTENT, *QUARANTINE_CONTENT)
"""A criterion's row of a grade: a grade changes when one of these changes."""
HEADER_COLUMNS = (
    *QUARTER_KEY,
    "version",
    *GRADE_CONTENT,
    "as_of",
    "run_id",
    "computed_at",
    "replaced_at",
    "replaced_by_run",
)
FIGURE_COLUMNS = (*QUARTER_KEY, "version", "criterion", "position", *FIGURE_CONTENT)
_RESULT_FIGURES = attrgetter(*CRITERION_CONTENT)


def quarantine_columns(
    quarantined: object,
) -> tuple[dict[str, object], dict[str, dict[str, object]]]:
    """A grade's quarantine facts as its header columns and, per criterion touched, its
    criterion columns; no row touches a criterion missing from the second."""
    if not isinstance(quarantined, Quarantined):
        return {"quarantined_rows": 0, "quarantine_reasons": None}, {}
    header = {
        "quarantined_rows": quarantined.rows,
        "quarantine_reasons": join_reasons(quarantined.reasons) or None,
    }
    figures = {
        f.criterion: {
            "quarantined_rows": f.rows,
            "quarantined_unreadable": f.unreadable,
            "actual_with_quarantined": f.actual_with,
        }
        for f in quarantined.figures
    }
    return header, figures


NO_QUARANTINE = {
    "quarantined_rows": 0,
    "quarantined_unreadable": 0,
    "actual_with_quarantined": None,
}
_NOT_SET_ASIDE = tuple(NO_QUARANTINE[c] for c in QUARANTINE_CONTENT)


def _same(left: object, right: object) -> bool:
    left_missing = left is None or (isinstance(left, float) and pd.isna(left))
    right_missing = right is None or (isinstance(right, float) and pd.isna(right))
    if left_missing or right_missing:
        return left_missing and right_missing
    if isinstance(left, Decimal) or isinstance(right, Decimal):
        return Decimal(str(left)) == Decimal(str(right))
    return left == right


@dataclass(frozen=True)
class GradeChanges:
    """What writing grades did."""

    new: int
    changed: int
    unchanged: int


Figures = tuple[tuple[str, tuple[object, ...]], ...]
"""A grade's criteria: (name, its :data:`FIGURE_CONTENT`) each."""
Content = tuple[tuple[object, ...], Figures]
"""What a grade says: its :data:`GRADE_CONTENT`, then its criteria's figures in name order (the
order of the rules does not make a grade different)."""


def _content(
    header: tuple[object, ...], figures: Iterable[tuple[str, tuple[object, ...]]]
) -> Content:
    return header, tuple(sorted(figures))


def _same_values(stored: tuple[object, ...], computed: tuple[object, ...]) -> bool:
    return len(stored) == len(computed) and all(
        _same(a, b) for a, b in zip(stored, computed, strict=True)
    )


def _same_content(stored: Content, computed: Content) -> bool:
    """Whether a grade says what is stored: the same criteria, every value the same
    (:func:`_same`)."""
    if stored == computed:
        return True  # equal values are the same; the rest is for None, NaN, numbers' types
    (stored_header, stored_figures), (header, figures) = stored, computed
    return (
        _same_values(stored_header, header)
        and len(stored_figures) == len(figures)
        and all(
            stored_name == name and _same_values(stored_values, values)
            for (stored_name, stored_values), (name, values) in zip(
                stored_figures, figures, strict=True
            )
        )
    )


def _current_grades(
    connection: Connection, quarters: Iterable[tuple[int, int]]
) -> tuple[dict[tuple, int], dict[tuple, Content]]:
    """The current version and content of every grade of the quarters (fiscal year,
    quarter): one query for the headers, one for the criteria."""
    header, criterion = KpiGradeVersion.__table__, KpiGradeCriterion.__table__
    current = (
        or_(*(and_(header.c.fiscal_year == y, header.c.quarter == q) for y, q in quarters)),
        header.c.replaced_at.is_(None),
    )
    key = [header.c[c] for c in QUARTER_KEY]
    headers = select(*key, header.c.version, *(header.c[c] for c in GRADE_CONTENT))
    versions, contents = {}, {}
    for year, number, district, version, *content in connection.execute(
        headers.where(*current)
    ).all():
        versions[(year, number, district)] = version
        contents[(year, number, district)] = tuple(content)
    figures = (
        select(*key, criterion.c.criterion, *(criterion.c[c] for c in FIGURE_CONTENT))
        .join(
            header,
            (header.c.fiscal_year == criterion.c.fiscal_year)
            & (header.c.quarter == criterion.c.quarter)
            & (header.c.district_code == criterion.c.district_code)
            & (header.c.version == criterion.c.version),
        )
        .where(*current)
    )
    named: dict[tuple, list[tuple[str, tuple[object, ...]]]] = {key: [] for key in versions}
    for year, number, district, name, *values in connection.execute(figures).all():
        named[(year, number, district)].append((name, tuple(values)))
    return versions, {key: _content(contents[key], named[key]) for key in versions}


def _text_or_none(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _column(frame: pd.DataFrame, name: str) -> list[object]:
    """A column's values, or None for each row if the frame has no such column."""
    return frame[name].tolist() if name in frame.columns else [None] * len(frame)


def _grade_content(
    grades: pd.DataFrame,
) -> Iterator[tuple[tuple[int, int, str], tuple[object, ...], Figures, object]]:
    """Per grade: its key, its :data:`GRADE_CONTENT`, its criteria's figures (in the rules'
    order) and its as-of."""
    columns = [
        _column(grades, name)
        for name in (
            "fiscal_year",
            "quarter",
            "district_code",
            "grade",
            "failed_criteria",
            "next_grade",
            "status",
            "reasons",
            "shop_producers",
            "shop_centres",
            "quarantined",
            "criteria",
            "as_of",
        )
    ]
    for (
        fiscal_year,
        quarter,
        district_code,
        grade,
        failed_criteria,
        next_grade,
        status,
        reasons,
        shop_producers,
        shop_centres,
        quarantined,
        criteria,
        as_of,
    ) in zip(*columns, strict=True):
        quarantine_header, quarantine_figures = quarantine_columns(quarantined)
        header = (  # in GRADE_CONTENT's order
            _text_or_none(grade),
            failed_criteria,
            _text_or_none(next_grade),
            status,
            reasons or None,
            count_or_none(shop_producers),
            count_or_none(shop_centres),
            quarantine_header["quarantined_rows"],
            quarantine_header["quarantine_reasons"],
        )
        figures = tuple(
            (
                result.criterion,
                (
                    *_RESULT_FIGURES(result),
                    *(
                        tuple(quarantine_figures[result.criterion][c] for c in QUARANTINE_CONTENT)
                        if result.criterion in quarantine_figures
                        else _NOT_SET_ASIDE
                    ),
                ),
            )
            for result in criteria
        )
        yield (int(fiscal_year), int(quarter), district_code), header, figures, as_of


def write_grades(
    connection: Connection, grades: Sequence[pd.DataFrame], run_id: str, computed_at: datetime
) -> GradeChanges:
    """Write grades long-form (a version header and one row per criterion), a frame per
    quarter. A grade whose content changed gets the next version and the one it replaces is
    stamped as replaced; an unchanged grade writes nothing. The current versions are read
    once for all the quarters, and each table is written in one statement set. A district
    the warehouse does not know is refused (:class:`UnknownDistrictError`)."""
    header_table, criterion_table = KpiGradeVersion.__table__, KpiGradeCriterion.__table__
    frames = [frame for frame in grades if not frame.empty]
    if not frames:
        return GradeChanges(0, 0, 0)
    codes = [code for frame in frames for code in frame["district_code"].tolist()]
    _check_districts_known(connection, codes, "grades")
    quarters = {
        (int(year), int(number))
        for frame in frames
        for year, number in zip(frame["fiscal_year"], frame["quarter"], strict=True)
    }
    versions, stored = _current_grades(connection, sorted(quarters))
    headers: list[tuple[object, ...]] = []
    figures: list[tuple[object, ...]] = []
    replaced: list[tuple[object, ...]] = []
    unchanged = 0
    for frame in frames:
        for key, header, criteria, as_of in _grade_content(frame):
            before = versions.get(key)
            if before is not None and _same_content(stored[key], _content(header, criteria)):
                unchanged += 1
                continue
            version = 1 if before is None else before + 1
            if before is not None:
                replaced.append((*key, before))
            headers.append((*key, version, *header, as_of, run_id, computed_at, None, None))
            figures += [
                (*key, version, name, position, *values)
                for position, (name, values) in enumerate(criteria, start=1)
            ]
    if replaced:
        _stamp_replaced(connection, replaced, run_id, computed_at)
    if headers:
        for table, rows, columns in (
            (header_table, headers, HEADER_COLUMNS),
            (criterion_table, figures, FIGURE_COLUMNS),
        ):  # values as they are (a column of counts and None is not made floats)
            _bulk_insert(connection, table, pd.DataFrame(rows, columns=columns, dtype=object))
    return GradeChanges(len(headers) - len(replaced), len(replaced), unchanged)


def _stamp_replaced(
    connection: Connection, versions: list[tuple[object, ...]], run_id: str, at: datetime
) -> None:
    """Stamp grade versions (fiscal year, quarter, district, version) as replaced by the run,
    in one statement (the keys staged in a temporary table)."""
    header = KpiGradeVersion.__table__
    keys = pd.DataFrame(versions, columns=[*QUARTER_KEY, "version"])
    stage = _stage(connection, header, keys)
    connection.execute(
        header.update()
        .where(*(header.c[c] == stage.c[c] for c in keys.columns))
        .values(replaced_at=at, replaced_by_run=run_id)
    )
    stage.drop(connection)


def start_run(
    connection: Connection,
    run_id: str,
    flow_run_id: str | None,
    source: str,
    province_codes: Sequence[str],
    as_of: date,
    started_at: datetime,
) -> None:
    """Record that a run began (its own transaction, so a failed run still leaves a row),
    with the machine and process running it."""
    connection.execute(
        SyncRun.__table__.insert(),
        {
            "host": socket.gethostname(),
            "pid": os.getpid(),
            "run_id": run_id,
            "flow_run_id": flow_run_id,
            "source": source,
            "province_codes": ",".join(province_codes),
            "as_of": as_of,
            "started_at": started_at,
            "status": "running",
            "rows_read": 0,
            "rows_loaded": 0,
            "rows_quarantined": 0,
        },
    )


def mark_abandoned_runs(connection: Connection, finished_at: datetime) -> int:
    """Mark as crashed the runs of this machine left ``running`` by a process that is gone
    (killed, or the machine restarted). Returns how many."""
    table = SyncRun.__table__
    host = socket.gethostname()
    running = connection.execute(
        select(table.c.run_id, table.c.pid).where(table.c.status == "running", table.c.host == host)
    ).all()
    gone = [(run_id, pid) for run_id, pid in running if pid is not None and not _alive(pid)]
    for run_id, pid in gone:
        connection.execute(
            table.update()
            .where(table.c.run_id == run_id)
            .values(
                status="crashed",
                finished_at=finished_at,
                message=f"the process running it ({host}, pid {pid}) ended before it finished",
                rows_loaded=0,
            )
        )
    return len(gone)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process: alive
        return True
    return True


def finish_run(
    connection: Connection,
    run_id: str,
    status: str,
    finished_at: datetime,
    message: str | None = None,
    rows: tuple[int, int, int] = (0, 0, 0),
) -> None:
    """Record how a run ended: status, the reason if it failed, rows read/loaded/quarantined."""
    read, loaded, quarantined = rows
    connection.execute(
        SyncRun.__table__.update()
        .where(SyncRun.__table__.c.run_id == run_id)
        .values(
            status=status,
            finished_at=finished_at,
            message=message,
            rows_read=read,
            rows_loaded=loaded,
            rows_quarantined=quarantined,
        )
    )


def record_raw_files(
    connection: Connection, run_id: str, files: Sequence[dict[str, object]]
) -> None:
    """Record the payloads a run fetched (dataset, source, location, sha256, bytes,
    fetched_at, stored_path, unchanged)."""
    if files:
        connection.execute(
            RawFileRecord.__table__.insert(), [{**f, "run_id": run_id} for f in files]
        )


def record_consumed(
    connection: Connection, run_id: str, payloads: Sequence[dict[str, object]], at: datetime
) -> None:
    """Record, in the load's transaction, the payloads it consumed (request_key, sha256,
    dataset): the same bytes for the same request are then unchanged, and a file dropped
    again is not read again."""
    if payloads:
        connection.execute(
            ConsumedPayload.__table__.insert(),
            [{**p, "run_id": run_id, "consumed_at": at} for p in payloads],
        )


def record_quarantine(
    connection: Connection, run_id: str, dataset: str, raw_sha256: str, rows: pd.DataFrame
) -> None:
    """Keep the rows a run set aside, with their raw text and every reason."""
    records = [
        {
            "run_id": run_id,
            "dataset": dataset,
            "raw_sha256": raw_sha256,
            "line": int(row.line),
            "raw_row": row.raw_row,
            "reasons": row.reasons,
        }
        for row in rows.itertuples(index=False)
    ]
    if records:
        connection.execute(Quarantine.__table__.insert(), records)


def record_validation(
    connection: Connection, run_id: str, results: Sequence[dict[str, object]]
) -> None:
    """Keep the outcome of every expectation of a run."""
    if results:
        connection.execute(
            ValidationResult.__table__.insert(), [{**r, "run_id": run_id} for r in results]
        )
