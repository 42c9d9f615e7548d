"""Why a district has its grade: the grade's figures, its rules, and every source row behind
them back to the raw payload and line it was loaded from (``otop-sync explain``).

:func:`explain_grade` only reads the warehouse and builds an :class:`Explanation`, a plain typed
value; ``reports/explain.py`` renders it as text, JSON or a self-contained HTML page. Which
rows count is decided as grading decides it (:mod:`otop_sync.transforms.deltas`), as of the
grade's ``as_of``: sales recorded by then (a value a later correction replaced counts if it
stood then), products registered by then (a cancellation only if made by then), Shop ชุมชน
registrations made by then.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Connection, select

from otop_sync.datasets import DatasetSpec, dataset
from otop_sync.errors import OtopSyncError
from otop_sync.transforms.criteria import CriterionResult, label_of
from otop_sync.transforms.deltas import SALES_KEY
from otop_sync.transforms.fiscal import Quarter
from otop_sync.transforms.rules import RuleBook
from otop_sync.warehouse.models import (
    District,
    KpiBaseline,
    KpiGradeCriterion,
    KpiGradeVersion,
    KpiRule,
    KpiTarget,
    MonthlySales,
    MonthlySalesHistory,
    ProductRegistration,
    Quarantine,
    RawFileRecord,
    ShopRegistration,
    SyncRun,
    ValidationResult,
)
from otop_sync.warehouse.queries import stored_figure

RECONCILIATION_CHECK = "sales.reconciles_with_summary"
"""The expectation that compares loaded sales with the central system's summary report."""
EXPLAINED_DATASETS = ("baseline", "products", "sales", "shops")
"""The datasets a grade is computed from (their quarantined rows are shown)."""


class NoGradeError(OtopSyncError):
    """The warehouse holds no grade for the district and quarter asked about."""


@dataclass(frozen=True, slots=True)
class Provenance:
    """Where a loaded row came from: the raw payload, the row's line in it, the loading run."""

    raw_sha256: str
    source_line: int | None
    """None for a row loaded before lines were kept."""
    run_id: str
    file: str | None
    """Where the payload was fetched or dropped (URL or path), as ``raw_file`` recorded it."""


@dataclass(frozen=True, slots=True)
class CriterionFigures:
    """One criterion of the grade as stored: its figure against its target."""

    result: CriterionResult
    label_th: str


@dataclass(frozen=True, slots=True)
class ProductEntry:
    """A product registration of the district, and whether it counted at each quarter end."""

    product_code: str
    registered_on: date
    cancelled_on: date | None
    """The cancellation as known on the grade's as-of day (a later one had not happened yet)."""
    active_at_previous_end: bool
    active_at_end: bool
    provenance: Provenance


@dataclass(frozen=True, slots=True)
class SalesEntry:
    """One recorded sales figure of a month, current or replaced by a correction."""

    month: date
    producer_code: str
    amount: Decimal
    recorded_on: date
    counted: bool
    """The value that stood on the grade's as-of day, so the grade counted it."""
    replaced_by_run: str | None
    """The run whose later recording replaced it; None for the current value."""
    provenance: Provenance


@dataclass(frozen=True, slots=True)
class ShopEntry:
    """A Shop ชุมชน registration counted at the quarter's end, and the unit it counts as."""

    shop_code: str
    shop_type: str
    producer_code: str
    registered_on: date
    unit: str
    """``producer <code>`` (one unit per producer code) or ``centre`` (a shop without one)."""
    provenance: Provenance


@dataclass(frozen=True, slots=True)
class Correction:
    """A sales value replaced by a later recording: the old and the new value."""

    month: date
    producer_code: str
    old_amount: Decimal
    old_recorded_on: date
    old: Provenance
    new_amount: Decimal | None
    new_recorded_on: date | None
    new: Provenance | None
    """None when the key has no current row (moved to another producer code)."""
    replaced_by_run: str
    replaced_at: datetime | None
    """When the replacing run started."""


@dataclass(frozen=True, slots=True)
class QuarantinedRow:
    """A row of the district and period that a run set aside, with every reason."""

    dataset: str
    line: int
    raw_sha256: str
    run_id: str
    file: str | None
    reasons: str
    raw_row: dict[str, str]


@dataclass(frozen=True, slots=True)
class Reconciliation:
    """How a run that loaded the grade's sales compared them with the summary report."""

    run_id: str
    success: bool
    unexpected_count: int
    district_differences: tuple[str, ...]
    """The report's differences that name the district (``5712 2024-01-01: ours …``)."""


@dataclass(frozen=True, slots=True)
class GradeVersionRecord:
    """One version of the grade, current or earlier."""

    version: int
    grade: str | None
    status: str
    as_of: date
    run_id: str
    computed_at: datetime
    replaced_at: datetime | None
    replaced_by_run: str | None
    criteria: tuple[CriterionResult, ...]


@dataclass(frozen=True, slots=True)
class BaseYear:
    """The base-year figure of the sales target and where it came from."""

    base_year: int
    quarter: Quarter
    """The base year's same quarter."""
    base_sales: Decimal | None
    """The figure the target was computed from."""
    source: str
    """``published`` (the baseline sheet) or ``computed`` (the base year's sales data)."""
    computed_base_sales: Decimal | None
    """The base year's sales as the warehouse adds them up (shown beside a published one)."""
    published: Provenance | None
    """The baseline sheet's row, when the figure is published."""
    sales: tuple[SalesEntry, ...]
    """The base quarter's sales rows in the warehouse."""


@dataclass(frozen=True, slots=True)
class Explanation:
    """Everything behind one district's grade for one quarter (see module docstring)."""

    quarter: Quarter
    district_code: str
    district_name_th: str
    province_code: str
    current: GradeVersionRecord
    next_grade: str | None
    failed_criteria: str
    reasons: str
    shop_producers: int | None
    shop_centres: int | None
    status_since: datetime
    """When the grade first had its current status (the version that set it was computed)."""
    final_from: date
    """The first day a grading of the quarter is final."""
    criteria: tuple[CriterionFigures, ...]
    rules_version: str | None
    rules_letter: str | None
    carried_forward_from: int | None
    base: BaseYear | None
    products: tuple[ProductEntry, ...]
    sales: tuple[SalesEntry, ...]
    shops: tuple[ShopEntry, ...]
    corrections: tuple[Correction, ...]
    quarantined: tuple[QuarantinedRow, ...]
    reconciliations: tuple[Reconciliation, ...]
    earlier_versions: tuple[GradeVersionRecord, ...]

    @property
    def grade(self) -> str | None:
        return self.current.grade

    @property
    def status(self) -> str:
        return self.current.status

    @property
    def as_of(self) -> date:
        return self.current.as_of

    def products_active(self) -> tuple[int, int]:
        """Products active at the previous quarter's end and at this quarter's end."""
        return (
            sum(p.active_at_previous_end for p in self.products),
            sum(p.active_at_end for p in self.products),
        )

    def sales_counted(self) -> Decimal:
        """The quarter's sales as the grade counted them (the sales criterion's figure)."""
        return sum((s.amount for s in self.sales if s.counted), Decimal("0.00"))

    def shop_units(self) -> tuple[int, int]:
        """Shop ชุมชน units (producers, centres) at the quarter's end."""
        units = {s.unit for s in self.shops if s.unit != "centre"}
        return len(units), sum(s.unit == "centre" for s in self.shops)


def _baht(value: object) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.01"))


class _Files:
    """The file each payload came from (its latest ``raw_file`` record)."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection
        self._known: dict[str, str | None] = {}

    def provenance(self, sha256: str, line: int | None, run_id: str) -> Provenance:
        if sha256 not in self._known:
            location = self._connection.execute(
                select(RawFileRecord.location)
                .where(RawFileRecord.sha256 == sha256)
                .order_by(RawFileRecord.fetched_at.desc(), RawFileRecord.id.desc())
                .limit(1)
            ).scalar_one_or_none()
            self._known[sha256] = location
        return Provenance(sha256, None if line is None else int(line), run_id, self._known[sha256])


def _versions(connection: Connection, quarter: Quarter, code: str) -> list[GradeVersionRecord]:
    header, figures = KpiGradeVersion, KpiGradeCriterion
    where = (
        header.fiscal_year == quarter.fiscal_year,
        header.quarter == quarter.number,
        header.district_code == code,
    )
    criteria: dict[int, list[CriterionResult]] = {}
    for row in connection.execute(
        select(figures.__table__)
        .where(
            figures.fiscal_year == quarter.fiscal_year,
            figures.quarter == quarter.number,
            figures.district_code == code,
        )
        .order_by(figures.version, figures.position)
    ).mappings():
        unit = row["unit"]
        criteria.setdefault(row["version"], []).append(
            CriterionResult(
                criterion=row["criterion"],
                unit=unit,
                actual=stored_figure(unit, row["actual"]),  # type: ignore[arg-type]
                target=stored_figure(unit, row["target"]),  # type: ignore[arg-type]
                met=bool(row["met"]),
                missing=stored_figure(unit, row["missing"]),  # type: ignore[arg-type]
                basis=stored_figure(unit, row["basis"]),
                level=row["level"],
            )
        )
    return [
        GradeVersionRecord(
            version=row.version,
            grade=row.grade,
            status=row.status,
            as_of=row.as_of,
            run_id=row.run_id,
            computed_at=row.computed_at,
            replaced_at=row.replaced_at,
            replaced_by_run=row.replaced_by_run,
            criteria=tuple(criteria.get(row.version, [])),
        )
        for row in connection.execute(select(header).where(*where).order_by(header.version)).all()
    ]


def _by(value: date | None, day: date) -> bool:
    return value is not None and value <= day


def _active(registered_on: date, cancelled_on: date | None, day: date) -> bool:
    """Registered by ``day`` and not cancelled by then, as
    :func:`~otop_sync.transforms.deltas.active_products` counts."""
    return registered_on <= day and not _by(cancelled_on, day)


def _products(
    connection: Connection, files: _Files, quarter: Quarter, code: str, as_of: date
) -> tuple[ProductEntry, ...]:
    table = ProductRegistration
    rows = connection.execute(
        select(table)
        .where(table.district_code == code, table.registered_on <= min(as_of, quarter.end))
        .order_by(table.registered_on, table.product_code)
    ).all()
    entries = []
    previous_end = quarter.previous().end
    for row in rows:
        cancelled = row.cancelled_on if _by(row.cancelled_on, as_of) else None
        entries.append(
            ProductEntry(
                product_code=row.product_code,
                registered_on=row.registered_on,
                cancelled_on=cancelled,
                active_at_previous_end=_active(row.registered_on, cancelled, previous_end),
                active_at_end=_active(row.registered_on, cancelled, quarter.end),
                provenance=files.provenance(row.raw_sha256, row.source_line, row.run_id),
            )
        )
    return tuple(entries)


def _sales(
    connection: Connection, files: _Files, code: str, months: Sequence[date], as_of: date
) -> tuple[list[SalesEntry], list[Correction]]:
    """The district's sales rows of the months, current and replaced, marked as grading counts
    them as of ``as_of`` (as :func:`otop_sync.warehouse.queries.sales_by_month` does), and the
    corrections among them."""
    current, history = MonthlySales, MonthlySalesHistory
    now = {
        tuple(getattr(row, k) for k in SALES_KEY): row
        for row in connection.execute(
            select(current).where(current.district_code == code, current.month.in_(list(months)))
        ).all()
    }
    replaced = list(
        connection.execute(
            select(history)
            .where(history.district_code == code, history.month.in_(list(months)))
            .order_by(history.recorded_on, history.id)
        ).all()
    )
    stood: dict[tuple, int] = {}  # key → id of the replaced value that stood on as_of
    for row in replaced:
        key = tuple(getattr(row, k) for k in SALES_KEY)
        newer = now.get(key)
        if newer is not None and newer.recorded_on > as_of and row.recorded_on <= as_of:
            stood[key] = row.id  # ordered by recorded_on, id: the latest wins
    entries = [
        SalesEntry(
            month=row.month,
            producer_code=row.producer_code,
            amount=_baht(row.amount),
            recorded_on=row.recorded_on,
            counted=row.recorded_on <= as_of,
            replaced_by_run=None,
            provenance=files.provenance(row.raw_sha256, row.source_line, row.run_id),
        )
        for row in now.values()
    ]
    started = select(SyncRun.run_id, SyncRun.started_at).where(
        SyncRun.run_id.in_({r.replaced_by_run for r in replaced})
    )
    runs: dict[str, datetime] = dict(connection.execute(started).all())
    corrections = []
    for row in replaced:
        key = tuple(getattr(row, k) for k in SALES_KEY)
        old = files.provenance(row.raw_sha256, row.source_line, row.run_id)
        entries.append(
            SalesEntry(
                month=row.month,
                producer_code=row.producer_code,
                amount=_baht(row.amount),
                recorded_on=row.recorded_on,
                counted=stood.get(key) == row.id,
                replaced_by_run=row.replaced_by_run,
                provenance=old,
            )
        )
        newer = now.get(key)
        corrections.append(
            Correction(
                month=row.month,
                producer_code=row.producer_code,
                old_amount=_baht(row.amount),
                old_recorded_on=row.recorded_on,
                old=old,
                new_amount=None if newer is None else _baht(newer.amount),
                new_recorded_on=None if newer is None else newer.recorded_on,
                new=None
                if newer is None
                else files.provenance(newer.raw_sha256, newer.source_line, newer.run_id),
                replaced_by_run=row.replaced_by_run,
                replaced_at=runs.get(row.replaced_by_run),
            )
        )
    entries.sort(key=lambda e: (e.month, e.producer_code, e.recorded_on))
    corrections.sort(key=lambda c: (c.month, c.producer_code, c.old_recorded_on))
    return entries, corrections


def _shops(
    connection: Connection, files: _Files, quarter: Quarter, code: str, as_of: date
) -> tuple[ShopEntry, ...]:
    table = ShopRegistration
    rows = connection.execute(
        select(table)
        .where(table.district_code == code, table.registered_on <= min(as_of, quarter.end))
        .order_by(table.registered_on, table.shop_code)
    ).all()
    entries = []
    for row in rows:
        producer = row.producer_code.strip() if isinstance(row.producer_code, str) else ""
        entries.append(
            ShopEntry(
                shop_code=row.shop_code,
                shop_type=row.shop_type,
                producer_code=producer,
                registered_on=row.registered_on,
                unit=f"producer {producer}" if producer else "centre",
                provenance=files.provenance(row.raw_sha256, row.source_line, row.run_id),
            )
        )
    return tuple(entries)


def _base_year(
    connection: Connection,
    files: _Files,
    quarter: Quarter,
    code: str,
    base_year: int | None,
    as_of: date,
) -> BaseYear | None:
    target = connection.execute(
        select(KpiTarget).where(
            KpiTarget.fiscal_year == quarter.fiscal_year,
            KpiTarget.quarter == quarter.number,
            KpiTarget.district_code == code,
        )
    ).one_or_none()
    if target is None or base_year is None:
        return None
    published = connection.execute(
        select(KpiBaseline)
        .where(
            KpiBaseline.fiscal_year == quarter.fiscal_year,
            KpiBaseline.district_code == code,
            KpiBaseline.base_sales.is_not(None),
        )
        .order_by(KpiBaseline.quarter)
        .limit(1)
    ).one_or_none()
    base_quarter = quarter.same_quarter_of(base_year)
    sales, _corrections = _sales(connection, files, code, base_quarter.months, as_of)
    return BaseYear(
        base_year=base_year,
        quarter=base_quarter,
        base_sales=None if target.base_sales is None else _baht(target.base_sales),
        source=target.base_sales_source,
        computed_base_sales=None
        if target.computed_base_sales is None
        else _baht(target.computed_base_sales),
        published=None
        if published is None or target.base_sales_source != "published"
        else files.provenance(published.raw_sha256, published.source_line, published.run_id),
        sales=tuple(sales),
    )


def _parsed_cells(spec: DatasetSpec, raw_row: dict[str, str]) -> dict[str, object]:
    """A quarantined row's cells read as their types where they can be (None where not)."""
    parsed: dict[str, object] = {}
    for column in spec.columns:
        value = raw_row.get(column.name)
        depends = column.cell.depends_on
        context = {depends: parsed.get(depends)} if depends else {}
        try:
            parsed[column.name] = None if value is None else column.cell.parse(value, context)
        except ValueError:
            parsed[column.name] = None
    return parsed


def _quarantined(
    connection: Connection, files: _Files, code: str, months: Sequence[date]
) -> tuple[QuarantinedRow, ...]:
    """Quarantined rows whose district is this one (read from the raw row) and, for a dataset
    with months, whose month is one the grade reads or cannot be read."""
    found = []
    for row in connection.execute(
        select(Quarantine)
        .where(Quarantine.dataset.in_(EXPLAINED_DATASETS))
        .order_by(Quarantine.run_id, Quarantine.dataset, Quarantine.line)
    ).all():
        spec = dataset(row.dataset)
        cells = _parsed_cells(spec, dict(row.raw_row))
        if cells.get("district") != code:
            continue
        if "month" in cells and cells["month"] is not None and cells["month"] not in months:
            continue
        found.append(
            QuarantinedRow(
                dataset=row.dataset,
                line=row.line,
                raw_sha256=row.raw_sha256,
                run_id=row.run_id,
                file=files.provenance(row.raw_sha256, row.line, row.run_id).file,
                reasons=row.reasons,
                raw_row={str(k): str(v) for k, v in dict(row.raw_row).items()},
            )
        )
    return tuple(found)


def _reconciliations(
    connection: Connection, code: str, runs: set[str]
) -> tuple[Reconciliation, ...]:
    """The summary-report check of every run that loaded sales rows behind the grade."""
    results = connection.execute(
        select(ValidationResult)
        .where(
            ValidationResult.expectation == RECONCILIATION_CHECK,
            ValidationResult.run_id.in_(runs),
        )
        .order_by(ValidationResult.run_id)
    ).all()
    return tuple(
        Reconciliation(
            run_id=result.run_id,
            success=bool(result.success),
            unexpected_count=int(result.unexpected_count),
            district_differences=tuple(
                str(example)
                for example in (result.details or {}).get("examples", [])
                if str(example).startswith(f"{code} ")
            ),
        )
        for result in results
    )


def _status_since(versions: Sequence[GradeVersionRecord]) -> datetime:
    """When the current status was first reached without a change since."""
    since = versions[-1].computed_at
    for version in reversed(versions):
        if version.status != versions[-1].status:
            break
        since = version.computed_at
    return since


def explain_grade(
    connection: Connection, quarter: Quarter, district_code: str, rulebook: RuleBook
) -> Explanation:
    """The explanation of a district's current grade for a quarter (see module docstring);
    a district with no grade for the quarter is a :class:`NoGradeError`."""
    district = connection.execute(
        select(District).where(District.district_code == district_code)
    ).one_or_none()
    versions = _versions(connection, quarter, district_code)
    current_rows = [v for v in versions if v.replaced_at is None]
    if district is None or not current_rows:
        name = "" if district is None else f" ({district.name_th})"
        raise NoGradeError(
            f"no grade for {district_code}{name} in {quarter}: grade the quarter first "
            "(otop-sync sync or otop-sync grade)"
        )
    current = current_rows[-1]
    header = connection.execute(
        select(KpiGradeVersion).where(
            KpiGradeVersion.fiscal_year == quarter.fiscal_year,
            KpiGradeVersion.quarter == quarter.number,
            KpiGradeVersion.district_code == district_code,
            KpiGradeVersion.version == current.version,
        )
    ).one()
    rule = connection.execute(
        select(KpiRule).where(KpiRule.fiscal_year == quarter.fiscal_year)
    ).one_or_none()
    rules = rulebook.years.get(quarter.fiscal_year)
    same_book = rule is not None and rules is not None and rule.rules_version == rulebook.version
    files = _Files(connection)
    as_of = current.as_of
    sales, corrections = _sales(connection, files, district_code, quarter.months, as_of)
    base = _base_year(
        connection, files, quarter, district_code, None if rule is None else rule.base_year, as_of
    )
    months = list(quarter.months) + ([] if base is None else list(base.quarter.months))
    sales_runs = {s.provenance.run_id for s in sales} | {
        s.provenance.run_id for s in (base.sales if base else ())
    }
    return Explanation(
        quarter=quarter,
        district_code=district_code,
        district_name_th=district.name_th,
        province_code=district.province_code,
        current=current,
        next_grade=header.next_grade,
        failed_criteria=header.failed_criteria,
        reasons=header.reasons or "",
        shop_producers=header.shop_producers,
        shop_centres=header.shop_centres,
        status_since=_status_since(versions),
        final_from=quarter.final_from,
        criteria=tuple(CriterionFigures(r, label_of(r.criterion)) for r in current.criteria),
        rules_version=None if rule is None else rule.rules_version,
        rules_letter=rules.letter if same_book and rules is not None else None,
        carried_forward_from=rules.carried_forward_from if same_book and rules else None,
        base=base,
        products=_products(connection, files, quarter, district_code, as_of),
        sales=tuple(sales),
        shops=_shops(connection, files, quarter, district_code, as_of),
        corrections=tuple(corrections),
        quarantined=_quarantined(connection, files, district_code, months),
        reconciliations=_reconciliations(connection, district_code, sales_runs),
        earlier_versions=tuple(v for v in versions if v.replaced_at is not None),
    )
