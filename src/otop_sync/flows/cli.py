"""The ``otop-sync`` command line (DESIGN §5).

Exit codes: 0 on success, 2 on bad usage, 1 with a one-line reason on any failure otop-sync
raises on purpose (:class:`~otop_sync.errors.OtopSyncError`).
"""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from otop_sync.errors import OtopSyncError
from otop_sync.flows.settings import Settings
from otop_sync.flows.targets import targets_from_baseline_file
from otop_sync.reports.targets import targets_csv, targets_table
from otop_sync.rules import load_rulebook
from otop_sync.transforms.fiscal import Quarter

app = typer.Typer(
    name="otop-sync",
    help="Nightly sync of OTOP registrations, sales and Shop ชุมชน data into a KPI warehouse.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _console() -> Console:
    """A console that never cuts a table short when output goes to a file or a pipe."""
    return Console() if sys.stdout.isatty() else Console(width=200)


@app.callback()
def _root() -> None:
    """Nightly sync of OTOP registrations, sales and Shop ชุมชน data into a KPI warehouse."""


class TargetsFormat(StrEnum):
    """Output formats of the ``targets`` command."""

    table = "table"
    csv = "csv"


def _quarter(text: str) -> Quarter:
    try:
        return Quarter.parse(text)
    except OtopSyncError as error:
        raise typer.BadParameter(str(error)) from None


QuarterOption = Annotated[
    Quarter,
    typer.Option(
        "--quarter", parser=_quarter, metavar="YYYYQn", help="Fiscal quarter, e.g. 2567Q2."
    ),
]


@app.command()
def targets(
    quarter: QuarterOption,
    baseline: Annotated[
        Path,
        typer.Option(
            exists=True, dir_okay=False, readable=True, help="Baseline file (CSV or XLSX)."
        ),
    ],
    output_format: Annotated[
        TargetsFormat, typer.Option("--format", help="table for people, csv for programs.")
    ] = TargetsFormat.table,
    province: Annotated[
        str | None,
        typer.Option(help="Province code, when the baseline lists several provinces."),
    ] = None,
) -> None:
    """A quarter's targets from a baseline file alone: districts, then the province total."""
    settings = Settings()
    rulebook = load_rulebook(settings.rules_file)
    table = targets_from_baseline_file(baseline, quarter, rulebook, province)
    if output_format is TargetsFormat.csv:
        sys.stdout.write(targets_csv(table))
    else:
        _console().print(targets_table(table, f"เป้าหมายตัวชี้วัด ไตรมาส {quarter}"))


def main() -> None:
    """Entry point: run the app, turning otop-sync's own errors into a one-line reason."""
    try:
        app()  # Typer's standalone mode: --help exits 0, bad usage exits 2
    except OtopSyncError as error:
        print(f"otop-sync: {error}", file=sys.stderr)
        sys.exit(1)
