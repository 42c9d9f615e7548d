"""Nudges, late lists and ops alerts reach a local webhook and a local SMTP server through the
Prefect notification blocks ops configure, with their Thai text as sent."""

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest
from prefect.blocks.notifications import CustomWebhookNotificationBlock
from prefect.settings import PREFECT_UI_URL, temporary_settings
from sqlalchemy import text

from otop_sync.connectors.notify import SmtpEmail
from otop_sync.flows.nightly import deadline_monitor, deadline_nudge, nightly_sync
from otop_sync.warehouse.db import make_engine, upgrade
from tests.receivers import WebhookReceiver, smtp_receiver, webhook_receiver

AS_OF = date(2025, 11, 15)
UI = "http://127.0.0.1:4200"

pytestmark = pytest.mark.usefixtures("prefect_api")


@dataclass
class Channels:
    webhook: WebhookReceiver
    inbox: object
    blocks: list[str]


@pytest.fixture
def channels():
    """A webhook and an SMTP server on loopback, each behind a saved notification block."""
    with webhook_receiver() as webhook, smtp_receiver() as (inbox, port):
        CustomWebhookNotificationBlock(
            name="district-offices",
            url=webhook.url,
            json_data={"subject": "{{subject}}", "text": "{{body}}"},
        ).save("otop-test", overwrite=True)
        SmtpEmail(
            host="127.0.0.1",
            port=port,
            security="none",
            from_address="otop-sync@cdd.example",
            to_addresses=["district-offices@cdd.example"],
        ).save("otop-test", overwrite=True)
        blocks = ["custom-webhook/otop-test", "otop-smtp-email/otop-test"]
        yield Channels(webhook, inbox, blocks)


def sync(mock_cdd):
    return nightly_sync(
        provinces=["57"], as_of=AS_OF, source="mock", mock_url=mock_cdd.url, return_state=True
    )


def received(channels):
    """What each receiver got: (subject, text) from the webhook and from the emails."""
    hooks = [(r["subject"], r["text"]) for r in channels.webhook.received]
    mails = [(m["subject"], m.get_content().removesuffix("\n")) for m in channels.inbox.messages]
    return hooks, mails


def test_stale_and_slow_run_alerts_then_nudge_and_late_list(
    mock_cdd, channels, flow_settings, monkeypatch
):
    """A nightly run alerts ops to a source unchanged past its cycle and to a run far longer
    than usual; then, on the warehouse it loaded, the district offices are nudged before the
    deadlines and told who is late after them (one sync for both)."""
    blocks = f'["{channels.blocks[0]}", "{channels.blocks[1]}"]'
    monkeypatch.setenv("OTOP_OPS_ALERT_BLOCKS", blocks)
    monkeypatch.setenv("OTOP_NUDGE_BLOCKS", blocks)
    # The sales are configured to change every day, and one earlier run took 0.01 s.
    engine = make_engine(flow_settings["warehouse_url"])
    upgrade(engine)
    earlier = datetime.now(UTC) - timedelta(days=1)
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO sync_run (run_id, source, province_codes, as_of, started_at, "
                "finished_at, status, rows_read, rows_loaded, rows_quarantined) VALUES "
                "('earlier', 'mock', '57', :as_of, :start, :end, 'completed', 0, 0, 0)"
            ),
            {"as_of": AS_OF, "start": earlier, "end": earlier + timedelta(seconds=0.01)},
        )
    engine.dispose()
    monkeypatch.setenv("OTOP_FRESHNESS_DAYS", '{"sales": 0}')
    monkeypatch.setenv("OTOP_SLOW_RUN_HISTORY", "1")
    with temporary_settings({PREFECT_UI_URL: UI}):
        state = sync(mock_cdd)
    assert state.is_completed(), state.message
    hooks, mails = received(channels)
    assert hooks == mails
    stale, slow = hooks
    link = f" ดูที่ {UI}/runs/flow-run/{state.state_details.flow_run_id}"
    assert stale[0] == "otop-sync ข้อมูล sales ไม่เปลี่ยนนานผิดปกติ"
    assert stale[1].startswith("otop-sync ข้อมูล sales ไม่เปลี่ยนมา 0.0 วัน (ตั้งแต่ ")
    assert " เกินรอบปกติ 0.0 วัน: otop:/otop/export/sales.csv?province=57&" in stale[1]
    assert stale[1].endswith(link)
    assert slow[0] == "otop-sync sync 57 ใช้เวลานานผิดปกติ"
    assert slow[1].startswith("otop-sync sync 57 ใช้เวลา ")
    assert " นานกว่าปกติ " in slow[1]
    assert slow[1].endswith(f" เท่า (ปกติ 0.0 วินาที){link}")
    channels.webhook.received.clear()
    channels.inbox.messages.clear()
    channels.inbox.recipients.clear()

    # 13 November 2568: October's Shop ชุมชน report is due on the 15th and October's sales on
    # the 18th; the mock's data end in September, so every district has both still to do.
    state = deadline_nudge(provinces=["57"], as_of=date(2025, 11, 13), return_state=True)
    assert state.is_completed(), state.message
    hooks, mails = received(channels)
    assert hooks == mails
    ((subject, body),) = hooks
    assert subject == "เตือนก่อนครบกำหนดส่งข้อมูล OTOP จังหวัดเชียงราย: 18 อำเภอยังไม่ดำเนินการ"
    assert body.splitlines()[:8] == [
        "จังหวัดเชียงราย: อำเภอที่ยังไม่บันทึกหรือยังไม่รายงานข้อมูล OTOP ณ 13/11/2568 กรุณาดำเนินการให้ทันกำหนด",
        "",
        "อำเภอเมืองเชียงราย (5701)",
        "- ส่งรายงาน Shop ชุมชน เดือนตุลาคม 2568 (แบบฟอร์มรายงาน) ภายใน 15/11/2568 (อีก 2 วัน)",
        "- บันทึกยอดจำหน่ายเดือนตุลาคม 2568 ในระบบฐานข้อมูลกลาง ภายใน 18/11/2568 (อีก 5 วัน)",
        "",
        "อำเภอเวียงชัย (5702)",
        "- ส่งรายงาน Shop ชุมชน เดือนตุลาคม 2568 (แบบฟอร์มรายงาน) ภายใน 15/11/2568 (อีก 2 วัน)",
    ]
    assert body.count("\n- ") == 36
    assert channels.inbox.recipients == [["district-offices@cdd.example"]]

    # 16 November: the report's deadline has passed (the monitor lists it as late), the sales'
    # is two days away (the nudge lists only it).
    assert deadline_monitor(provinces=["57"], as_of=date(2025, 11, 16), return_state=True)
    assert deadline_nudge(provinces=["57"], as_of=date(2025, 11, 16), return_state=True)
    hooks, mails = received(channels)
    assert hooks == mails
    (late_subject, late_body), (nudge_subject, nudge_body) = hooks[1:]
    assert late_subject == "อำเภอที่เลยกำหนดส่งข้อมูล OTOP จังหวัดเชียงราย: 18 อำเภอ"
    assert late_body.splitlines()[:4] == [
        "จังหวัดเชียงราย: อำเภอที่ยังไม่รายงานหรือรายงานล่าช้า ณ 16/11/2568",
        "",
        "อำเภอเมืองเชียงราย (5701)",
        "- รายงาน Shop ชุมชน ตุลาคม 2568 กำหนด 15/11/2568: ยังไม่รายงาน",
    ]
    assert nudge_subject.endswith("18 อำเภอยังไม่ดำเนินการ")
    assert nudge_body.splitlines()[2:5] == [
        "อำเภอเมืองเชียงราย (5701)",
        "- บันทึกยอดจำหน่ายเดือนตุลาคม 2568 ในระบบฐานข้อมูลกลาง ภายใน 18/11/2568 (อีก 2 วัน)",
        "",
    ]


def test_a_nudge_not_delivered_fails_the_run(channels, flow_settings, monkeypatch):
    monkeypatch.setenv("OTOP_NUDGE_BLOCKS", f'["{channels.blocks[0]}", "custom-webhook/nowhere"]')
    engine = make_engine(flow_settings["warehouse_url"])
    upgrade(engine)  # an empty warehouse: every district has its sales still to record
    engine.dispose()
    channels.webhook.status = 500
    state = deadline_nudge(provinces=["57"], as_of=date(2025, 11, 13), return_state=True)
    assert state.is_failed()
    assert state.message.endswith(
        "notices not sent: custom-webhook/otop-test: HTTP 500; custom-webhook/nowhere: "
        "NotifyError: notification block 'custom-webhook/nowhere' is not saved in Prefect"
    )
    assert channels.webhook.url not in state.message
    assert len(channels.webhook.received) == 1  # tried, refused


@pytest.mark.usefixtures("flow_settings")
def test_a_critical_expectation_alerts_ops_with_the_run_link(mock_cdd, channels, monkeypatch):
    monkeypatch.setenv("OTOP_OPS_ALERT_BLOCKS", f'["{channels.blocks[0]}", "{channels.blocks[1]}"]')
    mock_cdd.set_faults("summary_drift@report")
    with temporary_settings({PREFECT_UI_URL: UI}):
        failed = sync(mock_cdd)
    assert failed.is_failed()
    hooks, mails = received(channels)
    assert hooks == mails
    ((subject, line),) = hooks
    run_id = failed.state_details.flow_run_id
    assert subject == "otop-sync nightly-sync หยุด: ข้อมูลไม่ผ่านการตรวจสอบระดับ critical"
    assert line.startswith(
        "otop-sync nightly-sync หยุด: ข้อมูลไม่ผ่านการตรวจสอบระดับ critical: "
        "critical expectations failed: sales: sales.reconciles_with_summary failed ("
    )
    assert line.endswith(f" ดูที่ {UI}/runs/flow-run/{run_id}")
    assert "\n" not in line
