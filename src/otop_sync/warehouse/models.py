"""The warehouse tables (listed in the README). Table names and the listed columns are the analysts'
contract; the migrations in ``migrations/`` create exactly these models (a test checks).

Baht is ``NUMERIC(18,2)`` and dates are CE ``DATE``. Every source row carries the run that last
changed it (``run_id``), the payload it came from (``raw_sha256``) and its line in that payload
(``source_line``; the provenance columns of :class:`otop_sync.datasets.LoadTarget`).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Numeric,
    String,
    Text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

Baht = Numeric(18, 2)

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base with stable constraint names (so migrations can refer to them)."""

    metadata = MetaData(naming_convention=NAMING)


class District(Base):
    """Every district (อำเภอ/เขต) of Thailand, from geothai."""

    __tablename__ = "district"
    district_code: Mapped[str] = mapped_column(String(4), primary_key=True)
    province_code: Mapped[str] = mapped_column(String(2), index=True)
    name_th: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str] = mapped_column(String(100))
    province_name_th: Mapped[str] = mapped_column(String(100))


class SyncRun(Base):
    """One sync (or grading) run."""

    __tablename__ = "sync_run"
    run_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    flow_run_id: Mapped[str | None] = mapped_column(String(36))
    source: Mapped[str] = mapped_column(String(20))
    province_codes: Mapped[str] = mapped_column(String(400))
    as_of: Mapped[date]
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    status: Mapped[str] = mapped_column(String(20))
    message: Mapped[str | None] = mapped_column(Text)
    rows_read: Mapped[int] = mapped_column(Integer, default=0)
    rows_loaded: Mapped[int] = mapped_column(Integer, default=0)
    rows_quarantined: Mapped[int] = mapped_column(Integer, default=0)
    host: Mapped[str | None] = mapped_column(String(255))
    """The machine and process running it: a run left ``running`` by a process that is gone
    is marked crashed by the next run on that machine."""
    pid: Mapped[int | None] = mapped_column(Integer)


class RawFileRecord(Base):
    """Every payload fetched or dropped, as kept in the raw landing store."""

    __tablename__ = "raw_file"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[str] = mapped_column(ForeignKey("sync_run.run_id"), index=True)
    dataset: Mapped[str] = mapped_column(String(20))
    source: Mapped[str] = mapped_column(String(40))
    location: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    bytes: Mapped[int] = mapped_column(BigInteger)
    fetched_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    stored_path: Mapped[str] = mapped_column(Text)
    unchanged: Mapped[bool] = mapped_column(Boolean, default=False)


class ProductRegistration(Base):
    """OTOP Big Data product register: one row per product code."""

    __tablename__ = "product_registration"
    product_code: Mapped[str] = mapped_column(String(40), primary_key=True)
    product_name: Mapped[str] = mapped_column(Text)
    product_category: Mapped[str] = mapped_column(String(100))
    producer_code: Mapped[str] = mapped_column(String(40), index=True)
    producer_name: Mapped[str] = mapped_column(Text)
    producer_type: Mapped[str] = mapped_column(String(100))
    province_code: Mapped[str] = mapped_column(String(2))
    district_code: Mapped[str] = mapped_column(ForeignKey("district.district_code"), index=True)
    subdistrict: Mapped[str | None] = mapped_column(String(100))
    registered_on: Mapped[date]
    status: Mapped[str] = mapped_column(String(20))
    cancelled_on: Mapped[date | None]
    raw_sha256: Mapped[str] = mapped_column(String(64))
    source_line: Mapped[int | None]
    run_id: Mapped[str] = mapped_column(String(36))


class MonthlySales(Base):
    """Monthly OTOP sales per district and producer ('' for a district-level entry).

    Millions of rows: the district is checked once per load for the whole batch
    (:func:`otop_sync.warehouse.loaders.load_rows`) instead of by a per-row foreign key.
    """

    __tablename__ = "monthly_sales"
    district_code: Mapped[str] = mapped_column(String(4), primary_key=True)
    producer_code: Mapped[str] = mapped_column(String(40), primary_key=True)
    month: Mapped[date] = mapped_column(Date, primary_key=True)
    province_code: Mapped[str] = mapped_column(String(2))
    amount: Mapped[Decimal] = mapped_column(Baht)
    recorded_on: Mapped[date]
    raw_sha256: Mapped[str] = mapped_column(String(64))
    source_line: Mapped[int | None]
    run_id: Mapped[str] = mapped_column(String(36))

    __table_args__ = (Index("ix_monthly_sales_month_district", "month", "district_code"),)


class MonthlySalesTotal(Base):
    """Sales per district and month as ``monthly_sales`` holds them, kept in the same
    transaction by every load of sales (the keys a load touches are summed again): what grading
    and analysts read instead of summing millions of rows. ``rows_summed``: the rows summed;
    ``recorded_until``: the latest recording among them (a grade as of an earlier day sums
    those keys from the rows instead)."""

    __tablename__ = "monthly_sales_total"
    district_code: Mapped[str] = mapped_column(String(4), primary_key=True)
    month: Mapped[date] = mapped_column(Date, primary_key=True)
    province_code: Mapped[str] = mapped_column(String(2))
    amount: Mapped[Decimal] = mapped_column(Baht)
    rows_summed: Mapped[int]
    recorded_until: Mapped[date]


class MonthlySalesHistory(Base):
    """Sales values replaced by a correction (a later วันที่บันทึก), never lost."""

    __tablename__ = "monthly_sales_history"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    district_code: Mapped[str] = mapped_column(String(4))
    producer_code: Mapped[str] = mapped_column(String(40))
    month: Mapped[date]
    amount: Mapped[Decimal] = mapped_column(Baht)
    recorded_on: Mapped[date]
    raw_sha256: Mapped[str] = mapped_column(String(64))
    source_line: Mapped[int | None]
    run_id: Mapped[str] = mapped_column(String(36))
    replaced_by_run: Mapped[str] = mapped_column(String(36))

    __table_args__ = (Index("ix_monthly_sales_history_key", "district_code", "month"),)


class ShopRegistration(Base):
    """Click ชุมชน Shop ชุมชน registrations: producers and OTOP sales centres."""

    __tablename__ = "shop_registration"
    shop_code: Mapped[str] = mapped_column(String(40), primary_key=True)
    shop_name: Mapped[str] = mapped_column(Text)
    shop_type: Mapped[str] = mapped_column(String(100))
    producer_code: Mapped[str] = mapped_column(String(40))
    province_code: Mapped[str] = mapped_column(String(2))
    district_code: Mapped[str] = mapped_column(ForeignKey("district.district_code"), index=True)
    registered_on: Mapped[date]
    raw_sha256: Mapped[str] = mapped_column(String(64))
    source_line: Mapped[int | None]
    run_id: Mapped[str] = mapped_column(String(36))


class KpiBaseline(Base):
    """The province's baseline sheet: Q1 interest and published base-year sales."""

    __tablename__ = "kpi_baseline"
    fiscal_year: Mapped[int] = mapped_column(Integer, primary_key=True)
    quarter: Mapped[int] = mapped_column(Integer, primary_key=True)
    district_code: Mapped[str] = mapped_column(
        ForeignKey("district.district_code"), primary_key=True
    )
    base_sales: Mapped[Decimal | None] = mapped_column(Baht)
    interested_q1: Mapped[int | None]
    raw_sha256: Mapped[str] = mapped_column(String(64))
    source_line: Mapped[int | None]
    run_id: Mapped[str] = mapped_column(String(36))


class KpiRule(Base):
    """The KPI rules each fiscal year's targets were computed with."""

    __tablename__ = "kpi_rule"
    fiscal_year: Mapped[int] = mapped_column(Integer, primary_key=True)
    rules_version: Mapped[str] = mapped_column(String(40))
    base_year: Mapped[int]
    # The letter's criteria's parameters; NULL in a year whose rules do not grade that criterion.
    products_target: Mapped[int | None]
    sales_growth_percent: Mapped[Decimal | None] = mapped_column(Numeric(7, 3))
    percent_d: Mapped[Decimal | None] = mapped_column(Numeric(7, 3))
    percent_c: Mapped[Decimal | None] = mapped_column(Numeric(7, 3))
    percent_b: Mapped[Decimal | None] = mapped_column(Numeric(7, 3))
    percent_a: Mapped[Decimal | None] = mapped_column(Numeric(7, 3))


class KpiTarget(Base):
    """A district's targets for a quarter. Grading checks the districts once per write
    (:func:`otop_sync.warehouse.loaders.write_targets`) instead of by a per-row foreign key."""

    __tablename__ = "kpi_target"
    fiscal_year: Mapped[int] = mapped_column(Integer, primary_key=True)
    quarter: Mapped[int] = mapped_column(Integer, primary_key=True)
    district_code: Mapped[str] = mapped_column(String(4), primary_key=True)
    # Each criterion's targets; NULL in a year whose rules do not grade that criterion.
    products_target: Mapped[int | None]
    base_sales: Mapped[Decimal | None] = mapped_column(Baht)
    sales_target: Mapped[Decimal | None] = mapped_column(Baht)
    interested_q1: Mapped[int | None]
    threshold_d: Mapped[int | None]
    threshold_c: Mapped[int | None]
    threshold_b: Mapped[int | None]
    threshold_a: Mapped[int | None]
    base_sales_source: Mapped[str] = mapped_column(String(20))
    """``published`` (the baseline sheet) or ``computed`` (the base year's sales data)."""
    computed_base_sales: Mapped[Decimal | None] = mapped_column(Baht)
    rules_version: Mapped[str] = mapped_column(String(40))
    run_id: Mapped[str] = mapped_column(String(36))


class KpiTargetProvince(Base):
    """A province's total target row, computed from the totals (208 × 25 % = 52)."""

    __tablename__ = "kpi_target_province"
    fiscal_year: Mapped[int] = mapped_column(Integer, primary_key=True)
    quarter: Mapped[int] = mapped_column(Integer, primary_key=True)
    province_code: Mapped[str] = mapped_column(String(2), primary_key=True)
    name_th: Mapped[str] = mapped_column(String(120))
    # Each criterion's targets; NULL in a year whose rules do not grade that criterion.
    products_target: Mapped[int | None]
    base_sales: Mapped[Decimal | None] = mapped_column(Baht)
    sales_target: Mapped[Decimal | None] = mapped_column(Baht)
    interested_q1: Mapped[int | None]
    threshold_d: Mapped[int | None]
    threshold_c: Mapped[int | None]
    threshold_b: Mapped[int | None]
    threshold_a: Mapped[int | None]
    run_id: Mapped[str] = mapped_column(String(36))


class KpiGradeVersion(Base):
    """One version of a district's grade for a quarter: the grade and how it was reached.

    A regrade that changes anything writes a new version and stamps the one it replaces
    (``replaced_at``, ``replaced_by_run``); the current version is the one not replaced. The
    criteria's figures are in :class:`KpiGradeCriterion`; ``kpi_grade`` and
    ``kpi_grade_history`` are views pivoting both back to the analysts' wide columns (see the
    migration ``0002``).
    """

    __tablename__ = "kpi_grade_version"
    fiscal_year: Mapped[int] = mapped_column(Integer, primary_key=True)
    quarter: Mapped[int] = mapped_column(Integer, primary_key=True)
    district_code: Mapped[str] = mapped_column(String(4), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    grade: Mapped[str | None] = mapped_column(String(1))
    failed_criteria: Mapped[str] = mapped_column(String(200))
    next_grade: Mapped[str | None] = mapped_column(String(1))
    status: Mapped[str] = mapped_column(String(12))
    """``provisional`` until the quarter's last sales are due, then ``final``."""
    as_of: Mapped[date]
    reasons: Mapped[str | None] = mapped_column(Text)
    """What to know when reading the grade, in Thai: late months and their due dates, rules
    carried forward from an earlier year."""
    shop_producers: Mapped[int | None]
    """Shop ชุมชน units that are OTOP producers (one per producer code)."""
    shop_centres: Mapped[int | None]
    """Shop ชุมชน units that are sales centres (shops without a producer code)."""
    quarantined_rows: Mapped[int] = mapped_column(Integer, server_default="0")
    """Rows set aside in quarantine that touch the grade (its district, in what the
    quarter's criteria count)."""
    quarantine_reasons: Mapped[str | None] = mapped_column(Text)
    """Their distinct reasons, joined with ``; ``; NULL when none."""
    run_id: Mapped[str] = mapped_column(String(36))
    computed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    replaced_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    replaced_by_run: Mapped[str | None] = mapped_column(String(36))


class KpiGradeCriterion(Base):
    """One criterion of one grade version, long-form: its actual against its target.

    ``unit`` is ``count`` or ``baht`` (both kept as ``NUMERIC(18,2)``); ``basis`` is what the
    target was computed from (base-year sales), ``level`` the level a level criterion reached,
    ``missing`` what the next grade still needs.

    Written together with its version header (:func:`otop_sync.warehouse.loaders.write_grades`,
    which also checks the districts once per write): no per-row foreign key, which took
    PostgreSQL longer than writing the rows.
    """

    __tablename__ = "kpi_grade_criterion"
    fiscal_year: Mapped[int] = mapped_column(Integer, primary_key=True)
    quarter: Mapped[int] = mapped_column(Integer, primary_key=True)
    district_code: Mapped[str] = mapped_column(String(4), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    criterion: Mapped[str] = mapped_column(String(40), primary_key=True)
    position: Mapped[int]
    """The criterion's place in its fiscal year's rules: grade rows list criteria in order."""
    unit: Mapped[str] = mapped_column(String(8))
    actual: Mapped[Decimal] = mapped_column(Baht)
    target: Mapped[Decimal] = mapped_column(Baht)
    basis: Mapped[Decimal | None] = mapped_column(Baht)
    met: Mapped[bool]
    level: Mapped[str | None] = mapped_column(String(1))
    missing: Mapped[Decimal] = mapped_column(Baht)
    quarantined_rows: Mapped[int] = mapped_column(Integer, server_default="0")
    """Rows set aside in quarantine that touch this criterion of the grade."""
    quarantined_unreadable: Mapped[int] = mapped_column(Integer, server_default="0")
    """Of them, rows with a cell that cannot be read, so not in ``actual_with_quarantined``."""
    actual_with_quarantined: Mapped[Decimal | None] = mapped_column(Baht)
    """The actual had the readable rows set aside been loaded too; NULL when none touches."""


class Quarantine(Base):
    """Rows a run set aside, with the raw row and every reason."""

    __tablename__ = "quarantine"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[str] = mapped_column(ForeignKey("sync_run.run_id"), index=True)
    dataset: Mapped[str] = mapped_column(String(20))
    raw_sha256: Mapped[str] = mapped_column(String(64))
    line: Mapped[int]
    raw_row: Mapped[dict] = mapped_column(JSON)
    reasons: Mapped[str] = mapped_column(Text)


class ValidationResult(Base):
    """Per run, per suite and expectation: the outcome of the data-quality checks."""

    __tablename__ = "validation_result"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[str] = mapped_column(ForeignKey("sync_run.run_id"), index=True)
    dataset: Mapped[str] = mapped_column(String(20))
    suite: Mapped[str] = mapped_column(String(80))
    expectation: Mapped[str] = mapped_column(String(200))
    severity: Mapped[str] = mapped_column(String(20))
    success: Mapped[bool]
    unexpected_count: Mapped[int]
    details: Mapped[dict] = mapped_column(JSON)


class ConsumedPayload(Base):
    """Which payload a load committed for which request (written in the load's transaction):
    the record that lets a run skip an unchanged source and not read a file dropped again."""

    __tablename__ = "consumed_payload"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    request_key: Mapped[str] = mapped_column(Text, index=True)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    dataset: Mapped[str] = mapped_column(String(20))
    run_id: Mapped[str] = mapped_column(ForeignKey("sync_run.run_id"), index=True)
    consumed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
