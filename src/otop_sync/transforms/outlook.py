"""The grade each district is heading for in a quarter that is still open, and what it needs
to do to reach the next grade.

The projection, per district, as of a day:

- **Sales.** Months of the quarter whose sales are already due (the 18th of the next month has
  passed) count as recorded: nothing more is expected of them. Each month not yet due counts
  as the larger of what is recorded so far and a projection: the base year's same month ×
  the district's **run rate**, half-up to the satang. The run rate is what the district
  recorded in its last :data:`RUN_RATE_MONTHS` months already due divided by the base year's
  same months (only months it recorded count; 1 when there is nothing to compare).
- **Products and Shop ชุมชน units.** What is registered so far; nothing more is assumed.

The projected figures are graded by the fiscal year's criteria like any quarter
(:func:`otop_sync.transforms.kpi.compute_quarter`), and what is still needed for the next grade
is each criterion's ``missing`` against the figures recorded so far, the sales split over the
months still open, each with its due date.

Confidence is the share of the projected quarter sales already recorded, with the backtest's
hit rate at the same point of the quarter (:func:`hit_rate`) beside it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pandas as pd

from otop_sync.transforms.criteria import LEVELS, Number, QuarterData
from otop_sync.transforms.deltas import products_known_by, shops_known_by
from otop_sync.transforms.fiscal import Quarter, month_start, quarter_range, sales_due_date
from otop_sync.transforms.grades import GradeRow, grade_rows, next_grade
from otop_sync.transforms.kpi import compute_quarter
from otop_sync.transforms.rules import KpiRules, RuleBook
from otop_sync.transforms.targets import SATANG, round_half_up
from otop_sync.transforms.thai import format_be_day, format_be_month

RUN_RATE_MONTHS = 3
"""How many of the latest months already due make a district's run rate."""

HIGH_SHARE = Decimal(2) / 3
LOW_SHARE = Decimal(1) / 3
"""Shares of the projected quarter sales already recorded from which the projection is said
to be of high (``สูง``) or medium (``ปานกลาง``) confidence; below :data:`LOW_SHARE`, low."""

SALES_COLUMNS = ["district_code", "month", "amount"]


def shift_month(month: date, count: int) -> date:
    """The first day of the month ``count`` months after ``month``'s (before, if negative)."""
    index = month.year * 12 + month.month - 1 + count
    return date(index // 12, index % 12 + 1, 1)


def open_months(quarter: Quarter, as_of: date) -> list[date]:
    """The quarter's months whose sales are not yet due on ``as_of`` (on the 18th itself a
    month is still open)."""
    return [month for month in quarter.months if sales_due_date(month) >= as_of]


def stage_of(quarter: Quarter, as_of: date) -> int:
    """How far into the quarter ``as_of`` is: the number of its months already due (0–3)."""
    return len(quarter.months) - len(open_months(quarter, as_of))


def stage_day(quarter: Quarter, stage: int) -> date:
    """The first day of a stage: the quarter's start for 0, else the day after the stage's
    last month was due (stage 1 of 2567Q2: 19 February 2024)."""
    if stage == 0:
        return quarter.start
    return sales_due_date(quarter.months[stage - 1]) + timedelta(days=1)


def run_rate_months(as_of: date, count: int = RUN_RATE_MONTHS) -> list[date]:
    """The latest ``count`` months whose sales were due before ``as_of``, oldest first."""
    last = shift_month(month_start(as_of), -1)
    while sales_due_date(last) >= as_of:
        last = shift_month(last, -1)
    return [shift_month(last, -back) for back in reversed(range(count))]


def months_to_read(quarter: Quarter, base_year: int, as_of: date) -> list[date]:
    """Every month the outlook reads: the quarter's, the run rate's, and their base-year
    months."""
    years = quarter.fiscal_year - base_year
    months = {*quarter.months, *run_rate_months(as_of)}
    return sorted(months | {shift_month(m, -12 * years) for m in months})


def _amounts(sales_by_month: pd.DataFrame) -> dict[tuple[str, date], Decimal]:
    return {
        (code, month): Decimal(amount)
        for code, month, amount in sales_by_month[SALES_COLUMNS].itertuples(index=False)
    }


def run_rates(
    sales_by_month: pd.DataFrame, districts: Iterable[str], base_year_gap: int, as_of: date
) -> dict[str, Decimal]:
    """Per district: its sales in the run-rate months it recorded over the base year's same
    months; 1 where there is nothing to compare (no month recorded, or no base-year sales)."""
    amounts = _amounts(sales_by_month)
    months = run_rate_months(as_of)
    rates = {}
    for code in districts:
        recorded = [m for m in months if (code, m) in amounts]
        before = [shift_month(m, -12 * base_year_gap) for m in recorded]
        now = sum((amounts[(code, m)] for m in recorded), Decimal(0))
        then = sum((amounts.get((code, m), Decimal(0)) for m in before), Decimal(0))
        rates[code] = now / then if then > 0 else Decimal(1)
    return rates


def project_sales(
    sales_by_month: pd.DataFrame,
    quarter: Quarter,
    base_year: int,
    as_of: date,
    districts: Sequence[str],
) -> pd.DataFrame:
    """``sales_by_month`` (what was recorded by ``as_of``) with each month of the quarter not
    yet due replaced by its projection: the larger of what is recorded and the base year's same
    month × the district's run rate, half-up to the satang (see the module docstring)."""
    gap = quarter.fiscal_year - base_year
    amounts = _amounts(sales_by_month)
    rates = run_rates(sales_by_month, districts, gap, as_of)
    projected = dict(amounts)
    for code in districts:
        for month in open_months(quarter, as_of):
            base = amounts.get((code, shift_month(month, -12 * gap)), Decimal(0))
            expected = round_half_up(base * rates[code], SATANG)
            projected[(code, month)] = max(amounts.get((code, month), Decimal("0.00")), expected)
    rows = [(code, month, amount) for (code, month), amount in projected.items()]
    return pd.DataFrame(rows, columns=SALES_COLUMNS, dtype=object)


def split_exactly(total: Decimal, weights: Sequence[Decimal]) -> list[Decimal]:
    """``total`` (satang) split in proportion to ``weights``, each part half-up to the satang
    and the last taking the remainder, so the parts add up to ``total`` exactly; equal parts
    when the weights add up to nothing."""
    if not weights:
        return []
    whole = sum(weights, Decimal(0))
    shares = list(weights) if whole > 0 else [Decimal(1)] * len(weights)
    whole = whole if whole > 0 else Decimal(len(weights))
    parts = [round_half_up(total * share / whole, SATANG) for share in shares[:-1]]
    return [*parts, total - sum(parts, Decimal(0))]


@dataclass(frozen=True, slots=True)
class MonthNeed:
    """Sales to record for one month still open, by its due date."""

    month: date
    amount: Decimal
    due: date


@dataclass(frozen=True, slots=True)
class Need:
    """What one criterion still needs, counted from the figures recorded so far, by when."""

    criterion: str
    label_th: str
    unit: str
    count_word_th: str
    """The word counted units take (``ราย``, ``รายการ``); unused for baht."""
    amount: Number
    due: date
    months: tuple[MonthNeed, ...] = ()
    """Sales only: the amount split over the months still open (empty when none is)."""
    closed: bool = False
    """The deadline has passed: what is missing can no longer be made up in time."""

    def text(self) -> str:
        """In Thai with BE dates: ``ต้องบันทึกยอดจำหน่ายอีก 1,234,567.89 บาท ภายใน 18 เม.ย.
        2567`` or ``ลงทะเบียน Shop ชุมชน อีก 2 ราย ภายใน 31 มี.ค. 2567``."""
        if self.unit != "baht":
            space = " " if self.label_th[:1].isascii() else ""
            if self.closed:
                return (
                    f"{self.label_th}ยังขาดอีก {int(self.amount)} {self.count_word_th} "
                    f"(นับถึง {format_be_day(self.due)} แล้ว)"
                )
            return (
                f"ลงทะเบียน{space}{self.label_th} อีก {int(self.amount)} {self.count_word_th} "
                f"ภายใน {format_be_day(self.due)}"
            )
        amount = f"{Decimal(self.amount):,.2f} บาท"
        if self.closed:
            return f"{self.label_th}ยังขาดอีก {amount} (ครบกำหนดบันทึก {format_be_day(self.due)} แล้ว)"
        text = f"ต้องบันทึก{self.label_th}อีก {amount} ภายใน {format_be_day(self.due)}"
        if len(self.months) > 1:
            text += (
                " ("
                + ", ".join(
                    f"{format_be_month(m.month, short=True)} {m.amount:,.2f} บาท "
                    f"ภายใน {format_be_day(m.due)}"
                    for m in self.months
                )
                + ")"
            )
        return text


@dataclass(frozen=True, slots=True)
class OutlookRow:
    """One district's outlook for a quarter as of a day."""

    quarter: Quarter
    district_code: str
    district_name_th: str
    as_of: date
    so_far: GradeRow
    """The grade on the figures recorded so far (what ``grade --as-of`` gives)."""
    projected: GradeRow
    """The grade on the projected figures."""
    aim: str
    """The grade the needs are for: the one above the projected grade (the projected grade
    itself at the top)."""
    needs: tuple[Need, ...]
    recorded_sales: Decimal
    projected_sales: Decimal
    stage: int
    """Months of the quarter already due (0–3)."""

    @property
    def projected_grade(self) -> str | None:
        return self.projected.grade

    @property
    def recorded_share(self) -> Decimal:
        """The share (0–1) of the projected quarter sales already recorded."""
        if self.projected_sales <= 0:
            return Decimal(self.stage) / 3
        return min(Decimal(1), self.recorded_sales / self.projected_sales)

    @property
    def recorded_percent(self) -> Decimal:
        """:attr:`recorded_share` in percent, half-up to a tenth."""
        return round_half_up(self.recorded_share * 100, Decimal("0.1"))

    @property
    def confidence_th(self) -> str:
        """``สูง``, ``ปานกลาง`` or ``ต่ำ`` by :attr:`recorded_share` (see :data:`HIGH_SHARE`)."""
        share = self.recorded_share
        return "สูง" if share >= HIGH_SHARE else "ปานกลาง" if share >= LOW_SHARE else "ต่ำ"

    def needs_text(self) -> str:
        """``เพื่อระดับ A: ต้องบันทึก…; ลงทะเบียน…``, or that nothing more is needed."""
        if not self.needs:
            return f"ระดับ {self.aim}: ไม่ต้องทำเพิ่ม"
        return f"เพื่อระดับ {self.aim}: " + "; ".join(need.text() for need in self.needs)

    def line(self) -> str:
        """The outlook in one line, as the command prints it."""
        return (
            f"{self.district_code} {self.district_name_th}: ขณะนี้ {self.so_far.grade or '-'}, "
            f"แนวโน้ม {self.projected_grade or '-'} (ยอดที่คาด {self.projected_sales:,.2f} บาท, "
            f"บันทึกแล้ว {self.recorded_percent}%, ความเชื่อมั่น{self.confidence_th}) "
            f"| {self.needs_text()}"
        )


def _aim(projected: GradeRow, rules: KpiRules) -> str:
    level = projected.criterion(rules.level_criterion.name)
    aim = next_grade(projected.grade, level.level if level else None)
    return aim if aim is not None else LEVELS[-1]


def _needs(
    rules: KpiRules,
    so_far: GradeRow,
    targets: Mapping[str, object],
    aim: str,
    quarter: Quarter,
    as_of: date,
    remaining: Mapping[date, Decimal],
) -> tuple[Need, ...]:
    """Each criterion's ``missing`` for ``aim`` against the figures recorded so far."""
    needs = []
    still_open = open_months(quarter, as_of)
    for criterion in rules.criteria:
        recorded = so_far.criterion(criterion.name)
        if recorded is None:
            continue
        missing = criterion.assess(recorded.actual, targets, aim).missing
        if not missing:
            continue
        about = (criterion.name, criterion.label_th, criterion.unit, criterion.count_word_th)
        if criterion.unit != "baht":
            needs.append(Need(*about, missing, quarter.end, closed=quarter.end < as_of))
            continue
        parts = split_exactly(Decimal(missing), [remaining[m] for m in still_open])
        months = tuple(
            MonthNeed(m, part, sales_due_date(m)) for m, part in zip(still_open, parts, strict=True)
        )
        due = sales_due_date(quarter.months[-1])
        needs.append(Need(*about, missing, due, months, closed=not months))
    return tuple(needs)


def products_by(products: pd.DataFrame, day: date) -> pd.DataFrame:
    """:func:`products_known_by`, which also takes a province with no product at all."""
    return products if products.empty else products_known_by(products, day)


def shops_by(shops: pd.DataFrame, day: date) -> pd.DataFrame:
    """:func:`shops_known_by`, which also takes a province with no shop at all."""
    return shops if shops.empty else shops_known_by(shops, day)


def province_outlook(
    *,
    quarter: Quarter,
    rules: KpiRules,
    rules_version: str,
    province_code: str,
    baseline: pd.DataFrame,
    products: pd.DataFrame,
    shops: pd.DataFrame,
    sales_by_month: pd.DataFrame,
    as_of: date,
) -> list[OutlookRow]:
    """Every district's outlook for ``quarter`` as of ``as_of``, in district-code order.

    ``sales_by_month`` holds the monthly totals recorded by ``as_of`` (as
    :func:`otop_sync.warehouse.queries.sales_by_month` gives them with ``recorded_by``) for
    :func:`months_to_read`; products and shops are those of the province, of which only what
    was registered (or cancelled) by ``as_of`` counts.
    """
    common = {
        "quarter": quarter,
        "rules": rules,
        "rules_version": rules_version,
        "province_codes": [province_code],
        "baseline": baseline,
        **_counts(quarter, products_by(products, as_of), shops_by(shops, as_of)),
        "as_of": as_of,
    }
    recorded = compute_quarter(**common, sales_by_month=sales_by_month)
    codes = list(recorded.targets["district_code"])
    projected_sales = project_sales(sales_by_month, quarter, rules.base_year, as_of, codes)
    projection = compute_quarter(**common, sales_by_month=projected_sales)
    targets = {row["district_code"]: row for row in recorded.targets.to_dict("records")}
    recorded_amounts, projected_amounts = _amounts(sales_by_month), _amounts(projected_sales)
    stage = stage_of(quarter, as_of)
    rows = []
    for so_far, projected in zip(
        grade_rows(recorded.grades), grade_rows(projection.grades), strict=True
    ):
        code = so_far.district_code
        remaining = {
            month: max(
                Decimal(0),
                projected_amounts.get((code, month), Decimal(0))
                - recorded_amounts.get((code, month), Decimal(0)),
            )
            for month in quarter.months
        }
        aim = _aim(projected, rules)
        rows.append(
            OutlookRow(
                quarter=quarter,
                district_code=code,
                district_name_th=so_far.district_name_th,
                as_of=as_of,
                so_far=so_far,
                projected=projected,
                aim=aim,
                needs=_needs(rules, so_far, targets[code], aim, quarter, as_of, remaining),
                recorded_sales=sum(
                    (recorded_amounts.get((code, m), Decimal(0)) for m in quarter.months),
                    Decimal("0.00"),
                ),
                projected_sales=sum(
                    (projected_amounts.get((code, m), Decimal(0)) for m in quarter.months),
                    Decimal("0.00"),
                ),
                stage=stage,
            )
        )
    return rows


@dataclass(frozen=True, slots=True)
class BacktestCase:
    """One district and past quarter: the grade projected at a stage against the final one."""

    quarter: Quarter
    district_code: str
    stage: int
    projected: str | None
    final: str | None
    so_far: str | None = None
    """The grade on the figures recorded by then, without projection (the floor to beat)."""

    @property
    def hit(self) -> bool:
        return self.projected == self.final

    def without_projection(self) -> BacktestCase:
        """The same case judged on the grade so far instead of the projected one."""
        return replace(self, projected=self.so_far)


def hit_rate(cases: Iterable[BacktestCase]) -> Decimal | None:
    """The share (0–1) of cases whose projected grade was the final grade; None for none."""
    hits = [case.hit for case in cases]
    return Decimal(sum(hits)) / len(hits) if hits else None


def hit_rate_text(cases: Sequence[BacktestCase]) -> str:
    """``15/18 = 83.3% (1 ไตรมาส)``, or that there is no history to measure it on."""
    rate = hit_rate(cases)
    if rate is None:
        return "ยังไม่มีไตรมาสที่ประเมินแล้วให้ทดสอบย้อนหลัง"
    quarters = len({case.quarter for case in cases})
    percent = round_half_up(rate * 100, Decimal("0.1"))
    return f"{sum(c.hit for c in cases)}/{len(cases)} = {percent}% ({quarters} ไตรมาส)"


SalesReader = Callable[[Sequence[date], date], pd.DataFrame]
"""Reads a province's monthly sales totals per district (``district_code``, ``month``,
``amount``) for the months given, as recorded by the day given."""


@dataclass(frozen=True, slots=True)
class ProvinceSources:
    """What a province's outlook is computed from: its registrations, baseline and sales."""

    province_code: str
    baseline: pd.DataFrame
    products: pd.DataFrame
    shops: pd.DataFrame
    read_sales: SalesReader


def outlook_as_of(
    sources: ProvinceSources, quarter: Quarter, rulebook: RuleBook, as_of: date
) -> list[OutlookRow]:
    """:func:`province_outlook` on what the sources held on ``as_of``."""
    rules = rulebook.for_year(quarter.fiscal_year)
    return province_outlook(
        quarter=quarter,
        rules=rules,
        rules_version=rulebook.version,
        province_code=sources.province_code,
        baseline=sources.baseline,
        products=sources.products,
        shops=sources.shops,
        sales_by_month=sources.read_sales(months_to_read(quarter, rules.base_year, as_of), as_of),
        as_of=as_of,
    )


def _counts(quarter: Quarter, products: pd.DataFrame, shops: pd.DataFrame) -> dict[str, Any]:
    """``compute_quarter``'s ``products``, ``shops`` and ``days`` from registration rows."""
    no_sales = pd.DataFrame(columns=["district_code", "month", "amount"])
    data = QuarterData.from_rows(quarter, products, no_sales, shops)
    return {"products": data.products, "shops": data.shops, "days": data.days}


def final_grades(
    sources: ProvinceSources, quarter: Quarter, rulebook: RuleBook
) -> dict[str, str | None]:
    """The quarter's grades per district as of the day they became final
    (:attr:`Quarter.final_from`), on what was known that day."""
    rules = rulebook.for_year(quarter.fiscal_year)
    day = quarter.final_from
    base = quarter.same_quarter_of(rules.base_year)
    result = compute_quarter(
        quarter=quarter,
        rules=rules,
        rules_version=rulebook.version,
        province_codes=[sources.province_code],
        baseline=sources.baseline,
        **_counts(quarter, products_by(sources.products, day), shops_by(sources.shops, day)),
        sales_by_month=sources.read_sales([*base.months, *quarter.months], day),
        as_of=day,
    )
    return {
        row["district_code"]: row["grade"] if isinstance(row["grade"], str) else None
        for row in result.grades.to_dict("records")
    }


def backtest(
    sources: ProvinceSources, quarters: Iterable[Quarter], rulebook: RuleBook, stage: int
) -> list[BacktestCase]:
    """Each district of each quarter projected from the first day of ``stage``
    (:func:`stage_day`) against its final grade, each on what was known on its day."""
    cases = []
    for quarter in quarters:
        final = final_grades(sources, quarter, rulebook)
        for row in outlook_as_of(sources, quarter, rulebook, stage_day(quarter, stage)):
            cases.append(
                BacktestCase(
                    quarter=quarter,
                    district_code=row.district_code,
                    stage=stage,
                    projected=row.projected_grade,
                    final=final[row.district_code],
                    so_far=row.so_far.grade,
                )
            )
    return cases


def final_quarters(rulebook: RuleBook, before: date) -> list[Quarter]:
    """The quarters the rules grade whose grades were final by ``before``, oldest first."""
    years = sorted(rulebook.years)
    if not years:
        return []
    return [
        quarter
        for quarter in quarter_range(Quarter(years[0], 1), Quarter(years[-1], 4))
        if rulebook.covers(quarter) and quarter.final_from <= before
    ]
