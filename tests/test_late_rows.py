"""The monitor's rows as text: Thai subjects and statuses, months and dates in BE."""

from datetime import date

import pandas as pd

from otop_sync.reports.grades import LATE_HEADERS, late_rows, late_table
from otop_sync.transforms.deadlines import LATE_COLUMNS


def frame(*rows):
    late = pd.DataFrame(rows, columns=LATE_COLUMNS, dtype=object)
    return late.assign(district_name_th="พาน")


def test_a_report_sent_late_and_differing_says_both():
    late = frame(
        (
            "5705",
            "shop_report",
            date(2024, 6, 1),
            date(2024, 7, 15),
            "late",
            date(2024, 7, 16),
            9,
            1,
            8,
            1,
            True,
        ),
        (
            "5705",
            "sales",
            date(2023, 12, 1),
            date(2024, 1, 18),
            "missing",
            None,
            None,
            None,
            None,
            None,
            False,
        ),
    )
    assert late_rows(late) == [
        {
            "district_code": "5705",
            "district": "พาน",
            "what": "รายงาน Shop ชุมชน",
            "month": "มิถุนายน 2567",
            "due": "15/7/2567",
            "status": "รายงานล่าช้า 16/7/2567, ไม่ตรงกับ Click ชุมชน",
            "reported": "9/1",
            "click": "8/1",
        },
        {
            "district_code": "5705",
            "district": "พาน",
            "what": "ยอดจำหน่าย",
            "month": "ธันวาคม 2566",
            "due": "18/1/2567",
            "status": "ยังไม่บันทึก",
            "reported": "",
            "click": "",
        },
    ]


def test_the_table_has_the_rows_fields_in_order():
    table = late_table([], date(2024, 7, 25))
    assert table.title == "อำเภอที่ยังไม่รายงานหรือรายงานล่าช้า ณ 25/7/2567"
    assert [c.header for c in table.columns] == list(LATE_HEADERS.values())
