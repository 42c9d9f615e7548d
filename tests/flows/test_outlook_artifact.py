"""The nightly run's outlook artifact, under Prefect's test harness, on a SQLite warehouse
holding the mock's Chiang Rai history."""

from datetime import date

import pytest
from prefect import flow

from otop_sync.flows.nightly import RunReport, publish_outlook
from otop_sync.warehouse.db import make_engine, upgrade
from tests.flows.test_nightly import artifacts
from tests.warehouse.conftest import (  # noqa: F401 (fixtures)
    chiang_rai_exports,
    chiang_rai_landing,
    chiang_rai_rows,
    load_all,
)

pytestmark = pytest.mark.usefixtures("prefect_api")


@flow
def outlook_of(as_of: date) -> list[str]:
    return publish_outlook(RunReport(run_id="run-1", province_codes=["57"], as_of=as_of))


def test_the_outlook_artifact_of_the_runs_quarter(flow_settings, chiang_rai_rows):  # noqa: F811
    engine = make_engine(flow_settings["warehouse_url"])
    upgrade(engine)
    load_all(engine, chiang_rai_rows, "run-1")
    engine.dispose()
    state = outlook_of(date(2024, 2, 20), return_state=True)
    assert state.result() == ["outlook-57"]
    artifact = artifacts(state.state_details.flow_run_id)["outlook-57"]
    assert artifact.type == "markdown"
    lines = artifact.data.splitlines()
    assert lines[0] == (
        "# แนวโน้มผลการประเมิน 2567Q2 จังหวัด 57 ณ 20 ก.พ. 2567 (ครบกำหนดบันทึกยอดแล้ว 1 จาก 3 เดือน)"
    )
    rows = [line for line in lines if line.startswith("| 57")]
    assert len(rows) == 18
    assert all("ต้องบันทึกยอดจำหน่ายอีก " in row for row in rows)
    assert lines[-1] == "ทดสอบย้อนหลัง ณ จุดเดียวกันของไตรมาส: 12/18 = 66.7% (1 ไตรมาส)"
    # a day in a quarter the rules do not grade (2569Q1): no outlook
    assert outlook_of(date(2025, 11, 15)) == []
