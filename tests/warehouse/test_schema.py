"""Migrations create exactly the models, on both engines."""

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text

from otop_sync.warehouse.db import current_revision, head_revision, make_engine, upgrade
from otop_sync.warehouse.models import Base

CONTRACT = {
    "district": {"district_code", "province_code", "name_th", "name_en"},
    "kpi_target": {
        "fiscal_year",
        "quarter",
        "district_code",
        "products_target",
        "base_sales",
        "sales_target",
        "interested_q1",
        "threshold_d",
        "threshold_c",
        "threshold_b",
        "threshold_a",
    },
    "kpi_grade": {
        "fiscal_year",
        "quarter",
        "district_code",
        "products_added",
        "products_target",
        "products_met",
        "sales",
        "base_sales",
        "sales_target",
        "sales_met",
        "shops_registered",
        "interested_q1",
        "shop_level",
        "grade",
        "status",
        "as_of",
        "run_id",
        "computed_at",
    },
    "sync_run": {
        "run_id",
        "flow_run_id",
        "source",
        "started_at",
        "finished_at",
        "status",
        "rows_read",
        "rows_loaded",
        "rows_quarantined",
    },
    "raw_file": {"source", "location", "sha256", "bytes", "fetched_at", "stored_path"},
    "quarantine": {"raw_row", "reasons"},
    "validation_result": {"suite", "expectation"},
    "product_registration": {"district_code", "registered_on", "run_id"},
    "monthly_sales": {"district_code", "month", "amount", "run_id"},
    "shop_registration": {"district_code", "registered_on", "run_id"},
    "kpi_grade_history": {"fiscal_year", "quarter", "district_code", "grade", "version"},
}


def test_migrations_equal_the_models(engine):
    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert differences == []
    assert current_revision(engine) == head_revision() == "0002"


def test_contract_tables_and_columns(engine):
    inspector = inspect(engine)
    for table, columns in CONTRACT.items():
        present = {c["name"] for c in inspector.get_columns(table)}
        assert columns <= present, (table, columns - present)
    assert {"v_seed_table", "v_grade", "v_monthly_sales"} <= set(inspector.get_view_names())
    amount = next(c for c in inspector.get_columns("monthly_sales") if c["name"] == "amount")
    assert (amount["type"].precision, amount["type"].scale) == (18, 2)


def test_upgrade_is_repeatable_and_fills_districts(warehouse_url):
    engine = make_engine(warehouse_url)
    upgrade(engine)
    upgrade(engine)
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM district")).scalar_one() == 928
        name = connection.execute(
            text("SELECT name_th FROM district WHERE district_code = '5703'")
        ).scalar_one()
    assert name == "เชียงของ"
    engine.dispose()
