"""Inputs that cannot hurt: links and special files are not read, oversized and inflating
files are refused before they are read, headers are checked first and named when doubled, and
a file mixing encodings is refused at its first bad line."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile

import pytest
from openpyxl import Workbook

from otop_sync.connectors.errors import DecodeError, SchemaDriftError
from otop_sync.connectors.files import PayloadTooLargeError, ReadLimits, read_table_file
from otop_sync.connectors.inbox import FileInbox, extract_file
from otop_sync.connectors.landing import RawLandingStore
from otop_sync.datasets.sales import SALES
from otop_sync.transforms.formats import DuplicateHeaderError

SALES_HEADER = "จังหวัด,อำเภอ,รหัสผู้ผลิต,เดือน,ยอดจำหน่าย (บาท),วันที่บันทึก\n"
SALES_ROW = "เชียงราย,พาน,P1,ม.ค. 67,100.00,10/2/2567\n"


@pytest.fixture
def inbox(tmp_path):
    folder = tmp_path / "drop-here"
    folder.mkdir()
    return FileInbox(folder, RawLandingStore(tmp_path / "raw"))


def test_links_and_special_files_are_skipped_with_the_reason(inbox, tmp_path):
    (inbox.folder / "sales_57.csv").symlink_to("/etc/passwd")
    os.mkfifo(inbox.folder / "shops_57.csv")
    (inbox.folder / "products_old").mkdir()
    scan = inbox.scan()
    assert scan.extracts == []
    assert [(p.name, why) for p, why in scan.skipped] == [
        ("products_old", "a folder"),
        ("sales_57.csv", "a symbolic link (it could point anywhere); only regular files are read"),
        ("shops_57.csv", "not a regular file"),
    ]
    landed = [p for p in (tmp_path / "raw").rglob("*") if p.is_file()]
    assert not any(b"root:" in p.read_bytes() for p in landed)


def test_a_file_over_the_size_cap_is_skipped_unread(tmp_path):
    folder = tmp_path / "drop"
    folder.mkdir()
    (folder / "sales_57.csv").write_text(SALES_HEADER + SALES_ROW * 100, encoding="utf-8")
    limits = ReadLimits(max_file_bytes=1024)
    scan = FileInbox(folder, RawLandingStore(tmp_path / "raw"), limits=limits).scan()
    assert scan.extracts == []
    [(path, why)] = scan.skipped
    size = path.stat().st_size
    assert why == f"{size:,} bytes, over the 1,024 bytes cap (OTOP_MAX_FILE_MIB)"
    assert not list((tmp_path / "raw").rglob("*.csv"))


def _xlsx(path, header, rows):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    workbook.save(path)
    return path


def _bomb(path, inflated_mib):
    """An XLSX-shaped zip whose sheet inflates to ``inflated_mib`` of repeated cells."""
    row = b'<row><c t="inlineStr"><is><t>x</t></is></c></row>' * 2000
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            for _ in range(inflated_mib * (1 << 20) // len(row) + 1):
                sheet.write(row)
    return path


def test_an_xlsx_bomb_is_refused_before_it_is_inflated(tmp_path):
    bomb = _bomb(tmp_path / "sales_bomb.xlsx", 600)
    assert bomb.stat().st_size < 10 * (1 << 20)
    probe = (
        "import resource, sys\n"
        "from pathlib import Path\n"
        "from otop_sync.connectors.files import read_table_file, PayloadTooLargeError\n"
        "try:\n"
        "    read_table_file(Path(sys.argv[1]))\n"
        "except PayloadTooLargeError as error:\n"
        "    print(error)\n"
        "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe, str(bomb)], capture_output=True, text=True, timeout=60
    )
    message, peak_kib = result.stdout.splitlines()
    assert message == (
        f"{bomb}: the XLSX inflates to 600 MiB, over the 512 MiB cap (OTOP_MAX_XLSX_MIB)"
    )
    assert int(peak_kib) < 1024 * 1024  # under 1 GiB


def test_xlsx_rows_are_capped(tmp_path):
    path = _xlsx(
        tmp_path / "sales.xlsx",
        SALES_HEADER.strip().split(","),
        [["เชียงราย", "พาน", f"P{i}", "ม.ค. 67", "1.00", "10/2/2567"] for i in range(5)],
    )
    with pytest.raises(PayloadTooLargeError) as caught:
        extract_file(
            path, SALES, RawLandingStore(tmp_path / "raw"), limits=ReadLimits(max_xlsx_rows=3)
        )
    assert str(caught.value).endswith(
        "sales.xlsx: the XLSX has more than 3 rows (OTOP_MAX_XLSX_ROWS)"
    )


def test_the_header_is_checked_before_any_row_is_read(tmp_path):
    path = _xlsx(
        tmp_path / "sales.xlsx",
        ["จังหวัด", "อำเภอ", "เดือน"],
        [["เชียงราย", "พาน", "ม.ค. 67"] for _ in range(5)],
    )
    with pytest.raises(SchemaDriftError, match="sales export lacks column"):
        extract_file(
            path, SALES, RawLandingStore(tmp_path / "raw"), limits=ReadLimits(max_xlsx_rows=1)
        )


def test_a_doubled_header_is_named(tmp_path):
    path = tmp_path / "sales_57.csv"
    path.write_text(
        "จังหวัด,อำเภอ,รหัสผู้ผลิต,เดือน,ยอดจำหน่าย (บาท), อำเภอ ,วันที่บันทึก\n"
        "เชียงราย,พาน,P1,ม.ค. 67,1.00,พาน,10/2/2567\n",
        encoding="utf-8",
    )
    with pytest.raises(DuplicateHeaderError) as caught:
        extract_file(path, SALES, RawLandingStore(tmp_path / "raw"))
    assert str(caught.value) == f"{path}: column 'อำเภอ' appears twice (columns 2 and 6)"


def test_a_file_mixing_utf8_and_cp874_is_refused_at_its_first_bad_line(tmp_path):
    path = tmp_path / "sales_57.csv"
    path.write_bytes((SALES_HEADER + SALES_ROW).encode("utf-8") + SALES_ROW.encode("cp874"))
    with pytest.raises(DecodeError) as caught:
        read_table_file(path)
    offset = len((SALES_HEADER + SALES_ROW).encode("utf-8"))
    assert str(caught.value) == f"{path}: line 3 is not UTF-8 (byte 0xe0 at offset {offset})"


def test_a_configured_file_that_is_a_folder_is_named(tmp_path):
    from otop_sync.connectors.inbox import UnreadableFileError

    with pytest.raises(UnreadableFileError) as caught:
        extract_file(tmp_path, SALES, RawLandingStore(tmp_path / "raw"))
    assert str(caught.value) == f"{tmp_path}: a folder"
