"""A district's grade for a quarter, computed generically from its criteria's results, and the
one typed grade row every presentation (terminal, artifacts, reports) reads.

The grade is the level the level criterion reached (A–D) when every gating criterion is met,
else none (SQL NULL). Each grade says which criteria failed and what is still missing for the
next grade, criterion by criterion.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import pandas as pd

from otop_sync.transforms.criteria import (
    LEVELS,
    Criterion,
    CriterionResult,
    LevelCriterion,
    Number,
    label_of,
)
from otop_sync.transforms.fiscal import Quarter
from otop_sync.transforms.quarantine import Quarantined, join_reasons
from otop_sync.transforms.rows import records


@dataclass(frozen=True, slots=True)
class GradeResult:
    """The outcome for one district and quarter: the grade and every criterion's result."""

    grade: str | None
    next_grade: str | None
    """The grade to aim for next; None at the top level."""
    criteria: tuple[CriterionResult, ...]

    @property
    def failed_criteria(self) -> str:
        """Comma-separated names of the criteria not met, in rules order; empty when none."""
        return ",".join(r.criterion for r in self.criteria if not r.met)

    def __getitem__(self, name: str) -> CriterionResult:
        return _result_named(self.criteria, name)


def _result_named(results: Iterable[CriterionResult], name: str) -> CriterionResult:
    for result in results:
        if result.criterion == name:
            return result
    raise KeyError(name)


def next_grade(grade: str | None, level: str | None) -> str | None:
    """The grade to aim for: the one above the grade; the level reached (or the lowest
    level) when gating criteria keep the grade away; None at the top."""
    if grade == LEVELS[-1]:
        return None
    if grade is None:
        return level or LEVELS[0]
    return LEVELS[LEVELS.index(grade) + 1]


def grade_district(
    criteria: Sequence[Criterion], actuals: Mapping[str, Number], targets: Mapping[str, object]
) -> GradeResult:
    """Grade one district for one quarter from its actual and target figures (see module
    docstring); ``actuals`` maps criterion names to actuals, ``targets`` holds the target row."""
    return _grade(criteria, _leveller(criteria), actuals, targets)


def _leveller(criteria: Sequence[Criterion]) -> LevelCriterion:
    return next(c for c in criteria if isinstance(c, LevelCriterion))


def _grade(
    criteria: Sequence[Criterion],
    leveller: LevelCriterion,
    actuals: Mapping[str, Number],
    targets: Mapping[str, object],
) -> GradeResult:
    level = leveller.level(actuals[leveller.name], targets)
    results = [
        None if c is leveller else c.assess(actuals[c.name], targets, None) for c in criteria
    ]
    grade = level if all(r.met for r in results if r is not None) else None
    aim = next_grade(grade, level)
    levelled = leveller.assess(actuals[leveller.name], targets, aim)
    return GradeResult(grade, aim, tuple(levelled if r is None else r for r in results))


def grade_quarter(
    targets: pd.DataFrame, actuals: pd.DataFrame, criteria: Sequence[Criterion]
) -> pd.DataFrame:
    """Grade every district of a target table.

    ``actuals`` has ``district_code`` and one column per criterion name (see
    :func:`otop_sync.transforms.criteria.quarter_actuals`); a district with targets but no
    actuals is an error. The result is the target table with ``grade``, ``next_grade``,
    ``failed_criteria`` and ``criteria`` (the tuple of :class:`CriterionResult`).
    """
    row_of = {code: row for row, code in enumerate(actuals["district_code"].tolist())}
    missing = sorted(set(targets["district_code"].tolist()) - set(row_of))
    if missing:
        raise ValueError(f"no actual figures for districts {', '.join(missing)}")
    leveller = _leveller(criteria)
    columns = {c.name: actuals[c.name].tolist() for c in criteria}
    graded: dict[str, list[object]] = {
        "grade": [],
        "next_grade": [],
        "failed_criteria": [],
        "criteria": [],
    }
    for target in records(targets):
        row = row_of[target["district_code"]]
        result = _grade(
            criteria, leveller, {name: values[row] for name, values in columns.items()}, target
        )
        graded["grade"].append(result.grade)
        graded["next_grade"].append(result.next_grade)
        graded["failed_criteria"].append(result.failed_criteria)
        graded["criteria"].append(result.criteria)
    return targets.reset_index(drop=True).assign(**graded)


def amount_text(unit: str, value: Number) -> str:
    """A count as a whole number, baht with thousands separators and two decimals."""
    return f"{Decimal(value):,.2f}" if unit == "baht" else str(int(value))


STATUS_TH = {"provisional": "เบื้องต้น", "final": "ยืนยันแล้ว"}
"""A grade's status as Thai readers see it: provisional until the quarter's last sales are
due, final from then on."""


@dataclass(frozen=True, slots=True)
class GradeRow:
    """One district's grade for one quarter, as every presentation shows it."""

    quarter: Quarter
    district_code: str
    district_name_th: str
    grade: str | None
    status: str
    as_of: date
    next_grade: str | None
    criteria: tuple[CriterionResult, ...]
    reasons: str = ""
    """What to know when reading the grade, in Thai: a late month and its due date, rules
    carried forward from an earlier year; empty when nothing."""
    shop_producers: int | None = None
    """Shop ชุมชน units that are OTOP producers (one per producer code); None if not graded."""
    shop_centres: int | None = None
    """Shop ชุมชน units that are sales centres (shops without a producer code)."""
    quarantined: Quarantined | None = None
    """The rows set aside in quarantine that touch the grade; None when none does."""

    def quarantined_text(self) -> str:
        """How many rows set aside touch the grade, compact: ``1 แถว``; empty when none."""
        return f"{self.quarantined.rows} แถว" if self.quarantined else ""

    def quarantine_reasons_text(self) -> str:
        """The distinct reasons of the rows set aside that touch the grade, ``; ``-joined."""
        return join_reasons(self.quarantined.reasons) if self.quarantined else ""

    def with_quarantined_text(self) -> str:
        """Each touched criterion's figure had the rows set aside been loaded, e.g.
        ``ยอดจำหน่าย 150,000,000.00 บาท`` and, for rows with a cell that cannot be read,
        ``(1 แถวอ่านค่าไม่ได้ จึงรวมไม่ได้)``; empty when no row touches the grade."""
        if not self.quarantined:
            return ""
        parts = []
        for figure in self.quarantined.figures:
            text = f"{label_of(figure.criterion)} {amount_text(figure.unit, figure.actual_with)}"
            text += " บาท" if figure.unit == "baht" else ""
            if figure.unreadable:
                text += f" ({figure.unreadable} แถวอ่านค่าไม่ได้ จึงรวมไม่ได้)"
            parts.append(text)
        return ", ".join(parts)

    def units_text(self) -> str:
        """The Shop ชุมชน units' make-up: ``ผู้ผลิต 12, ศูนย์จำหน่าย 3``; empty if not graded."""
        if self.shop_producers is None or self.shop_centres is None:
            return ""
        return f"ผู้ผลิต {self.shop_producers}, ศูนย์จำหน่าย {self.shop_centres}"

    def status_text(self) -> str:
        """The status in Thai (:data:`STATUS_TH`); an unknown status as it is."""
        return STATUS_TH.get(self.status, self.status)

    def criterion(self, name: str) -> CriterionResult | None:
        """The result of one criterion, None if the quarter's rules did not grade it."""
        try:
            return _result_named(self.criteria, name)
        except KeyError:
            return None

    @property
    def failed_criteria(self) -> str:
        """Comma-separated names of the criteria not met; empty when none failed."""
        return ",".join(r.criterion for r in self.criteria if not r.met)

    def actual_text(self, name: str) -> str:
        """A criterion's actual as text (empty if not graded)."""
        result = self.criterion(name)
        return amount_text(result.unit, result.actual) if result else ""

    def target_text(self, name: str) -> str:
        """A criterion's target as text (empty if not graded)."""
        result = self.criterion(name)
        return amount_text(result.unit, result.target) if result else ""

    def missing_text(self) -> str:
        """What the next grade still needs: ``B: ยอดจำหน่าย 0.01 บาท``; ``-`` at the top."""
        parts = [
            f"{label_of(r.criterion)} {amount_text(r.unit, r.missing)}"
            + (" บาท" if r.unit == "baht" else "")
            for r in self.criteria
            if r.missing
        ]
        if not parts:
            return "-" if self.next_grade is None else ""
        return f"{self.next_grade}: " + ", ".join(parts)

    def display(self) -> dict[str, object]:
        """The row as a table artifact shows it (text, with ``-`` for nothing)."""
        record: dict[str, object] = {
            "quarter": str(self.quarter),
            "district_code": self.district_code,
            "district": self.district_name_th,
            "grade": self.grade or "-",
            "status": self.status,
            "failed": self.failed_criteria or "-",
            "next_grade": self.next_grade or "-",
        }
        for result in self.criteria:
            record[result.criterion] = amount_text(result.unit, result.actual)
            record[f"{result.criterion}_target"] = amount_text(result.unit, result.target)
            record[f"missing_{result.criterion}"] = amount_text(result.unit, result.missing)
        record["missing"] = self.missing_text()
        record["shop_units"] = self.units_text() or "-"
        record["reasons"] = self.reasons or "-"
        record["quarantined"] = self.quarantined_text() or "-"
        record["quarantine_reasons"] = self.quarantine_reasons_text() or "-"
        record["with_quarantined"] = self.with_quarantined_text() or "-"
        return record


def count_or_none(value: object) -> int | None:
    """A count from a table cell, None where the cell is empty (None or NaN)."""
    return None if value is None or pd.isna(value) else int(value)  # type: ignore[arg-type]


def _quarantined(value: object) -> Quarantined | None:
    return value if isinstance(value, Quarantined) else None


def grade_rows(grades: pd.DataFrame) -> list[GradeRow]:
    """Typed rows from :func:`grade_quarter`'s table with ``district_name_th``, ``status``
    and ``as_of`` (as :func:`otop_sync.transforms.kpi.compute_quarter` returns it)."""
    return [
        GradeRow(
            quarter=Quarter(int(row["fiscal_year"]), int(row["quarter"])),
            district_code=row["district_code"],
            district_name_th=row["district_name_th"],
            grade=row["grade"] if isinstance(row["grade"], str) else None,
            status=row["status"],
            as_of=row["as_of"],
            next_grade=row["next_grade"] if isinstance(row["next_grade"], str) else None,
            criteria=tuple(row["criteria"]),
            reasons=row.get("reasons") or "",
            shop_producers=count_or_none(row.get("shop_producers")),
            shop_centres=count_or_none(row.get("shop_centres")),
            quarantined=_quarantined(row.get("quarantined")),
        )
        for row in grades.to_dict("records")
    ]
