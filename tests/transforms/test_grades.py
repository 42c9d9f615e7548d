from decimal import Decimal

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from otop_sync.transforms.grades import grade_district, grade_quarter, shop_level

THRESHOLDS = {"D": 3, "C": 5, "B": 8, "A": 10}  # Mae Chan: 10 interested
TARGET = Decimal("248064747.90")
ORDER = [None, "D", "C", "B", "A"]


def grade(products=1, sales=TARGET, shops=10, thresholds=THRESHOLDS):
    return grade_district(
        products_added=products,
        sales=sales,
        shops_registered=shops,
        products_target=1,
        sales_target=TARGET,
        thresholds=thresholds,
    )


@pytest.mark.parametrize(
    ("shops", "level"),
    [(0, None), (2, None), (3, "D"), (4, "D"), (5, "C"), (8, "B"), (10, "A"), (99, "A")],
)
def test_shop_level(shops, level):
    assert shop_level(shops, THRESHOLDS) == level


def test_all_criteria_met_gives_the_shop_level():
    result = grade(shops=8)
    assert (result.grade, result.failed_criteria, result.next_grade) == ("B", "", "A")
    assert (result.missing_products, result.missing_sales, result.missing_shops) == (0, 0, 2)


def test_grade_a_has_nothing_missing():
    result = grade(shops=12)
    assert (result.grade, result.next_grade, result.missing_shops) == ("A", None, 0)


def test_sales_one_satang_short_means_no_grade():
    result = grade(sales=TARGET - Decimal("0.01"), shops=10)
    assert result.grade is None
    assert result.shop_level == "A"
    assert result.failed_criteria == "sales"
    assert (result.next_grade, result.missing_sales, result.missing_shops) == (
        "A",
        Decimal("0.01"),
        0,
    )


def test_no_new_product_means_no_grade():
    result = grade(products=0, shops=5)
    assert (result.grade, result.failed_criteria, result.missing_products) == (None, "products", 1)
    assert result.next_grade == "C"


def test_every_criterion_failing_is_listed():
    result = grade(products=0, sales=Decimal("0"), shops=1)
    assert result.failed_criteria == "products,sales,shops"
    assert (result.next_grade, result.missing_shops) == ("D", 2)
    assert result.missing_sales == TARGET


def test_grade_quarter_joins_targets_and_actuals():
    targets = pd.DataFrame(
        [
            {
                "district_code": "5707",
                "products_target": 1,
                "sales_target": TARGET,
                "threshold_d": 3,
                "threshold_c": 5,
                "threshold_b": 8,
                "threshold_a": 10,
            }
        ]
    )
    actuals = pd.DataFrame(
        [{"district_code": "5707", "products_added": 2, "sales": TARGET, "shops_registered": 5}]
    )
    graded = grade_quarter(targets, actuals)
    assert graded.loc[0, "grade"] == "C"
    assert graded.loc[0, "missing_shops"] == 3
    with pytest.raises(ValueError, match=r"^no actual figures for districts 5707$"):
        grade_quarter(targets, actuals.iloc[0:0])


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
    after = grade(
        products=products + before.missing_products,
        sales=sales + before.missing_sales,
        shops=shops + before.missing_shops,
        thresholds=thresholds,
    )
    assert ORDER.index(after.grade) >= ORDER.index(before.next_grade)
