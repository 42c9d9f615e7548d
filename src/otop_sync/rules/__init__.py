"""The KPI rules document shipped with otop-sync, and the loader for it or a replacement."""

from __future__ import annotations

import tomllib
from importlib.resources import files
from pathlib import Path

from otop_sync.transforms.rules import RuleBook, RulesError, rulebook_from_document

__all__ = ["load_rulebook"]


def load_rulebook(path: Path | None = None) -> RuleBook:
    """Read the rules TOML (the bundled one unless a path is given) into a RuleBook."""
    source = path if path is not None else files("otop_sync.rules").joinpath("kpi_rules.toml")
    try:
        document = tomllib.loads(source.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as error:
        raise RulesError(f"rules file {source} is not valid TOML: {error}") from None
    return rulebook_from_document(document)
