"""The text of what otop-sync sends out: nudges to district offices before a deadline, the late
list after it, and one-line alerts for ops. Thai, with BE dates, as the monitor's table."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import pandas as pd

from otop_sync.transforms.alerts import CRASHED, CRITICAL, StaleSource, one_line
from otop_sync.transforms.deadlines import SALES
from otop_sync.transforms.thai import format_be_date, format_be_month


@dataclass(frozen=True)
class Notice:
    """One message: a subject line and a body (plain text)."""

    subject: str
    body: str


_TO_DO = {
    SALES: "บันทึกยอดจำหน่ายเดือน{month} ในระบบฐานข้อมูลกลาง",
    "shop_report": "ส่งรายงาน Shop ชุมชน เดือน{month} (แบบฟอร์มรายงาน)",
}


def _district(code: str, name: object) -> str:
    return f"อำเภอ{name} ({code})" if isinstance(name, str) and name else f"อำเภอรหัส {code}"


def nudge_notice(pending: pd.DataFrame, as_of: date, province_name: str) -> Notice | None:
    """Before a deadline: per district, what it has not recorded or reported yet and by when
    (rows of :func:`~otop_sync.transforms.deadlines.pending_districts` with
    ``district_name_th``); None when nobody has anything pending."""
    if pending.empty:
        return None
    lines = [
        f"จังหวัด{province_name}: อำเภอที่ยังไม่บันทึกหรือยังไม่รายงานข้อมูล OTOP "
        f"ณ {format_be_date(as_of)} กรุณาดำเนินการให้ทันกำหนด",
    ]
    for code, rows in pending.groupby("district_code", sort=True):
        lines += ["", _district(str(code), rows["district_name_th"].iloc[0])]
        for row in rows.itertuples():
            days = (row.due - as_of).days
            when = "วันนี้" if days == 0 else f"อีก {days} วัน"
            lines.append(
                f"- {_TO_DO[row.what].format(month=format_be_month(row.month))} "
                f"ภายใน {format_be_date(row.due)} ({when})"
            )
    districts = pending["district_code"].nunique()
    subject = f"เตือนก่อนครบกำหนดส่งข้อมูล OTOP จังหวัด{province_name}: {districts} อำเภอยังไม่ดำเนินการ"
    return Notice(subject=subject, body="\n".join(lines))


def late_notice(rows: Sequence[dict[str, str]], as_of: date, province_name: str) -> Notice | None:
    """After a deadline: the monitor's late rows (:func:`~otop_sync.reports.grades.late_rows`)
    per district; None when nobody is late."""
    if not rows:
        return None
    lines = [f"จังหวัด{province_name}: อำเภอที่ยังไม่รายงานหรือรายงานล่าช้า ณ {format_be_date(as_of)}"]
    seen: list[str] = []
    for row in rows:
        if row["district_code"] not in seen:
            seen.append(row["district_code"])
            lines += ["", _district(row["district_code"], row["district"])]
        lines.append(f"- {row['what']} {row['month']} กำหนด {row['due']}: {row['status']}")
    subject = f"อำเภอที่เลยกำหนดส่งข้อมูล OTOP จังหวัด{province_name}: {len(seen)} อำเภอ"
    return Notice(subject=subject, body="\n".join(lines))


def _link(url: str | None) -> str:
    return f" ดูที่ {url}" if url else ""


def failure_notice(flow_name: str, kind: str, reason: str, url: str | None) -> Notice:
    """A run that failed, crashed or was stopped by a critical expectation: the reason on one
    line, and the link to the run."""
    what = {
        CRASHED: "หยุดกลางคัน (crashed)",
        CRITICAL: "หยุด: ข้อมูลไม่ผ่านการตรวจสอบระดับ critical",
    }.get(kind, "ล้มเหลว (failed)")
    line = f"otop-sync {flow_name} {what}: {one_line(reason)}{_link(url)}"
    return Notice(subject=f"otop-sync {flow_name} {what}", body=line)


def stale_notice(source: StaleSource, url: str | None) -> Notice:
    """A source that has not changed for longer than its usual cycle."""
    line = (
        f"otop-sync ข้อมูล {source.dataset} ไม่เปลี่ยนมา {source.age_days:.1f} วัน "
        f"(ตั้งแต่ {format_be_date(source.last_changed.date())}) เกินรอบปกติ "
        f"{source.cycle_days:.1f} วัน: {source.request_key}{_link(url)}"
    )
    return Notice(subject=f"otop-sync ข้อมูล {source.dataset} ไม่เปลี่ยนนานผิดปกติ", body=line)


def slow_notice(what: str, seconds: float, usual: float, url: str | None) -> Notice:
    """A run that took far longer than usual (``usual``: the median of recent runs)."""
    line = (
        f"otop-sync {what} ใช้เวลา {seconds:,.1f} วินาที นานกว่าปกติ "
        f"{seconds / usual:.1f} เท่า (ปกติ {usual:,.1f} วินาที){_link(url)}"
    )
    return Notice(subject=f"otop-sync {what} ใช้เวลานานผิดปกติ", body=line)
