from decimal import Decimal

import pytest

from otop_sync.rules import load_rulebook
from otop_sync.transforms.fiscal import Quarter
from otop_sync.transforms.rules import RulesError, rulebook_from_document


def _doc(**criteria):
    tables = {
        "products": {"target": 1},
        "sales": {"growth_percent": "2"},
        "shops": {"level_percent": {"D": "25", "C": "50", "B": "75", "A": "100"}},
    }
    for name, change in criteria.items():
        tables[name] = {**tables[name], **change} if change is not None else None
    entry = {"base_year": 2566, "criteria": {k: v for k, v in tables.items() if v is not None}}
    return {"version": "t1", "fiscal_year": {"2567": entry}}


def test_bundled_rules_are_the_letters():
    rules = load_rulebook().for_year(2567)
    assert rules.base_year == 2566
    assert [c.name for c in rules.criteria] == ["products", "sales", "shops"]
    assert rules.criterion("products").target == 1
    assert rules.criterion("sales").factor == Decimal("1.02")
    assert dict(rules.criterion("shops").level_percent) == {"D": 25, "C": 50, "B": 75, "A": 100}
    assert rules.level_criterion.name == "shops"


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
            {"sales": {"growth_percent": 2.5}},
            "fiscal_year.2567.criteria.sales.growth_percent must be a number written as a string "
            "or an integer",
        ),
        (
            {"sales": {"growth_percent": "two"}},
            "fiscal_year.2567.criteria.sales.growth_percent is not a number: 'two'",
        ),
        (
            {"sales": {"growth_percent": "-1"}},
            "fiscal_year.2567.criteria.sales.growth_percent must be a non-negative number, "
            "got '-1'",
        ),
        (
            {"products": {"target": "1"}},
            "fiscal_year.2567.criteria.products.target must be a whole number, got '1'",
        ),
        (
            {"shops": {"level_percent": {"D": "25", "C": "50", "B": "75"}}},
            "fiscal_year.2567.criteria.shops.level_percent must give exactly D, C, B, A",
        ),
        (
            {"shops": {"level_percent": {"D": "50", "C": "25", "B": "75", "A": "100"}}},
            "fiscal_year.2567.criteria.shops.level_percent must rise from D to A",
        ),
        (
            {"sales": {"growth": "2"}},
            "fiscal_year.2567.criteria.sales.growth: unknown parameter (expected growth_percent)",
        ),
        (
            {"products": {"target": None}},
            "fiscal_year.2567.criteria.products.target must be a whole number, got None",
        ),
        (
            {"shops": None},
            "fiscal_year.2567.criteria must have exactly one criterion that gives the level A-D, "
            "got none",
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


def test_criteria_must_be_known_tables():
    document = _doc()
    document["fiscal_year"]["2567"]["criteria"]["nonsense"] = {"target": 3}
    with pytest.raises(RulesError) as caught:
        rulebook_from_document(document)
    message = str(caught.value)  # other tests may register more kinds: the bundled ones are there
    assert message.startswith("fiscal_year.2567.criteria.nonsense: unknown criterion 'nonsense' (")
    assert "products, sales, shops" in message
    document["fiscal_year"]["2567"]["criteria"] = {}
    with pytest.raises(RulesError, match=r"^fiscal_year.2567.criteria must name the criteria"):
        rulebook_from_document(document)
    document["fiscal_year"]["2567"] = {**_doc()["fiscal_year"]["2567"], "products_target": 1}
    with pytest.raises(RulesError) as caught:  # a rules file in the layout before criteria
        rulebook_from_document(document)
    assert str(caught.value) == (
        "fiscal_year.2567.products_target: unknown key (a fiscal year has base_year, quarters, "
        "interest_quarter and a [fiscal_year.2567.criteria.NAME] table per criterion, or "
        "carried_forward_from)"
    )


def test_a_missing_parameter_is_named():
    document = _doc()
    document["fiscal_year"]["2567"]["criteria"]["sales"] = {}
    with pytest.raises(
        RulesError, match=r"^fiscal_year.2567.criteria.sales.growth_percent is missing$"
    ):
        rulebook_from_document(document)


def _scoped(**year):
    document = _doc()
    document["fiscal_year"]["2567"].update(year)
    return document


def test_bundled_rules_state_their_scope_and_carry_fy2567_forward_explicitly():
    rulebook = load_rulebook()
    fy2567, fy2568 = rulebook.for_year(2567), rulebook.for_year(2568)
    assert (fy2567.quarters, fy2567.interest_quarter, fy2567.carried_forward_from) == (
        (1, 2, 3, 4),
        1,
        None,
    )
    assert fy2567.note_th() == ""
    assert fy2568.carried_forward_from == 2567
    assert (fy2568.fiscal_year, fy2568.base_year, fy2568.criteria) == (
        2568,
        fy2567.base_year,
        fy2567.criteria,
    )
    assert fy2568.note_th() == "ใช้เกณฑ์ปีงบประมาณ 2567 ยกมา (ยังไม่มีเกณฑ์ของปีงบประมาณ 2568)"
    assert rulebook.coverage() == "2567Q1-Q4, 2568Q1-Q4 (carried forward)"


def test_a_quarter_outside_the_rule_book_is_not_covered_and_says_why():
    rulebook = rulebook_from_document(_scoped(quarters=[2, 3]))
    assert [q for q in range(1, 5) if rulebook.covers(Quarter(2567, q))] == [2, 3]
    assert rulebook.not_covered(Quarter(2567, 2)) is None
    assert rulebook.not_covered(Quarter(2567, 4)) == (
        "2567Q4: not graded, KPI rules version t1 cover 2567Q2-Q3; add rules for it to grade it"
    )
    assert not rulebook.covers(Quarter(2568, 1))


def test_a_quarter_before_the_interest_quarter_is_not_graded():
    rulebook = rulebook_from_document(_scoped(interest_quarter=2))
    assert not rulebook.covers(Quarter(2567, 1))
    assert rulebook.covers(Quarter(2567, 2))
    assert rulebook.coverage() == "2567Q2-Q4"


@pytest.mark.parametrize(
    ("year", "message"),
    [
        (
            {"quarters": [0, 1]},
            "fiscal_year.2567.quarters must list quarter numbers 1-4, each once",
        ),
        (
            {"quarters": [1, 1]},
            "fiscal_year.2567.quarters must list quarter numbers 1-4, each once",
        ),
        ({"interest_quarter": 5}, "fiscal_year.2567.interest_quarter must be a quarter number 1-4"),
    ],
)
def test_a_bad_scope_is_named(year, message):
    with pytest.raises(RulesError) as caught:
        rulebook_from_document(_scoped(**year))
    assert str(caught.value) == message


def test_a_year_carried_forward_takes_nothing_of_its_own():
    document = _doc()
    document["fiscal_year"]["2568"] = {"carried_forward_from": 2567, "base_year": 2566}
    with pytest.raises(RulesError) as caught:
        rulebook_from_document(document)
    assert str(caught.value) == (
        "fiscal_year.2568.base_year: a year carried forward takes base_year from "
        "fiscal_year.2567; remove it or remove carried_forward_from"
    )
    document["fiscal_year"]["2568"] = {"carried_forward_from": 2566}
    with pytest.raises(RulesError, match="fiscal year 2566 has no rules of its own"):
        rulebook_from_document(document)


def test_a_year_names_its_letter_and_a_year_carried_forward_has_its_sources():
    rulebook = load_rulebook()
    letter = "ขร 0019.2/ว 2971 ลงวันที่ 5 กุมภาพันธ์ 2567"
    assert (rulebook.for_year(2567).letter, rulebook.for_year(2568).letter) == (letter, letter)
    document = _doc()
    document["fiscal_year"]["2568"] = {"carried_forward_from": 2567, "letter": "ว 1"}
    with pytest.raises(RulesError) as caught:
        rulebook_from_document(document)
    assert str(caught.value) == (
        "fiscal_year.2568.letter: a year carried forward takes letter from "
        "fiscal_year.2567; remove it or remove carried_forward_from"
    )
    document["fiscal_year"]["2568"] = {**_doc()["fiscal_year"]["2567"], "letter": 5}
    with pytest.raises(RulesError) as caught:
        rulebook_from_document(document)
    assert str(caught.value) == "fiscal_year.2568.letter must be the letter's reference as text"
