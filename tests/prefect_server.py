"""A real local Prefect server on a free loopback port, for tests that run flows in
subprocesses: they share it instead of each starting Prefect's temporary API."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import requests

BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def stop(process: subprocess.Popen) -> None:
    """TERM the process group, then KILL it if it has not gone within 20 s."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=20)


@contextmanager
def running_prefect_server(folder: Path, **settings: str) -> Iterator[dict[str, str]]:
    """Start ``prefect server start`` with its home in ``folder``; yield the environment
    (``PREFECT_API_URL`` and ``settings`` over this process's) that talks to it."""
    port = free_port()
    env = {
        **os.environ,
        "PREFECT_HOME": str(folder / "prefect-home"),
        "PREFECT_API_URL": f"http://127.0.0.1:{port}/api",
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_SERVER_UI_ENABLED": "false",
        "DO_NOT_TRACK": "1",
        **settings,
    }
    log_path = folder / "server.log"
    with log_path.open("w") as log:
        server = subprocess.Popen(
            [str(BIN / "prefect"), "server", "start", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            deadline = time.monotonic() + 180
            while True:
                try:
                    if requests.get(f"http://127.0.0.1:{port}/api/health", timeout=2).ok:
                        break
                except requests.ConnectionError:
                    pass
                assert server.poll() is None, log_path.read_text()
                assert time.monotonic() < deadline, "the Prefect server did not start"
                time.sleep(0.5)
            yield env
        finally:
            stop(server)
