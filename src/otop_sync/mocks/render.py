"""Rendering the mock's tables as the CDD systems write them: Thai headers, BE dates, Thai month
names, baht with separators, CSV/XLSX exports, HTML listings and the sales summary report.

This is the outside world's formatting and deliberately shares no code with ``connectors`` or
``transforms``: a formatting bug cannot hide by sitting on both sides.
"""

from __future__ import annotations

import csv
import hashlib
import html
import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
from openpyxl import Workbook

from otop_sync.mocks import names
from otop_sync.mocks.data import (
    DATA_LIMIT,
    EPOCH,
    MONTHS_LIMIT,
    MockData,
    fiscal_quarter_months,
    sales_month,
)

HEADERS: dict[str, list[str]] = {
    "products": [
        "รหัสผลิตภัณฑ์",
        "ชื่อผลิตภัณฑ์",
        "ประเภทผลิตภัณฑ์",
        "รหัสผู้ผลิต",
        "ชื่อผู้ผลิต",
        "ประเภทผู้ผลิต",
        "จังหวัด",
        "อำเภอ",
        "ตำบล",
        "วันที่ลงทะเบียน",
        "สถานะ",
        "วันที่ยกเลิก",
    ],
    "sales": ["จังหวัด", "อำเภอ", "รหัสผู้ผลิต", "เดือน", "ยอดจำหน่าย (บาท)", "วันที่บันทึก"],
    "shops": [
        "รหัสร้านค้า",
        "ชื่อร้านค้า",
        "ประเภทร้านค้า",
        "รหัสผู้ผลิต",
        "จังหวัด",
        "อำเภอ",
        "วันที่ลงทะเบียน",
    ],
    "baseline": [
        "ปีงบประมาณ",
        "ไตรมาส",
        "จังหวัด",
        "อำเภอ",
        "ฐานเดิมปีฐาน (บาท)",
        "จำนวนผู้สนใจ Digital Wallet ไตรมาส 1",
    ],
    "form_responses": [
        "ประทับเวลา",
        "จังหวัด",
        "อำเภอ",
        "เดือนที่รายงาน",
        "จำนวนผู้ผลิต ผู้ประกอบการ OTOP ที่ลงทะเบียน Shop ชุมชน",
        "จำนวนศูนย์จำหน่ายที่ลงทะเบียน Shop ชุมชน",
    ],
}
DATASETS: tuple[str, ...] = tuple(HEADERS)
THAI_MONTHS = [
    "มกราคม",
    "กุมภาพันธ์",
    "มีนาคม",
    "เมษายน",
    "พฤษภาคม",
    "มิถุนายน",
    "กรกฎาคม",
    "สิงหาคม",
    "กันยายน",
    "ตุลาคม",
    "พฤศจิกายน",
    "ธันวาคม",
]
THAI_MONTHS_SHORT = [
    "ม.ค.",
    "ก.พ.",
    "มี.ค.",
    "เม.ย.",
    "พ.ค.",
    "มิ.ย.",
    "ก.ค.",
    "ส.ค.",
    "ก.ย.",
    "ต.ค.",
    "พ.ย.",
    "ธ.ค.",
]
XLSX_MAX_ROWS = 1_048_575
CHUNK_ROWS = 200_000
FIXED_TIME = datetime(2025, 10, 1, 0, 0, 0)
"""Timestamp written into XLSX files, so the same data gives the same bytes."""
FIXED_STAMP = FIXED_TIME.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
_THAI_DIGITS = str.maketrans("0123456789", "๐๑๒๓๔๕๖๗๘๙")
THAI_DIGIT_COLUMNS = frozenset(
    {
        "วันที่ลงทะเบียน",
        "วันที่ยกเลิก",
        "วันที่บันทึก",
        "เดือน",
        "ยอดจำหน่าย (บาท)",
        "ปีงบประมาณ",
        "ไตรมาส",
        "ฐานเดิมปีฐาน (บาท)",
        "จำนวนผู้สนใจ Digital Wallet ไตรมาส 1",
    }
)
"""Columns written in Thai digits on request: numbers and dates, never codes or names."""


def be_date_text(day: date) -> str:
    """``d/m/yyyy`` in Buddhist Era years."""
    return f"{day.day}/{day.month}/{day.year + 543}"


_DATE_TEXT = np.array(
    [be_date_text(EPOCH + timedelta(days=i)) for i in range((DATA_LIMIT - EPOCH).days + 1000)],
    dtype=object,
)
"""Every day a table can hold: up to the last day the mock can be told is today, and after it
the recordings and cancellations of what happened by then."""


def _month_texts(first_day: date) -> tuple[str, str, str, str]:
    year = first_day.year + 543
    return (
        f"{THAI_MONTHS[first_day.month - 1]} {year}",
        f"{THAI_MONTHS_SHORT[first_day.month - 1]} {year}",
        f"{THAI_MONTHS_SHORT[first_day.month - 1]} {year % 100:02d}",
        f"{first_day.month}/{year}",
    )


_MONTH_TEXT = np.array(
    [_month_texts(sales_month(m)) for m in range(MONTHS_LIMIT)], dtype=object
)  # [month, form]


def baht_text(satang: int, separators: bool = True) -> str:
    """Satang as baht with two decimals, with or without thousands separators."""
    baht, cents = divmod(int(satang), 100)
    return f"{baht:,}.{cents:02d}" if separators else f"{baht}.{cents:02d}"


def _dates(offsets: np.ndarray) -> np.ndarray:
    out = np.full(len(offsets), "", dtype=object)
    known = offsets >= 0
    out[known] = _DATE_TEXT[offsets[known]]
    return out


@dataclass(frozen=True)
class ExportOptions:
    """How one export is written: the content faults and the form of the text."""

    digits: str = "arabic"
    renamed: tuple[tuple[str, str], ...] = ()
    dropped: tuple[str, ...] = ()
    year: int | None = None
    """Only rows of this fiscal year (BE), for sales."""
    extra_rows: int = 0
    """Corrected sales rows appended (the data's corrections)."""

    def header(self, dataset: str) -> list[str]:
        """The header row after renames and drops."""
        renames = dict(self.renamed)
        return [renames.get(h, h) for h in HEADERS[dataset] if h not in self.dropped]


@dataclass
class Renderer:
    """Turns row slices of a dataset into text rows."""

    data: MockData
    _province_of: np.ndarray = field(init=False)
    _totals: dict[int, pd.DataFrame] = field(init=False, default_factory=dict)
    _totals_of: object = field(init=False, default=None)
    """The corrections ``_totals`` were summed with."""

    def __post_init__(self) -> None:
        self._province_of = self.data.districts["province_name_th"].to_numpy(dtype=object)
        self._district_of = self.data.districts["name_th"].to_numpy(dtype=object)
        producers = self.data.producers
        self._producer_code = np.append(producers["producer_code"].to_numpy(dtype=object), "")
        self._producer_name = producers["producer_name"].to_numpy(dtype=object)
        self._producer_type = np.array(names.PRODUCER_TYPES, dtype=object)[
            producers["producer_type"].to_numpy()
        ]

    def table(
        self, dataset: str, province_code: str | None, options: ExportOptions
    ) -> pd.DataFrame:
        """The compact rows of a dataset for a province (and year), corrections included."""
        data = self.data
        if dataset == "sales":
            rows = data.sales
            if len(data.corrections):
                rows = pd.concat([rows, data.corrections], ignore_index=True)
            if options.year is not None:
                rows = rows[rows["month_idx"].isin(_fiscal_year_months(options.year))]
        else:
            rows = getattr(data, dataset)
        return data.province_rows(rows, province_code)

    def text_rows(self, dataset: str, rows: pd.DataFrame, options: ExportOptions) -> pd.DataFrame:
        """Rows as export text under the Thai headers (after the options' renames and drops)."""
        frame = getattr(self, f"_{dataset}")(rows)
        frame.columns = HEADERS[dataset]
        if options.digits == "thai":
            for column in THAI_DIGIT_COLUMNS.intersection(frame.columns):
                frame[column] = frame[column].map(lambda v: v.translate(_THAI_DIGITS))
        frame = frame.drop(columns=list(options.dropped))
        frame.columns = options.header(dataset)
        return frame

    def _places(self, rows: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        district_idx = rows["district_idx"].to_numpy()
        return self._province_of[district_idx], self._district_of[district_idx]

    def _products(self, rows: pd.DataFrame) -> pd.DataFrame:
        province, district = self._places(rows)
        producer = rows["producer_idx"].to_numpy()
        # Some officers type the district with its prefix, as sources do.
        prefixed = (rows.index.to_numpy() % 10) == 3
        district = np.where(prefixed, "อ." + district.astype(str), district)
        cancelled = rows["cancelled"].to_numpy()
        return pd.DataFrame(
            {
                "a": rows["product_code"].to_numpy(),
                "b": rows["product_name"].to_numpy(),
                "c": np.array(names.PRODUCT_CATEGORIES, dtype=object)[rows["category"].to_numpy()],
                "d": self._producer_code[producer],
                "e": self._producer_name[producer],
                "f": self._producer_type[producer],
                "g": province,
                "h": district,
                "i": self.data.producers["subdistrict"].to_numpy()[producer],
                "j": _dates(rows["registered"].to_numpy()),
                "k": np.where(cancelled >= 0, names.STATUS_CANCELLED, names.STATUS_ACTIVE),
                "l": _dates(cancelled),
            }
        )

    def _sales(self, rows: pd.DataFrame) -> pd.DataFrame:
        province, district = self._places(rows)
        form = rows["month_format"].to_numpy()
        amounts = rows["amount"].to_numpy()
        return pd.DataFrame(
            {
                "a": province,
                "b": district,
                "c": self._producer_code[rows["producer_idx"].to_numpy()],
                "d": _MONTH_TEXT[rows["month_idx"].to_numpy(), form],
                "e": [baht_text(a, f != 3) for a, f in zip(amounts, form, strict=True)],
                "f": _dates(rows["recorded"].to_numpy()),
            }
        )

    def _shops(self, rows: pd.DataFrame) -> pd.DataFrame:
        province, district = self._places(rows)
        return pd.DataFrame(
            {
                "a": rows["shop_code"].to_numpy(),
                "b": rows["shop_name"].to_numpy(),
                "c": np.array(names.SHOP_TYPES, dtype=object)[rows["shop_type"].to_numpy()],
                "d": self._producer_code[rows["producer_idx"].to_numpy()],
                "e": province,
                "f": district,
                "g": _dates(rows["registered"].to_numpy()),
            }
        )

    def _baseline(self, rows: pd.DataFrame) -> pd.DataFrame:
        province, district = self._places(rows)
        interest = rows["interested_q1"].to_numpy()
        return pd.DataFrame(
            {
                "a": rows["fiscal_year"].astype(str).to_numpy(),
                "b": rows["quarter"].astype(str).to_numpy(),
                "c": province,
                "d": district,
                "e": [baht_text(v) for v in rows["base_sales"].to_numpy()],
                "f": np.where(interest >= 0, interest.astype(str), ""),
            }
        )

    def _form_responses(self, rows: pd.DataFrame) -> pd.DataFrame:
        province, district = self._places(rows)
        seconds = rows["second"].to_numpy()
        stamps = [
            f"{_DATE_TEXT[day]} {s // 3600}:{s // 60 % 60:02d}:{s % 60:02d}"
            for day, s in zip(rows["submitted"].to_numpy(), seconds, strict=True)
        ]
        months = [_month_texts(EPOCH + timedelta(days=int(m)))[0] for m in rows["month"]]
        return pd.DataFrame(
            {
                "a": stamps,
                "b": province,
                "c": district,
                "d": months,
                "e": rows["producers"].astype(str).to_numpy(),
                "f": rows["centres"].astype(str).to_numpy(),
            }
        )

    def csv_chunks(
        self, dataset: str, province_code: str | None, options: ExportOptions
    ) -> Iterator[str]:
        """The CSV export as text chunks: header first, then rows in blocks."""
        rows = self.table(dataset, province_code, options)
        header = io.StringIO()
        csv.writer(header, lineterminator="\r\n").writerow(options.header(dataset))
        yield header.getvalue()
        for start in range(0, len(rows), CHUNK_ROWS):
            block = self.text_rows(dataset, rows.iloc[start : start + CHUNK_ROWS], options)
            yield block.to_csv(index=False, header=False, lineterminator="\r\n")

    def xlsx_bytes(self, dataset: str, province_code: str | None, options: ExportOptions) -> bytes:
        """The export as an XLSX workbook, byte-identical for the same data."""
        rows = self.table(dataset, province_code, options)
        if len(rows) > XLSX_MAX_ROWS:
            raise TooManyRowsError(f"{len(rows):,} rows do not fit one XLSX sheet; use CSV")
        workbook = Workbook(write_only=True)
        workbook.properties.created = FIXED_TIME
        workbook.properties.modified = FIXED_TIME
        sheet = workbook.create_sheet(dataset)
        sheet.append(options.header(dataset))
        for start in range(0, len(rows), CHUNK_ROWS):
            block = self.text_rows(dataset, rows.iloc[start : start + CHUNK_ROWS], options)
            for values in block.itertuples(index=False):
                sheet.append(list(values))
        raw = io.BytesIO()
        workbook.save(raw)
        return _fixed_zip_times(raw.getvalue())

    def listing_html(
        self,
        system: str,
        dataset: str,
        province_code: str | None,
        page: int,
        per_page: int,
        served_page: int,
        options: ExportOptions,
    ) -> str:
        """One page of the paginated HTML listing; ``served_page`` is the page whose rows are
        shown (differs from ``page`` when a page-repeat or page-skip fault is on)."""
        rows = self.table(dataset, province_code, options)
        total = len(rows)
        start = (served_page - 1) * per_page
        shown = self.text_rows(dataset, rows.iloc[start : start + per_page], options)
        first, last = (page - 1) * per_page + 1, min(page * per_page, total)
        pages = max(1, -(-total // per_page))
        head = "".join(f"<th>{html.escape(h)}</th>" for h in shown.columns)
        body = "".join(
            "<tr>" + "".join(f"<td>{html.escape(str(v))}</td>" for v in row) + "</tr>"
            for row in shown.itertuples(index=False)
        )
        links = " ".join(
            f'<a href="/{system}/{dataset}?page={p}&amp;per_page={per_page}">{p}</a>'
            for p in range(max(1, page - 2), min(pages, page + 2) + 1)
        )
        return (
            '<!DOCTYPE html><html lang="th"><head><meta charset="utf-8">'
            f"<title>{dataset}</title></head><body>"
            f'<p class="summary" data-total="{total}" data-page="{page}" data-pages="{pages}">'
            f"แสดง {first:,}-{last:,} จาก {total:,} รายการ</p>"
            f'<table class="data"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'
            f'<nav class="pagination">{links}</nav></body></html>'
        )

    def _district_month_totals(self, fiscal_year: int) -> pd.DataFrame:
        """A fiscal year's corrected sales (satang) per district (rows: ``district_idx`` with
        any sales) and month (columns: every month of the year). Computed once per fiscal year
        and set of corrections: a national run asks for every province's report."""
        if self._totals_of is not self.data.corrections:
            self._totals, self._totals_of = {}, self.data.corrections
        if fiscal_year not in self._totals:
            rows = self.table("sales", None, ExportOptions(year=fiscal_year))
            rows = rows.sort_values("recorded", kind="stable").drop_duplicates(
                ["district_idx", "producer_idx", "month_idx"], keep="last"
            )
            totals = rows.groupby(["district_idx", "month_idx"])["amount"].sum()
            self._totals[fiscal_year] = totals.unstack(fill_value=0).reindex(
                columns=_fiscal_year_months(fiscal_year), fill_value=0
            )
        return self._totals[fiscal_year]

    def summary_html(self, fiscal_year: int, province_code: str | None, drift: bool = False) -> str:
        """The central system's sales report (otop_r04): months across, places down.

        Uses the corrected figures: for a repeated (district, producer, month), the latest
        recorded row. With ``drift`` the first figure is one satang off (a fault).
        """
        months = _fiscal_year_months(fiscal_year)
        totals = self._district_month_totals(fiscal_year)
        districts = self.data.districts
        key = districts["district_code"] if province_code else districts["province_code"]
        label = districts["name_th"] if province_code else districts["province_name_th"]
        if province_code:
            in_province = districts["province_code"].to_numpy()[totals.index] == province_code
            totals = totals[in_province]
        table = totals.groupby(key.to_numpy()[totals.index.to_numpy()]).sum().sort_index()
        if drift and len(table):
            table.iloc[0, 0] += 1
        names_by_place = dict(zip(key, label, strict=True))
        month_heads = "".join(
            f"<th>{THAI_MONTHS_SHORT[sales_month(m).month - 1]} "
            f"{(sales_month(m).year + 543) % 100:02d}</th>"
            for m in months
        )
        body = []
        for place, values in table.iterrows():
            cells = "".join(f'<td class="num">{baht_text(v)}</td>' for v in values)
            body.append(
                f'<tr><td class="code">{place}</td><td>{html.escape(names_by_place[place])}</td>'
                f'{cells}<td class="num total">{baht_text(int(values.sum()))}</td></tr>'
            )
        column_totals = "".join(f'<td class="num">{baht_text(v)}</td>' for v in table.sum())
        scope = "อำเภอ" if province_code else "จังหวัด"
        return (
            '<!DOCTYPE html><html lang="th"><head><meta charset="utf-8">'
            "<title>รายงานยอดจำหน่ายผลิตภัณฑ์ OTOP</title></head><body>"
            f"<h3>รายงานยอดจำหน่ายผลิตภัณฑ์ OTOP ปีงบประมาณ {fiscal_year} จำแนกรายเดือน</h3>"
            '<table id="report" border="1"><thead><tr><th>รหัส</th>'
            f"<th>{scope}</th>{month_heads}<th>รวม</th></tr></thead><tbody>{''.join(body)}"
            f"</tbody><tfoot><tr><td></td><td>รวมทั้งสิ้น</td>{column_totals}"
            f'<td class="num total">{baht_text(int(table.to_numpy().sum()))}</td></tr>'
            "</tfoot></table></body></html>"
        )


class TooManyRowsError(ValueError):
    """An export too large for the requested format."""


def _fiscal_year_months(fiscal_year: int) -> list[int]:
    return [m for q in (1, 2, 3, 4) for m in fiscal_quarter_months(fiscal_year, q)]


def _fixed_zip_times(data: bytes) -> bytes:
    """Rewrite a zip with fixed timestamps on every entry and in its properties."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            info = zipfile.ZipInfo(item.filename, date_time=FIXED_TIME.timetuple()[:6])
            info.compress_type = zipfile.ZIP_DEFLATED
            content = source.read(item.filename)
            if item.filename == "docProps/core.xml":  # openpyxl stamps "modified" on save
                content = re.sub(
                    rb"(<dcterms:modified[^>]*>)[^<]*", rb"\g<1>" + FIXED_STAMP, content
                )
            target.writestr(info, content)
    return out.getvalue()


def write_export(
    renderer: Renderer,
    dataset: str,
    province_code: str | None,
    file_format: str,
    encoding: str,
    options: ExportOptions,
    path: Path,
) -> str:
    """Write one export file and return its sha256."""
    digest = hashlib.sha256()
    with path.open("wb") as handle:
        if file_format == "xlsx":
            payload = renderer.xlsx_bytes(dataset, province_code, options)
            handle.write(payload)
            digest.update(payload)
            return digest.hexdigest()
        if encoding == "utf-8-sig":
            handle.write(b"\xef\xbb\xbf")
            digest.update(b"\xef\xbb\xbf")
        codec = "cp874" if encoding == "cp874" else "utf-8"
        for chunk in renderer.csv_chunks(dataset, province_code, options):
            payload = chunk.encode(codec)
            handle.write(payload)
            digest.update(payload)
    return digest.hexdigest()


def export_all(
    data: MockData,
    out_dir: Path,
    province_code: str | None = None,
    file_format: str = "csv",
    encoding: str = "utf-8",
) -> list[Path]:
    """Write every dataset as an export file (the file inbox's input) and return the paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    renderer = Renderer(data)
    paths = []
    for dataset in DATASETS:
        scope = province_code or (
            data.spec.province_code if data.spec.scale == "province" else "national"
        )
        path = out_dir / f"{dataset}_{scope}.{file_format}"
        write_export(renderer, dataset, province_code, file_format, encoding, ExportOptions(), path)
        paths.append(path)
    return paths
