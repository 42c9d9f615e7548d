"""Reading export payloads (CSV in UTF-8, UTF-8 with BOM or cp874/TIS-620, and XLSX) into raw
tables of text, exactly as written: no value is converted here, so nothing is guessed.

CSV goes through pyarrow's multi-threaded reader with every column typed as text; the
encoding is decided from the bytes themselves (a BOM, valid UTF-8, else cp874), whatever a
server's charset header claimed. A file that mixes UTF-8 and cp874 is refused, naming the line.

An XLSX is checked before it is read: its uncompressed size (a small file can inflate to
gigabytes), then its header row against the export format, then its rows as they stream, up
to a cap; the caps are :class:`ReadLimits`.
"""

from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import BinaryIO

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
from openpyxl import load_workbook

from otop_sync.connectors.errors import DecodeError, TruncatedPayloadError
from otop_sync.errors import OtopSyncError
from otop_sync.transforms.formats import ExportFormat, check_header
from otop_sync.transforms.rows import FIRST_DATA_LINE, with_source_lines
from otop_sync.transforms.thai import format_be_date

UTF8_BOM = b"\xef\xbb\xbf"
XLSX_MAGIC = b"PK\x03\x04"
_PEEK = 1 << 16
_BLOCK = 8 << 20
MIB = 1 << 20


@dataclass(frozen=True)
class ReadLimits:
    """How large an export may be before it is refused unread (``OTOP_MAX_*`` settings)."""

    max_file_bytes: int = 2048 * MIB
    """A file or download (the national sales CSV is about 330 MB)."""
    max_xlsx_uncompressed_bytes: int = 512 * MIB
    """An XLSX's parts once inflated."""
    max_xlsx_rows: int = 1_048_576
    """Data rows of an XLSX sheet (Excel's own limit)."""


DEFAULT_LIMITS = ReadLimits()


def size_text(size: int) -> str:
    """A size for a message: bytes below a MiB, else whole MiB."""
    return f"{size:,} bytes" if size < MIB else f"{size / MIB:,.0f} MiB"


class PayloadTooLargeError(OtopSyncError):
    """An export over a configured size or row cap; it is not read."""


def decode_text(data: bytes, source: str) -> tuple[str, str]:
    """Decode text bytes whatever any header claimed: BOM → UTF-8, valid UTF-8, else cp874.

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


def _edges(payload: Path | bytes) -> tuple[bytes, bytes, int]:
    if isinstance(payload, bytes):
        return payload[:_PEEK], payload[-_PEEK:], len(payload)
    size = payload.stat().st_size
    with payload.open("rb") as handle:
        head = handle.read(_PEEK)
        handle.seek(max(0, size - _PEEK))
        return head, handle.read(), size


def _header(head: bytes, source: str) -> list[str]:
    first_line = head.split(b"\n", 1)[0].rstrip(b"\r")
    text, _encoding = decode_text(first_line, source)
    names = next(csv.reader([text]), [])
    if not names or not any(n.strip() for n in names):
        raise DecodeError(f"{source}: no header row")
    return names


def _check_last_row(tail: bytes, width: int, source: str) -> None:
    """A payload that does not end with a line break must end with a whole row."""
    if tail.endswith(b"\n"):
        return
    last_line = tail.rsplit(b"\n", 1)[-1]
    text = last_line.decode("utf-8", errors="replace")
    fields = next(csv.reader([text]), [])
    if len(fields) < width:
        raise TruncatedPayloadError(
            f"{source}: the last row is cut short ({len(fields)} of {width} fields, "
            "no final line break)"
        )


def _bad_line(data: bytes, source: str, encoding: str, error: UnicodeDecodeError) -> DecodeError:
    """A decode error naming the line of the first byte that is not ``encoding``."""
    line = data.count(b"\n", 0, error.start) + 1
    return DecodeError(
        f"{source}: line {line} is not {encoding} (byte {data[error.start]:#04x} "
        f"at offset {error.start})"
    )


def check_encoding(data: bytes, source: str) -> None:
    """Refuse a payload that is neither all UTF-8 nor all cp874 (lines pasted from files in
    both), naming the first line that breaks the encoding its earlier lines used."""
    try:
        data.decode("utf-8")
        return
    except UnicodeDecodeError as error:
        utf8_error = error
    if data.startswith(UTF8_BOM) or not data[: utf8_error.start].isascii():
        raise _bad_line(data, source, "UTF-8", utf8_error)
    try:
        data.decode("cp874")
    except UnicodeDecodeError as error:
        raise _bad_line(data, source, "cp874 (TIS-620)", error) from None


_REPEATS = 4
"""A column whose first block holds at most one distinct value per this many rows is kept
dictionary-encoded (in pandas: categorical). Places, months and days repeat across millions of
rows: a national sales export's 425 MB of text is 85 MB so, and typing, which parses each
distinct value once, reads the distinct values straight from the dictionary."""


def _arrow_csv(stream: object, names: list[str], encoding: str) -> pd.DataFrame:
    """Parse CSV text (every value a string, blanks ``""``) block by block as it streams in,
    dictionary-encoding the columns that repeat (see :data:`_REPEATS`) as each block comes."""
    reader = pa_csv.open_csv(
        stream,
        read_options=pa_csv.ReadOptions(
            column_names=names, skip_rows=1, encoding=encoding, block_size=_BLOCK
        ),
        convert_options=pa_csv.ConvertOptions(
            column_types=dict.fromkeys(names, pa.string()),
            strings_can_be_null=False,
            quoted_strings_can_be_null=False,
        ),
    )
    batches: list[pa.RecordBatch] = []
    repeats: list[bool] = []
    for batch in reader:
        if not repeats:
            repeats = [len(pc.unique(column)) * _REPEATS <= len(column) for column in batch.columns]
        columns = [
            pc.dictionary_encode(column) if repeated else column
            for column, repeated in zip(batch.columns, repeats, strict=True)
        ]
        batches.append(pa.RecordBatch.from_arrays(columns, names=names))
    if not batches:
        return reader.schema.empty_table().to_pandas()
    return pa.Table.from_batches(batches).to_pandas()


def _newlines(payload: Path | bytes) -> int:
    if isinstance(payload, bytes):
        return payload.count(b"\n")
    count = 0
    with payload.open("rb") as handle:
        while block := handle.read(_BLOCK):
            count += block.count(b"\n")
    return count


def _data_lines(payload: Path | bytes, rows: int, source: str) -> list[int] | None:
    """The physical line of every data row of a CSV payload, or None when they follow the
    header line by line (one line per row, the common case, told by counting line breaks).

    Otherwise the reader skipped empty lines (a row never spans lines: values with line breaks
    are refused), so the data rows are the non-empty lines after the header.
    """
    size = len(payload) if isinstance(payload, bytes) else payload.stat().st_size
    _head, tail, _size = _edges(payload)
    lines = _newlines(payload) + (0 if tail.endswith(b"\n") else 1)
    if lines == rows + 1 or size == 0:
        return None
    data = payload if isinstance(payload, bytes) else payload.read_bytes()
    found = [
        number
        for number, line in enumerate(data.split(b"\n")[1:], start=FIRST_DATA_LINE)
        if line.rstrip(b"\r")
    ]
    if len(found) != rows:
        raise DecodeError(f"{source}: {rows:,} rows read but {len(found):,} non-empty lines")
    return found


def read_csv_payload(payload: Path | bytes, source: str) -> pd.DataFrame:
    """Parse a CSV payload (a file or bytes) into a table of text; blanks stay ``""``. Rows are
    indexed by their physical line (``line``; the header is line 1)."""
    table = _read_csv_payload(payload, source)
    return with_source_lines(table, _data_lines(payload, len(table), source))


def _read_csv_payload(payload: Path | bytes, source: str) -> pd.DataFrame:
    head, tail, size = _edges(payload)
    if size == 0:
        raise DecodeError(f"{source}: empty payload")
    names = _header(head, source)
    _check_last_row(tail, len(names), source)
    encodings = ["utf8"] if head.startswith(UTF8_BOM) else ["utf8", "cp874"]
    for encoding in encodings:
        stream = io.BytesIO(payload) if isinstance(payload, bytes) else str(payload)
        try:
            return _arrow_csv(stream, names, encoding)
        except pa.ArrowInvalid as error:
            if "UTF8" in str(error):
                check_encoding(
                    payload if isinstance(payload, bytes) else payload.read_bytes(), source
                )
                if encoding == "utf8" and len(encodings) > 1:
                    continue
            raise DecodeError(f"{source}: not a readable CSV table: {error}") from None
    raise DecodeError(f"{source}: neither UTF-8 nor cp874 (TIS-620)")  # pragma: no cover


class _Prefixed(io.RawIOBase):
    """A stream that first gives back bytes already read, then the rest of another stream."""

    def __init__(self, head: bytes, rest: BinaryIO) -> None:
        self._head = memoryview(head)
        self._rest = rest
        self.newlines = head.count(b"\n")
        self.last_byte = head[-1:]

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        if self._head:
            count = min(len(buffer), len(self._head))
            buffer[:count] = self._head[:count]
            self._head = self._head[count:]
            return count
        count = self._rest.readinto(buffer)  # type: ignore[attr-defined]
        if count:
            self.newlines += bytes(buffer[:count]).count(b"\n")
            self.last_byte = bytes(buffer[count - 1 : count])
        return count


def read_csv_stream(stream: BinaryIO, source: str) -> pd.DataFrame:
    """Parse a UTF-8 CSV while it streams in (a download being landed), in one pass.

    Raises :class:`DecodeError` for anything this fast path does not handle (cp874, a
    malformed or cut-short last row, empty lines between rows, whose rows' lines the stream no
    longer tells); the caller then reads the landed file with :func:`read_csv_payload`, which
    decides between those cases.
    """
    head = b""
    while len(head) < _PEEK and (chunk := stream.read(_PEEK - len(head))):
        head += chunk
    if not head:
        raise DecodeError(f"{source}: empty payload")
    names = _header(head, source)
    body = _Prefixed(head, stream)
    try:
        table = _arrow_csv(body, names, "utf8")
    except pa.ArrowInvalid as error:
        raise DecodeError(f"{source}: not a readable UTF-8 CSV table: {error}") from None
    lines = body.newlines + (0 if body.last_byte == b"\n" else 1)
    if lines != len(table) + 1:
        raise DecodeError(f"{source}: rows are not one a line; read from the landed file")
    return with_source_lines(table)


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


def _check_inflated_size(handle: Path | io.BytesIO, source: str, limits: ReadLimits) -> None:
    try:
        with zipfile.ZipFile(handle) as archive:
            inflated = sum(member.file_size for member in archive.infolist())
    except zipfile.BadZipFile as error:
        raise DecodeError(f"{source}: not a readable XLSX workbook: {error}") from error
    if inflated > limits.max_xlsx_uncompressed_bytes:
        raise PayloadTooLargeError(
            f"{source}: the XLSX inflates to {size_text(inflated)}, over the "
            f"{size_text(limits.max_xlsx_uncompressed_bytes)} cap (OTOP_MAX_XLSX_MIB)"
        )


def read_xlsx_payload(
    payload: Path | bytes,
    source: str,
    export: ExportFormat | None = None,
    limits: ReadLimits = DEFAULT_LIMITS,
) -> pd.DataFrame:
    """Read the first sheet of an XLSX workbook into a table of text (see module docstring).

    Numbers become their shortest exact text (``25432495.2``); date cells, which Excel stores
    in CE, are written as ``d/m/yyyy`` BE like every other source date. Rows are indexed by
    their sheet row (``line``; the header is row 1), empty rows left out.
    """
    handle = io.BytesIO(payload) if isinstance(payload, bytes) else payload
    _check_inflated_size(handle, source, limits)
    try:
        workbook = load_workbook(handle, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as error:
        raise DecodeError(f"{source}: not a readable XLSX workbook: {error}") from error
    try:
        rows = workbook.worksheets[0].iter_rows(values_only=True)
        header = next(rows, None)
        if header is None:
            raise DecodeError(f"{source}: the XLSX sheet is empty")
        names = [_cell_text(h) for h in header]
        if export is not None:
            check_header(names, export, source)
        width = len(header)
        body = []
        lines = []
        for number, row in enumerate(rows, start=FIRST_DATA_LINE):
            if any(v is not None and str(v).strip() for v in row):
                if len(body) == limits.max_xlsx_rows:
                    raise PayloadTooLargeError(
                        f"{source}: the XLSX has more than {limits.max_xlsx_rows:,} rows "
                        "(OTOP_MAX_XLSX_ROWS)"
                    )
                body.append([_cell_text(v) for v in (list(row) + [None] * width)[:width]])
                lines.append(number)
    finally:
        workbook.close()
    return with_source_lines(pd.DataFrame(body, columns=names, dtype=str), lines)


def read_table_payload(
    payload: Path | bytes,
    source: str,
    export: ExportFormat | None = None,
    limits: ReadLimits = DEFAULT_LIMITS,
) -> pd.DataFrame:
    """Read an export (CSV or XLSX, told apart by content) into a table of text; with
    ``export``, the header row is checked against it before any row is read."""
    head, _tail, size = _edges(payload)
    if size > limits.max_file_bytes:
        raise PayloadTooLargeError(
            f"{source}: {size_text(size)}, over the {size_text(limits.max_file_bytes)} cap "
            "(OTOP_MAX_FILE_MIB)"
        )
    if head.startswith(XLSX_MAGIC):
        return read_xlsx_payload(payload, source, export, limits)
    if export is not None:
        check_header(_header(head, source), export, source)
    return read_csv_payload(payload, source)


def read_table_bytes(data: bytes, source: str) -> pd.DataFrame:
    """Read an export held in memory (see :func:`read_table_payload`)."""
    return read_table_payload(data, source)


def read_table_file(path: Path) -> pd.DataFrame:
    """Read an export file (see :func:`read_table_payload`)."""
    return read_table_payload(path, str(path))
