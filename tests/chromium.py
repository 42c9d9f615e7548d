"""Headless Chromium for the tests that render pages: where it is, and a screenshot of a page.

Without Chromium a test skips, saying how to install it, except under CI (``CI`` set), where it
fails: ``.ci/run`` installs ``chromium`` and ``fonts-thai-tlwg``."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path

import pytest

QUIET = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
)
"""Headless, and no connection of Chromium's own (the machine's network is closed)."""


def chromium() -> str:
    """The Chromium binary; skips the test without one, or fails it in CI."""
    binary = shutil.which("chromium") or shutil.which("chromium-browser")
    if binary is not None:
        return binary
    reason = "Chromium is not installed: apt-get install -y chromium fonts-thai-tlwg"
    if os.environ.get("CI"):
        pytest.fail(f"CI must render pages in Chromium: {reason} (.ci/run does)")
    pytest.skip(reason)


def screenshot(page: Path, png: Path, profile: Path, flags: Sequence[str] = ()) -> bytes:
    """The PNG of ``page`` as headless Chromium renders it (also written to ``png``), with a
    fresh profile folder and any extra ``flags`` (window size, proxy, …)."""
    subprocess.run(
        [
            chromium(),
            *QUIET,
            f"--user-data-dir={profile}",
            *flags,
            f"--screenshot={png}",
            page.as_uri(),
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )
    return png.read_bytes()
