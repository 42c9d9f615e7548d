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
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv
from sqlalchemy import Column, Connection, MetaData, Table, bindparam, select, text
from sqlalchemy.dialects import postgresql, sqlite

from otop_sync.errors import OtopSyncError
from otop_sync.transforms.deltas import latest_sales
from otop_sync.transforms.districts import district_table, province
from otop_sync.warehouse.models import (
    District,
    KpiBaseline,
    KpiGradeCriterion,
    KpiGradeVersion,
    KpiRule,
    KpiTarget,
    KpiTargetProvince,
    MonthlySales,
    MonthlySalesHistory,
    ProductRegistration,
    Quarantine,
    RawFileRecord,
    ShopRegistration,
    SyncRun,
    ValidationResult,
)

LOAD_LOCK = "otop-sync-load"
COPY_CHUNK_ROWS = 500_000


@dataclass(frozen=True)
class MergeCounts:
    """What a merge did: rows offered, inserted, updated, and kept in history."""

    offered: int
    inserted: int
    updated: int
    history: int = 0

    @property
    def unchanged(self) -> int:
        """Rows offered that matched what the warehouse already had."""
        return self.offered - self.inserted - self.updated - self.history


class UnknownDistrictError(OtopSyncError):
    """Rows name a district code the warehouse does not know."""


def _repeated_keys(frame: pd.DataFrame, key: Sequence[str]) -> np.ndarray:
    """Rows whose key appears more than once (cheap on millions of rows: integer codes)."""
    combined = np.zeros(len(frame), dtype=np.int64)
    for column in key:
        codes, uniques = pd.factorize(frame[column])
        combined = combined * (len(uniques) + 1) + codes
    return pd.Series(combined).duplicated(keep=False).to_numpy()


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
    ordered = frame[[c.name for c in columns]]
    if connection.dialect.name == "postgresql":
        _copy(connection, stage, ordered)
    elif len(ordered):
        records = ordered.astype(object).where(ordered.notna(), None).to_dict("records")
        connection.execute(stage.insert(), records)
    return stage


def _arrow_type(column: Column) -> pa.DataType:
    python = column.type.python_type
    if python is Decimal:
        return pa.decimal128(column.type.precision or 18, column.type.scale or 2)  # type: ignore[attr-defined]
    if python is date:
        return pa.date32()
    if python is int:
        return pa.int64()
    if python is bool:
        return pa.bool_()
    return pa.string()


def _copy(connection: Connection, stage: Table, frame: pd.DataFrame) -> None:
    """PostgreSQL COPY of a frame into a staging table, as CSV written by pyarrow."""
    schema = pa.schema([pa.field(c.name, _arrow_type(c)) for c in stage.columns])
    cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
    columns = ", ".join(f'"{c.name}"' for c in stage.columns)
    with cursor.copy(f'COPY "{stage.name}" ({columns}) FROM STDIN (FORMAT csv)') as copy:
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
) -> tuple[int, int]:
    """Update the target's rows whose staged values differ (``condition``, comparing ``t``
    with ``s``), insert the staged rows it lacks, drop the stage; returns (inserted, updated).

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
    stage.drop(connection)
    return inserted, updated


def _changed_any(connection: Connection, columns: Iterable[str]) -> str:
    return " OR ".join(_distinct(connection, f't."{c}"', f's."{c}"') for c in columns)


def _merge_rows(
    connection: Connection, model: type, frame: pd.DataFrame, key: Sequence[str], run_id: str
) -> MergeCounts:
    target = model.__table__  # type: ignore[attr-defined]
    frame = frame.assign(run_id=run_id)
    compared = [c for c in frame.columns if c not in (*key, "run_id", "raw_sha256")]
    stage = _stage(connection, target, frame)
    inserted, updated = _merge(connection, target, stage, key, _changed_any(connection, compared))
    return MergeCounts(len(frame), inserted, updated)


PRODUCT_COLUMNS = [
    "product_code", "product_name", "product_category", "producer_code", "producer_name",
    "producer_type", "province_code", "district_code", "subdistrict", "registered_on",
    "status", "cancelled_on", "raw_sha256",
]  # fmt: skip
SHOP_COLUMNS = [
    "shop_code", "shop_name", "shop_type", "producer_code", "province_code", "district_code",
    "registered_on", "raw_sha256",
]  # fmt: skip
SALES_KEY = ["district_code", "producer_code", "month"]
SALES_COLUMNS = [*SALES_KEY, "province_code", "amount", "recorded_on", "raw_sha256"]
BASELINE_KEY = ["fiscal_year", "quarter", "district_code"]
BASELINE_COLUMNS = [*BASELINE_KEY, "base_sales", "interested_q1", "raw_sha256"]


def load_products(connection: Connection, products: pd.DataFrame, run_id: str) -> MergeCounts:
    """Upsert the product register by product code."""
    return _merge_rows(
        connection, ProductRegistration, products[PRODUCT_COLUMNS], ["product_code"], run_id
    )


def load_shops(connection: Connection, shops: pd.DataFrame, run_id: str) -> MergeCounts:
    """Upsert Shop ชุมชน registrations by shop code."""
    return _merge_rows(connection, ShopRegistration, shops[SHOP_COLUMNS], ["shop_code"], run_id)


def load_baseline(connection: Connection, baseline: pd.DataFrame, run_id: str) -> MergeCounts:
    """Upsert the baseline sheet by fiscal year, quarter and district."""
    return _merge_rows(connection, KpiBaseline, baseline[BASELINE_COLUMNS], BASELINE_KEY, run_id)


def load_sales(connection: Connection, sales: pd.DataFrame, run_id: str) -> MergeCounts:
    """Upsert monthly sales by (district, producer, month); the latest วันที่บันทึก wins.

    A replaced value, whether replaced by this load or by a later row of the same load, goes
    to ``monthly_sales_history``. An older row than the warehouse's is kept out of the table
    (it is not news) but still counted as offered.
    """
    frame = sales[SALES_COLUMNS].assign(run_id=run_id).reset_index(drop=True)
    repeated = _repeated_keys(frame, SALES_KEY)
    if repeated.any():
        candidates = frame[repeated]
        superseded = candidates.drop(index=latest_sales(candidates).index)
        latest = frame.drop(index=superseded.index)
    else:
        superseded, latest = frame.iloc[0:0], frame
    table = MonthlySales.__table__
    stage = _stage(connection, table, latest)
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
    if unknown:
        raise UnknownDistrictError(
            f"sales rows name unknown districts: {', '.join(sorted(unknown))}"
        )
    newer = (
        "(s.recorded_on > t.recorded_on "
        "OR (s.recorded_on = t.recorded_on AND s.amount <> t.amount))"
    )
    history = connection.execute(
        text(
            "INSERT INTO monthly_sales_history (district_code, producer_code, month, amount, "
            "recorded_on, raw_sha256, run_id, replaced_by_run) "
            "SELECT t.district_code, t.producer_code, t.month, t.amount, t.recorded_on, "
            f't.raw_sha256, t.run_id, :run_id FROM monthly_sales t JOIN "{stage.name}" s '
            "ON s.district_code = t.district_code AND s.producer_code = t.producer_code "
            f"AND s.month = t.month WHERE {newer}"
        ),
        {"run_id": run_id},
    ).rowcount
    inserted, updated = _merge(connection, table, stage, SALES_KEY, newer)
    if len(superseded):
        history_rows = superseded.assign(replaced_by_run=run_id).drop(columns=["province_code"])
        connection.execute(
            MonthlySalesHistory.__table__.insert(),
            history_rows.astype(object).to_dict("records"),
        )
    return MergeCounts(len(frame), inserted, updated, history + len(superseded))


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
    connection: Connection, districts: pd.DataFrame, totals: pd.DataFrame, run_id: str
) -> MergeCounts:
    """Upsert a quarter's district targets and the province total rows (a target column that
    the year's criteria do not give is NULL)."""
    district_columns = [c.name for c in KpiTarget.__table__.columns if c.name != "run_id"]
    counts = _merge_rows(
        connection, KpiTarget, _with_columns(districts, district_columns), BASELINE_KEY, run_id
    )
    total_columns = [c.name for c in KpiTargetProvince.__table__.columns if c.name != "run_id"]
    _merge_rows(
        connection,
        KpiTargetProvince,
        _with_columns(totals, total_columns),
        ["fiscal_year", "quarter", "province_code"],
        run_id,
    )
    return counts


GRADE_CONTENT = ("grade", "failed_criteria", "next_grade", "status")
"""With every criterion's figures: a grade changes (and gets a new version) only when one of
these changes."""
CRITERION_CONTENT = ("unit", "actual", "target", "basis", "met", "level", "missing")
GRADE_KEY = ("fiscal_year", "quarter", "district_code")


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
    """What writing a quarter's grades did."""

    new: int
    changed: int
    unchanged: int


@dataclass(frozen=True)
class _StoredGrade:
    version: int
    header: dict[str, object]
    criteria: dict[str, dict[str, object]]

    def same_as(self, header: dict[str, object], criteria: dict[str, dict[str, object]]) -> bool:
        return (
            all(_same(self.header[c], header[c]) for c in GRADE_CONTENT)
            and self.criteria.keys() == criteria.keys()
            and all(
                _same(self.criteria[name][c], figures[c])
                for name, figures in criteria.items()
                for c in CRITERION_CONTENT
            )
        )


def _current_grades(
    connection: Connection, fiscal_year: int, quarter: int
) -> dict[tuple, _StoredGrade]:
    """The current version of every grade of a quarter, with its criteria."""
    header, criterion = KpiGradeVersion.__table__, KpiGradeCriterion.__table__
    current = (
        header.c.fiscal_year == fiscal_year,
        header.c.quarter == quarter,
        header.c.replaced_at.is_(None),
    )
    stored: dict[tuple, _StoredGrade] = {}
    for row in connection.execute(select(header).where(*current)).mappings():
        key = tuple(row[c] for c in GRADE_KEY)
        stored[key] = _StoredGrade(row["version"], dict(row), {})
    figures = select(criterion).join(
        header,
        (header.c.fiscal_year == criterion.c.fiscal_year)
        & (header.c.quarter == criterion.c.quarter)
        & (header.c.district_code == criterion.c.district_code)
        & (header.c.version == criterion.c.version),
    )
    for row in connection.execute(figures.where(*current)).mappings():
        stored[tuple(row[c] for c in GRADE_KEY)].criteria[row["criterion"]] = dict(row)
    return stored


def _text_or_none(value: object) -> str | None:
    return value if isinstance(value, str) else None


def write_grades(
    connection: Connection, grades: pd.DataFrame, run_id: str, computed_at: datetime
) -> GradeChanges:
    """Write grades long-form (a version header and one row per criterion). A grade whose
    content changed gets the next version and the one it replaces is stamped as replaced;
    an unchanged grade writes nothing."""
    header_table, criterion_table = KpiGradeVersion.__table__, KpiGradeCriterion.__table__
    if grades.empty:
        return GradeChanges(0, 0, 0)
    stored: dict[tuple, _StoredGrade] = {}
    quarters = grades[["fiscal_year", "quarter"]].drop_duplicates()
    for fiscal_year, quarter in quarters.itertuples(index=False):
        stored.update(_current_grades(connection, int(fiscal_year), int(quarter)))
    headers: list[dict[str, object]] = []
    figures: list[dict[str, object]] = []
    replaced: list[dict[str, object]] = []
    unchanged = 0
    for row in grades.to_dict("records"):
        key = (int(row["fiscal_year"]), int(row["quarter"]), row["district_code"])
        header = {
            "grade": _text_or_none(row["grade"]),
            "failed_criteria": row["failed_criteria"],
            "next_grade": _text_or_none(row["next_grade"]),
            "status": row["status"],
        }
        criteria = {
            result.criterion: {c: getattr(result, c) for c in CRITERION_CONTENT}
            for result in row["criteria"]
        }
        before = stored.get(key)
        if before is not None and before.same_as(header, criteria):
            unchanged += 1
            continue
        version = 1 if before is None else before.version + 1
        if before is not None:
            replaced.append({"k_fy": key[0], "k_q": key[1], "k_d": key[2], "k_v": before.version})
        names = dict(zip(GRADE_KEY, key, strict=True))
        headers.append(
            {
                **names,
                "version": version,
                **header,
                "as_of": row["as_of"],
                "run_id": run_id,
                "computed_at": computed_at,
                "replaced_at": None,
                "replaced_by_run": None,
            }
        )
        figures += [
            {**names, "version": version, "criterion": name, "position": position, **values}
            for position, (name, values) in enumerate(criteria.items(), start=1)
        ]
    if replaced:
        connection.execute(
            header_table.update()
            .where(
                header_table.c.fiscal_year == bindparam("k_fy"),
                header_table.c.quarter == bindparam("k_q"),
                header_table.c.district_code == bindparam("k_d"),
                header_table.c.version == bindparam("k_v"),
            )
            .values(replaced_at=computed_at, replaced_by_run=run_id),
            replaced,
        )
    if headers:
        connection.execute(header_table.insert(), headers)
        connection.execute(criterion_table.insert(), figures)
    return GradeChanges(len(headers) - len(replaced), len(replaced), unchanged)


def start_run(
    connection: Connection,
    run_id: str,
    flow_run_id: str | None,
    source: str,
    province_codes: Sequence[str],
    as_of: date,
    started_at: datetime,
) -> None:
    """Record that a run began (its own transaction, so a failed run still leaves a row)."""
    connection.execute(
        SyncRun.__table__.insert(),
        {
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
