"""Run the mock CDD in its own process for benchmarks, as a real server would be."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import requests

OTOP_SYNC = str(Path(sys.executable).parent / "otop-sync")
TODAY = date(2025, 10, 31)
"""The mock's today in benchmarks, whatever the real date: FY2566 to FY2568's sales, the same
volume every time (October 2025's are recorded from 1 November)."""


@contextmanager
def mock_process(scale: str = "national", today: date = TODAY) -> Iterator[str]:
    """Start ``otop-sync mock serve`` on a free port, as of ``today``; yield its URL; stop it
    afterwards."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(
        [OTOP_SYNC, "mock", "serve", "--scale", scale, "--port", str(port), "--today", f"{today}"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 900
        while True:
            try:
                requests.get(f"{url}/_mock/health", timeout=5)
                break
            except requests.ConnectionError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("the mock CDD did not start") from None
                time.sleep(0.5)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=30)
