"""The outlook's projection, needs and backtest on a small hand-made province (Chiang Rai's 18
districts, round figures), where every answer can be worked out by hand."""

from datetime import date, timedelta
from decimal import Decimal

import pandas as pd
import pytest

from otop_sync.transforms.districts import districts_of
from otop_sync.transforms.fiscal import Quarter
from otop_sync.transforms.outlook import (
    BacktestCase,
    MonthNeed,
    Need,
    ProvinceSources,
    backtest,
    hit_rate,
    hit_rate_text,
    open_months,
    outlook_as_of,
    project_sales,
    run_rate_months,
    split_exactly,
    stage_day,
    stage_of,
)

Q2 = Quarter(2567, 2)
CODES = [d.code for d in districts_of("57")]
HIT = CODES[:9]  # projected A, final A
MISSED = CODES[9:15]  # projected A, but February and March fall short: final no grade
LATE_SHOPS = CODES[15:]  # shops registered after the first month: projected and final none


def month(year: int, number: int) -> date:
    return date(year, number, 1)


def test_the_quarters_stages_and_run_rate_months():
    assert open_months(Q2, date(2024, 2, 20)) == [month(2024, 2), month(2024, 3)]
    assert open_months(Q2, date(2024, 2, 18)) == list(Q2.months)  # due on the 18th: still open
    assert [stage_of(Q2, date(2024, 2, d)) for d in (18, 19)] == [0, 1]
    assert stage_of(Q2, date(2024, 4, 19)) == 3
    assert [stage_day(Q2, s) for s in (0, 1, 2)] == [
        date(2024, 1, 1),
        date(2024, 2, 19),
        date(2024, 3, 19),
    ]
    assert run_rate_months(date(2024, 2, 20)) == [month(2023, 11), month(2023, 12), month(2024, 1)]
    assert run_rate_months(date(2024, 2, 18)) == [month(2023, 10), month(2023, 11), month(2023, 12)]


def test_split_is_exact_and_half_up():
    assert split_exactly(Decimal("100.00"), [Decimal(1)] * 3) == [
        Decimal("33.33"),
        Decimal("33.33"),
        Decimal("33.34"),
    ]
    # 0.01 × 1/2 = 0.005: half-up gives 0.01 (banker's rounding would give 0.00)
    assert split_exactly(Decimal("0.01"), [Decimal(1), Decimal(1)]) == [
        Decimal("0.01"),
        Decimal("0.00"),
    ]
    assert split_exactly(Decimal("10.00"), [Decimal(0), Decimal(0)]) == [
        Decimal("5.00"),
        Decimal("5.00"),
    ]
    parts = split_exactly(Decimal("1234567.89"), [Decimal("3.7"), Decimal("11.9")])
    assert sum(parts) == Decimal("1234567.89")
    assert parts[0] == Decimal("292814.18")  # 1,234,567.89 × 3.7 / 15.6 = 292,814.1790…


def test_projection_is_base_month_times_run_rate_half_up():
    recorded = pd.DataFrame(
        [
            ("5701", month(2022, 11), Decimal("100.00")),
            ("5701", month(2022, 12), Decimal("100.00")),
            ("5701", month(2023, 1), Decimal("100.00")),
            ("5701", month(2023, 2), Decimal("33.33")),
            ("5701", month(2023, 3), Decimal("100.00")),
            ("5701", month(2023, 11), Decimal("110.00")),
            ("5701", month(2023, 12), Decimal("110.00")),
            ("5701", month(2024, 1), Decimal("115.00")),
            ("5701", month(2024, 3), Decimal("200.00")),  # more than projected: kept
        ],
        columns=["district_code", "month", "amount"],
    )
    projected = project_sales(recorded, Q2, 2566, date(2024, 2, 20), ["5701"])
    amounts = dict(zip(projected["month"], projected["amount"], strict=True))
    # run rate 335 / 300; February: 33.33 × 335 / 300 = 37.2185 → 37.22
    assert amounts[month(2024, 2)] == Decimal("37.22")
    assert amounts[month(2024, 3)] == Decimal("200.00")
    assert amounts[month(2024, 1)] == Decimal("115.00")  # due: as recorded


def test_need_texts_in_thai_with_be_dates():
    sales = Need(
        "sales",
        "ยอดจำหน่าย",
        "baht",
        "ราย",
        Decimal("1234567.89"),
        date(2024, 4, 18),
        (
            MonthNeed(month(2024, 2), Decimal("600000.00"), date(2024, 3, 18)),
            MonthNeed(month(2024, 3), Decimal("634567.89"), date(2024, 4, 18)),
        ),
    )
    assert sales.text() == (
        "ต้องบันทึกยอดจำหน่ายอีก 1,234,567.89 บาท ภายใน 18 เม.ย. 2567 "
        "(ก.พ. 2567 600,000.00 บาท ภายใน 18 มี.ค. 2567, "
        "มี.ค. 2567 634,567.89 บาท ภายใน 18 เม.ย. 2567)"
    )
    shops = Need("shops", "Shop ชุมชน", "count", "ราย", 2, date(2024, 3, 31))
    assert shops.text() == "ลงทะเบียน Shop ชุมชน อีก 2 ราย ภายใน 31 มี.ค. 2567"
    products = Need("products", "ผลิตภัณฑ์", "count", "รายการ", 1, date(2024, 3, 31), closed=True)
    assert products.text() == "ผลิตภัณฑ์ยังขาดอีก 1 รายการ (นับถึง 31 มี.ค. 2567 แล้ว)"


def _recorded(code: str, month_: date, amount: str) -> tuple[str, date, Decimal, date]:
    """A monthly total recorded on the 10th of the next month."""
    next_month = (month_ + timedelta(days=32)).replace(day=10)
    return code, month_, Decimal(amount), next_month


@pytest.fixture
def province() -> ProvinceSources:
    """Base sales 300.00 a quarter (target 306.00), 4 interested (D 1, C 2, B 3, A 4), 110.00
    a month from November 2023 (run rate 1.1), one product added and four shops by January;
    then February and March at 110.00 (HIT), 40.00 (MISSED); LATE_SHOPS register their shops
    on 10 March, after the first month was due, and fall short too."""
    baseline = pd.DataFrame(
        [(2567, 2, "57", code, Decimal("300.00"), 4) for code in CODES],
        columns=[
            "fiscal_year",
            "quarter",
            "province_code",
            "district_code",
            "base_sales",
            "interested_q1",
        ],
    )
    rows = []
    for code in CODES:
        rows += [_recorded(code, month(y, m), "100.00") for y, m in [(2022, 11), (2022, 12)]]
        rows += [_recorded(code, month(2023, m), "100.00") for m in (1, 2, 3)]
        rows += [_recorded(code, month(y, m), "110.00") for y, m in [(2023, 11), (2023, 12)]]
        rows.append(_recorded(code, month(2024, 1), "110.00"))
        later = "110.00" if code in HIT else "40.00"
        rows += [_recorded(code, month(2024, m), later) for m in (2, 3)]
    sales = pd.DataFrame(rows, columns=["district_code", "month", "amount", "recorded_on"])

    def read_sales(months, day):
        known = sales[sales["month"].isin(list(months)) & (sales["recorded_on"] <= day)]
        return known[["district_code", "month", "amount"]].reset_index(drop=True)

    products = pd.DataFrame(
        [(f"P{code}", code, date(2024, 1, 5), None) for code in CODES],
        columns=["product_code", "district_code", "registered_on", "cancelled_on"],
    )
    shops = pd.DataFrame(
        [
            (
                f"S{code}{i}",
                f"OTOP{code}{i}",
                code,
                date(2024, 3, 10) if code in LATE_SHOPS else date(2023, 12, 1),
            )
            for code in CODES
            for i in range(4)
        ],
        columns=["shop_code", "producer_code", "district_code", "registered_on"],
    )
    return ProvinceSources("57", baseline, products, shops, read_sales)


def test_outlook_of_the_hand_made_province(province, rulebook):
    rows = outlook_as_of(province, Q2, rulebook, date(2024, 2, 20))
    assert [r.district_code for r in rows] == CODES
    first = rows[0]
    assert (first.so_far.grade, first.projected_grade, first.aim) == (None, "A", "A")
    assert first.recorded_sales == Decimal("110.00")
    assert first.projected_sales == Decimal("330.00")
    assert first.recorded_percent == Decimal("33.3")
    assert first.confidence_th == "ปานกลาง"  # 1/3 recorded: the medium band starts there
    # target 306.00 − 110.00 recorded, split over February and March by their projections
    assert first.needs_text() == (
        "เพื่อระดับ A: ต้องบันทึกยอดจำหน่ายอีก 196.00 บาท ภายใน 18 เม.ย. 2567 "
        "(ก.พ. 2567 98.00 บาท ภายใน 18 มี.ค. 2567, มี.ค. 2567 98.00 บาท ภายใน 18 เม.ย. 2567)"
    )
    late = rows[-1]
    assert (late.projected_grade, late.aim) == (None, "D")
    assert [n.text() for n in late.needs][-1] == "ลงทะเบียน Shop ชุมชน อีก 1 ราย ภายใน 31 มี.ค. 2567"


def test_as_of_changes_the_outlook(province, rulebook):
    before = outlook_as_of(province, Q2, rulebook, date(2024, 2, 5))[0]
    after = outlook_as_of(province, Q2, rulebook, date(2024, 3, 20))[0]
    assert (before.stage, before.recorded_sales) == (0, Decimal("0.00"))
    assert before.projected_sales == Decimal("330.00")  # January projected too
    assert (after.stage, after.recorded_sales) == (2, Decimal("220.00"))
    assert [n.text() for n in after.needs] == ["ต้องบันทึกยอดจำหน่ายอีก 86.00 บาท ภายใน 18 เม.ย. 2567"]


def test_backtest_on_the_hand_made_province_hits_two_in_three(province, rulebook):
    cases = backtest(province, [Q2], rulebook, stage=1)
    by_code = {c.district_code: (c.projected, c.final, c.so_far) for c in cases}
    assert {by_code[c] for c in HIT} == {("A", "A", None)}
    assert {by_code[c] for c in MISSED} == {("A", None, None)}
    assert {by_code[c] for c in LATE_SHOPS} == {(None, None, None)}
    assert hit_rate(cases) == Decimal(12) / 18
    assert hit_rate_text(cases) == "12/18 = 66.7% (1 ไตรมาส)"
    assert hit_rate_text([c.without_projection() for c in cases]) == "9/18 = 50.0% (1 ไตรมาส)"


def test_hit_rate_of_nothing_says_so():
    assert hit_rate([]) is None
    assert hit_rate_text([]) == "ยังไม่มีไตรมาสที่ประเมินแล้วให้ทดสอบย้อนหลัง"
    case = BacktestCase(Q2, "5701", 1, "B", "B")
    assert hit_rate([case, BacktestCase(Q2, "5702", 1, None, "D")]) == Decimal("0.5")
