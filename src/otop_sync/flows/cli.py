"""The ``otop-sync`` command line (every command is listed in the README).

Exit codes: 0 on success, 2 on bad usage, 1 with a one-line reason on any failure otop-sync
raises on purpose (:class:`~otop_sync.errors.OtopSyncError`).
"""

from __future__ import annotations

import os
import sys
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn, TypeVar

import typer
from pydantic import ValidationError
from pydantic_settings import SettingsError
from rich.console import Console
from sqlalchemy.exc import SQLAlchemyError

from otop_sync.errors import OtopSyncError
from otop_sync.flows.progress import StepEvent, listening
from otop_sync.flows.request import GradeRequest, SyncRequest, be_year_hint, today_in_bangkok
from otop_sync.flows.settings import DEFAULT_PROVINCE, Settings, SourceKind, unreadable_setting
from otop_sync.flows.stopping import stop_on_terminate
from otop_sync.flows.targets import targets_from_baseline_file
from otop_sync.reports.explain import ExplainFormat
from otop_sync.reports.grades import late_table, quarter_tables
from otop_sync.reports.targets import targets_csv, targets_table
from otop_sync.rules import load_rulebook
from otop_sync.transforms.fiscal import Quarter
from otop_sync.transforms.thai import MIN_BE_YEAR

QUIET_PREFECT = {
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",  # no telemetry (and no network) from Prefect
    "DO_NOT_TRACK": "1",
    "PREFECT_SERVER_UI_ENABLED": "false",
    "PREFECT_LOGGING_LEVEL": "CRITICAL",  # the command prints its own progress and reasons
}
"""Prefect's settings for a command-line run, unless the environment says otherwise."""

if TYPE_CHECKING:
    from otop_sync.mocks.data import MockSpec

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


def _province_code(text: str) -> str:
    from otop_sync.transforms.districts import province_codes

    if text not in province_codes():
        raise typer.BadParameter(
            f"{text!r} is not a province code, such as {DEFAULT_PROVINCE} (Chiang Rai)"
        )
    return text


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
        typer.Option(
            parser=_province_code, help="Province code, when the baseline lists several provinces."
        ),
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


TodayOption = Annotated[
    str | None,
    typer.Option(
        metavar="YYYY-MM-DD",
        help="The mock's today: data up to it, nothing later; default today in Bangkok.",
    ),
]


def _iso_date(text: str, option: str) -> date:
    """A CE date given on the command line, or bad usage naming the option."""
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise typer.BadParameter(
            f"{text!r} is not a CE date YYYY-MM-DD", param_hint=option
        ) from None
    if day.year >= MIN_BE_YEAR:
        raise typer.BadParameter(be_year_hint(day), param_hint=option)
    return day


def _mock_today(text: str | None) -> date:
    """The mock's today: the day given, else today in Bangkok; bad usage past its range."""
    from otop_sync.mocks.data import DATA_LIMIT

    day = today_in_bangkok() if text is None else _iso_date(text, "--today")
    if day > DATA_LIMIT:
        raise typer.BadParameter(
            f"the mock generates data up to {DATA_LIMIT} at most", param_hint="--today"
        )
    return day


@mock_app.command("serve")
def mock_serve(
    scale: ScaleOption = MockScale.province,
    port: Annotated[int, typer.Option(help="Port on 127.0.0.1.")] = 8757,
    faults: Annotated[
        str,
        typer.Option(envvar="OTOP_MOCK_FAULTS", help="Fault spec, e.g. '503@sales*2;slow=1'."),
    ] = "",
    seed: SeedOption = 2567,
    today: TodayOption = None,
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
    spec = MockSpec(seed=seed, scale=scale.value, today=_mock_today(today))
    config = MockConfig(spec=spec, faults=faults)
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
    today: TodayOption = None,
) -> None:
    """Write the mock's datasets as export files, for the file inbox."""
    from otop_sync.mocks.data import MockSpec, generate
    from otop_sync.mocks.render import export_all

    if file_format not in {"csv", "xlsx"}:
        raise typer.BadParameter("must be csv or xlsx", param_hint="--format")
    if encoding not in {"utf-8", "utf-8-sig", "cp874"}:
        raise typer.BadParameter("must be utf-8, utf-8-sig or cp874", param_hint="--encoding")
    data = generate(MockSpec(seed=seed, scale=scale.value, today=_mock_today(today)))
    for path in export_all(data, out, None, file_format, encoding):
        print(path)


db_app = typer.Typer(help="The warehouse's schema.")
app.add_typer(db_app, name="db")

WarehouseOption = Annotated[
    str | None,
    typer.Option("--warehouse", metavar="URL", help="Warehouse URL; overrides OTOP_WAREHOUSE_URL."),
]


def _warehouse_url(option: str | None) -> str:
    """The warehouse of this command: ``--warehouse``, applied as ``OTOP_WAREHOUSE_URL`` for the
    runs of this process (a URL may hold a password, so it is never a flow parameter)."""
    if option:
        os.environ["OTOP_WAREHOUSE_URL"] = option
    return Settings().warehouse_url


@db_app.command("upgrade")
def db_upgrade(warehouse: WarehouseOption = None) -> None:
    """Create or migrate the warehouse to the newest schema (also done before every sync)."""
    from otop_sync.warehouse.db import make_engine, upgrade

    engine = make_engine(_warehouse_url(warehouse))
    revision = upgrade(engine)
    engine.dispose()
    print(f"warehouse {engine.url.render_as_string(hide_password=True)} is at revision {revision}")


DEMO_AS_OF = date(2024, 7, 15)
"""Inside 2567Q3: the demo's 2567Q2 grades are final."""


ProvinceOption = Annotated[
    list[str] | None,
    typer.Option(
        "--province",
        parser=_province_code,
        help=f"Province code (repeat for several); default {DEFAULT_PROVINCE}.",
    ),
]
AsOfOption = Annotated[
    str | None, typer.Option("--as-of", metavar="YYYY-MM-DD", help="'Today' (CE); default today.")
]


class ReportFormat(StrEnum):
    """Report file formats."""

    xlsx = "xlsx"
    csv = "csv"
    md = "md"
    html = "html"


def _as_of(text: str | None) -> date:
    return today_in_bangkok() if text is None else _iso_date(text, "--as-of")


def _print_step(event: StepEvent) -> None:
    """One line per step event, as it happens."""
    _console().print(event.line(), highlight=False, markup=False)


def _sync(request: SyncRequest) -> list:
    """Run the nightly flow, printing each step as it goes; for the mock source without a URL,
    serve the mock here, as of the request's day, with the provinces asked for."""
    from contextlib import nullcontext

    from otop_sync.flows.nightly import nightly_sync
    from otop_sync.mocks.server import MockConfig, serve_in_thread

    serving = (
        serve_in_thread(MockConfig(spec=_mock_spec(request)))
        if request.settings().source is SourceKind.mock and request.mock_url is None
        else nullcontext(None)
    )
    with serving as mock, listening(_print_step):
        if mock is not None:
            request = request.model_copy(update={"mock_url": mock.url})
        return nightly_sync(**request.model_dump())


def _mock_spec(request: SyncRequest) -> MockSpec:
    """The mock that serves a request: its one province, or every province for several."""
    from otop_sync.mocks.data import MockSpec

    if len(request.provinces) == 1:
        return MockSpec(province_code=request.provinces[0], today=request.as_of)
    return MockSpec(scale="national", today=request.as_of)


def _print_run(reports: list, quarter: str | None) -> None:
    console = _console()
    for report in reports:
        rows = report.rows
        read = sum(r["read"] for r in rows.values())
        console.print(
            f"run {report.run_id}: {read:,} rows read, "
            f"{sum(r['loaded'] for r in rows.values()):,} loaded, "
            f"{sum(r['quarantined'] for r in rows.values()):,} quarantined"
            + (f"; unchanged: {', '.join(report.skipped)}" if report.skipped else "")
        )
        for note in report.notes:
            console.print(f"  note: {note}", markup=False, highlight=False)  # file names as written
        grades = [g for g in report.grades if quarter is None or str(g.quarter) == quarter]
        for table in quarter_tables(grades):
            console.print(table)
        for path in report.reports:
            console.print(f"  report: {path}", markup=False, highlight=False)


@app.command()
def demo(warehouse: WarehouseOption = None) -> None:
    """The main job with nothing configured: mock CDD, nightly flow for Chiang Rai into
    ./otop.db as of 15 July 2024, the 2567Q2 grade table and the reports."""
    _warehouse_url(warehouse)
    request = SyncRequest(
        provinces=[DEFAULT_PROVINCE],
        as_of=DEMO_AS_OF,
        source=SourceKind.mock,
        report_quarter="2567Q2",
    )
    _print_run(_sync(request), "2567Q2")


@app.command()
def sync(
    source: Annotated[SourceKind | None, typer.Option(help="mock, http or files.")] = None,
    inbox: Annotated[
        Path | None, typer.Option(file_okay=False, help="Inbox folder (files).")
    ] = None,
    province: ProvinceOption = None,
    as_of: AsOfOption = None,
    warehouse: WarehouseOption = None,
    mock_url: Annotated[
        str | None, typer.Option(help="A running mock's URL (source mock).")
    ] = None,
) -> None:
    """One nightly sync: extract, land raw, type, validate, load, grade."""
    _warehouse_url(warehouse)
    request = SyncRequest(
        provinces=province,
        as_of=_as_of(as_of),
        source=source,
        mock_url=mock_url,
        inbox_dir=inbox,
    )
    _print_run(_sync(request), None)


def _grade(request: GradeRequest) -> list:
    """Run the grading flow, printing each step as it goes."""
    from otop_sync.flows.nightly import grade_quarters

    with listening(_print_step):
        return grade_quarters(**request.model_dump())


@app.command()
def grade(
    quarter: Annotated[
        list[Quarter],
        typer.Option("--quarter", parser=_quarter, metavar="YYYYQn", help="Quarter(s) to grade."),
    ],
    province: ProvinceOption = None,
    as_of: AsOfOption = None,
    warehouse: WarehouseOption = None,
) -> None:
    """Grade quarters again from what the warehouse holds."""
    _warehouse_url(warehouse)
    quarters = [str(q) for q in quarter]
    reports = _grade(GradeRequest(quarters=quarters, provinces=province, as_of=_as_of(as_of)))
    for q in quarters:
        _print_run(reports, q)


@app.command()
def backfill(
    first: Annotated[
        Quarter, typer.Option("--from", parser=_quarter, metavar="YYYYQn", help="First quarter.")
    ],
    last: Annotated[
        Quarter, typer.Option("--to", parser=_quarter, metavar="YYYYQn", help="Last quarter.")
    ],
    province: ProvinceOption = None,
    as_of: AsOfOption = None,
    warehouse: WarehouseOption = None,
) -> None:
    """Grade a range of quarters again (quarters without KPI rules are skipped)."""
    from otop_sync.transforms.fiscal import quarter_range

    if last < first:
        raise typer.BadParameter(f"{last} is before {first}", param_hint="--to")
    _warehouse_url(warehouse)
    quarters = [str(q) for q in quarter_range(first, last)]
    reports = _grade(GradeRequest(quarters=quarters, provinces=province, as_of=_as_of(as_of)))
    _print_run(reports, None)


@app.command()
def report(
    quarter: QuarterOption,
    out: Annotated[Path, typer.Option(dir_okay=False, help="File to write.")],
    output_format: Annotated[
        ReportFormat | None,
        typer.Option("--format", help="xlsx, csv, md or html; default: the --out file's suffix."),
    ] = None,
    province: Annotated[
        str, typer.Option(parser=_province_code, help="Province code.")
    ] = DEFAULT_PROVINCE,
    warehouse: WarehouseOption = None,
) -> None:
    """The quarter's report in the letter's Thai layout, with actuals, grades and gaps."""
    from otop_sync.flows.readers import require_current_schema
    from otop_sync.reports.quarter import build_report, report_files, write_files
    from otop_sync.warehouse.db import make_engine

    chosen = _report_format(output_format, out)
    if not out.parent.is_dir():
        raise typer.BadParameter(
            f"the folder {str(out.parent)!r} does not exist", param_hint="--out"
        )
    engine = make_engine(_warehouse_url(warehouse))
    require_current_schema(engine)
    with engine.connect() as connection:
        built = build_report(connection, quarter, province)
    write_files(report_files(built, chosen.value, out.stem), str(out.parent))
    print(out)


FormatT = TypeVar("FormatT", bound=StrEnum)


def _report_format(
    given: FormatT | None,
    out: Path,
    formats: type[FormatT] = ReportFormat,  # type: ignore[assignment]
) -> FormatT:
    """The report's format: as given, else the ``--out`` file's suffix; the two must agree."""
    suffix = out.suffix.lower().lstrip(".")
    if given is None:
        try:
            return formats(suffix)
        except ValueError:
            names = [f".{f.value}" for f in formats]
            listed = f"{', '.join(names[:-1])} or {names[-1]}"
            raise typer.BadParameter(
                f"{out.name!r} does not end in {listed}: give --format", param_hint="--out"
            ) from None
    if suffix != given.value:
        raise typer.BadParameter(
            f"{out.name!r} does not end in .{given.value}, the --format asked for",
            param_hint="--out",
        )
    return given


class RegistrantsFormat(StrEnum):
    """File formats of the registrants report."""

    xlsx = "xlsx"
    csv = "csv"


@app.command()
def registrants(
    out: Annotated[Path, typer.Option(dir_okay=False, help="File to write.")],
    output_format: Annotated[
        RegistrantsFormat | None,
        typer.Option("--format", help="xlsx or csv; default: the --out file's suffix."),
    ] = None,
    province: Annotated[
        str, typer.Option(parser=_province_code, help="Province code.")
    ] = DEFAULT_PROVINCE,
    as_of: AsOfOption = None,
    warehouse: WarehouseOption = None,
) -> None:
    """The letter's enclosure 3: OTOP producers listed in OTOP Big Data, per district and one
    by one, as of a day."""
    from otop_sync.flows.readers import require_current_schema
    from otop_sync.reports.registrants import build_registrant_report, render_registrants
    from otop_sync.warehouse.db import make_engine

    chosen = _report_format(output_format, out, RegistrantsFormat)
    if not out.parent.is_dir():
        raise typer.BadParameter(
            f"the folder {str(out.parent)!r} does not exist", param_hint="--out"
        )
    day = _as_of(as_of)
    engine = make_engine(_warehouse_url(warehouse))
    require_current_schema(engine)
    with engine.connect() as connection:
        built = build_registrant_report(connection, province, day)
    engine.dispose()
    out.write_bytes(render_registrants(built, chosen.value))
    print(out)


def _district_code(text: str, province_code: str) -> str:
    """A district given by its official code or its name (matched as every source's names
    are, within ``province_code``)."""
    from otop_sync.transforms.districts import PlaceMatchError, district_table, match_district

    if text.isdigit():
        if text not in set(district_table()["district_code"]):
            raise typer.BadParameter(
                f"{text!r} is not a district code, such as 5701 (เมืองเชียงราย)",
                param_hint="DISTRICT",
            )
        return text
    try:
        return match_district(text, province_code).code
    except PlaceMatchError as error:
        raise typer.BadParameter(str(error), param_hint="DISTRICT") from None


@app.command()
def explain(
    district: Annotated[str, typer.Argument(help="District code (5712) or name (พญาเม็งราย).")],
    quarter: QuarterOption,
    output_format: Annotated[
        ExplainFormat, typer.Option("--format", help="text, json or html.")
    ] = ExplainFormat.text,
    out: Annotated[
        Path | None, typer.Option(dir_okay=False, help="File to write; default: print it.")
    ] = None,
    province: Annotated[
        str, typer.Option(parser=_province_code, help="Province whose district names to match.")
    ] = DEFAULT_PROVINCE,
    warehouse: WarehouseOption = None,
) -> None:
    """Why a district has its grade: figures, targets, rules, the base year, every source row
    with its raw file, line and run, corrections, quarantined rows and earlier versions."""
    from otop_sync.flows.readers import require_current_schema
    from otop_sync.reports.explain import render_explanation
    from otop_sync.warehouse.db import make_engine
    from otop_sync.warehouse.lineage import explain_grade

    code = _district_code(district, province)
    if out is not None and not out.parent.is_dir():
        raise typer.BadParameter(
            f"the folder {str(out.parent)!r} does not exist", param_hint="--out"
        )
    engine = make_engine(_warehouse_url(warehouse))
    try:
        require_current_schema(engine)
        with engine.connect() as connection:
            explanation = explain_grade(
                connection, quarter, code, load_rulebook(Settings().rules_file)
            )
    finally:
        engine.dispose()
    rendered = render_explanation(explanation, output_format)
    if out is None:
        sys.stdout.write(rendered)
        return
    out.write_text(rendered, encoding="utf-8")
    print(out)


@app.command()
def monitor(
    province: ProvinceOption = None,
    as_of: AsOfOption = None,
    warehouse: WarehouseOption = None,
) -> None:
    """Who has not recorded sales by the 18th (or recorded late), and who has not sent last
    month's Shop ชุมชน report by the 15th (or sent it late, or differing from Click ชุมชน)."""
    from otop_sync.flows.readers import late_report
    from otop_sync.reports.grades import REPORT_CHANNEL_NOT_CONFIGURED, late_rows

    _warehouse_url(warehouse)
    day = _as_of(as_of)
    report = late_report(Settings(), province or [DEFAULT_PROVINCE], day)
    if not report.report_channel_configured:
        print(REPORT_CHANNEL_NOT_CONFIGURED)
    if report.late.empty:
        print(f"nobody is late as of {day}")
        return
    _console().print(late_table(late_rows(report.late), day))


BACKTEST_STAGES = (0, 1, 2)
"""The points of a quarter the backtest projects from: 0, 1 or 2 of its months due."""


@app.command()
def outlook(
    quarter: Annotated[
        Quarter | None,
        typer.Option(
            "--quarter", parser=_quarter, metavar="YYYYQn", help="Fiscal quarter, e.g. 2567Q2."
        ),
    ] = None,
    province: ProvinceOption = None,
    as_of: AsOfOption = None,
    warehouse: WarehouseOption = None,
    run_backtest: Annotated[
        bool,
        typer.Option(
            "--backtest",
            help="Instead: project every quarter final by --as-of from 0, 1 and 2 months due "
            "and print how often the projected grade was the final one.",
        ),
    ] = False,
) -> None:
    """The grade each district is heading for in a quarter, from what is recorded so far, and
    what it needs per remaining month to reach the next grade."""
    from otop_sync.flows.readers import backtest_report, outlook_report
    from otop_sync.reports.outlook import backtest_lines, outlook_lines

    _warehouse_url(warehouse)
    day = _as_of(as_of)
    provinces = province or [DEFAULT_PROVINCE]
    if run_backtest:
        if quarter is not None:
            raise typer.BadParameter(
                "--backtest projects every quarter final by --as-of: leave out --quarter",
                param_hint="--quarter",
            )
        for line in backtest_lines(backtest_report(Settings(), provinces, day, BACKTEST_STAGES)):
            print(line)
        return
    if quarter is None:
        raise typer.BadParameter(
            "give the quarter to project, or --backtest", param_hint="--quarter"
        )
    for found in outlook_report(Settings(), provinces, quarter, day):
        for line in outlook_lines(found):
            print(line)


def main() -> None:
    """Entry point: keep Prefect quiet and offline, run the app, and turn otop-sync's own
    errors into a one-line reason."""
    for name, value in QUIET_PREFECT.items():
        os.environ.setdefault(name, value)
    stop_on_terminate()
    try:
        app()  # Typer's standalone mode: --help exits 0, bad usage exits 2
    except OtopSyncError as error:
        _fail(str(error))
    except SQLAlchemyError as error:  # the database's own reason, without SQL or parameters
        cause = getattr(error, "orig", None) or error
        _fail(f"the warehouse refused: {str(cause).splitlines()[0]}")
    except OSError as error:  # a file or folder that cannot be written or read
        _fail(f"{error.strerror or error}: {error.filename}" if error.filename else str(error))
    except (ValidationError, SettingsError) as error:  # an OTOP_* variable that cannot be read
        reason = unreadable_setting(error)
        if reason is None:
            raise
        _fail(reason)


def _fail(reason: str) -> NoReturn:
    """Print the one-line reason and exit 1."""
    print(f"otop-sync: {reason}", file=sys.stderr)
    sys.exit(1)
