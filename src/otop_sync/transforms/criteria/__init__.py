"""KPI criteria as data: one module per criterion kind, each registering itself by name (see
:mod:`.base`). Every module of this package is imported here, so adding a kind is adding a
module; the rules TOML then names it for the fiscal years that use it."""

from __future__ import annotations

import importlib
import pkgutil

from otop_sync.transforms.criteria.base import (
    LEVELS,
    Criterion,
    CriterionResult,
    LevelCriterion,
    Number,
    QuarterData,
    RulesError,
    Unit,
    check_parameters,
    criterion_kind,
    decimal_parameter,
    int_parameter,
    kind_named,
    label_of,
    quarter_actuals,
)

for _module in pkgutil.iter_modules(__path__):
    importlib.import_module(f"{__name__}.{_module.name}")

__all__ = [
    "LEVELS",
    "Criterion",
    "CriterionResult",
    "LevelCriterion",
    "Number",
    "QuarterData",
    "RulesError",
    "Unit",
    "check_parameters",
    "criterion_kind",
    "decimal_parameter",
    "int_parameter",
    "kind_named",
    "label_of",
    "quarter_actuals",
]
