"""The README's shell commands, run as written.

Every command in README.md's ```sh, ```bash, ```shell and ```console blocks (in a console
block, the lines after ``$ ``) either runs here, exactly as written, and exits 0, or is listed in
:data:`NOT_RUNNABLE` with the reason it cannot run on loopback. A command the README gains is
run like any other, so a command that cannot run here fails until it is listed: the README
cannot drift from what works.

The commands run one after another in README order, as a new user following the README does,
each with ``bash -c`` in one temporary folder that starts empty: what a command leaves behind by
default (``./otop.db`` and ``./otop-data`` from the demo) is there for the commands after it,
and no ``OTOP_*`` setting comes from the caller's environment. The otop-sync code run is the one under test: ``otop-sync`` is a shim on
``PATH`` that runs this interpreter's ``otop_sync.flows.cli``, and ``python3 run.py otop-sync
ARGS`` runs a ``run.py`` shim in the folder that does the same as ``otop-sync ARGS`` (the real
``run.py`` would build ``.venv`` first; its other commands are listed, not run).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

import otop_sync

README = Path(__file__).parents[1] / "README.md"
SHELL_LANGUAGES = frozenset({"sh", "bash", "shell", "console"})
SECONDS_PER_COMMAND = 300
"""A command still running then fails: a server or worker that never returns is not runnable."""

_PRODUCTION = "production: PostgreSQL on db-host and a worker environment, not on loopback"
_SERVER = "needs a Prefect server running (tests/flows/test_deployment.py runs one on loopback)"
NOT_RUNNABLE: dict[str, str] = {
    "python3 run.py test": "runs the whole suite, this test included",
    "export OTOP_WAREHOUSE_URL=postgresql://otop:…@db-host/otop OTOP_DATA_DIR=/srv/otop-data": (
        _PRODUCTION
    ),
    "prefect worker start --pool otop-sync": "a worker runs until stopped; " + _SERVER,
    "prefect deployment run 'nightly-sync/nightly' --param provinces='[\"57\",\"50\"]'": _SERVER,
    ". .venv/bin/activate": "the checkout's .venv, which a test run may not have built",
    "export PREFECT_SERVER_ANALYTICS_ENABLED=false DO_NOT_TRACK=1": (
        "sets the shell's environment for the server commands after it, none of which run here"
    ),
    "export PREFECT_API_DATABASE_CONNECTION_URL="
    "postgresql+asyncpg://prefect:…@db-host:5432/prefect": _PRODUCTION,
    "prefect server start --host 127.0.0.1 --port 4200 &": (
        "starts a server on a fixed port, left running"
    ),
    "export PREFECT_API_URL=http://127.0.0.1:4200/api": "points at the server above",
    "prefect work-pool create otop-sync --type process": _SERVER,
    "prefect gcl create cdd-otop-cdd-go-th --limit 2": _SERVER,
    "prefect gcl create cdd-logi-cdd-go-th --limit 2": _SERVER,
    "OTOP_SYNC_HOME=$PWD prefect --no-prompt deploy --all": _SERVER + ", from the checkout",
    "prefect block register -m otop_sync.connectors.notify": (
        "registers a block type on the Prefect server ops use; " + _SERVER
    ),
    "python - <<'PY'": "saves notification blocks with production addresses; " + _SERVER,
}
"""README commands that cannot run here, as written there (without a trailing comment unless
the same command appears with different comments), each with its reason."""

_FENCE = re.compile(r"^\s*```\s*(?P<language>[\w+-]*)")
_HERE_DOCUMENT = re.compile(r"<<-?\s*(['\"]?)(?P<word>\w+)\1")


def _without_comment(line: str) -> str:
    """A shell line without its trailing ``# comment`` (a ``#`` outside quotes, after a space)."""
    quote = ""
    for position, char in enumerate(line):
        if quote:
            quote = "" if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char == "#" and (position == 0 or line[position - 1].isspace()):
            return line[:position].rstrip()
    return line.rstrip()


def readme_commands(text: str) -> list[tuple[int, str]]:
    """The shell commands of a README's shell blocks, with the line each starts on.

    Lines ending in a backslash continue on the next, and a here-document (``<<'END'``) runs
    to its end word; comment-only and blank lines are not commands; in a ``console`` block only
    lines starting with ``$ `` are."""
    commands: list[tuple[int, str]] = []
    language: str | None = None
    pending: tuple[int, str] | None = None
    here_end: str | None = None
    for number, line in enumerate(text.splitlines(), start=1):
        if here_end is not None and pending is not None:
            pending = (pending[0], pending[1] + "\n" + line)
            if line.strip() == here_end:
                commands.append(pending)
                pending = here_end = None
            continue
        fence = _FENCE.match(line)
        if fence:
            language = None if language is not None else fence["language"].lower()
            continue
        if language not in SHELL_LANGUAGES:
            continue
        line = line.strip()
        here = _HERE_DOCUMENT.search(_without_comment(line))
        if here and pending is None:
            pending, here_end = (number, line), here["word"]
            continue
        if pending is not None:
            line = pending[1] + "\n" + line
            number = pending[0]
            pending = None
        elif language == "console":
            if not line.startswith("$ "):
                continue
            line = line[2:].strip()
        if line.endswith("\\"):
            pending = (number, line)
            continue
        if _without_comment(line):
            commands.append((number, line))
    return commands


def _spellings(command: str) -> set[str]:
    """How NOT_RUNNABLE may name a command: as written, without its trailing comment, or (a
    here-document) by its first line."""
    return {command, _without_comment(command), command.split("\n", 1)[0]}


def _listed(command: str) -> str | None:
    """The reason a command is not run, if it is listed."""
    return next((NOT_RUNNABLE[s] for s in _spellings(command) if s in NOT_RUNNABLE), None)


COMMANDS = readme_commands(README.read_text(encoding="utf-8"))
RUNNABLE = [(number, command) for number, command in COMMANDS if _listed(command) is None]

_OTOP_SYNC = f"""#!{sys.executable}
from otop_sync.flows.cli import main

main()
"""
_RUN_PY = """\"\"\"`python3 run.py otop-sync ARGS` runs `otop-sync ARGS` (the README test's run.py).\"\"\"
import os
import sys

if sys.argv[1:2] != ["otop-sync"]:
    sys.exit(f"README test: `run.py {' '.join(sys.argv[1:])}` is neither run nor listed")
os.execv({shim!r}, [{shim!r}, *sys.argv[2:]])
"""


@pytest.fixture
def shell(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """An empty working folder (but for the run.py shim) and an environment whose PATH starts
    with the otop-sync shim, the code under test first on PYTHONPATH and no OTOP_* setting."""
    work, tools = tmp_path / "work", tmp_path / "bin"
    work.mkdir()
    tools.mkdir()
    shim = tools / "otop-sync"
    shim.write_text(_OTOP_SYNC, encoding="utf-8")
    shim.chmod(0o755)
    (work / "run.py").write_text(_RUN_PY.replace("{shim!r}", repr(str(shim))), encoding="utf-8")
    code = str(Path(otop_sync.__file__).resolve().parents[1])
    env = {k: v for k, v in os.environ.items() if not k.startswith("OTOP_")}
    env["PATH"] = f"{tools}{os.pathsep}{env.get('PATH', '')}"
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [code, env.get("PYTHONPATH")]))
    # Prefect's temporary API server starts slowly on a busy machine (its default wait is 20 s).
    env.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")
    return work, env


def test_the_readme_has_shell_commands_and_lists_only_its_own():
    assert "python3 run.py otop-sync demo" in {c for _, c in COMMANDS}
    written = {spelling for _, c in COMMANDS for spelling in _spellings(c)}
    stale = sorted(set(NOT_RUNNABLE) - written)
    assert not stale, f"NOT_RUNNABLE lists commands the README no longer has: {stale}"


def test_a_shell_block_is_read_as_a_shell_reads_it():
    text = (
        "```sh\n# a comment\nexport A=1   # set A\n\notop-sync grade \\\n  --quarter 2567Q2\n```\n"
        "```toml\nversion = 1\n```\n"
        "```console\n$ otop-sync --help\nUsage: otop-sync\n```\n"
        "```\nnot a command\n```\n"
        "```sh\npython - <<'PY'\nprint(1)\n# not a shell comment\nPY\n```\n"
    )
    assert readme_commands(text) == [
        (3, "export A=1   # set A"),
        (5, "otop-sync grade \\\n--quarter 2567Q2"),
        (12, "otop-sync --help"),
        (19, "python - <<'PY'\nprint(1)\n# not a shell comment\nPY"),
    ]
    assert _without_comment("echo '# kept' # dropped") == "echo '# kept'"


def test_the_readme_commands_run_as_written_one_after_another(shell):
    work, env = shell
    for number, command in RUNNABLE:
        try:
            result = subprocess.run(
                ["bash", "-c", command],
                cwd=work,
                env=env,
                capture_output=True,
                text=True,
                timeout=SECONDS_PER_COMMAND,
                stdin=subprocess.DEVNULL,
            )
        except subprocess.TimeoutExpired:
            pytest.fail(
                f"README.md:{number}: {command!r} ran past {SECONDS_PER_COMMAND} s: "
                "list it in NOT_RUNNABLE"
            )
        assert result.returncode == 0, (
            f"README.md:{number}: {command!r} exited {result.returncode} (fix it, or list it in "
            f"NOT_RUNNABLE with the reason it cannot run here):\n{result.stderr[-3000:]}"
        )
        if command == "python3 run.py otop-sync demo":  # what the README says the demo leaves
            assert (work / "otop.db").is_file()
            reports = work / "otop-data" / "reports"
            for suffix in ("xlsx", "csv", "md", "html"):
                assert (reports / f"otop_57_2567Q2.{suffix}").is_file()
            assert "ผลการประเมิน 2567Q2" in result.stdout
    assert RUNNABLE[0][1] == "python3 run.py otop-sync demo", "the README starts with the demo"
