"""``otop-sync explain``: a grade flipped by a correction, explained back to the raw files and
lines behind it, on both engines.

The mock's Chiang Rai exports are dropped as files (the inbox path: landed, read, typed) and
loaded by run-1; a later sales export carrying the mock's 5712 correction (January 2024, 10,000
baht more, recorded 10 May 2024) is loaded by run-2, which lifts พญาเม็งราย's sales criterion
from not met to met and its grade from none to B.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import Engine, text
from typer.testing import CliRunner

from otop_sync.datasets import dataset
from otop_sync.flows.cli import app
from otop_sync.reports.explain import explanation_record, render_explanation_html
from otop_sync.reports.explanation import THAI_FONTS
from otop_sync.rules import load_rulebook
from otop_sync.transforms.fiscal import Quarter
from otop_sync.transforms.thai import format_be_date
from otop_sync.warehouse import loaders, queries
from otop_sync.warehouse.db import make_engine, upgrade
from otop_sync.warehouse.grading import grade_quarters
from otop_sync.warehouse.lineage import explain_grade
from tests.test_cli_options import plain
from tests.warehouse.conftest import ENGINES, Export, empty_warehouse, read_export

Q1, Q2 = Quarter(2567, 1), Quarter(2567, 2)
FIRST_DAY, SECOND_DAY = date(2024, 7, 15), date(2024, 7, 16)
CORRECTED = "5712"


@dataclass(frozen=True)
class Exports:
    first: dict[str, Export]
    corrected_sales: Export


@pytest.fixture(scope="session")
def exports(tmp_path_factory, chiang_rai_exports, chiang_rai_landing) -> Exports:
    """The mock's exports, then a later sales export carrying the 5712 correction."""
    from otop_sync.mocks.data import MockSpec, generate
    from otop_sync.mocks.render import ExportOptions, Renderer, write_export
    from otop_sync.mocks.server import make_corrections

    data = generate(MockSpec())
    data.corrections = make_corrections(data, 1)
    later = tmp_path_factory.mktemp("later") / "sales_57_corrected.csv"
    write_export(Renderer(data), "sales", None, "csv", "utf-8", ExportOptions(), later)
    return Exports(chiang_rai_exports, read_export(later, chiang_rai_landing))


def _raw_record(name: str, export: Export) -> dict[str, object]:
    return {
        "dataset": name,
        "source": "file",
        "location": str(export.path),
        "sha256": export.raw.sha256,
        "bytes": export.raw.size,
        "fetched_at": export.raw.fetched_at,
        "stored_path": str(export.raw.stored_path),
        "unchanged": False,
    }


def _run(engine: Engine, run_id: str, loaded: dict[str, Export], as_of: date) -> None:
    """A run as a sync makes it: its record, the load, its payloads, the grades."""
    with engine.begin() as connection:
        loaders.start_run(connection, run_id, None, "files", ["57"], as_of, datetime.now(UTC))
    with engine.begin() as connection:
        loaders.lock_for_load(connection)
        for name, export in loaded.items():
            loaders.load_rows(connection, dataset(name), export.rows, run_id)
        loaders.record_raw_files(
            connection, run_id, [_raw_record(name, e) for name, e in loaded.items()]
        )
        grade_quarters(connection, [Q1, Q2], ["57"], load_rulebook(), as_of, run_id)


@dataclass(frozen=True)
class Flipped:
    url: str
    engine: Engine
    exports: Exports


@pytest.fixture(scope="module", params=ENGINES)
def flipped(request, tmp_path_factory, exports) -> Iterator[Flipped]:
    """A warehouse where run-2's corrected export flipped 5712's sales criterion; run-2 also
    set a 5712 sales row aside and found it differing from the summary report."""
    with empty_warehouse(request.param, tmp_path_factory.mktemp("warehouse")) as url:
        engine = make_engine(url)
        upgrade(engine)
        _run(engine, "run-1", exports.first, FIRST_DAY)
        _run(engine, "run-2", {"sales": exports.corrected_sales}, SECOND_DAY)
        raw = {
            "จังหวัด": "เชียงราย",
            "อำเภอ": "พญาเม็งราย",
            "รหัสผู้ผลิต": "P-X",
            "เดือน": "กุมภาพันธ์ 2567",
            "ยอดจำหน่าย (บาท)": "-5.00",
            "วันที่บันทึก": "1/3/2567",
        }
        spec = dataset("sales")
        canonical = {spec.columns[i].name: value for i, value in enumerate(raw.values())}
        with engine.begin() as connection:
            loaders.record_quarantine(
                connection,
                "run-2",
                "sales",
                exports.corrected_sales.raw.sha256,
                pd.DataFrame(
                    {
                        "line": [7],
                        "raw_row": [canonical],
                        "reasons": ["sales.amount_not_negative: -5.00 is negative"],
                    }
                ),
            )
            loaders.record_validation(
                connection,
                "run-2",
                [
                    {
                        "dataset": "sales",
                        "suite": "sales.dataset",
                        "expectation": "sales.reconciles_with_summary",
                        "severity": "critical",
                        "success": False,
                        "unexpected_count": 1,
                        "details": {
                            "description": "sales equal the summary report",
                            "examples": [
                                "5712 2024-01-01: ours 1.00, report 2.00",
                                "5701 2024-01-01: ours 1.00, report 3.00",
                            ],
                        },
                    }
                ],
            )
        yield Flipped(url, engine, exports)
        engine.dispose()


def explain(flipped: Flipped, *args: str) -> str:
    result = CliRunner().invoke(app, ["explain", *args, "--warehouse", flipped.url])
    assert result.exit_code == 0, (result.output, result.exception)
    return result.output


def _line(path: Path, number: int) -> str:
    return path.read_text(encoding="utf-8").splitlines()[number - 1]


def test_a_flipped_grade_names_both_values_their_dates_files_and_lines(flipped):
    record = json.loads(explain(flipped, CORRECTED, "--quarter", "2567Q2", "--format", "json"))
    first, later = flipped.exports.first["sales"], flipped.exports.corrected_sales
    [correction] = record["corrections"]
    original = first.rows[
        (first.rows["district_code"] == CORRECTED)
        & (first.rows["month"] == date(2024, 1, 1))
        & (first.rows["producer_code"] == correction["producer_code"])
    ].iloc[0]
    assert correction["month"] == "2024-01-01"
    assert correction["old_amount"] == str(original["amount"])
    assert correction["new_amount"] == str(original["amount"] + 10000)
    assert correction["old_recorded_on"] == original["recorded_on"].isoformat()
    assert correction["new_recorded_on"] == "2024-05-10"
    assert correction["replaced_by_run"] == "run-2"
    old, new = correction["old"], correction["new"]
    assert (old["raw_sha256"], old["file"], old["run_id"]) == (
        first.raw.sha256,
        str(first.path),
        "run-1",
    )
    assert (new["raw_sha256"], new["file"], new["run_id"]) == (
        later.raw.sha256,
        str(later.path),
        "run-2",
    )
    producer = correction["producer_code"]
    assert old["source_line"] == int(original["line"])
    assert _line(first.path, old["source_line"]).split(",")[2:] == [
        producer,
        "1/2567",
        f"{original['amount']:.2f}",
        format_be_date(original["recorded_on"]),
    ]
    assert _line(later.path, new["source_line"]).split(",")[2:] == [
        producer,
        "1/2567",
        f"{original['amount'] + 10000:.2f}",
        "10/5/2567",
    ]
    sales = {c["result"]["criterion"]: c["result"] for c in record["criteria"]}["sales"]
    [before] = record["earlier_versions"]
    before_sales = {c["criterion"]: c for c in before["criteria"]}["sales"]
    assert (before["grade"], before_sales["met"], before["replaced_by_run"]) == (
        None,
        False,
        "run-2",
    )
    assert (record["current"]["grade"], sales["met"], record["current"]["version"]) == (
        "B",
        True,
        2,
    )
    counted = {
        (s["producer_code"], s["amount"], s["counted"])
        for s in record["sales"]
        if s["month"] == "2024-01-01" and s["producer_code"] == producer
    }
    assert counted == {
        (producer, str(original["amount"]), False),
        (producer, str(original["amount"] + 10000), True),
    }
    [quarantined] = record["quarantined"]
    assert (quarantined["line"], quarantined["file"]) == (7, str(later.path))
    [reconciliation] = record["reconciliations"]
    assert reconciliation["district_differences"] == ["5712 2024-01-01: ours 1.00, report 2.00"]
    assert record["rules_letter"] == "ขร 0019.2/ว 2971 ลงวันที่ 5 กุมภาพันธ์ 2567"
    assert record["base"]["source"] == "published"
    assert record["base"]["published"]["raw_sha256"] == flipped.exports.first["baseline"].raw.sha256


def test_the_figures_explained_are_the_grade_rows(flipped):
    rulebook = load_rulebook()
    with flipped.engine.connect() as connection:
        rows = queries.grade_rows(connection, Q2, "57")
        explained = [explain_grade(connection, Q2, r.district_code, rulebook) for r in rows]
    assert len(rows) == 18
    for row, explanation in zip(rows, explained, strict=True):
        assert explanation.grade == row.grade
        assert (explanation.status, explanation.as_of) == (row.status, row.as_of)
        assert tuple(c.result for c in explanation.criteria) == row.criteria
        figures = {r.criterion: r.actual for r in row.criteria}
        before, after = explanation.products_active()
        assert after - before == figures["products"]
        assert explanation.sales_counted() == figures["sales"]
        assert explanation.shop_units() == (row.shop_producers, row.shop_centres)
        assert sum(explanation.shop_units()) == figures["shops"]
        totals = explanation_record(explanation)["source_totals"]
        assert totals["sales_counted"] == str(figures["sales"])


def test_the_lineage_view_names_each_grades_files_and_runs(flipped):
    with flipped.engine.connect() as connection:
        row = (
            connection.execute(
                text(
                    "SELECT grade, version, raw_files, raw_sha256s, file_names, loading_runs "
                    "FROM v_grade_lineage WHERE district_code = '5712' AND fiscal_year = 2567 "
                    "AND quarter = 2"
                )
            )
            .mappings()
            .one()
        )
    exports = flipped.exports
    behind = ("baseline", "products", "sales", "shops")  # not the form's responses
    shas = {exports.first[name].raw.sha256 for name in behind}
    shas.add(exports.corrected_sales.raw.sha256)
    assert (row["grade"], row["version"], row["raw_files"]) == ("B", 2, len(shas))
    assert set(row["raw_sha256s"].split(",")) == shas
    assert str(exports.corrected_sales.path) in row["file_names"].split(",")
    assert set(row["loading_runs"].split(",")) == {"run-1", "run-2"}


def test_format_chooses_text_json_or_a_self_contained_page(flipped):
    text_out = explain(flipped, CORRECTED, "--quarter", "2567Q2")
    assert text_out.startswith("2567Q2 5712 พญาเม็งราย\n")
    assert "Corrections:\n  มกราคม 2567" in text_out
    page = explain(flipped, CORRECTED, "--quarter", "2567Q2", "--format", "html")
    assert page.startswith('<!DOCTYPE html>\n<html lang="th">')
    assert f"font-family: {THAI_FONTS}" in page
    assert "<script" not in page
    assert "http" not in page.split("</style>")[0]
    with flipped.engine.connect() as connection:
        explanation = explain_grade(connection, Q2, CORRECTED, load_rulebook())
    assert page == render_explanation_html(explanation)


def test_out_writes_the_file_instead(flipped, tmp_path):
    out = tmp_path / "5712.html"
    printed = explain(
        flipped, CORRECTED, "--quarter", "2567Q2", "--format", "html", "--out", str(out)
    )
    assert printed == f"{out}\n"
    assert out.read_text(encoding="utf-8") == explain(
        flipped, CORRECTED, "--quarter", "2567Q2", "--format", "html"
    )


def test_quarter_and_district_name_choose_the_grade(flipped):
    q1 = json.loads(explain(flipped, "พญาเม็งราย", "--quarter", "2567Q1", "--format", "json"))
    q2 = json.loads(explain(flipped, "อ.พญาเม็งราย", "--quarter", "2567Q2", "--format", "json"))
    assert (q1["quarter"], q1["district_code"]) == ("2567Q1", CORRECTED)
    assert (q2["quarter"], q2["district_code"]) == ("2567Q2", CORRECTED)
    assert q1["sales"] != q2["sales"]


def test_province_chooses_where_a_name_is_matched(flipped):
    result = CliRunner().invoke(
        app,
        [
            *("explain", "พญาเม็งราย", "--quarter", "2567Q2", "--province", "50"),
            "--warehouse",
            flipped.url,
        ],
    )
    assert result.exit_code == 2
    assert plain(result.output).endswith(
        "Error Invalid value for DISTRICT: 'พญาเม็งราย' matches no place in province เชียงใหม่ "
        "(50); closest: แม่อาย (5010), สะเมิง (5008), สันทราย (5014)"
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["9999", "--quarter", "2567Q2"],
            "Invalid value for DISTRICT: '9999' is not a district code, such as 5701 (เมืองเชียงราย)",
        ),
        (
            ["เมืองงง", "--quarter", "2567Q2"],
            "Invalid value for DISTRICT: 'เมืองงง' matches no place in province เชียงราย (57); "
            "closest: เมืองเชียงราย (5701), เชียงของ (5703), เวียงเชียงรุ้ง (5717)",
        ),
        (
            ["5712", "--quarter", "2567Q5"],
            "Invalid value for '--quarter': cannot read '2567Q5' as a fiscal quarter such as "
            "2567Q2",
        ),
        (
            ["5712", "--quarter", "2567Q2", "--format", "pdf"],
            "Invalid value for '--format': Value error, 'pdf' is not one of 'text', 'json', "
            "'html'.",
        ),
        (
            ["5712", "--quarter", "2567Q2", "--out", "no-such-folder/5712.html"],
            "Invalid value for --out: the folder 'no-such-folder' does not exist",
        ),
    ],
)
def test_bad_input_is_bad_usage_with_the_reason(args, message):
    result = CliRunner().invoke(app, ["explain", *args])
    assert result.exit_code == 2, result.output
    assert plain(result.output).endswith(f"Error {message}")


def test_a_quarter_without_grades_is_one_line(flipped):
    result = CliRunner().invoke(
        app, ["explain", CORRECTED, "--quarter", "2568Q3", "--warehouse", flipped.url]
    )
    assert result.exit_code == 1
    assert str(result.exception) == (
        "no grade for 5712 (พญาเม็งราย) in 2568Q3: grade the quarter first "
        "(otop-sync sync or otop-sync grade)"
    )
