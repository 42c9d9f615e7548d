#!/usr/bin/env python3
"""Set up the project's virtual environment and run a command in it.

    python3 run.py otop-sync demo      # the main job
    python3 run.py test                # the whole test suite (ruff, then pytest)
    python3 run.py otop-sync --help    # any otop-sync command
    python3 run.py bench NAME          # a benchmark script from benchmarks/

The environment lives in .venv and is (re)installed from the pinned constraints.txt whenever
pyproject.toml or constraints.txt change, so a fresh clone needs only Python 3.11+.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
STAMP = VENV / ".otop-sync-installed"
PIP_VERSION = "pip==26.3"
PINS = (ROOT / "pyproject.toml", ROOT / "constraints.txt")


def _fingerprint() -> str:
    digest = hashlib.sha256(PIP_VERSION.encode())
    for path in PINS:
        digest.update(path.read_bytes())
    return digest.hexdigest()


def ensure_environment() -> None:
    """Create .venv and install the pinned dependencies unless they are already current."""
    if sys.version_info < (3, 11):
        sys.exit(f"otop-sync needs Python 3.11 or newer, this is {sys.version.split()[0]}")
    if not (BIN / "python").exists():
        print("run.py: creating .venv", file=sys.stderr)
        venv.EnvBuilder(with_pip=True, clear=True).create(VENV)
    wanted = _fingerprint()
    if STAMP.exists() and STAMP.read_text() == wanted:
        return
    pip = [str(BIN / "python"), "-m", "pip", "--disable-pip-version-check"]
    print(f"run.py: 1/2 installing {PIP_VERSION} into .venv", file=sys.stderr, flush=True)
    subprocess.run([*pip, "install", "--quiet", PIP_VERSION], check=True)
    print(
        "run.py: 2/2 installing otop-sync and its pinned dependencies (constraints.txt) into "
        ".venv; the first time takes a minute or two",
        file=sys.stderr,
        flush=True,
    )
    subprocess.run(
        [
            *pip,
            "install",
            "--progress-bar",
            "off",
            "-c",
            str(ROOT / "constraints.txt"),
            "-e",
            f"{ROOT}[dev]",
        ],
        check=True,
    )  # pip says what it collects and installs, one line each
    STAMP.write_text(wanted)
    print("run.py: .venv is ready", file=sys.stderr, flush=True)


def run_tests(extra: list[str]) -> int:
    """Lint, then run the whole pytest suite on every core (pytest-xdist, unless ``-n`` is
    given); the exit code is the first failure's."""
    ruff = subprocess.run([str(BIN / "ruff"), "check", str(ROOT)], cwd=ROOT)
    if ruff.returncode != 0:
        return ruff.returncode
    workers = [] if any(a.startswith(("-n", "--numprocesses")) for a in extra) else ["-n", "auto"]
    return subprocess.run(
        [str(BIN / "python"), "-m", "pytest", *workers, *extra], cwd=ROOT
    ).returncode


def main(argv: list[str]) -> int:
    if not argv or argv[0] in {"-h", "--help"}:
        print(__doc__)
        return 0 if argv else 2
    ensure_environment()
    command, *rest = argv
    if command == "test":
        return run_tests(rest)
    if command == "bench":
        if not rest:
            print("usage: python3 run.py bench NAME [ARGS]", file=sys.stderr)
            return 2
        script = ROOT / "benchmarks" / f"{rest[0]}.py"
        return subprocess.run([str(BIN / "python"), str(script), *rest[1:]]).returncode
    executable = BIN / command
    if not executable.exists():
        print(f"run.py: no command {command!r} in .venv/bin", file=sys.stderr)
        return 2
    return subprocess.run([str(executable), *rest]).returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
