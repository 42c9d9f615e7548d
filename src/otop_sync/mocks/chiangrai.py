"""Chiang Rai (57) as the province's letter of 5 Feb 2567 describes it, and the 2567Q2 outcomes
the mock shapes its data to, so that every grade and every failing criterion appears."""

from __future__ import annotations

PROVINCE_CODE = "57"

# district code: (base-year 2566Q2 sales in satang, Q1 Digital Wallet interest), from the letter.
SEED_TABLE: dict[str, tuple[int, int]] = {
    "5701": (45065264000, 8),
    "5702": (2543249520, 15),
    "5703": (1311792400, 19),
    "5704": (10548197800, 9),
    "5705": (2332179140, 22),
    "5706": (440238352, 7),
    "5707": (24320073324, 10),
    "5708": (7018510160, 4),
    "5709": (14677422500, 9),
    "5710": (7131524180, 13),
    "5711": (4888137000, 25),
    "5712": (393063900, 18),
    "5713": (444499340, 14),
    "5714": (313362818, 6),
    "5715": (12195154780, 8),
    "5716": (5552979600, 16),
    "5717": (754669120, 2),
    "5718": (705471764, 3),
}

# district code: (products criterion met, sales mode, Shop ชุมชน level at quarter end, extra units)
# Sales modes: "above" beats the target, "exact" equals it to the satang, "short" misses it by
# one satang, "below" misses it by about ten percent. A level of None is one unit below D.
SCENARIO_2567Q2: dict[str, tuple[bool, str, str | None, int]] = {
    "5701": (True, "above", "A", 0),
    "5702": (True, "exact", "B", 0),
    "5703": (True, "above", "C", 1),
    "5704": (True, "above", "D", 0),
    "5705": (True, "above", None, 0),
    "5706": (False, "above", "A", 2),
    "5707": (True, "below", "B", 0),
    "5708": (True, "above", "A", 3),
    "5709": (True, "above", "B", 0),
    "5710": (True, "above", "C", 0),
    "5711": (True, "above", "D", 0),
    "5712": (True, "short", "B", 0),
    "5713": (True, "above", "A", 0),
    "5714": (True, "above", "B", 0),
    "5715": (False, "above", None, 0),
    "5716": (True, "above", "C", 2),
    "5717": (True, "above", "A", 0),
    "5718": (True, "above", "D", 0),
}

# A published base figure that differs from the sales data, as real sheets sometimes do:
# (fiscal year, quarter, district) -> satang added to the computed figure.
PUBLISHED_BASE_DIFFERENCES: dict[tuple[int, int, str], int] = {(2567, 3, "5703"): 10_000}

# A Shop ชุมชน report that differs from Click ชุมชน, as a district counting a producer's second
# shop as another unit would: (district, month reported as "YYYY-MM") -> producers added.
FORM_REPORT_DIFFERENCES: dict[tuple[str, str], int] = {("5709", "2024-06"): 1}

LEVEL_PERCENT: dict[str, int] = {"D": 25, "C": 50, "B": 75, "A": 100}


def half_up_units(numerator: int, denominator: int) -> int:
    """numerator / denominator rounded half-up to a whole number (both non-negative)."""
    return (2 * numerator + denominator) // (2 * denominator)


def shop_threshold(interested: int, level: str) -> int:
    """Units needed for a Shop ชุมชน level: a share of the Q1 interest, half-up."""
    return half_up_units(interested * LEVEL_PERCENT[level], 100)


def sales_target_satang(base_satang: int) -> int:
    """Base-year sales × 1.02, half-up to the satang."""
    return half_up_units(base_satang * 102, 100)
