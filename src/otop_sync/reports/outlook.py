"""The outlook as text: lines for the terminal and Markdown for the nightly artifact (Thai,
BE dates)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from otop_sync.transforms.outlook import BacktestCase, hit_rate_text
from otop_sync.transforms.thai import format_be_day
from otop_sync.warehouse.outlook import Outlook


def outlook_title(outlook: Outlook) -> str:
    """``แนวโน้มผลการประเมิน 2567Q2 จังหวัด 57 ณ 20 ก.พ. 2567 (ครบกำหนดบันทึกยอดแล้ว 1 จาก 3 เดือน)``."""
    return (
        f"แนวโน้มผลการประเมิน {outlook.quarter} จังหวัด {outlook.province_code} "
        f"ณ {format_be_day(outlook.as_of)} "
        f"(ครบกำหนดบันทึกยอดแล้ว {outlook.stage} จาก {len(outlook.quarter.months)} เดือน)"
    )


def backtest_line(outlook: Outlook) -> str:
    """The backtest's hit rate at the outlook's stage, on the quarters final by then."""
    return f"ทดสอบย้อนหลัง ณ จุดเดียวกันของไตรมาส: {hit_rate_text(outlook.backtest)}"


def outlook_lines(outlook: Outlook) -> list[str]:
    """The title, one line per district (grade so far, projected grade, confidence, needs),
    and the backtest's hit rate."""
    return [outlook_title(outlook), *(row.line() for row in outlook.rows), backtest_line(outlook)]


def outlook_markdown(outlook: Outlook) -> str:
    """The outlook as a Markdown table, for the nightly run's artifact."""
    lines = [
        f"# {outlook_title(outlook)}",
        "",
        "| รหัส | อำเภอ | ขณะนี้ | แนวโน้ม | ยอดที่คาด (บาท) | บันทึกแล้ว | ความเชื่อมั่น | ต้องทำ |",
        "|---|---|---|---|---:|---:|---|---|",
    ]
    for row in outlook.rows:
        lines.append(
            f"| {row.district_code} | {row.district_name_th} | {row.so_far.grade or '-'} | "
            f"{row.projected_grade or '-'} | {row.projected_sales:,.2f} | "
            f"{row.recorded_percent}% | {row.confidence_th} | {row.needs_text()} |"
        )
    lines += ["", backtest_line(outlook)]
    return "\n".join(lines)


def backtest_lines(cases: Mapping[int, Sequence[BacktestCase]]) -> list[str]:
    """One line per stage, the projection's hit rate and the floor it has to beat, the grade
    on what was recorded by then: ``ทดสอบย้อนหลัง คาดการณ์เมื่อครบกำหนดบันทึกยอด 1 จาก 3
    เดือน: 98/144 = 68.1% (8 ไตรมาส); ไม่คาดการณ์ (ผลตามที่บันทึกแล้ว): 0/144 = 0.0% (8
    ไตรมาส)``."""
    return [
        f"ทดสอบย้อนหลัง คาดการณ์เมื่อครบกำหนดบันทึกยอด {stage} จาก 3 เดือน: "
        f"{hit_rate_text(found)}; ไม่คาดการณ์ (ผลตามที่บันทึกแล้ว): "
        f"{hit_rate_text([case.without_projection() for case in found])}"
        for stage, found in cases.items()
    ]
