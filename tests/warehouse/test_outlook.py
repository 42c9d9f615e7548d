"""The outlook from the warehouse, on the mock's Chiang Rai history: the read on both engines,
and the ``outlook`` command as a user runs it (in process, on a SQLite warehouse)."""

from datetime import date

import pytest
from typer.testing import CliRunner

from otop_sync.flows import cli
from otop_sync.transforms.districts import districts_of
from otop_sync.transforms.fiscal import Quarter
from otop_sync.transforms.targets import TargetInputError
from otop_sync.warehouse.db import make_engine, upgrade
from otop_sync.warehouse.outlook import read_outlook
from tests.warehouse.conftest import load_all

CODES = [d.code for d in districts_of("57")]
MID_Q2 = date(2024, 2, 20)  # January's sales due on the 18th; February and March still open


def test_outlook_from_the_warehouse_as_of_mid_quarter(engine, chiang_rai_rows, rulebook):
    load_all(engine, chiang_rai_rows, "run-1")
    with engine.connect() as connection:
        [outlook] = read_outlook(connection, Quarter(2567, 2), ["57"], rulebook, MID_Q2)
    assert [row.district_code for row in outlook.rows] == CODES
    assert outlook.stage == 1
    assert len(outlook.backtest) == 18  # 2567Q1, the only quarter final by then
    for row in outlook.rows:
        assert row.projected_sales > row.recorded_sales > 0
        sales = row.so_far.criterion("sales")
        [need] = [n for n in row.needs if n.criterion == "sales"]
        # exact: the target less what was recorded, split over the open months to the satang
        assert need.amount == sales.target - row.recorded_sales == sales.missing
        assert [m.month for m in need.months] == [date(2024, 2, 1), date(2024, 3, 1)]
        assert sum(m.amount for m in need.months) == need.amount
        assert all(m.amount.as_tuple().exponent == -2 for m in need.months)
        assert need.due == date(2024, 4, 18)


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory, chiang_rai_rows) -> str:
    """A SQLite warehouse holding the mock's whole Chiang Rai history."""
    url = f"sqlite:///{tmp_path_factory.mktemp('outlook') / 'otop.db'}"
    engine = make_engine(url)
    upgrade(engine)
    load_all(engine, chiang_rai_rows, "run-1")
    engine.dispose()
    return url


@pytest.fixture
def outlook(warehouse, monkeypatch):
    """Run ``otop-sync outlook`` in process on the warehouse; its lines."""
    monkeypatch.delenv("OTOP_WAREHOUSE_URL", raising=False)  # the command sets it; restored

    def run(*args: str):
        return CliRunner().invoke(cli.app, ["outlook", *args, "--warehouse", warehouse])

    return run


def test_outlook_prints_every_district_with_a_projected_grade_and_its_needs(outlook):
    result = outlook("--quarter", "2567Q2", "--as-of", "2024-02-20")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == (
        "แนวโน้มผลการประเมิน 2567Q2 จังหวัด 57 ณ 20 ก.พ. 2567 (ครบกำหนดบันทึกยอดแล้ว 1 จาก 3 เดือน)"
    )
    districts = lines[1:-1]
    assert [line.split()[0] for line in districts] == CODES
    for line in districts:
        assert " แนวโน้ม " in line
        assert "ความเชื่อมั่น" in line
        assert "ต้องบันทึกยอดจำหน่ายอีก " in line  # nobody has recorded the quarter yet
        assert "บาท ภายใน 18 เม.ย. 2567 (ก.พ. 2567 " in line
    assert any("ลงทะเบียน Shop ชุมชน อีก " in line for line in districts)
    assert lines[-1] == "ทดสอบย้อนหลัง ณ จุดเดียวกันของไตรมาส: 12/18 = 66.7% (1 ไตรมาส)"


def test_as_of_changes_the_outlook_and_defaults_to_today(outlook, monkeypatch):
    monkeypatch.setattr(cli, "today_in_bangkok", lambda: date(2024, 3, 20))
    today = outlook("--quarter", "2567Q2")
    mid = outlook("--quarter", "2567Q2", "--as-of", "2024-02-20")
    assert today.exit_code == mid.exit_code == 0, today.output
    assert "ณ 20 มี.ค. 2567 (ครบกำหนดบันทึกยอดแล้ว 2 จาก 3 เดือน)" in today.output
    assert "ณ 20 ก.พ. 2567 (ครบกำหนดบันทึกยอดแล้ว 1 จาก 3 เดือน)" in mid.output
    # with February recorded, only March is left to record in
    assert "(ก.พ. 2567 " not in today.output
    assert today.output.splitlines()[1] != mid.output.splitlines()[1]


def test_province_option_reaches_the_outlook(outlook):
    result = outlook("--quarter", "2567Q2", "--as-of", "2024-02-20", "--province", "50")
    assert isinstance(result.exception, TargetInputError)  # the warehouse has only Chiang Rai
    assert str(result.exception) == "2567Q2: เมืองเชียงใหม่ (5001) lacks base-year sales"


def test_backtest_option_prints_the_hit_rates_per_stage(outlook):
    result = outlook("--backtest", "--as-of", "2024-04-20")  # 2567Q1 and Q2 final by then
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert [line.split(":")[0] for line in lines] == [
        f"ทดสอบย้อนหลัง คาดการณ์เมื่อครบกำหนดบันทึกยอด {stage} จาก 3 เดือน" for stage in (0, 1, 2)
    ]
    assert all(line.count("/36 = ") == 2 and line.endswith("(2 ไตรมาส)") for line in lines)
