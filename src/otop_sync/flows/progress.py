"""Step events: each step of a run says when it starts and how it finished, as it happens.

The steps emit; whoever listens shows them (the command line prints a line per event, the flows
write them to the run's log). Listeners are process-wide, because Prefect may run a task in a
worker thread of the same process.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Literal

Phase = Literal["start", "finish", "fail"]


@dataclass(frozen=True)
class StepEvent:
    """One step of one run starting, finishing (with what it did) or failing (with why)."""

    step: str
    scope: str
    """The provinces of the run, e.g. ``57`` or ``national``."""
    phase: Phase
    detail: str = ""
    seconds: float = 0.0

    def line(self) -> str:
        """The event as one line for people."""
        if self.phase == "start":
            return f"{self.scope} {self.step} …"
        verb = "done" if self.phase == "finish" else "failed"
        detail = f": {self.detail}" if self.detail else ""
        return f"{self.scope} {self.step} {verb} in {self.seconds:.1f} s{detail}"


Listener = Callable[[StepEvent], None]
_listeners: list[Listener] = []
_lock = threading.Lock()


@contextmanager
def listening(listener: Listener) -> Iterator[None]:
    """Pass every step event to ``listener`` until the block ends."""
    with _lock:
        _listeners.append(listener)
    try:
        yield
    finally:
        with _lock:
            _listeners.remove(listener)


def emit(event: StepEvent) -> None:
    """Tell every listener about a step event."""
    with _lock:
        listeners = list(_listeners)
    for listener in listeners:
        listener(event)
