"""The CDD export formats: each dataset's Thai headers and the canonical names used inside.

Headers are matched after trimming spaces and a BOM and folding inner white space, in any
order. A missing required column is an error naming the source and the column; extra columns
stay in the raw copy and are reported, not loaded.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field

import pandas as pd

from otop_sync.errors import OtopSyncError


@dataclass(frozen=True)
class Dataset:
    """One export format: its name, the word its files contain, and its columns."""

    name: str
    columns: dict[str, str]
    """Thai header → canonical column name, in the export's usual order."""
    optional: frozenset[str] = field(default_factory=frozenset)
    """Canonical names of columns a source may leave out."""

    @property
    def canonical_columns(self) -> list[str]:
        """Canonical column names in the export's usual order."""
        return list(self.columns.values())

    @property
    def headers(self) -> dict[str, str]:
        """Canonical column name → Thai header, for messages that name a column."""
        return {canonical: thai for thai, canonical in self.columns.items()}


PRODUCTS = Dataset(
    "products",
    {
        "รหัสผลิตภัณฑ์": "product_code",
        "ชื่อผลิตภัณฑ์": "product_name",
        "ประเภทผลิตภัณฑ์": "product_category",
        "รหัสผู้ผลิต": "producer_code",
        "ชื่อผู้ผลิต": "producer_name",
        "ประเภทผู้ผลิต": "producer_type",
        "จังหวัด": "province",
        "อำเภอ": "district",
        "ตำบล": "subdistrict",
        "วันที่ลงทะเบียน": "registered_on",
        "สถานะ": "status",
        "วันที่ยกเลิก": "cancelled_on",
    },
)
SALES = Dataset(
    "sales",
    {
        "จังหวัด": "province",
        "อำเภอ": "district",
        "รหัสผู้ผลิต": "producer_code",
        "เดือน": "month",
        "ยอดจำหน่าย (บาท)": "amount",
        "วันที่บันทึก": "recorded_on",
    },
)
SHOPS = Dataset(
    "shops",
    {
        "รหัสร้านค้า": "shop_code",
        "ชื่อร้านค้า": "shop_name",
        "ประเภทร้านค้า": "shop_type",
        "รหัสผู้ผลิต": "producer_code",
        "จังหวัด": "province",
        "อำเภอ": "district",
        "วันที่ลงทะเบียน": "registered_on",
    },
)
BASELINE = Dataset(
    "baseline",
    {
        "ปีงบประมาณ": "fiscal_year",
        "ไตรมาส": "quarter",
        "จังหวัด": "province",
        "อำเภอ": "district",
        "ฐานเดิมปีฐาน (บาท)": "base_sales",
        "จำนวนผู้สนใจ Digital Wallet ไตรมาส 1": "interested_q1",
    },
    optional=frozenset({"base_sales"}),
)
DATASETS: dict[str, Dataset] = {d.name: d for d in (PRODUCTS, SALES, SHOPS, BASELINE)}


class SchemaDriftError(OtopSyncError, ValueError):
    """A source whose header row lacks a required column (renamed, dropped or misspelt)."""

    def __init__(self, source: str, dataset: str, missing: list[str], found: list[str]) -> None:
        self.source = source
        self.dataset = dataset
        self.missing = missing
        self.found = found
        super().__init__(
            f"{source}: {dataset} export lacks column(s) {', '.join(missing)}; "
            f"found {', '.join(found) or 'no columns'}"
        )


def normalize_header(header: object) -> str:
    """A header as compared: NFC, BOM and surrounding spaces removed, inner spaces folded."""
    text = unicodedata.normalize("NFC", str(header)).replace("\ufeff", "")
    return " ".join(text.split())


def dataset_for_filename(filename: str) -> Dataset | None:
    """The dataset a file belongs to by its name (``…products…``, ``…sales…``), if any."""
    lowered = filename.lower()
    found = [d for d in DATASETS.values() if d.name in lowered]
    return found[0] if len(found) == 1 else None


def to_canonical(
    raw: pd.DataFrame, dataset: Dataset, source: str
) -> tuple[pd.DataFrame, list[str]]:
    """Rename a raw table's Thai headers to canonical names.

    Returns the table with exactly the dataset's canonical columns (optional ones that are
    absent are added empty) and the list of unknown headers that were left out.
    """
    by_header = {normalize_header(h): canonical for h, canonical in dataset.columns.items()}
    renames: dict[object, str] = {}
    unknown: list[str] = []
    for header in raw.columns:
        canonical = by_header.get(normalize_header(header))
        if canonical is None or canonical in renames.values():
            unknown.append(str(header))
        else:
            renames[header] = canonical
    missing = [
        thai
        for thai, canonical in dataset.columns.items()
        if canonical not in renames.values() and canonical not in dataset.optional
    ]
    if missing:
        raise SchemaDriftError(source, dataset.name, missing, [str(h) for h in raw.columns])
    table = raw[list(renames)].rename(columns=renames)
    for canonical in dataset.canonical_columns:
        if canonical not in table.columns:
            table[canonical] = ""
    return table[dataset.canonical_columns], unknown
