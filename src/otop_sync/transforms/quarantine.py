"""Rows set aside in quarantine that touch a grade: how many, why, and what each criterion's
figure would be with them.

A quarantined row touches a district's grade for a quarter when what can still be read of it
places it there: its district (read as the loader reads it, the province first) and a date
in what a criterion of the quarter counts (:meth:`Criterion.counts_in`: a sale of one of the
quarter's months, a product registered or cancelled in the quarter, a shop registered by its
end), as of the grading day. A row whose district or date cannot be read places nowhere and
touches no grade.

The figure *with* the rows is the criterion's actual computed again as if every touching row
that can be read whole had been loaded beside the loaded rows (for the Shop ชุมชน units, a
set-aside shop of a producer already counted adds no unit). A row with a cell that cannot be
read (an amount that is not a number) cannot be included: it is counted as ``unreadable``
and left out of the figure. Sales are added as they stand: a set-aside sale is not taken as
a correction of a loaded one.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, fields, replace
from datetime import date

import pandas as pd

from otop_sync.transforms.criteria import Criterion, CriterionResult, Number, QuarterData, Unit
from otop_sync.transforms.fiscal import Quarter

_REASON_START = re.compile(r"; (?=(?:line \d+, )?column |[a-z_]+\.[a-z_]+: )")
"""Where one reason of a row ends and the next begins: a cell's reason (``line 5, column
…``) or a check's (``sales.amount_below_ceiling: …``)."""
_LINE_PREFIX = re.compile(r"^line \d+, ")
REASONS_SEPARATOR = "; "


@dataclass(frozen=True, slots=True)
class KnownRows:
    """Loaded source rows of a quarter that a criterion must see beside the rows set aside
    (a producer already counted adds no second Shop ชุมชน unit)."""

    quarter: Quarter
    products: pd.DataFrame
    sales: pd.DataFrame
    shops: pd.DataFrame

    def counted(self) -> QuarterData:
        """The quarter's figures from these rows, as grading counts them."""
        return QuarterData.from_rows(self.quarter, self.products, self.sales, self.shops)


QUARTER_DATA_TABLES = frozenset(f.name for f in fields(KnownRows)) - {"quarter"}
"""The datasets an actual is computed from (``products``, ``sales``, ``shops``)."""


@dataclass(frozen=True, slots=True)
class QuarantinedFigure:
    """What the rows set aside that touch one criterion of a grade would make of it."""

    criterion: str
    unit: Unit
    rows: int
    """Rows set aside that touch the criterion."""
    unreadable: int
    """Of them, rows with a cell that cannot be read: not in :attr:`actual_with`."""
    actual_with: Number
    """The criterion's actual with the other rows included (the actual when none can be)."""


@dataclass(frozen=True, slots=True)
class Quarantined:
    """The rows set aside that touch one grade."""

    rows: int
    reasons: tuple[str, ...]
    """Every distinct reason, sorted (a cell's reason without its line number)."""
    figures: tuple[QuarantinedFigure, ...]
    """One per criterion touched, in the rules' order."""

    def figure(self, criterion: str) -> QuarantinedFigure | None:
        """The figure of one criterion, None if no row set aside touches it."""
        return next((f for f in self.figures if f.criterion == criterion), None)


def row_reasons(reasons: str) -> list[str]:
    """A quarantined row's reasons, one by one (as the validation joined them), each cell
    reason without its line number so that rows with the same problem say the same."""
    return [_LINE_PREFIX.sub("", part) for part in _REASON_START.split(reasons) if part]


def join_reasons(reasons: Iterable[str]) -> str:
    """Reasons as one text (as a grade stores them); :func:`row_reasons` splits it again."""
    return REASONS_SEPARATOR.join(reasons)


def _district_rows(rows: pd.DataFrame, districts: Sequence[str]) -> pd.DataFrame:
    return rows[rows["district_code"].isin(list(districts))]


def _with(known: pd.DataFrame, added: pd.DataFrame) -> pd.DataFrame:
    return added.reset_index(drop=True) if known.empty else pd.concat([known, added])


def touching_rows(
    quarantined: Mapping[str, pd.DataFrame],
    criteria: Iterable[Criterion],
    quarter: Quarter,
    as_of: date,
    districts: Sequence[str],
) -> dict[str, pd.DataFrame]:
    """Per criterion name, the quarantined rows that touch it in the graded districts.

    ``quarantined`` maps a dataset to its rows as :meth:`ExportFormat.type_cells` types them,
    with ``row_id`` (one per row set aside) and ``reasons``."""
    touching = {}
    for criterion in criteria:
        rows = quarantined.get(criterion.reads or "")
        if rows is None or rows.empty:
            continue
        placed = _district_rows(rows, districts)
        placed = placed[criterion.counts_in(placed, quarter, as_of).to_numpy(dtype=bool)]
        if not placed.empty:
            touching[criterion.name] = placed
    return touching


def quarantine_on_grades(
    grades: pd.DataFrame,
    quarantined: Mapping[str, pd.DataFrame],
    criteria: Sequence[Criterion],
    known: KnownRows,
    as_of: date,
) -> pd.DataFrame:
    """The grades with a ``quarantined`` column: a :class:`Quarantined` for each grade a row
    set aside touches, None for the others.

    ``grades`` is a quarter's table of :func:`otop_sync.transforms.grades.grade_quarter` (its
    ``criteria`` hold the actuals); ``known`` holds the loaded rows a criterion must see
    beside the set-aside ones to count them right (see module docstring)."""
    codes = list(grades["district_code"])
    touching = touching_rows(quarantined, criteria, known.quarter, as_of, codes)
    grades = grades.copy()
    if not touching:
        grades["quarantined"] = None
        return grades
    with_rows: dict[str, pd.Series] = {}
    for criterion in criteria:
        rows = touching.get(criterion.name)
        if rows is None or criterion.reads not in QUARTER_DATA_TABLES:
            continue
        readable = rows[rows["readable"].to_numpy(dtype=bool)]
        table = getattr(known, criterion.reads)
        extended = replace(known, **{criterion.reads: _with(table, readable)})
        with_rows[criterion.name] = criterion.actuals(
            extended.counted(), codes
        ) - criterion.actuals(known.counted(), codes)
    facts = []
    for code, results in zip(codes, grades["criteria"], strict=True):
        facts.append(_facts(code, results, touching, with_rows))
    grades["quarantined"] = facts
    return grades


def _facts(
    code: str,
    results: Iterable[CriterionResult],
    touching: Mapping[str, pd.DataFrame],
    with_rows: Mapping[str, pd.Series],
) -> Quarantined | None:
    figures, ids, reasons = [], set(), set()
    for result in results:
        rows = touching.get(result.criterion)
        if rows is None:
            continue
        rows = rows[rows["district_code"] == code]
        if rows.empty:
            continue
        ids |= set(rows["row_id"])
        reasons |= {reason for text in rows["reasons"] for reason in row_reasons(text)}
        change = with_rows.get(result.criterion)
        added = change.loc[code] if change is not None else 0
        actual_with = type(result.actual)(result.actual + added)
        figures.append(
            QuarantinedFigure(
                criterion=result.criterion,
                unit=result.unit,
                rows=len(rows),
                unreadable=int((~rows["readable"].astype(bool)).sum()),
                actual_with=actual_with,
            )
        )
    if not figures:
        return None
    return Quarantined(len(ids), tuple(sorted(reasons)), tuple(figures))
