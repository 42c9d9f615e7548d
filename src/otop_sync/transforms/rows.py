"""Turning a raw source table into typed rows, one cell parser per column, keeping every problem.

A cell that cannot be read becomes a :class:`RowIssue` naming the row (its line in the file),
the column (its Thai header) and the value; the flows quarantine those rows, and commands that
need a clean file stop on them. Nothing is guessed and nothing is dropped silently.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from otop_sync.errors import OtopSyncError

FIRST_DATA_LINE = 2
"""Line number of the first data row in a source file (line 1 is the header)."""


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


CellParser = Callable[[str, Mapping[str, Any]], Any]
"""Reads one cell; gets the row's values parsed so far (so a district can see its province)."""


def parse_rows(
    table: pd.DataFrame,
    parsers: Mapping[str, CellParser],
    headers: Mapping[str, str],
    optional: frozenset[str] = frozenset(),
) -> tuple[pd.DataFrame, list[RowIssue]]:
    """Parse each row's cells in column order; a blank optional cell becomes None.

    Returns the clean rows (with a ``line`` column) and the issues of the rows left out.
    """
    clean: list[dict[str, Any]] = []
    issues: list[RowIssue] = []
    records = table[list(parsers)].to_dict("records")
    for offset, record in enumerate(records):
        line = FIRST_DATA_LINE + offset
        parsed: dict[str, Any] = {"line": line}
        row_issues: list[RowIssue] = []
        for column, parse in parsers.items():
            raw = record[column]
            if column in optional and not str(raw).strip():
                parsed[column] = None
                continue
            try:
                parsed[column] = parse(raw, parsed)
            except ValueError as error:
                parsed[column] = None
                row_issues.append(RowIssue(line, headers[column], str(raw), str(error)))
        if row_issues:
            issues.extend(row_issues)
        else:
            clean.append(parsed)
    return pd.DataFrame(clean, columns=["line", *parsers], dtype=object), issues
