"""The bad-input corpus: each file one kind of bad, each with its exact quarantine or stop.

Samut Songkhram (75) has three districts; as of 20 January 2567 BE the sales of October to
December 2566 BE are due. Every file is ``sales_clean.csv`` with one thing wrong.
"""

from datetime import date
from pathlib import Path

import pytest

from otop_sync.connectors.errors import SchemaDriftError
from otop_sync.connectors.html import parse_summary_report
from otop_sync.connectors.inbox import extract_file
from otop_sync.connectors.landing import RawLandingStore
from otop_sync.datasets import dataset as dataset_spec
from otop_sync.datasets.summary import SUMMARY
from otop_sync.expectations.checks import validate_dataset
from otop_sync.expectations.context import gx_context
from otop_sync.expectations.runner import CriticalExpectationError, Validator, raise_if_critical
from otop_sync.expectations.severity import Severities, load_severities
from otop_sync.expectations.suites import SuiteParameters

CORPUS = Path(__file__).parent / "corpus"
PARAMS = SuiteParameters(("75",), date(2024, 1, 20), sales_from=date(2023, 10, 1))


def validate(tmp_path, name, dataset="sales", summary=None, severities=None):
    spec = dataset_spec(dataset)
    extract = extract_file(CORPUS / name, spec, RawLandingStore(tmp_path / "raw"))
    typed, issues = spec.type_rows(extract.table)
    report = None
    if summary is not None:
        report, summary_issues = SUMMARY.type_rows(
            parse_summary_report((CORPUS / summary).read_text(encoding="utf-8"))
        )
        assert summary_issues == []
    validator = Validator(gx_context(tmp_path / "docs"), severities or load_severities(), "test")
    return validate_dataset(validator, spec, extract.table, typed, issues, PARAMS, report)


def quarantined(validation):
    return [(row.line, row.reasons) for row in validation.quarantine.itertuples()]


def test_clean_file_passes_every_expectation(tmp_path):
    validation = validate(tmp_path, "sales_clean.csv", summary="summary_agrees.html")
    assert (validation.rows_read, validation.rows_loaded, validation.rows_quarantined) == (
        18,
        18,
        0,
    )
    assert all(o.success for o in validation.outcomes), [
        o for o in validation.outcomes if not o.success
    ]
    assert {o.check_id for o in validation.outcomes} >= {
        "sales.cells_readable",
        "sales.key_unique",
        "sales.amount_not_negative",
        "sales.months_complete",
        "sales.reconciles_with_summary",
    }
    raise_if_critical([validation])


def test_thai_digits_in_amounts_are_read_not_quarantined(tmp_path):
    thai = validate(tmp_path, "sales_thai_digits.csv")
    clean = validate(tmp_path, "sales_clean.csv")
    assert thai.rows_quarantined == 0
    assert list(thai.clean["amount"]) == list(clean.clean["amount"])
    assert list(thai.clean["recorded_on"]) == list(clean.clean["recorded_on"])


def test_ce_date_among_be_dates_is_quarantined(tmp_path):
    validation = validate(tmp_path, "sales_mixed_be_ce_dates.csv")
    assert quarantined(validation) == [
        (
            3,
            "line 3, column วันที่บันทึก: cannot read '12/11/2023' as a date d/m/yyyy (BE): "
            "year 2023 is not a Buddhist Era year",
        )
    ]
    assert validation.rows_loaded == 17
    raise_if_critical([validation])  # the other producer still covers the month


def test_negative_and_absurd_amounts_are_quarantined(tmp_path):
    validation = validate(tmp_path, "sales_negative_and_absurd_amounts.csv")
    assert quarantined(validation) == [
        (4, "sales.amount_not_negative: ยอดจำหน่าย (บาท) is negative"),
        (
            9,
            "sales.amount_below_ceiling: ยอดจำหน่าย (บาท) is above 100,000,000.00 baht, "
            "the plausibility limit (OTOP_AMOUNT_CEILING)",
        ),
    ]
    assert validation.quarantine.iloc[0]["raw_row"]["amount"] == "-1,500.00"


def test_duplicate_keys_are_all_quarantined(tmp_path):
    validation = validate(tmp_path, "sales_duplicate_keys.csv")
    reason = (
        "sales.key_unique: the same รหัสผู้ผลิต, เดือน and วันที่บันทึก appear more than once in the district"
    )
    assert quarantined(validation) == [(2, reason), (20, reason)]
    assert (validation.rows_read, validation.rows_loaded) == (19, 17)


def test_unknown_district_is_quarantined_with_its_candidates(tmp_path):
    validation = validate(tmp_path, "sales_unknown_district.csv")
    [(line, reason)] = quarantined(validation)
    assert line == 6
    assert reason.startswith(
        "line 6, column อำเภอ: 'บางรัก' matches no place in province สมุทรสงคราม (75); closest: "
    )


def test_missing_column_stops_at_reading(tmp_path):
    with pytest.raises(SchemaDriftError) as caught:
        validate(tmp_path, "sales_missing_column.csv")
    assert str(caught.value) == (
        f"{CORPUS / 'sales_missing_column.csv'}: sales export lacks column(s) ยอดจำหน่าย (บาท); "
        "found จังหวัด, อำเภอ, รหัสผู้ผลิต, เดือน, วันที่บันทึก"
    )


def test_a_late_district_is_a_warning_not_a_stop(tmp_path):
    validation = validate(tmp_path, "sales_missing_month.csv")
    assert validation.rows_quarantined == 0
    raise_if_critical([validation])  # the province goes on: the district is graded as late
    [late] = [o for o in validation.outcomes if not o.success]
    assert (late.check_id, late.severity, late.examples) == (
        "sales.months_complete",
        "warning",
        ("7502:2023-11-01",),
    )


def test_a_month_missing_for_most_districts_at_once_stops_the_run(tmp_path):
    cut = tmp_path / "sales_cut.csv"
    lines = (CORPUS / "sales_clean.csv").read_text(encoding="utf-8").splitlines()
    cut.write_text(
        "\n".join([lines[0], *(line for line in lines[1:] if "พฤศจิกายน 2566" not in line)]) + "\n",
        encoding="utf-8",
    )
    validation = validate(tmp_path, cut)
    with pytest.raises(CriticalExpectationError) as caught:
        raise_if_critical([validation])
    assert str(caught.value) == (
        "critical expectations failed: sales: sales.export_not_cut failed (no month already due "
        "is missing for more than 50% of a province's districts at once (the export looks cut "
        "short, not late); 1 unexpected; e.g. 75 2023-11-01: 3 of 3 districts)"
    )


def test_summary_that_disagrees_stops_the_run(tmp_path):
    validation = validate(tmp_path, "sales_clean.csv", summary="summary_disagrees.html")
    with pytest.raises(CriticalExpectationError) as caught:
        raise_if_critical([validation])
    assert str(caught.value) == (
        "critical expectations failed: sales: sales.reconciles_with_summary failed (sales per "
        "district and month equal the central system's summary report; 1 unexpected; "
        "e.g. 7503 2023-12-01: ours 64,301.00, report 64,301.01)"
    )
    assert caught.value.failures[0].dataset == "sales"


def test_baseline_missing_a_district_stops_the_run(tmp_path):
    validation = validate(tmp_path, "baseline_missing_district.csv", dataset="baseline")
    with pytest.raises(
        CriticalExpectationError, match=r"baseline\.covers_every_district failed .*e\.g\. 7502\)$"
    ):
        raise_if_critical([validation])


def test_an_unfamiliar_product_category_is_loaded_with_a_warning(tmp_path):
    validation = validate(tmp_path, "products_unknown_category.csv", dataset="products")
    assert quarantined(validation) == []
    assert "ยานพาหนะ" in set(validation.clean["product_category"])
    [warning] = [o for o in validation.outcomes if not o.success]
    assert (warning.check_id, warning.severity, warning.examples) == (
        "products.category_known",
        "warning",
        ("ยานพาหนะ (1 row, line 3)",),
    )
    raise_if_critical([validation])


def test_severity_is_configuration(tmp_path):
    relaxed = Severities(
        {"row": "quarantine", "dataset": "critical"},
        {"sales.reconciles_with_summary": "warning", "sales.amount_not_negative": "warning"},
    )
    validation = validate(
        tmp_path,
        "sales_negative_and_absurd_amounts.csv",
        summary="summary_disagrees.html",
        severities=relaxed,
    )
    raise_if_critical([validation])  # only warnings: the run goes on
    assert [line for line, _ in quarantined(validation)] == [9]  # the negative row is kept
    failed = {o.check_id: o.severity for o in validation.outcomes if not o.success}
    assert failed == {
        "sales.amount_not_negative": "warning",
        "sales.amount_below_ceiling": "quarantine",
        "sales.reconciles_with_summary": "warning",
    }


def test_data_docs_are_written(tmp_path):
    spec = dataset_spec("sales")
    extract = extract_file(CORPUS / "sales_clean.csv", spec, RawLandingStore(tmp_path / "raw"))
    typed, issues = spec.type_rows(extract.table)
    validator = Validator(gx_context(tmp_path / "docs"), load_severities(), "run-42")
    validate_dataset(validator, spec, extract.table, typed, issues, PARAMS)
    index = validator.build_docs()
    assert index == tmp_path / "docs" / "index.html"
    pages = list((tmp_path / "docs" / "validations").rglob("*.html"))
    assert {p.parts[-4] for p in pages} == {"sales", "sales_coverage", "sales_completeness"}
    assert all("run-42" in p.parts for p in pages)


def test_the_earliest_plausible_date_is_configuration_and_the_reason_says_so(tmp_path, monkeypatch):
    from dataclasses import replace

    from otop_sync.flows.settings import Settings

    monkeypatch.setenv("OTOP_EARLIEST_DATE", "2023-11-01")
    earliest = Settings().earliest_date
    assert earliest == date(2023, 11, 1)
    spec = dataset_spec("sales")
    extract = extract_file(CORPUS / "sales_clean.csv", spec, RawLandingStore(tmp_path / "raw"))
    typed, issues = spec.type_rows(extract.table)
    validator = Validator(gx_context(tmp_path / "docs"), load_severities(), "test")
    validation = validate_dataset(
        validator, spec, extract.table, typed, issues, replace(PARAMS, earliest_date=earliest)
    )
    october = typed[typed["month"] == date(2023, 10, 1)]
    assert len(october) > 0
    assert quarantined(validation) == [
        (
            line,
            "sales.month_in_range: เดือน is before 2023-11-01, the plausibility limit "
            "(OTOP_EARLIEST_DATE), or after 2024-01-20",
        )
        for line in october["line"]
    ]
