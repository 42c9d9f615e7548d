"""Turning a raw source table into typed rows, one cell parser per column, keeping every problem.

A cell that cannot be read becomes a :class:`RowIssue` naming the row (its line in the file),
the column (its Thai header) and the value; the flows quarantine those rows, and commands that
need a clean file stop on them. Nothing is guessed and nothing is dropped silently.

Parsing is column by column and runs each parser once per distinct value (a national sales
export has 3 million rows but only a few thousand distinct dates and places). A cell type may
read an earlier column's parsed value (a district needs its province): its ``depends_on``
names it and the parser runs once per distinct pair. A cell type with a ``vectorized`` parser
(amounts, nearly all distinct) handles the whole column at once instead.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from otop_sync.errors import OtopSyncError
from otop_sync.transforms.cells import CellParser, CellType

FIRST_DATA_LINE = 2
"""Line number of the first data row in a source file (line 1 is the header)."""
SOURCE_LINE = "line"
"""The index name of a raw table whose index is each row's line in its payload (a CSV's
physical line, an XLSX's sheet row), and the column of typed rows that carries it."""
NOTHING_READ = "read as nothing (the value is kept out rather than loaded empty)"
"""The reason of a cell its parser read as no value without saying why."""


def with_source_lines(table: pd.DataFrame, lines: Sequence[int] | None = None) -> pd.DataFrame:
    """The raw table indexed by each row's line in its payload (the header is line 1); without
    ``lines``, the rows follow the header line by line (a listing's rows in page order)."""
    if lines is None:
        table.index = pd.RangeIndex(FIRST_DATA_LINE, FIRST_DATA_LINE + len(table), name=SOURCE_LINE)
    else:
        table.index = pd.Index(lines, name=SOURCE_LINE)
    return table


@dataclass(frozen=True, slots=True)
class RowIssue:
    """Why one row of a source cannot be used."""

    line: int
    column: str
    value: str
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}, column {self.column}: {self.reason}"


class SourceRowsError(OtopSyncError, ValueError):
    """A source whose rows have problems, for callers that need every row to be clean."""

    def __init__(self, source: str, issues: list[RowIssue]) -> None:
        self.source = source
        self.issues = issues
        shown = "; ".join(str(i) for i in issues[:5])
        more = f" (and {len(issues) - 5} more)" if len(issues) > 5 else ""
        super().__init__(f"{source}: {shown}{more}")


def _blank(raw: pd.Series) -> np.ndarray:
    """Per cell, whether it is blank (empty or only spaces), over the whole column at once
    for a column of text."""
    if isinstance(raw.dtype, (pd.StringDtype, pd.ArrowDtype)):
        stripped = raw.astype("string[pyarrow]").str.strip()
        return stripped.eq("").fillna(False).to_numpy(dtype=bool)
    return raw.map(lambda v: not str(v).strip()).to_numpy(dtype=bool)


def _by_distinct(
    raw: pd.Series, parse: CellParser, depends: str | None, parsed: dict[str, pd.Series]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Parse each distinct value (or distinct pair with the column it depends on) once.
    Returns each row's code, and per code the parsed value and the reason it failed (None
    when it did not)."""
    codes, uniques = pd.factorize(raw, use_na_sentinel=False)
    values = np.asarray(uniques, dtype=object)
    contexts: list[dict[str, object]] = [{}] * len(values)
    if depends is not None:
        earlier, earlier_uniques = pd.factorize(parsed[depends], use_na_sentinel=False)
        pairs, pair_uniques = pd.factorize(earlier * (len(values) + 1) + codes)
        earlier_values = np.asarray(earlier_uniques, dtype=object)
        contexts = [
            {depends: None if pd.isna(dep) else dep}
            for dep in earlier_values[pair_uniques // (len(values) + 1)]
        ]
        codes, values = pairs, values[pair_uniques % (len(values) + 1)]
    results = np.empty(len(values), dtype=object)
    errors = np.empty(len(values), dtype=object)
    for i, (value, context) in enumerate(zip(values, contexts, strict=True)):
        try:
            results[i] = parse(value, context)
        except ValueError as error:
            errors[i] = str(error)
    return codes, results, errors


def _parse_column(
    raw: pd.Series, parse: CellType, parsed: dict[str, pd.Series]
) -> tuple[pd.Series, np.ndarray, Callable[[int], str | None]]:
    """One column's values, per row whether it has no value or could not be read, and the
    reason of a row (None when it read). Per distinct value where the type reads cell by cell,
    so that millions of rows cost what their few thousand distinct values do."""
    if parse.vectorized is not None:
        values, reasons = parse.vectorized(raw)
        errors = reasons.to_numpy(dtype=object)
        empty = pd.isna(values).to_numpy(dtype=bool) | (errors != None)  # noqa: E711
        return values, empty, lambda row: errors[row]
    codes, results, errors = _by_distinct(raw, parse.parse, parse.depends_on, parsed)
    empty = pd.isna(pd.Series(results, dtype=object)).to_numpy(dtype=bool) | (errors != None)  # noqa: E711
    return pd.Series(results[codes], dtype=object), empty[codes], lambda row: errors[codes[row]]


def parse_rows(
    table: pd.DataFrame,
    parsers: Mapping[str, CellType],
    headers: Mapping[str, str],
    optional: frozenset[str] = frozenset(),
) -> tuple[pd.DataFrame, list[RowIssue]]:
    """Parse each column; a blank optional cell becomes None.

    Returns the clean rows (with a ``line`` column, the source line of each: the table's index
    when the reader set it, else counted from the first data line) and the issues of the rows
    left out, in line order.
    """
    count = len(table)
    lines = (
        table.index.to_numpy(dtype=np.int64)
        if table.index.name == SOURCE_LINE
        else np.arange(FIRST_DATA_LINE, FIRST_DATA_LINE + count)
    )
    parsed: dict[str, pd.Series] = {}
    failed = np.zeros(count, dtype=bool)
    found: list[tuple[int, int, RowIssue]] = []
    for position, (column, parse) in enumerate(parsers.items()):
        raw = table[column].reset_index(drop=True)
        blank = _blank(raw) if column in optional else np.zeros(count, dtype=bool)
        values, empty, reason = _parse_column(raw, parse, parsed)
        if blank.any():
            values = values.where(~blank, None)
        parsed[column] = values
        for row in np.flatnonzero(empty & ~blank):
            found.append(
                (
                    int(row),
                    position,
                    RowIssue(
                        int(lines[row]), headers[column], str(raw[row]), reason(row) or NOTHING_READ
                    ),
                )
            )
            failed[row] = True
    issues = [issue for _, _, issue in sorted(found, key=lambda item: (item[0], item[1]))]
    keep = ~failed
    clean = pd.DataFrame({SOURCE_LINE: lines[keep]})
    for column, values in parsed.items():
        kept = values[keep].reset_index(drop=True) if failed.any() else values
        clean[column] = kept if isinstance(kept.dtype, pd.ArrowDtype) else kept.astype(object)
    return clean, issues


def records(frame: pd.DataFrame) -> list[dict[str, object]]:
    """The frame's rows as dicts of plain Python values, as ``to_dict("records")`` gives them,
    column by column (several times faster on the thousands of rows grading turns over)."""
    columns = list(frame.columns)
    values = [frame[column].tolist() for column in columns]
    return [dict(zip(columns, row, strict=True)) for row in zip(*values, strict=True)]
