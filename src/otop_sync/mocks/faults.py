"""Switchable faults of the mock CDD systems, set by CLI flag, environment variable, the admin
endpoint ``/_mock/faults`` or one request's ``X-Mock-Faults`` header.

A spec is a ``;``-separated list of ``KIND[=ARG][@TARGET][*COUNT]``:

=====================  ========================================================================
``500`` ``502`` ``503``  answer with that status
``429=SECONDS``        answer 429 Too Many Requests with ``Retry-After: SECONDS`` (default 1)
``slow=SECONDS``       wait before answering
``truncate``           declare the full Content-Length but send half the body, then close
``truncate=clean``     send a body cut in the middle of a row, with a matching Content-Length
``repeat_page=N``      listing page N shows page N-1's rows again
``skip_page=N``        listing page N shows page N+1's rows
``rename_column=A>B``  header A is written as B
``drop_column=A``      column A is left out
``expire_session``     the session has expired: the client must log in again
``correction[=N]``     N sales rows (default 1) are corrected: same producer and month, a new
                       amount and a later วันที่บันทึก
``summary_drift``      the summary report's first figure is one satang off the sales data
=====================  ========================================================================

TARGET is a dataset (products, sales, shops, baseline), ``report``, ``login``, a system
(bigdata, otop, click, sheets) or ``*`` (the default). COUNT is how many requests the fault
hits before it is spent; without it the fault stays on.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace

KINDS = frozenset(
    {
        "500",
        "502",
        "503",
        "429",
        "slow",
        "truncate",
        "repeat_page",
        "skip_page",
        "rename_column",
        "drop_column",
        "expire_session",
        "correction",
        "summary_drift",
    }
)
_ITEM = re.compile(
    r"(?P<kind>[a-z_0-9]+)(?:=(?P<arg>[^@*]*))?(?:@(?P<target>[a-z*]+))?(?:\*(?P<count>\d+))?"
)


class FaultSpecError(ValueError):
    """A fault spec that does not follow the grammar."""


@dataclass(frozen=True)
class Fault:
    """One switched-on fault."""

    kind: str
    arg: str | None = None
    target: str = "*"
    remaining: int | None = None

    def matches(self, targets: frozenset[str]) -> bool:
        """Whether the fault applies to a request with these target names."""
        return self.target == "*" or self.target in targets


def parse_faults(spec: str) -> list[Fault]:
    """Read a fault spec (see the module docstring); an empty spec is no faults."""
    faults = []
    for item in filter(None, (part.strip() for part in spec.split(";"))):
        match = _ITEM.fullmatch(item)
        if match is None or match["kind"] not in KINDS:
            raise FaultSpecError(f"not a fault: {item!r} (kinds: {', '.join(sorted(KINDS))})")
        kind, arg = match["kind"], match["arg"]
        if kind in {"repeat_page", "skip_page"} and not (arg or "").isdigit():
            raise FaultSpecError(f"{item!r}: {kind} needs a page number, e.g. {kind}=3")
        if kind == "rename_column" and ">" not in (arg or ""):
            raise FaultSpecError(f"{item!r}: rename_column needs OLD>NEW")
        if kind == "429" and arg is not None and not arg.isdigit():
            raise FaultSpecError(f"{item!r}: 429 needs whole seconds (Retry-After)")
        if kind == "slow" and arg is not None:
            try:
                float(arg)
            except ValueError:
                raise FaultSpecError(f"{item!r}: slow needs seconds") from None
        count = int(match["count"]) if match["count"] else None
        faults.append(Fault(kind, arg, match["target"] or "*", count))
    return faults


class FaultBoard:
    """The faults switched on in a running mock; thread-safe, counts spent as requests hit."""

    def __init__(self, faults: list[Fault] | None = None) -> None:
        self._lock = threading.Lock()
        self._faults = list(faults or [])

    def replace_all(self, faults: list[Fault]) -> None:
        """Switch these faults on instead of the current ones."""
        with self._lock:
            self._faults = list(faults)

    def active(self) -> list[Fault]:
        """The faults on now."""
        with self._lock:
            return list(self._faults)

    def take(
        self,
        kinds: set[str],
        targets: frozenset[str],
        *,
        first_only: bool = False,
        when: Callable[[Fault], bool] = lambda _fault: True,
    ) -> list[Fault]:
        """The faults of these kinds that hit a request, spending one of each one's count."""
        hit: list[Fault] = []
        with self._lock:
            kept = []
            for fault in self._faults:
                applies = fault.kind in kinds and fault.matches(targets) and when(fault)
                if applies and not (first_only and hit):
                    hit.append(fault)
                    if fault.remaining is not None:
                        if fault.remaining > 1:
                            kept.append(replace(fault, remaining=fault.remaining - 1))
                        continue
                kept.append(fault)
            self._faults = kept
        return hit
