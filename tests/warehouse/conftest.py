"""One warehouse test suite, two engines: every test runs on SQLite and on PostgreSQL.

PostgreSQL comes from ``OTOP_TEST_PG_URL`` (CI sets it and fails when the server cannot be
reached); elsewhere the PostgreSQL variants skip, saying why. Each test gets a clean schema.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import Engine, text

from otop_sync.connectors.landing import RawFile, RawLandingStore
from otop_sync.warehouse.db import make_engine, upgrade

PG_URL = os.environ.get("OTOP_TEST_PG_URL")


def _postgres_or_skip() -> str:
    if PG_URL:
        return PG_URL
    if os.environ.get("CI"):
        pytest.fail("CI must run the PostgreSQL tests: set OTOP_TEST_PG_URL (.ci/run does)")
    pytest.skip(
        "PostgreSQL tests need OTOP_TEST_PG_URL, e.g. postgresql://postgres@127.0.0.1:5432/test"
    )


ENGINES = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


@contextmanager
def empty_warehouse(engine_name: str, folder: Path) -> Iterator[str]:
    """The URL of an empty warehouse: a fresh SQLite file in ``folder``, or a fresh
    PostgreSQL schema (dropped afterwards)."""
    if engine_name == "sqlite":
        yield f"sqlite:///{folder / 'warehouse.db'}"
        return
    url = _postgres_or_skip()
    schema = f"test_{uuid.uuid4().hex[:12]}"
    admin = make_engine(url)
    try:
        with admin.begin() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    except Exception as error:
        pytest.fail(f"PostgreSQL at {url} is unreachable: {error}")
    separator = "&" if "?" in url else "?"
    try:
        yield f"{url}{separator}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(params=ENGINES)
def warehouse_url(request, tmp_path) -> Iterator[str]:
    """A URL of an empty warehouse: a fresh SQLite file, or a fresh PostgreSQL schema."""
    with empty_warehouse(request.param, tmp_path) as url:
        yield url


@pytest.fixture
def engine(warehouse_url) -> Iterator[Engine]:
    """A migrated warehouse."""
    engine = make_engine(warehouse_url)
    upgrade(engine)
    yield engine
    engine.dispose()


@dataclass(frozen=True)
class Export:
    """One export file as the inbox reads it: its typed rows (each with its line and the
    payload's sha256) and the landed payload."""

    path: Path
    rows: pd.DataFrame
    raw: RawFile


def read_export(path: Path, landing: RawLandingStore) -> Export:
    """Land an export file and type its rows, as the file inbox does."""
    from otop_sync.connectors.inbox import extract_file
    from otop_sync.datasets import dataset_for_filename

    spec = dataset_for_filename(path.name)
    extract = extract_file(path, spec, landing)
    typed, issues = spec.type_rows(extract.table)
    assert issues == []
    return Export(path, typed.assign(raw_sha256=extract.raws[0].sha256), extract.raws[0])


@pytest.fixture(scope="session")
def chiang_rai_landing(tmp_path_factory) -> RawLandingStore:
    """The raw landing store the session's export files are landed in."""
    return RawLandingStore(tmp_path_factory.mktemp("chiang_rai_raw"))


@pytest.fixture(scope="session")
def chiang_rai_exports(tmp_path_factory, chiang_rai_landing) -> dict[str, Export]:
    """The mock's Chiang Rai datasets as export files, landed and typed, by dataset."""
    from otop_sync.datasets import dataset_for_filename
    from otop_sync.mocks.data import MockSpec, generate
    from otop_sync.mocks.render import export_all

    folder = tmp_path_factory.mktemp("chiang_rai")
    return {
        dataset_for_filename(path.name).name: read_export(path, chiang_rai_landing)
        for path in export_all(generate(MockSpec()), folder / "exports")
    }


@pytest.fixture(scope="session")
def chiang_rai_rows(chiang_rai_exports) -> dict:
    """The mock's Chiang Rai datasets, extracted from export files and typed."""
    return {name: export.rows for name, export in chiang_rai_exports.items()}


def load_all(engine: Engine, rows: dict, run_id: str) -> dict:
    """Load every dataset in one transaction, as a sync does; returns the merge counts."""
    from otop_sync.datasets import dataset
    from otop_sync.warehouse.loaders import load_rows, lock_for_load

    with engine.begin() as connection:
        lock_for_load(connection)
        return {
            name: load_rows(connection, dataset(name), frame, run_id)
            for name, frame in rows.items()
        }
