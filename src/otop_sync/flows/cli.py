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


mock_app = typer.Typer(help="The mock CDD systems: serve them, or write their exports.")
app.add_typer(mock_app, name="mock")


class MockScale(StrEnum):
    """How much the mock generates."""

    province = "province"
    national = "national"


SeedOption = Annotated[int, typer.Option(help="Random seed; the same seed gives the same data.")]
ScaleOption = Annotated[
    MockScale, typer.Option(help="province: Chiang Rai only; national: all 77 provinces.")
]


@mock_app.command("serve")
def mock_serve(
    scale: ScaleOption = MockScale.province,
    port: Annotated[int, typer.Option(help="Port on 127.0.0.1.")] = 8757,
    faults: Annotated[
        str,
        typer.Option(envvar="OTOP_MOCK_FAULTS", help="Fault spec, e.g. '503@sales*2;slow=1'."),
    ] = "",
    seed: SeedOption = 2567,
) -> None:
    """Serve the mock CDD systems on 127.0.0.1 until interrupted."""
    import uvicorn

    from otop_sync.mocks.data import MockSpec
    from otop_sync.mocks.faults import FaultSpecError, parse_faults
    from otop_sync.mocks.server import MockConfig, create_app

    try:
        parse_faults(faults)
    except FaultSpecError as error:
        raise typer.BadParameter(str(error), param_hint="--faults") from None
    config = MockConfig(spec=MockSpec(seed=seed, scale=scale.value), faults=faults)
    console = Console(stderr=True)
    console.print(
        f"mock CDD on http://127.0.0.1:{port}  (user {config.username!r}, "
        f"password {config.password!r}); generating {scale.value} data…"
    )
    uvicorn.run(create_app(config), host="127.0.0.1", port=port, log_level="warning")


@mock_app.command("export")
def mock_export(
    out: Annotated[Path, typer.Option(file_okay=False, help="Folder to write the files to.")],
    scale: ScaleOption = MockScale.province,
    seed: SeedOption = 2567,
    file_format: Annotated[str, typer.Option("--format", help="csv or xlsx.")] = "csv",
    encoding: Annotated[str, typer.Option(help="utf-8, utf-8-sig or cp874 (CSV only).")] = "utf-8",
) -> None:
    """Write the mock's datasets as export files, for the file inbox."""
    from otop_sync.mocks.data import MockSpec, generate
    from otop_sync.mocks.render import export_all

    if file_format not in {"csv", "xlsx"}:
        raise typer.BadParameter("must be csv or xlsx", param_hint="--format")
    if encoding not in {"utf-8", "utf-8-sig", "cp874"}:
        raise typer.BadParameter("must be utf-8, utf-8-sig or cp874", param_hint="--encoding")
    data = generate(MockSpec(seed=seed, scale=scale.value))
    for path in export_all(data, out, None, file_format, encoding):
        print(path)


db_app = typer.Typer(help="The warehouse's schema.")
app.add_typer(db_app, name="db")

WarehouseOption = Annotated[
    str | None,
    typer.Option("--warehouse", metavar="URL", help="Warehouse URL; overrides OTOP_WAREHOUSE_URL."),
]


@db_app.command("upgrade")
def db_upgrade(warehouse: WarehouseOption = None) -> None:
    """Create or migrate the warehouse to the newest schema (also done before every sync)."""
    from otop_sync.warehouse.db import make_engine, upgrade

    engine = make_engine(warehouse or Settings().warehouse_url)
    revision = upgrade(engine)
    engine.dispose()
    print(f"warehouse {engine.url.render_as_string(hide_password=True)} is at revision {revision}")


def main() -> None:
    """Entry point: run the app, turning otop-sync's own errors into a one-line reason."""
    try:
        app()  # Typer's standalone mode: --help exits 0, bad usage exits 2
    except OtopSyncError as error:
        print(f"otop-sync: {error}", file=sys.stderr)
        sys.exit(1)
