"""The mock's synthetic data: deterministic, national in size, and Chiang Rai as in the letter."""

import ast
from decimal import Decimal
from pathlib import Path

import pytest

from otop_sync.connectors.files import read_table_file
from otop_sync.datasets.baseline import BASELINE
from otop_sync.datasets.products import PRODUCTS
from otop_sync.datasets.sales import SALES
from otop_sync.datasets.shops import SHOPS
from otop_sync.mocks.data import MockSpec, allocate, generate
from otop_sync.mocks.render import export_all
from otop_sync.transforms.baseline import quarter_inputs
from otop_sync.transforms.criteria import QuarterData, quarter_actuals
from otop_sync.transforms.deltas import latest_sales
from otop_sync.transforms.fiscal import Quarter
from otop_sync.transforms.formats import to_canonical
from otop_sync.transforms.grades import grade_quarter
from otop_sync.transforms.targets import district_targets

MOCKS = Path(__file__).parents[2] / "src" / "otop_sync" / "mocks"
EXPECTED_2567Q2 = {
    "5701": ("A", ""),
    "5702": ("B", ""),
    "5703": ("C", ""),
    "5704": ("D", ""),
    "5705": (None, "shops"),
    "5706": (None, "products"),
    "5707": (None, "sales"),
    "5708": ("A", ""),
    "5709": ("B", ""),
    "5710": ("C", ""),
    "5711": ("D", ""),
    "5712": (None, "sales"),
    "5713": ("A", ""),
    "5714": ("B", ""),
    "5715": (None, "products,shops"),
    "5716": ("C", ""),
    "5717": ("A", ""),
    "5718": ("D", ""),
}


def test_the_mock_imports_nothing_from_the_pipeline():
    forbidden = (
        "otop_sync.connectors",
        "otop_sync.transforms",
        "otop_sync.expectations",
        "otop_sync.warehouse",
        "otop_sync.flows",
    )
    for path in MOCKS.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom | ast.Import):
                modules = (
                    [node.module]
                    if isinstance(node, ast.ImportFrom)
                    else [a.name for a in node.names]
                )
                for module in modules:
                    assert not (module or "").startswith(forbidden), f"{path.name} imports {module}"


def test_allocate_splits_exactly():
    import numpy as np

    parts = allocate(np.array([1, 1, 1]), 100)
    assert parts.sum() == 100
    assert sorted(parts.tolist()) == [33, 33, 34]
    with pytest.raises(ValueError, match=r"^cannot allocate a total over no rows$"):
        allocate(np.array([], dtype=np.int64), 5)


def test_same_seed_same_tables_other_seed_other_tables():
    first, again, other = generate(MockSpec()), generate(MockSpec()), generate(MockSpec(seed=1))
    assert first.sales.equals(again.sales)
    assert first.products.equals(again.products)
    assert not first.sales["amount"].equals(other.sales["amount"])


@pytest.fixture(scope="module")
def chiang_rai_exports(tmp_path_factory):
    return export_all(generate(MockSpec()), tmp_path_factory.mktemp("exports"))


def _typed(paths):
    products, products_issues = PRODUCTS.type_rows(
        to_canonical(read_table_file(paths[0]), PRODUCTS, "p")[0]
    )
    sales, sales_issues = SALES.type_rows(to_canonical(read_table_file(paths[1]), SALES, "s")[0])
    shops, shops_issues = SHOPS.type_rows(to_canonical(read_table_file(paths[2]), SHOPS, "h")[0])
    assert products_issues == sales_issues == shops_issues == []
    return products, sales, shops


def test_2567q2_grades_cover_every_outcome(chiang_rai_exports, rulebook):
    products, sales, shops = _typed(chiang_rai_exports)
    quarter = Quarter(2567, 2)
    baseline, issues = BASELINE.type_rows(
        to_canonical(read_table_file(chiang_rai_exports[3]), BASELINE, "b")[0]
    )
    assert issues == []
    targets = district_targets(
        quarter_inputs(baseline, quarter, "57"), quarter, rulebook.for_year(2567), "57"
    )
    criteria = rulebook.for_year(2567).criteria
    data = QuarterData.from_rows(quarter, products, latest_sales(sales), shops)
    graded = grade_quarter(
        targets, quarter_actuals(criteria, data, targets["district_code"]), criteria
    )
    outcome = {
        row["district_code"]: (
            row["grade"] if isinstance(row["grade"], str) else None,
            row["failed_criteria"],
        )
        for row in graded.to_dict("records")
    }
    assert outcome == EXPECTED_2567Q2
    sales = {row["district_code"]: row["criteria"][1] for row in graded.to_dict("records")}
    assert sales["5702"].actual == sales["5702"].target  # met to the satang
    assert sales["5712"].missing == Decimal("0.01")  # one satang short


def test_national_scale_has_every_district_and_the_promised_volume():
    data = generate(MockSpec(scale="national"))
    assert data.districts["province_code"].nunique() == 77
    assert len(data.districts) == 928
    assert 85_000 <= len(data.producers) <= 95_000
    assert 140_000 <= len(data.products) <= 160_000
    assert len(data.sales) >= 3_000_000
    assert set(data.sales["district_idx"]) == set(range(928))
    chiang_rai = generate(MockSpec())
    national_57 = data.province_rows(data.sales, "57")["amount"].to_numpy()
    assert (national_57 == chiang_rai.sales["amount"].to_numpy()).all()
