"""The file inbox: every encoding and format, each file read once."""

import shutil

import pytest
from openpyxl import Workbook

from otop_sync.connectors.inbox import FileInbox, archive, extract_file
from otop_sync.connectors.landing import ConsumedPayloads, RawLandingStore
from otop_sync.datasets.baseline import BASELINE
from otop_sync.mocks.data import MockSpec, generate
from otop_sync.mocks.render import export_all
from tests.tables import same_text


@pytest.fixture(scope="module")
def exports(tmp_path_factory):
    """The mock's Chiang Rai exports in UTF-8, UTF-8 with BOM and cp874."""
    data = generate(MockSpec())
    root = tmp_path_factory.mktemp("exports")
    return {
        encoding: {
            p.name.split("_")[0]: p for p in export_all(data, root / encoding, encoding=encoding)
        }
        for encoding in ("utf-8", "utf-8-sig", "cp874")
    }


@pytest.fixture
def inbox(tmp_path):
    folder = tmp_path / "inbox"
    folder.mkdir()
    return FileInbox(folder, RawLandingStore(tmp_path / "raw"))


def test_cp874_bom_and_utf8_files_read_alike(inbox, exports):
    shutil.copy(exports["cp874"]["sales"], inbox.folder / "sales_57_cp874.csv")
    shutil.copy(exports["utf-8-sig"]["products"], inbox.folder / "OTOP_products.csv")
    shutil.copy(exports["utf-8"]["shops"], inbox.folder / "shops.csv")
    scan = inbox.scan()
    by_dataset = {e.dataset: e for e in scan.extracts}
    assert sorted(by_dataset) == ["products", "sales", "shops"]
    reference = FileInbox(
        exports["utf-8"]["sales"].parent, RawLandingStore(inbox.folder.parent / "ref")
    ).scan()
    reference_sales = next(e for e in reference.extracts if e.dataset == "sales")
    assert same_text(by_dataset["sales"].table, reference_sales.table)
    assert by_dataset["products"].table.iloc[0]["province"] == "เชียงราย"
    assert all(e.source == "inbox" for e in scan.extracts)


def test_xlsx_file(inbox, exports):
    baseline = extract_file(exports["utf-8"]["baseline"], BASELINE, inbox.landing).table
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(
        [
            "ปีงบประมาณ",
            "ไตรมาส",
            "จังหวัด",
            "อำเภอ",
            "ฐานเดิมปีฐาน (บาท)",
            "จำนวนผู้สนใจ Digital Wallet ไตรมาส 1",
            "หมายเหตุ",
        ]
    )
    for row in baseline.itertuples(index=False):
        sheet.append(
            [
                int(row.fiscal_year),
                int(row.quarter),
                row.province,
                row.district,
                row.base_sales,
                row.interested_q1,
                "ok",
            ]
        )
    workbook.save(inbox.folder / "baseline_2567.xlsx")
    (extract,) = inbox.scan().extracts
    assert same_text(extract.table, baseline)
    assert extract.unknown_columns == ("หมายเหตุ",)


def test_a_file_dropped_again_is_read_once(inbox, exports):
    shutil.copy(exports["utf-8"]["shops"], inbox.folder / "shops_1.csv")
    first = inbox.scan()
    assert len(first.extracts) == 1
    inbox.landing.consumed_payloads = ConsumedPayloads.of(first.extracts[0].raws)
    shutil.copy(exports["utf-8"]["shops"], inbox.folder / "shops_again.csv")
    second = inbox.scan()
    assert second.extracts == []
    assert sorted(p.name for p in second.already_loaded) == ["shops_1.csv", "shops_again.csv"]


def test_a_file_not_yet_loaded_is_read_again(inbox, exports):
    shutil.copy(exports["utf-8"]["shops"], inbox.folder / "shops.csv")
    assert len(inbox.scan().extracts) == 1
    assert len(inbox.scan().extracts) == 1  # the first run failed before loading


def test_unrecognised_files_are_reported(inbox):
    (inbox.folder / "notes.txt").write_text("hello", encoding="utf-8")
    (inbox.folder / "report.csv").write_text("a,b\n1,2\n", encoding="utf-8")
    scan = inbox.scan()
    assert scan.extracts == []
    assert sorted(p.name for p in scan.unrecognised) == ["notes.txt", "report.csv"]


def test_archive_moves_a_loaded_file(inbox, exports, tmp_path):
    dropped = inbox.folder / "shops.csv"
    shutil.copy(exports["utf-8"]["shops"], dropped)
    moved = archive(dropped, tmp_path / "done")
    assert not dropped.exists()
    assert moved.read_bytes() == exports["utf-8"]["shops"].read_bytes()
