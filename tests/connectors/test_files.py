"""Reading export files in every encoding and format the CDD systems produce."""

import io
from datetime import date
from decimal import Decimal

import pandas as pd
import pytest
from openpyxl import Workbook

from otop_sync.connectors.errors import DecodeError
from otop_sync.connectors.files import decode_text, read_table_bytes, read_table_file
from otop_sync.datasets import dataset_for_filename
from otop_sync.datasets.baseline import BASELINE
from otop_sync.datasets.sales import SALES
from otop_sync.transforms.formats import SchemaDriftError, to_canonical


def test_decoding_picks_the_right_encoding():
    text = "อำเภอ,ยอดจำหน่าย (บาท)\nเชียงของ,1\n"
    assert decode_text(b"\xef\xbb\xbf" + text.encode("utf-8"), "x") == (text, "utf-8-sig")
    assert decode_text(text.encode("utf-8"), "x") == (text, "utf-8")
    assert decode_text(text.encode("cp874"), "x") == (text, "cp874")


def test_bytes_that_are_no_thai_encoding_are_an_error():
    with pytest.raises(DecodeError) as caught:
        decode_text(b"\xef\xbb\xbf\xff\xfe", "inbox/sales.csv")
    assert str(caught.value).startswith("inbox/sales.csv: has a UTF-8 BOM but invalid UTF-8")
    with pytest.raises(
        DecodeError, match=r"^inbox/sales\.csv: neither UTF-8 nor cp874 \(TIS-620\): "
    ):
        decode_text(b"\xdb\xfc", "inbox/sales.csv")


def test_xlsx_dates_are_written_as_be_dates():
    workbook = Workbook()
    workbook.active.append(["วันที่ลงทะเบียน", "ยอด"])
    workbook.active.append([date(2024, 1, 15), 25432495.2])
    buffer = io.BytesIO()
    workbook.save(buffer)
    table = read_table_bytes(buffer.getvalue(), "x.xlsx")
    assert table.iloc[0].tolist() == ["15/1/2567", "25432495.2"]


def test_damaged_xlsx_is_an_error():
    with pytest.raises(DecodeError, match=r"^broken\.xlsx: not a readable XLSX workbook: "):
        read_table_bytes(b"PK\x03\x04 not really a zip", "broken.xlsx")


def test_headers_in_any_order_with_spaces_and_extra_columns():
    raw = pd.DataFrame(
        {
            " วันที่บันทึก": ["1/2/2567"],
            "หมายเหตุ": ["x"],
            "\ufeffจังหวัด": ["เชียงราย"],
            "อำเภอ ": ["พาน"],
            "รหัสผู้ผลิต": [""],
            "เดือน": ["ม.ค. 67"],
            "ยอดจำหน่าย  (บาท)": ["1,000"],
        }
    )
    table, unknown = to_canonical(raw, SALES, "sales.csv")
    assert list(table.columns) == [
        "province",
        "district",
        "producer_code",
        "month",
        "amount",
        "recorded_on",
    ]
    assert table.iloc[0].tolist() == ["เชียงราย", "พาน", "", "ม.ค. 67", "1,000", "1/2/2567"]
    assert unknown == ["หมายเหตุ"]


def test_missing_required_column_names_file_and_column():
    raw = pd.DataFrame(
        {"จังหวัด": [], "อำเภอ": [], "เดือน": [], "ยอดขาย": [], "วันที่บันทึก": [], "รหัสผู้ผลิต": []}
    )
    with pytest.raises(SchemaDriftError) as caught:
        to_canonical(raw, SALES, "inbox/sales_2567.csv")
    assert str(caught.value) == (
        "inbox/sales_2567.csv: sales export lacks column(s) ยอดจำหน่าย (บาท); "
        "found จังหวัด, อำเภอ, เดือน, ยอดขาย, วันที่บันทึก, รหัสผู้ผลิต"
    )


def test_optional_baseline_column_may_be_absent():
    raw = pd.DataFrame(
        {
            "ปีงบประมาณ": ["2567"],
            "ไตรมาส": ["1"],
            "จังหวัด": ["เชียงราย"],
            "อำเภอ": ["พาน"],
            "จำนวนผู้สนใจ Digital Wallet ไตรมาส 1": ["22"],
        }
    )
    table, _ = to_canonical(raw, BASELINE, "baseline.csv")
    assert table.loc[0, "base_sales"] == ""


@pytest.mark.parametrize(
    ("name", "dataset"),
    [
        ("CDD_otop_products_2567.csv", "products"),
        ("sales-2567-01.xlsx", "sales"),
        ("SHOPS.csv", "shops"),
        ("chiangrai_baseline.csv", "baseline"),
        ("readme.txt", None),
    ],
)
def test_dataset_is_recognised_by_file_name(name, dataset):
    found = dataset_for_filename(name)
    assert (found.name if found else None) == dataset


def test_read_table_file_keeps_every_value_as_text(tmp_path):
    path = tmp_path / "sales.csv"
    path.write_text('อำเภอ,ยอดจำหน่าย (บาท)\nพาน,"1,000.50"\nแม่สาย,\n', encoding="utf-8")
    table = read_table_file(path)
    assert table.to_dict("records") == [
        {"อำเภอ": "พาน", "ยอดจำหน่าย (บาท)": "1,000.50"},
        {"อำเภอ": "แม่สาย", "ยอดจำหน่าย (บาท)": ""},
    ]


SALES_HEADER = "จังหวัด,อำเภอ,รหัสผู้ผลิต,เดือน,ยอดจำหน่าย (บาท),วันที่บันทึก"


def test_repeated_columns_are_kept_once_per_distinct_value_and_type_as_text(tmp_path):
    path = tmp_path / "sales_57.csv"
    rows = [f"เชียงราย,พาน,P{i:04d},ม.ค. 2567,{i}.25,15/2/2567" for i in range(40)]
    path.write_text("\n".join([SALES_HEADER, *rows, ""]), encoding="utf-8")
    table = read_table_file(path)
    assert isinstance(table["จังหวัด"].dtype, pd.CategoricalDtype)  # one value, 40 rows
    assert list(table["จังหวัด"].cat.categories) == ["เชียงราย"]
    assert not isinstance(table["ยอดจำหน่าย (บาท)"].dtype, pd.CategoricalDtype)  # all distinct
    typed, issues = SALES.type_rows(to_canonical(table, SALES, "sales_57.csv")[0])
    assert issues == []
    assert list(typed["district_code"].unique()) == ["5705"]
    assert typed["amount"].iloc[-1] == Decimal("39.25")
    header_only = tmp_path / "sales_50.csv"
    header_only.write_text(SALES_HEADER + "\n", encoding="utf-8")
    assert read_table_file(header_only).columns.tolist() == SALES_HEADER.split(",")
    assert read_table_file(header_only).empty


def test_rows_keep_their_physical_line_past_empty_lines(tmp_path):
    path = tmp_path / "sales_57.csv"
    path.write_text(
        f"{SALES_HEADER}\r\n"
        "เชียงราย,พาน,P1,1/2567,10.00,5/2/2567\r\n"
        "\r\n"
        "\r\n"
        "เชียงราย,พาน,P2,1/2567,20.00,5/2/2567\r\n"
        "เชียงราย,พาน,P3,สิบ,30.00,5/2/2567\r\n",
        encoding="utf-8",
    )
    table, _unknown = to_canonical(read_table_file(path), SALES, str(path))
    rows, issues = SALES.type_rows(table)
    assert list(rows["line"]) == [2, 5]
    assert [issue.line for issue in issues] == [6]


def test_xlsx_rows_keep_their_sheet_row_past_empty_rows(tmp_path):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(SALES_HEADER.split(","))
    sheet.append(["เชียงราย", "พาน", "P1", "1/2567", 10, "5/2/2567"])
    sheet.append([None] * 6)
    sheet.append(["เชียงราย", "พาน", "P2", "1/2567", 20, "5/2/2567"])
    path = tmp_path / "sales_57.xlsx"
    workbook.save(path)
    table, _unknown = to_canonical(read_table_file(path), SALES, str(path))
    rows, issues = SALES.type_rows(table)
    assert issues == []
    assert list(rows["line"]) == [2, 4]


def test_a_stream_with_empty_lines_is_left_to_the_landed_file():
    from otop_sync.connectors.files import read_csv_stream

    body = f"{SALES_HEADER}\nเชียงราย,พาน,P1,1/2567,10.00,5/2/2567\n".encode()
    assert list(read_csv_stream(io.BytesIO(body), "x").index) == [2]
    with pytest.raises(DecodeError, match="rows are not one a line"):
        read_csv_stream(io.BytesIO(body + b"\n\n"), "x")
