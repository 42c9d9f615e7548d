from decimal import Decimal

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from otop_sync.transforms.criteria.products import ProductsAdded
from otop_sync.transforms.criteria.sales import SalesAgainstTarget
from otop_sync.transforms.criteria.shops import ShopUnits
from otop_sync.transforms.grades import grade_district, grade_quarter

THRESHOLDS = {"D": 3, "C": 5, "B": 8, "A": 10}  # Mae Chan: 10 interested
BASE = Decimal("243200733.24")
TARGET = Decimal("248064747.90")
ORDER = [None, "D", "C", "B", "A"]
SHOPS = ShopUnits(dict(zip("DCBA", map(Decimal, ("25", "50", "75", "100")), strict=True)))
CRITERIA = (ProductsAdded(1), SalesAgainstTarget(Decimal(2)), SHOPS)


def targets(thresholds=THRESHOLDS):
    return {
        "products_target": 1,
        "base_sales": BASE,
        "sales_target": TARGET,
        "interested_q1": 10,
        **{f"threshold_{level.lower()}": units for level, units in thresholds.items()},
    }


def grade(products=1, sales=TARGET, shops=10, thresholds=THRESHOLDS):
    return grade_district(
        CRITERIA, {"products": products, "sales": sales, "shops": shops}, targets(thresholds)
    )


def missing(result):
    return tuple(result[name].missing for name in ("products", "sales", "shops"))


@pytest.mark.parametrize(
    ("shops", "level"),
    [(0, None), (2, None), (3, "D"), (4, "D"), (5, "C"), (8, "B"), (10, "A"), (99, "A")],
)
def test_shop_level(shops, level):
    assert SHOPS.level(shops, targets()) == level


def test_all_criteria_met_gives_the_shop_level():
    result = grade(shops=8)
    assert (result.grade, result.failed_criteria, result.next_grade) == ("B", "", "A")
    assert missing(result) == (0, 0, 2)
    assert [r.met for r in result.criteria] == [True, True, True]
    assert (result["sales"].basis, result["shops"].target) == (BASE, 10)


def test_grade_a_has_nothing_missing():
    result = grade(shops=12)
    assert (result.grade, result.next_grade, result["shops"].missing) == ("A", None, 0)


def test_sales_one_satang_short_means_no_grade():
    result = grade(sales=TARGET - Decimal("0.01"), shops=10)
    assert result.grade is None
    assert result["shops"].level == "A"
    assert result.failed_criteria == "sales"
    assert (result.next_grade, result["sales"].missing, result["shops"].missing) == (
        "A",
        Decimal("0.01"),
        0,
    )


def test_no_new_product_means_no_grade():
    result = grade(products=0, shops=5)
    assert (result.grade, result.failed_criteria, result["products"].missing) == (
        None,
        "products",
        1,
    )
    assert result.next_grade == "C"


def test_every_criterion_failing_is_listed():
    result = grade(products=0, sales=Decimal("0"), shops=1)
    assert result.failed_criteria == "products,sales,shops"
    assert (result.next_grade, result["shops"].missing) == ("D", 2)
    assert result["sales"].missing == TARGET


def test_grade_quarter_joins_targets_and_actuals():
    table = pd.DataFrame(
        [
            {
                "district_code": "5707",
                **targets(),
            }
        ]
    )
    actuals = pd.DataFrame([{"district_code": "5707", "products": 2, "sales": TARGET, "shops": 5}])
    graded = grade_quarter(table, actuals, CRITERIA)
    assert graded.loc[0, "grade"] == "C"
    assert graded.loc[0, "criteria"][2].missing == 3
    with pytest.raises(ValueError, match=r"^no actual figures for districts 5707$"):
        grade_quarter(table, actuals.iloc[0:0], CRITERIA)


counts = st.integers(min_value=0, max_value=50)
money = st.decimals(min_value=0, max_value=10**9, places=2)


@given(counts, counts, money, money, counts, counts, st.lists(counts, min_size=4, max_size=4))
def test_a_grade_never_goes_down_when_results_go_up(p1, dp, s1, ds, h1, dh, raw_thresholds):
    thresholds = dict(zip("DCBA", sorted(raw_thresholds), strict=True))
    before = grade(products=p1, sales=s1, shops=h1, thresholds=thresholds)
    after = grade(products=p1 + dp, sales=s1 + ds, shops=h1 + dh, thresholds=thresholds)
    assert ORDER.index(after.grade) >= ORDER.index(before.grade)


@given(counts, money, counts, st.lists(counts, min_size=4, max_size=4))
def test_meeting_what_is_missing_reaches_the_next_grade(products, sales, shops, raw_thresholds):
    thresholds = dict(zip("DCBA", sorted(raw_thresholds), strict=True))
    before = grade(products=products, sales=sales, shops=shops, thresholds=thresholds)
    if before.next_grade is None:
        return
    more_products, more_sales, more_shops = missing(before)
    after = grade(
        products=products + more_products,
        sales=sales + more_sales,
        shops=shops + more_shops,
        thresholds=thresholds,
    )
    assert ORDER.index(after.grade) >= ORDER.index(before.next_grade)
