"""Who is nudged before a deadline, and when ops are alerted: plain functions, no warehouse."""

from datetime import UTC, date, datetime, timedelta

import pandas as pd
import pytest

from otop_sync.expectations.runner import CriticalExpectationError, Outcome
from otop_sync.reports.notices import failure_notice, nudge_notice
from otop_sync.transforms.alerts import (
    CRASHED,
    CRITICAL,
    FAILED,
    failure_kind,
    one_line,
    stale_sources,
    usual_seconds,
)
from otop_sync.transforms.deadlines import (
    PENDING,
    SALES,
    SHOP_REPORT,
    next_due_month,
    pending_districts,
)
from otop_sync.transforms.fiscal import sales_due_date, shop_report_due_date
from tests.transforms.test_deadlines import recordings, records, responses

JUNE = date(2024, 6, 1)
NOW = datetime(2024, 7, 20, 2, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("as_of", "sales_month", "report_month"),
    [
        (date(2024, 7, 1), JUNE, JUNE),
        (date(2024, 7, 15), JUNE, JUNE),  # the report's due day: still to come
        (date(2024, 7, 16), JUNE, date(2024, 7, 1)),
        (date(2024, 7, 18), JUNE, date(2024, 7, 1)),
        (date(2024, 7, 19), date(2024, 7, 1), date(2024, 7, 1)),
        (date(2025, 1, 10), date(2024, 12, 1), date(2024, 12, 1)),
    ],
)
def test_the_next_month_due(as_of, sales_month, report_month):
    assert next_due_month(as_of, sales_due_date) == sales_month
    assert next_due_month(as_of, shop_report_due_date) == report_month


def test_pending_lists_what_is_not_done_yet_within_the_days():
    as_of = date(2024, 7, 13)
    done = recordings(("5701", JUNE, date(2024, 7, 2)), ("5702", JUNE, date(2024, 7, 14)))
    sent = responses(("5702", JUNE, datetime(2024, 7, 3, 9, 0), 1, 0))
    pending = pending_districts(["5701", "5702"], done, sent, as_of, within_days=5)
    assert [tuple(r)[:6] for r in records(pending)] == [
        ("5701", SHOP_REPORT, JUNE, date(2024, 7, 15), PENDING, None),
        # 5702 recorded June on the 14th: after the day asked about, not yet
        ("5702", SALES, JUNE, date(2024, 7, 18), PENDING, None),
    ]
    # Two days before the report's deadline only: the sales' is five days away.
    assert set(pending_districts(["5701", "5702"], done, sent, as_of, 2)["what"]) == {SHOP_REPORT}
    # Without the report channel, only sales.
    unreported = pending_districts(["5701", "5702"], done, None, as_of, 5)
    assert list(unreported["what"]) == [SALES]


def test_nudge_text_per_district():
    pending = pending_districts(["5703"], recordings(), None, date(2024, 7, 18), 5)
    notice = nudge_notice(pending.assign(district_name_th="เชียงของ"), date(2024, 7, 18), "เชียงราย")
    assert notice.subject == "เตือนก่อนครบกำหนดส่งข้อมูล OTOP จังหวัดเชียงราย: 1 อำเภอยังไม่ดำเนินการ"
    assert notice.body.splitlines() == [
        "จังหวัดเชียงราย: อำเภอที่ยังไม่บันทึกหรือยังไม่รายงานข้อมูล OTOP ณ 18/7/2567 กรุณาดำเนินการให้ทันกำหนด",
        "",
        "อำเภอเชียงของ (5703)",
        "- บันทึกยอดจำหน่ายเดือนมิถุนายน 2567 ในระบบฐานข้อมูลกลาง ภายใน 18/7/2567 (วันนี้)",
    ]
    assert (
        nudge_notice(pending.iloc[0:0].assign(district_name_th=[]), date(2024, 7, 18), "x") is None
    )


def history(key, dataset, *days_ago):
    return pd.DataFrame(
        [(key, dataset, NOW - timedelta(days=d)) for d in days_ago],
        columns=["request_key", "dataset", "consumed_at"],
    )


def test_a_source_is_stale_past_its_usual_cycle():
    daily = history("sales:/x?province=57", "sales", 10, 9, 8, 7)  # daily, then 7 days silent
    weekly = history("products:/y", "products", 28, 21, 14, 7)  # weekly, on time
    young = history("shops:/z", "shops", 30, 20)  # too few changes to know a cycle
    found = stale_sources(pd.concat([daily, weekly, young]), NOW, {}, factor=3)
    assert [(s.request_key, round(s.age_days, 1), s.cycle_days) for s in found] == [
        ("sales:/x?province=57", 7.0, 3.0)
    ]
    # A configured cycle wins over the learned one, and needs no history.
    found = stale_sources(pd.concat([weekly, young]), NOW, {"shops": 15, "products": 8}, 3)
    assert [s.dataset for s in found] == ["shops"]


def test_a_run_far_longer_than_usual():
    assert usual_seconds(100, [20, 30, 25, 400], factor=3, min_history=3) == 27.5
    assert usual_seconds(80, [20, 30, 25, 400], factor=3, min_history=3) is None
    assert usual_seconds(100, [20, 30], factor=3, min_history=3) is None  # too little to judge


def test_why_a_run_failed():
    outcome = Outcome(
        dataset="sales",
        check_id="sales.key_unique",
        suite="sales",
        level="table",
        severity="critical",
        success=False,
        unexpected_count=2,
        description="one row per key",
        examples=("line 3",),
    )
    critical = CriticalExpectationError([outcome])
    wrapped = RuntimeError("1 of 2 province syncs failed")
    wrapped.__cause__ = critical
    assert failure_kind(wrapped, crashed=False) == CRITICAL
    assert failure_kind(ValueError("x"), crashed=False) == FAILED
    assert failure_kind(None, crashed=True) == CRASHED
    notice = failure_notice("nightly-sync", CRASHED, "Execution was\n aborted", "http://ui/r/1")
    assert notice.body == (
        "otop-sync nightly-sync หยุดกลางคัน (crashed): Execution was aborted ดูที่ http://ui/r/1"
    )
    assert one_line("x" * 500, limit=10) == "xxxxxxxxx…"
