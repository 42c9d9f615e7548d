"""Two syncs at once on one warehouse (two processes) neither double-count nor deadlock."""

import multiprocessing
import pickle
from datetime import date

from sqlalchemy import text

from otop_sync.warehouse.db import make_engine


def _sync(url: str, rows_path: str, run_id: str, barrier) -> None:  # runs in a child process
    from otop_sync.rules import load_rulebook
    from otop_sync.transforms.fiscal import Quarter
    from otop_sync.warehouse.grading import grade_quarters
    from tests.warehouse.conftest import load_all

    with open(rows_path, "rb") as handle:
        rows = pickle.load(handle)
    engine = make_engine(url)
    barrier.wait(timeout=60)
    load_all(engine, rows, run_id)
    with engine.begin() as connection:
        grade_quarters(
            connection, [Quarter(2567, 2)], ["57"], load_rulebook(), date(2024, 7, 15), run_id
        )
    engine.dispose()


def test_two_syncs_at_once(warehouse_url, engine, chiang_rai_rows, tmp_path):
    rows_path = tmp_path / "rows.pickle"
    rows_path.write_bytes(pickle.dumps(chiang_rai_rows))
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(2)
    workers = [
        context.Process(target=_sync, args=(warehouse_url, str(rows_path), f"run-{n}", barrier))
        for n in (1, 2)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=240)
    assert [w.exitcode for w in workers] == [0, 0]
    with engine.connect() as connection:
        count = lambda table: connection.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()  # noqa: E731
        assert count("monthly_sales") == len(chiang_rai_rows["sales"])
        assert count("product_registration") == len(chiang_rai_rows["products"])
        assert count("shop_registration") == len(chiang_rai_rows["shops"])
        assert count("monthly_sales_history") == 0
        assert count("kpi_grade") == 18
        assert count("kpi_grade_history") == 0
        assert count("kpi_target") == 18
