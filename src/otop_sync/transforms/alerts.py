"""When ops are alerted, decided from plain values: a run that failed or crashed (and whether a
critical expectation stopped it), a source that has not changed for longer than its usual
cycle, a run that took far longer than usual. The text is in :mod:`otop_sync.reports.notices`,
the sending in :mod:`otop_sync.connectors.notify`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from itertools import pairwise
from statistics import median

import pandas as pd

from otop_sync.expectations.runner import CriticalExpectationError

FAILED, CRASHED, CRITICAL = "failed", "crashed", "critical"
"""Why a run ended badly: an error, its process gone, or a critical expectation failed."""


def failure_kind(error: BaseException | None, crashed: bool) -> str:
    """:data:`CRASHED` for a crashed run, :data:`CRITICAL` when a critical expectation failed
    (the error or any error it was raised from), else :data:`FAILED`."""
    if crashed:
        return CRASHED
    seen: set[int] = set()
    while error is not None and id(error) not in seen:
        if isinstance(error, CriticalExpectationError):
            return CRITICAL
        seen.add(id(error))
        error = error.__cause__ or error.__context__
    return FAILED


def one_line(text: str, limit: int = 400) -> str:
    """``text`` on one line (whitespace collapsed), cut to ``limit`` characters with ``…``."""
    line = " ".join(str(text).split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


@dataclass(frozen=True)
class StaleSource:
    """A source request whose payload has not changed for longer than its usual cycle."""

    dataset: str
    request_key: str
    last_changed: datetime
    age_days: float
    cycle_days: float
    """The longest age that is still usual: configured, or learned from its changes."""


def stale_sources(
    history: pd.DataFrame,
    now: datetime,
    max_age_days: Mapping[str, float],
    factor: float,
    min_changes: int = 3,
) -> list[StaleSource]:
    """The requests in ``history`` (request_key, dataset, consumed_at: every payload loaded,
    that is every change) whose last change is older than their usual cycle.

    The cycle is ``max_age_days[dataset]`` when configured; otherwise ``factor`` times the
    median interval between the request's changes, once it has changed ``min_changes`` times
    (too few changes say nothing about a cycle, and raise no alert).
    """
    stale = []
    for key, changes in history.groupby("request_key", sort=True):
        moments = sorted(changes["consumed_at"])
        dataset = str(changes["dataset"].iloc[-1])
        if dataset in max_age_days:
            cycle = float(max_age_days[dataset])
        elif len(moments) >= min_changes:
            gaps = [(b - a).total_seconds() / 86400 for a, b in pairwise(moments)]
            cycle = factor * median(gaps)
        else:
            continue
        age = (now - moments[-1]).total_seconds() / 86400
        if age > cycle:
            stale.append(StaleSource(dataset, str(key), moments[-1], age, cycle))
    return stale


def usual_seconds(
    seconds: float, earlier: Sequence[float], factor: float, min_history: int
) -> float | None:
    """The median of the ``earlier`` runs' durations when a run of ``seconds`` took more than
    ``factor`` times it (far longer than usual); None otherwise, and with fewer than
    ``min_history`` earlier runs to compare with."""
    if len(earlier) < min_history:
        return None
    usual = median(earlier)
    return usual if seconds > factor * usual else None
