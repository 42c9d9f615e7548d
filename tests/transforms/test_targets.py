from decimal import Decimal

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from otop_sync.transforms.criteria.shops import ShopUnits
from otop_sync.transforms.fiscal import Quarter
from otop_sync.transforms.targets import (
    TargetInputError,
    district_targets,
    province_total,
    round_half_up,
)

Q2 = Quarter(2567, 2)


def test_rounding_traps_from_the_letter(rulebook):
    rules = rulebook.for_year(2567)
    sales, shops = rules.criterion("sales"), rules.criterion("shops")
    assert sales.sales_target(Decimal("25432495.20")) == Decimal("25941145.10")  # .104 → .10
    assert shops.thresholds(10)["D"] == 3  # 2.5 → 3, where round(2.5) == 2
    assert shops.thresholds(15)["B"] == 11  # 11.25 → 11
    assert shops.thresholds(2) == {"D": 1, "C": 1, "B": 2, "A": 2}


def _inputs(codes, base="100.00", interested=4):
    return pd.DataFrame(
        {
            "district_code": codes,
            "base_sales": [Decimal(base)] * len(codes),
            "interested_q1": [interested] * len(codes),
        }
    )


def test_missing_district_is_named(rulebook):
    codes = [f"57{i:02d}" for i in range(1, 18)]  # no 5718
    with pytest.raises(TargetInputError) as caught:
        district_targets(_inputs(codes), Q2, rulebook.for_year(2567), "57")
    assert str(caught.value) == "2567Q2: no base sales or Q1 interest for ดอยหลวง (5718)"


def test_foreign_and_repeated_districts_are_errors(rulebook):
    rules = rulebook.for_year(2567)
    codes = [f"57{i:02d}" for i in range(1, 19)]
    with pytest.raises(TargetInputError, match=r"^2567Q2: districts not in the province: 5001$"):
        district_targets(_inputs([*codes, "5001"]), Q2, rules, "57")
    with pytest.raises(TargetInputError, match=r"^2567Q2: districts repeated: 5701$"):
        district_targets(_inputs([*codes, "5701"]), Q2, rules, "57")


def test_district_without_base_sales_is_named(rulebook):
    inputs = _inputs([f"57{i:02d}" for i in range(1, 19)])
    inputs["base_sales"] = inputs["base_sales"].astype(object)
    inputs.loc[2, "base_sales"] = None
    with pytest.raises(TargetInputError, match=r"^2567Q2: เชียงของ \(5703\) lacks base-year sales$"):
        district_targets(inputs, Q2, rulebook.for_year(2567), "57")


def test_rules_must_be_the_quarters_year(rulebook):
    with pytest.raises(TargetInputError, match=r"^rules for FY2568 given for quarter 2567Q2$"):
        district_targets(_inputs(["5701"]), Q2, rulebook.for_year(2568), "57")


def test_province_total_for_bangkok_uses_its_name(rulebook):
    rules = rulebook.for_year(2567)
    codes = [f"10{i:02d}" for i in range(1, 51)]
    total = province_total(district_targets(_inputs(codes), Q2, rules, "10"), rules, "10")
    assert total.iloc[0]["district_name_th"] == "รวม (จังหวัดกรุงเทพมหานคร)"
    assert total.iloc[0]["interested_q1"] == 200


@given(st.integers(min_value=0, max_value=10**6), st.integers(min_value=0, max_value=10**6))
def test_round_half_up_at_every_half(whole, half_units):
    value = Decimal(whole) + Decimal("0.5")
    assert round_half_up(value) == whole + 1
    assert round_half_up(Decimal(half_units) / 100 + Decimal("0.005"), Decimal("0.01")) == (
        Decimal(half_units) / 100 + Decimal("0.01")
    )


@given(st.integers(min_value=0, max_value=100_000), st.data())
def test_thresholds_are_monotone_in_the_percentage(interested, data):
    low = data.draw(st.decimals(min_value=0, max_value=200, places=2))
    high = data.draw(st.decimals(min_value=low, max_value=200, places=2))

    def threshold(percent):
        return ShopUnits(dict.fromkeys("DCBA", percent)).thresholds(interested)["D"]

    assert threshold(low) <= threshold(high)


@given(base=st.decimals(min_value=0, max_value=10**12, places=2))
def test_sales_target_is_growth_rounded_half_up(rulebook, base):
    target = rulebook.for_year(2567).criterion("sales").sales_target(base)
    exact = base * Decimal("1.02")
    assert abs(target - exact) <= Decimal("0.005")
    assert target == target.quantize(Decimal("0.01"))
    if exact - exact.quantize(Decimal("0.01"), rounding="ROUND_DOWN") == Decimal("0.005"):
        assert target > exact
