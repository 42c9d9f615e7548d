"""Export formats in general: columns with their Thai headers and cell types, header matching,
and typing a table of text into clean rows and row issues.

Which datasets exist, and each one's columns, is declared in :mod:`otop_sync.datasets`; this
module knows no dataset. Headers are matched after trimming spaces and a BOM and folding inner
white space, in any order. A missing required column is an error naming the source and the
column; extra columns stay in the raw copy and are reported, not loaded.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import pandas as pd

from otop_sync.errors import OtopSyncError
from otop_sync.transforms.cells import CellType
from otop_sync.transforms.rows import FIRST_DATA_LINE, RowIssue, parse_rows


@dataclass(frozen=True)
class Column:
    """One column of an export: its header, the name used inside, and how it is typed."""

    header: str
    """The Thai header as the export writes it."""
    name: str
    """Canonical name of the raw text column (and of the typed one unless ``typed_name``)."""
    cell: CellType
    may_be_absent: bool = False
    """A source may leave the whole column out (it is then read as blank)."""
    may_be_blank: bool = False
    """A blank cell is allowed: it types to ``blank_value``."""
    blank_value: Any = None
    typed_name: str | None = None
    """Name of the typed column when it differs (``district`` text → ``district_code``)."""
    aliases: tuple[tuple[str, str], ...] = ()
    """Typed values read as other values (an unfamiliar spelling → the known one)."""

    @property
    def typed(self) -> str:
        """The typed column's name."""
        return self.typed_name or self.name


@dataclass(frozen=True)
class ExportFormat:
    """One export's columns, in the export's usual order, and the words its files contain."""

    name: str
    columns: tuple[Column, ...]
    file_words: tuple[str, ...] = field(default=())
    """A file whose name contains one of these (and no other format's) is of this format."""

    @property
    def canonical_columns(self) -> list[str]:
        """Canonical column names in the export's usual order."""
        return [c.name for c in self.columns]

    @property
    def headers(self) -> dict[str, str]:
        """Canonical column name → Thai header, for messages that name a column."""
        return {c.name: c.header for c in self.columns}

    @property
    def optional(self) -> frozenset[str]:
        """Canonical names of columns a source may leave out."""
        return frozenset(c.name for c in self.columns if c.may_be_absent)

    def with_headers(self, headers: Mapping[str, str]) -> ExportFormat:
        """The same format with some headers replaced (canonical name → header), for exports
        whose headers are configuration (a Google Form's question titles)."""
        self._check_names(headers)
        columns = tuple(
            replace(c, header=headers[c.name]) if c.name in headers else c for c in self.columns
        )
        return replace(self, columns=columns)

    def with_aliases(self, aliases: Mapping[str, Mapping[str, str]]) -> ExportFormat:
        """The same format reading some values as others (canonical name → value → value)."""
        self._check_names(aliases)
        columns = tuple(
            replace(c, aliases=tuple(aliases[c.name].items())) if c.name in aliases else c
            for c in self.columns
        )
        return replace(self, columns=columns)

    def _check_names(self, names: Mapping[str, object]) -> None:
        unknown = sorted(set(names) - {c.name for c in self.columns})
        if unknown:
            raise FormatConfigError(
                f"{self.name}: no column(s) {', '.join(unknown)}; "
                f"use {', '.join(self.canonical_columns)}"
            )

    def type_rows(self, table: pd.DataFrame) -> tuple[pd.DataFrame, list[RowIssue]]:
        """Type a canonical table of text: clean rows (with their source ``line``) and the
        issues of the rows left out."""
        rows, issues = parse_rows(
            table,
            {c.name: c.cell for c in self.columns},
            self.headers,
            optional=frozenset(c.name for c in self.columns if c.may_be_blank),
        )
        for column in self.columns:
            if column.may_be_blank and column.blank_value is not None:
                rows[column.name] = rows[column.name].fillna(column.blank_value)
            if column.aliases:
                rows[column.name] = rows[column.name].replace(dict(column.aliases))
        renames = {c.name: c.typed_name for c in self.columns if c.typed_name}
        return rows.rename(columns=renames), issues

    def type_cells(self, table: pd.DataFrame) -> pd.DataFrame:
        """Type a canonical table of text cell by cell, keeping every row: each typed column
        holds None where its cell cannot be read (a cell that needs an earlier column, such as
        a district its province, is read with it), and ``readable`` says whether every cell
        of the row was read. For rows set aside, to see what can still be read of them."""
        table = table.reset_index(drop=True)
        by_name = {c.name: c for c in self.columns}
        typed = pd.DataFrame({"readable": [True] * len(table)})
        for column in self.columns:
            needed = [by_name[column.cell.depends_on]] if column.cell.depends_on else []
            part = (
                replace(self, columns=(*needed, column))
                .type_rows(table[[c.name for c in (*needed, column)]])[0]
                .set_index("line")
            )
            values = part[column.typed].reindex(
                range(FIRST_DATA_LINE, FIRST_DATA_LINE + len(table))
            )
            typed[column.typed] = pd.Series(
                [None if pd.isna(v) else v for v in values.astype(object)], dtype=object
            )
            typed["readable"] &= values.index.isin(part.index)
        return typed


class FormatConfigError(OtopSyncError, ValueError):
    """Configured headers that name no column of the format."""


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


def format_for_filename(filename: str, formats: tuple[ExportFormat, ...]) -> ExportFormat | None:
    """The one format whose word a file name contains (``…products…``, ``…sales…``), if any."""
    lowered = filename.lower()
    found = [f for f in formats if any(word in lowered for word in f.file_words)]
    return found[0] if len(found) == 1 else None


class DuplicateHeaderError(OtopSyncError, ValueError):
    """A header row that names one of the format's columns twice: which one to read is a
    guess, so the file is refused."""


def check_header(headers: list[object], export: ExportFormat, source: str) -> dict[int, str]:
    """Match a header row to the format: position → canonical name of each known column.

    A missing required column or a known column named twice is an error naming the source and
    the column; unknown headers are left out (the caller reports them).
    """
    by_header = {normalize_header(c.header): c.name for c in export.columns}
    positions: dict[int, str] = {}
    seen: dict[str, int] = {}
    for position, header in enumerate(headers):
        canonical = by_header.get(normalize_header(header))
        if canonical is None:
            continue
        if canonical in seen:
            raise DuplicateHeaderError(
                f"{source}: column {normalize_header(header)!r} appears twice "
                f"(columns {seen[canonical] + 1} and {position + 1})"
            )
        seen[canonical] = position
        positions[position] = canonical
    missing = [
        c.header for c in export.columns if c.name not in seen and c.name not in export.optional
    ]
    if missing:
        raise SchemaDriftError(source, export.name, missing, [str(h) for h in headers])
    return positions


def to_canonical(
    raw: pd.DataFrame, export: ExportFormat, source: str
) -> tuple[pd.DataFrame, list[str]]:
    """Rename a raw table's Thai headers to canonical names (see :func:`check_header`).

    Returns the table with exactly the format's canonical columns (optional ones that are
    absent are added empty) and the list of unknown headers that were left out.
    """
    headers = list(raw.columns)
    positions = check_header(headers, export, source)
    unknown = [str(h) for i, h in enumerate(headers) if i not in positions]
    table = raw.iloc[:, list(positions)].set_axis(list(positions.values()), axis=1)
    for canonical in export.canonical_columns:
        if canonical not in table.columns:
            table[canonical] = ""
    return table[export.canonical_columns], unknown
