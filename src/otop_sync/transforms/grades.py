"""A district's grade for a quarter from its targets and what it achieved.

Criteria: (1) products added ≥ products target; (2) quarter sales ≥ sales target; (3) Shop
ชุมชน units at quarter end reach a level D–A. The grade is the highest level reached when (1)
and (2) are met, else none (SQL NULL). Each result says which criteria failed and what is still
missing for the next grade: products, baht and shop units.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from decimal import Decimal

import pandas as pd

from otop_sync.transforms.rules import SHOP_LEVELS
from otop_sync.transforms.targets import THRESHOLD_COLUMNS

GRADE_COLUMNS: list[str] = [
    "products_added",
    "products_met",
    "sales",
    "sales_met",
    "shops_registered",
    "shop_level",
    "grade",
    "failed_criteria",
    "next_grade",
    "missing_products",
    "missing_sales",
    "missing_shops",
]


@dataclass(frozen=True, slots=True)
class GradeResult:
    """The outcome for one district and quarter."""

    products_added: int
    products_met: bool
    sales: Decimal
    sales_met: bool
    shops_registered: int
    shop_level: str | None
    grade: str | None
    failed_criteria: str
    """Comma-separated: ``products``, ``sales``, ``shops``; empty when graded."""
    next_grade: str | None
    """The grade to aim for next; None at A."""
    missing_products: int
    missing_sales: Decimal
    missing_shops: int


def shop_level(shops_registered: int, thresholds: dict[str, int]) -> str | None:
    """The highest Shop ชุมชน level whose threshold is reached, or None below D."""
    reached = [level for level in SHOP_LEVELS if shops_registered >= thresholds[level]]
    return reached[-1] if reached else None


def grade_district(
    *,
    products_added: int,
    sales: Decimal,
    shops_registered: int,
    products_target: int,
    sales_target: Decimal,
    thresholds: dict[str, int],
) -> GradeResult:
    """Grade one district for one quarter (see module docstring)."""
    products_met = products_added >= products_target
    sales_met = sales >= sales_target
    level = shop_level(shops_registered, thresholds)
    failed = [
        name
        for name, met in (("products", products_met), ("sales", sales_met), ("shops", level))
        if not met
    ]
    grade = level if products_met and sales_met else None
    if grade == SHOP_LEVELS[-1]:
        next_grade = None
    elif grade is None:
        next_grade = level or SHOP_LEVELS[0]
    else:
        next_grade = SHOP_LEVELS[SHOP_LEVELS.index(grade) + 1]
    return GradeResult(
        products_added=products_added,
        products_met=products_met,
        sales=sales,
        sales_met=sales_met,
        shops_registered=shops_registered,
        shop_level=level,
        grade=grade,
        failed_criteria=",".join(failed),
        next_grade=next_grade,
        missing_products=max(0, products_target - products_added),
        missing_sales=max(Decimal("0.00"), sales_target - sales),
        missing_shops=max(0, thresholds[next_grade] - shops_registered) if next_grade else 0,
    )


def grade_quarter(targets: pd.DataFrame, actuals: pd.DataFrame) -> pd.DataFrame:
    """Grade every district of a target table.

    ``actuals`` has ``district_code``, ``products_added``, ``sales`` (Decimal) and
    ``shops_registered``; a district with targets but no actuals is an error.
    """
    by_code = actuals.set_index("district_code")
    missing = sorted(set(targets["district_code"]) - set(by_code.index))
    if missing:
        raise ValueError(f"no actual figures for districts {', '.join(missing)}")
    rows = []
    for target in targets.to_dict("records"):
        actual = by_code.loc[target["district_code"]]
        result = grade_district(
            products_added=int(actual["products_added"]),
            sales=actual["sales"],
            shops_registered=int(actual["shops_registered"]),
            products_target=int(target["products_target"]),
            sales_target=target["sales_target"],
            thresholds={level: int(target[col]) for level, col in THRESHOLD_COLUMNS.items()},
        )
        rows.append({**target, **asdict(result)})
    return pd.DataFrame(rows)
