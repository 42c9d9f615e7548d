"""Bad input to ``otop-sync outlook``: bad usage (exit 2) or a one-line reason (exit 1), each
with its exact message (the installed script, in a subprocess, before any warehouse is read)."""

import subprocess
import sys
from pathlib import Path

import pytest

OTOP_SYNC = str(Path(sys.executable).parent / "otop-sync")


def plain(text: str) -> str:
    """Terminal output without Rich's box characters and line breaks."""
    return " ".join(text.translate({ord(c): " " for c in "│╭╮╰╯─"}).split())


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (
            ["--quarter", "2567Q5"],
            2,
            "Error Invalid value for '--quarter': cannot read '2567Q5' as a fiscal quarter such "
            "as 2567Q2",
        ),
        ([], 2, "Error Invalid value for --quarter: give the quarter to project, or --backtest"),
        (
            ["--backtest", "--quarter", "2567Q2"],
            2,
            "Error Invalid value for --quarter: --backtest projects every quarter final by "
            "--as-of: leave out --quarter",
        ),
        (
            ["--quarter", "2566Q2", "--as-of", "2023-02-20"],
            1,
            "otop-sync: 2566Q2: not graded, KPI rules version 2567.1 cover 2567Q1-Q4, "
            "2568Q1-Q4 (carried forward); add rules for it to grade it",
        ),
        (
            ["--quarter", "2567Q2", "--as-of", "2023-12-31"],
            1,
            "otop-sync: 2567Q2 starts on 2024-01-01: an outlook as of 2023-12-31 has nothing "
            "recorded in it yet",
        ),
    ],
)
def test_bad_outlook_input_says_exactly_why(args, code, message, tmp_path):
    result = subprocess.run(
        [OTOP_SYNC, "outlook", *args], capture_output=True, text=True, timeout=120, cwd=tmp_path
    )
    assert result.returncode == code, result.stderr
    assert plain(result.stderr).endswith(message)
    assert not (tmp_path / "otop.db").exists()  # refused before a warehouse was touched
