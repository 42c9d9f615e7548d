from decimal import Decimal

import pytest

from otop_sync.rules import load_rulebook
from otop_sync.transforms.rules import RulesError, rulebook_from_document


def _doc(**year):
    entry = {
        "base_year": 2566,
        "products_target": 1,
        "sales_growth_percent": "2",
        "shop_level_percent": {"D": "25", "C": "50", "B": "75", "A": "100"},
    }
    entry.update(year)
    return {"version": "t1", "fiscal_year": {"2567": entry}}


def test_bundled_rules_are_the_letters():
    rules = load_rulebook().for_year(2567)
    assert rules.base_year == 2566
    assert rules.products_target == 1
    assert rules.sales_factor == Decimal("1.02")
    assert dict(rules.shop_level_percent) == {"D": 25, "C": 50, "B": 75, "A": 100}


def test_year_without_rules_names_the_years_covered():
    with pytest.raises(RulesError) as caught:
        load_rulebook().for_year(2566)
    assert (
        str(caught.value)
        == "no KPI rules for fiscal year 2566 (rules version 2567.1 covers 2567, 2568)"
    )


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            {"sales_growth_percent": 2.5},
            "fiscal_year.2567.sales_growth_percent must be a number written as a string or an integer",
        ),
        (
            {"sales_growth_percent": "two"},
            "fiscal_year.2567.sales_growth_percent is not a number: 'two'",
        ),
        (
            {"sales_growth_percent": "-1"},
            "fiscal_year.2567.sales_growth_percent must be a non-negative number, got '-1'",
        ),
        (
            {"products_target": "1"},
            "fiscal_year.2567.products_target must be a whole number, got '1'",
        ),
        (
            {"shop_level_percent": {"D": "25", "C": "50", "B": "75"}},
            "fiscal_year.2567.shop_level_percent must give exactly D, C, B, A",
        ),
        (
            {"shop_level_percent": {"D": "50", "C": "25", "B": "75", "A": "100"}},
            "fiscal_year.2567.shop_level_percent must rise from D to A",
        ),
    ],
)
def test_malformed_rules_are_rejected(change, message):
    with pytest.raises(RulesError) as caught:
        rulebook_from_document(_doc(**change))
    assert str(caught.value) == message


def test_rules_file_must_be_toml(tmp_path):
    bad = tmp_path / "rules.toml"
    bad.write_text("version = ", encoding="utf-8")
    with pytest.raises(RulesError, match=r"^rules file .*rules\.toml is not valid TOML: "):
        load_rulebook(bad)


def test_document_needs_version_and_years():
    with pytest.raises(RulesError, match=r"^rules document has no version$"):
        rulebook_from_document({"fiscal_year": {}})
    with pytest.raises(RulesError, match=r"^rules document has no \[fiscal_year.N\] tables$"):
        rulebook_from_document({"version": "x"})
