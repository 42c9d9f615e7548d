"""A row set aside in quarantine that touches a grade shows on the grade, on both engines: a
file-inbox sync (the pipeline's steps, without Prefect) with one sales figure above the
amount ceiling for เมืองเชียงราย in February 2567 carries it on that grade in the warehouse,
the typed rows, the command-line table, the artifact's rows and every report format; rows of
another quarter or another district leave the grade alone."""

from __future__ import annotations

import contextlib
import io
import shutil
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from rich.console import Console
from sqlalchemy import text

from otop_sync.flows import pipeline
from otop_sync.flows.request import SyncRequest
from otop_sync.reports.grades import grades_table
from otop_sync.reports.quarter import build_report, render
from otop_sync.rules import load_rulebook
from otop_sync.transforms.fiscal import Quarter
from otop_sync.transforms.grades import grade_rows
from otop_sync.warehouse import loaders, queries
from otop_sync.warehouse.db import make_engine
from otop_sync.warehouse.grading import grade_quarters
from tests.warehouse.conftest import empty_warehouse

AS_OF = date(2024, 7, 15)
Q2, Q3 = Quarter(2567, 2), Quarter(2567, 3)
CEILING = (
    "sales.amount_below_ceiling: ยอดจำหน่าย (บาท) is above 100,000,000.00 baht, the "
    "plausibility limit (OTOP_AMOUNT_CEILING)"
)
OVER = "150,000,000.00"
SET_ASIDE = [
    # เมืองเชียงราย (5701), February 2567: in 2567Q2, above the ceiling
    f'เชียงราย,เมืองเชียงราย,P-QUARANTINE-1,กุมภาพันธ์ 2567,"{OVER}",10/3/2567',
    # เมืองเชียงราย, May 2567: 2567Q3, not Q2
    'เชียงราย,เมืองเชียงราย,P-QUARANTINE-2,พฤษภาคม 2567,"120,000,000.00",10/6/2567',
    # เวียงชัย (5702), February 2567: an amount that is not a number
    "เชียงราย,เวียงชัย,P-QUARANTINE-3,กุมภาพันธ์ 2567,หนึ่งแสน,10/3/2567",
]


DISTRICTS = ("เมืองเชียงราย", "เวียงชัย", "เชียงของ")
"""The districts whose sales the inbox holds (5701–5703): a small sync; the others are late."""


@pytest.fixture(scope="module")
def exports(tmp_path_factory):
    """The mock's Chiang Rai exports as of 15 July 2567, sales of :data:`DISTRICTS` only,
    with the rows to set aside."""
    from otop_sync.mocks.data import MockSpec, generate
    from otop_sync.mocks.render import export_all

    folder = tmp_path_factory.mktemp("exports")
    export_all(generate(MockSpec(today=AS_OF)), folder)
    (folder / "form_responses_57.csv").unlink()
    sales = folder / "sales_57.csv"
    header, *rows = sales.read_text(encoding="utf-8").splitlines()
    kept = [row for row in rows if row.split(",")[1] in DISTRICTS]
    sales.write_text("\r\n".join([header, *kept, *SET_ASIDE]) + "\r\n", encoding="utf-8")
    return folder


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def synced(request, exports, tmp_path_factory):
    """One inbox sync of the exports into a fresh warehouse (SQLite, or a PostgreSQL schema),
    shared by the module's tests; returns the run and the warehouse."""
    folder = tmp_path_factory.mktemp(request.param)
    inbox = folder / "inbox"
    shutil.copytree(exports, inbox)
    with contextlib.ExitStack() as stack:
        url = stack.enter_context(empty_warehouse(request.param, folder))
        patch = stack.enter_context(pytest.MonkeyPatch.context())
        for name, value in {
            "WAREHOUSE_URL": url,
            "DATA_DIR": str(folder / "data"),
            "SOURCE": "files",
            "INBOX_DIR": str(inbox),
            "MAX_MISSING_SHARE": "1",  # most districts have no sales here
        }.items():
            patch.setenv(f"OTOP_{name}", value)
        sync = SyncRequest(as_of=AS_OF, source="files", inbox_dir=str(inbox))
        with pipeline.recorded_run("files", ["57"], AS_OF, None) as run:
            extracts = pipeline.land(run, pipeline.extract(sync, run))
            typed = pipeline.type_extracts(sync, run, extracts)
            clean = pipeline.validate(sync, run, typed, None)
            with pipeline.warehouse_transaction(run) as connection:
                pipeline.load(run, connection, clean)
                pipeline.grade(run, connection)
        engine = make_engine(url)
        stack.callback(engine.dispose)
        yield run, engine


def _rows(engine, quarter):
    with engine.connect() as connection:
        return {g.district_code: g for g in queries.grade_rows(connection, quarter, "57")}


def test_a_sales_figure_above_the_ceiling_shows_on_its_grade(synced):
    run, engine = synced
    assert run.rows[2] == 3
    stored = _rows(engine, Q2)
    muang = stored["5701"]
    sales = muang.criterion("sales")
    assert muang.quarantined is not None
    assert (muang.quarantined.rows, muang.quarantined.reasons) == (1, (CEILING,))
    figure = muang.quarantined.figure("sales")
    assert (figure.rows, figure.unreadable) == (1, 0)
    assert figure.actual_with == sales.actual + Decimal("150000000.00")
    with_text = f"ยอดจำหน่าย {figure.actual_with:,.2f} บาท"
    assert muang.with_quarantined_text() == with_text
    assert muang.quarantine_reasons_text() == CEILING
    # the rows of another quarter or another district leave other grades alone
    assert {code for code, g in stored.items() if g.quarantined} == {"5701", "5702"}
    with engine.connect() as connection:
        view = connection.execute(
            text(
                "SELECT quarantined_rows, quarantine_reasons, sales_with_quarantined, "
                "products_with_quarantined FROM v_grade WHERE district_code = '5701' "
                "AND fiscal_year = 2567 AND quarter = 2"
            )
        ).one()
        untouched = connection.execute(
            text(
                "SELECT quarantined_rows, quarantine_reasons, sales_with_quarantined FROM "
                "kpi_grade WHERE district_code = '5703' AND fiscal_year = 2567 AND quarter = 2"
            )
        ).one()
    assert (view[0], view[1], Decimal(str(view[2])), view[3]) == (
        1,
        CEILING,
        figure.actual_with,
        None,
    )
    assert tuple(untouched) == (0, None, None)


def test_a_row_of_another_quarter_shows_on_that_quarter_only(synced):
    _run, engine = synced
    q3 = _rows(engine, Q3)["5701"]
    assert q3.quarantined is not None
    assert q3.quarantined.figure("sales").actual_with == q3.criterion("sales").actual + Decimal(
        "120000000.00"
    )
    assert _rows(engine, Q2)["5701"].quarantined.rows == 1  # not the May row


def test_an_unreadable_amount_cannot_be_included_and_says_so(synced):
    _run, engine = synced
    wiang_chai = _rows(engine, Q2)["5702"]
    figure = wiang_chai.quarantined.figure("sales")
    assert (figure.rows, figure.unreadable) == (1, 1)
    assert figure.actual_with == wiang_chai.criterion("sales").actual
    assert wiang_chai.quarantine_reasons_text().startswith("column ยอดจำหน่าย (บาท): ")
    assert wiang_chai.with_quarantined_text() == (
        f"ยอดจำหน่าย {figure.actual_with:,.2f} บาท (1 แถวอ่านค่าไม่ได้ จึงรวมไม่ได้)"
    )


def test_the_table_the_artifact_and_every_report_show_it(synced):
    run, engine = synced
    fresh = [g for g in grade_rows(run.grades) if g.quarter == Q2]
    console = Console(width=400, record=True)
    console.print(grades_table(fresh, "2567Q2"))
    cells = {
        row[1]: row[-2]
        for line in console.export_text().splitlines()
        if len(row := [cell.strip() for cell in line.split("│")]) > 2
    }
    assert (cells["5701"], cells["5702"], cells["5703"]) == ("1 แถว", "1 แถว", "-")
    muang = next(g for g in fresh if g.district_code == "5701")
    assert muang == _rows(engine, Q2)["5701"]
    shown = muang.display()
    figure = f"ยอดจำหน่าย {muang.quarantined.figure('sales').actual_with:,.2f} บาท"
    assert (shown["quarantined"], shown["quarantine_reasons"]) == ("1 แถว", CEILING)
    assert shown["with_quarantined"] == figure
    with engine.connect() as connection:
        report = build_report(connection, Q2, "57")
    for file_format in ("csv", "md", "html"):
        rendered = render(report, file_format).decode("utf-8-sig")
        assert CEILING in rendered, file_format
        assert figure in rendered, file_format
    sheet = load_workbook(io.BytesIO(render(report, "xlsx"))).active
    header = [cell.value for cell in sheet[4]]  # the second row of the letter's header
    muang_row = dict(zip(header, [cell.value for cell in sheet[5]], strict=True))
    assert muang_row["แถวที่กักไว้ (quarantine)"] == 1
    assert muang_row["เหตุที่กักไว้"] == CEILING
    assert muang_row["ผลหากรวมแถวที่กักไว้"] == figure
    total_row = next(row for row in sheet.iter_rows(min_row=5) if row[2].value == "รวม")
    total = dict(zip(header, [cell.value for cell in total_row], strict=True))
    assert total["แถวที่กักไว้ (quarantine)"] == 2


def test_a_later_payload_from_the_same_place_supersedes_the_rows(synced):
    run, engine = synced
    with engine.begin() as connection:
        grade_quarters(connection, [Q2], ["57"], load_rulebook(), AS_OF, "regrade")
        versions = connection.execute(
            text("SELECT max(version) FROM kpi_grade_version WHERE district_code = '5701'")
        ).scalar_one()
        assert versions == 1  # the same rows set aside: no new version
        sales = next(e for e in run.extracts if e.dataset == "sales").raws[0]
        loaders.start_run(connection, "later", None, "files", ["57"], AS_OF, datetime.now(UTC))
        loaders.record_raw_files(
            connection,
            "later",
            [
                {
                    "dataset": "sales",
                    "source": sales.source,
                    "location": sales.location,
                    "sha256": "f" * 64,
                    "bytes": 1,
                    "fetched_at": datetime.now(UTC),
                    "stored_path": "elsewhere",
                    "unchanged": False,
                }
            ],
        )
        grade_quarters(connection, [Q2], ["57"], load_rulebook(), AS_OF, "later")
    now = _rows(engine, Q2)
    assert now["5701"].quarantined is None
    with engine.connect() as connection:
        history = connection.execute(
            text(
                "SELECT version, quarantined_rows FROM kpi_grade_history "
                "WHERE district_code = '5701' AND fiscal_year = 2567 AND quarter = 2"
            )
        ).all()
    assert [tuple(row) for row in history] == [(1, 1)]


def test_grades_from_before_0007_read_as_untouched_and_a_regrade_keeps_them(
    engine, chiang_rai_rows
):
    from alembic import command

    from otop_sync.warehouse.db import _alembic_config, upgrade
    from tests.warehouse.conftest import load_all

    small = {name: chiang_rai_rows[name] for name in ("baseline", "products", "shops")}
    load_all(engine, small, "run-1")  # no sales: quick, and graded all the same
    with engine.begin() as connection:
        grade_quarters(connection, [Q2], ["57"], load_rulebook(), AS_OF, "run-1")
    config = _alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0006")
    upgrade(engine)
    with engine.connect() as connection:
        columns = connection.execute(
            text(
                "SELECT DISTINCT quarantined_rows, quarantine_reasons, sales_with_quarantined "
                "FROM kpi_grade"
            )
        ).all()
    assert [tuple(row) for row in columns] == [(0, None, None)]
    with engine.begin() as connection:
        grade_quarters(connection, [Q2], ["57"], load_rulebook(), AS_OF, "run-2")
        versions = connection.execute(text("SELECT DISTINCT version FROM kpi_grade_version"))
        assert list(versions.scalars()) == [1]
