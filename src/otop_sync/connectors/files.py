"""Reading export files (CSV in UTF-8, UTF-8 with BOM or cp874/TIS-620, and XLSX) into raw
tables of text, exactly as written: no value is converted here, so nothing is guessed."""

from __future__ import annotations

import io
import zipfile
from datetime import date, datetime
from pathlib import Path

import pandas as pd
from openpyxl import load_workbook

from otop_sync.errors import OtopSyncError
from otop_sync.transforms.thai import format_be_date

UTF8_BOM = b"\xef\xbb\xbf"
XLSX_MAGIC = b"PK\x03\x04"


class DecodeError(OtopSyncError, ValueError):
    """A payload that is not text in any encoding the CDD systems use, or not a table."""


def decode_text(data: bytes, source: str) -> tuple[str, str]:
    """Decode CSV bytes whatever any header claimed: BOM → UTF-8, valid UTF-8, else cp874.

    Thai in cp874 is bytes 0xA1–0xFB, which never form valid UTF-8 sequences, so the order of
    the attempts decides correctly. Returns the text and the encoding used.
    """
    if data.startswith(UTF8_BOM):
        try:
            return data[len(UTF8_BOM) :].decode("utf-8"), "utf-8-sig"
        except UnicodeDecodeError as error:
            raise DecodeError(f"{source}: has a UTF-8 BOM but invalid UTF-8 ({error})") from None
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp874"), "cp874"
    except UnicodeDecodeError as error:
        raise DecodeError(f"{source}: neither UTF-8 nor cp874 (TIS-620): {error}") from None


def read_csv_text(text: str, source: str) -> pd.DataFrame:
    """Parse CSV text into a table of strings; blank cells are empty strings, never NaN."""
    try:
        return pd.read_csv(
            io.StringIO(text),
            dtype=str,
            keep_default_na=False,
            na_filter=False,
            skipinitialspace=False,
        )
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as error:
        raise DecodeError(f"{source}: not a readable CSV table: {error}") from None


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return format_be_date(value.date())
    if isinstance(value, date):
        return format_be_date(value)
    if isinstance(value, float):
        return repr(value).removesuffix(".0") if value.is_integer() else repr(value)
    return str(value)


def read_xlsx_bytes(data: bytes, source: str) -> pd.DataFrame:
    """Read the first sheet of an XLSX workbook into a table of strings.

    Numbers become their shortest exact text (``25432495.2``); date cells, which Excel stores
    in CE, are written as ``d/m/yyyy`` BE like every other source date.
    """
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as error:
        raise DecodeError(f"{source}: not a readable XLSX workbook: {error}") from error
    try:
        rows = workbook.worksheets[0].iter_rows(values_only=True)
        header = next(rows, None)
        if header is None:
            raise DecodeError(f"{source}: the XLSX sheet is empty")
        width = len(header)
        body = [
            [_cell_text(v) for v in (list(row) + [None] * width)[:width]]
            for row in rows
            if any(v is not None and str(v).strip() for v in row)
        ]
    finally:
        workbook.close()
    return pd.DataFrame(body, columns=[_cell_text(h) for h in header], dtype=str)


def read_table_bytes(data: bytes, source: str) -> pd.DataFrame:
    """Read an export payload (CSV or XLSX, told apart by content) into a table of strings."""
    if data.startswith(XLSX_MAGIC):
        return read_xlsx_bytes(data, source)
    text, _encoding = decode_text(data, source)
    return read_csv_text(text, source)


def read_table_file(path: Path) -> pd.DataFrame:
    """Read an export file into a table of strings (see :func:`read_table_bytes`)."""
    return read_table_bytes(path.read_bytes(), str(path))
