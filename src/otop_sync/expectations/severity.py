"""Severity as configuration: which failed expectations stop a run, quarantine rows, or warn."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from importlib.resources import files
from pathlib import Path

from otop_sync.errors import OtopSyncError

SEVERITIES = frozenset({"critical", "quarantine", "warning"})


class SeverityConfigError(OtopSyncError):
    """A severity file that names an unknown severity or misses a level."""


@dataclass(frozen=True)
class Severities:
    """The severity of each level, with per-expectation exceptions."""

    levels: dict[str, str]
    overrides: dict[str, str] = field(default_factory=dict)

    def of(self, check_id: str, level: str, declared: str | None = None) -> str:
        """The severity of one expectation: as configured for it, else as its dataset
        declares it, else its level's."""
        return self.overrides.get(check_id, declared or self.levels[level])


def load_severities(path: Path | None = None) -> Severities:
    """Read the severity TOML (the bundled one unless a path is given)."""
    source = path or files("otop_sync.expectations").joinpath("severity.toml")
    document = tomllib.loads(source.read_text(encoding="utf-8"))
    levels = document.get("levels", {})
    overrides = document.get("expectations", {})
    if set(levels) != {"row", "dataset"}:
        raise SeverityConfigError(f"{source}: [levels] must set row and dataset")
    for name, severity in {**levels, **overrides}.items():
        if severity not in SEVERITIES:
            raise SeverityConfigError(
                f"{source}: {name} = {severity!r}; use one of {', '.join(sorted(SEVERITIES))}"
            )
    if levels["dataset"] == "quarantine":
        raise SeverityConfigError(f"{source}: a dataset-level failure has no rows to quarantine")
    return Severities(dict(levels), dict(overrides))
