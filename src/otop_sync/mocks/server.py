"""The mock CDD systems as one HTTP server on loopback.

Systems and their paths (the real hosts are OTOP Big Data, the CDD central data system and
Click ชุมชน; a published Google Sheet holds the province's baseline):

- ``/bigdata`` products, ``/otop`` sales, ``/click`` shops: each with ``/login`` (CSRF token and
  a session cookie that expires), a paginated HTML listing ``/{system}/{dataset}`` and exports
  ``/{system}/export/{dataset}.csv|.xlsx``.
- ``/otop/cdd_report/otop_r04.php?year=2567&org_group=0[&province=57]``: the public sales
  summary by place and month.
- ``/sheets/baseline.csv|.xlsx``: the baseline sheet, public.
- ``/forms/shop-report.csv|.xlsx``: the Shop ชุมชน report form's responses sheet, public.
- ``/_mock/health``, ``/_mock/faults`` (GET, PUT a spec, DELETE) and ``/_mock/reset``.

Query parameters of listings and exports: ``province`` (code), ``year`` (BE fiscal year, sales
only), ``encoding`` (``utf-8``, ``utf-8-sig``, ``cp874``), ``charset`` (``declared`` or
``missing``: whether Content-Type names the encoding), ``digits`` (``arabic`` or ``thai``),
``page`` and ``per_page`` (listings). Exports carry ``ETag`` and ``Last-Modified`` and answer
``304`` to a matching conditional request.
"""

from __future__ import annotations

import html
import logging
import secrets
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, timedelta
from email.utils import format_datetime, parsedate_to_datetime
from pathlib import Path
from urllib.parse import parse_qs, quote

import numpy as np
import pandas as pd
from fastapi import FastAPI, Request
from fastapi.responses import (
    FileResponse,
    HTMLResponse,
    JSONResponse,
    PlainTextResponse,
    RedirectResponse,
    Response,
)
from starlette.types import Receive, Scope, Send

from otop_sync.mocks.data import (
    MockData,
    MockSpec,
    day_offset,
    fiscal_quarter_months,
    generate,
)
from otop_sync.mocks.faults import Fault, FaultBoard, FaultSpecError, parse_faults
from otop_sync.mocks.render import (
    DATASETS,
    FIXED_TIME,
    ExportOptions,
    Renderer,
    TooManyRowsError,
    write_export,
)

SYSTEMS: dict[str, str] = {"bigdata": "products", "otop": "sales", "click": "shops"}
PUBLIC_DATASETS: dict[str, tuple[str, str]] = {
    "sheets": ("baseline", "baseline"),
    "forms": ("shop-report", "form_responses"),
}
"""Public systems: file stem and dataset served."""
ENCODINGS = ("utf-8", "utf-8-sig", "cp874")
CHARSET_NAMES = {"utf-8": "utf-8", "utf-8-sig": "utf-8", "cp874": "TIS-620"}
CSV_TYPE = "text/csv"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
STATUS_KINDS = {"500", "502", "503", "429"}
CONTENT_KINDS = {"truncate", "rename_column", "drop_column"}


@dataclass(frozen=True)
class MockConfig:
    """How the mock runs: its data, its faults and its one user account."""

    spec: MockSpec = field(default_factory=MockSpec)
    faults: str = ""
    username: str = "otop-officer"
    password: str = "mock-password"
    session_ttl: float = 600.0
    """Seconds a login lasts."""


class MockState:
    """Everything a running mock holds: data, renders on disk, sessions and faults."""

    def __init__(self, config: MockConfig) -> None:
        self.config = config
        self.data: MockData = generate(config.spec)
        self.renderer = Renderer(self.data)
        self.faults = FaultBoard()
        self.sessions: dict[str, float] = {}
        self.csrf_tokens: set[str] = set()
        self.version = 0
        self.cache_dir = Path(tempfile.mkdtemp(prefix="otop-mock-"))
        self._renders: dict[tuple, tuple[Path, str]] = {}
        self._lock = threading.Lock()
        self.set_faults(parse_faults(config.faults))

    def set_faults(self, faults: list[Fault]) -> None:
        """Switch faults on; corrections change the data itself (and so its ETag)."""
        corrections = [f for f in faults if f.kind == "correction"]
        count = sum(int(f.arg or 1) for f in corrections)
        with self._lock:
            self.data.corrections = make_corrections(self.data, count)
            self.version += 1
            self._renders.clear()
        self.faults.replace_all([f for f in faults if f.kind != "correction"])

    def reset(self) -> None:
        """No faults, no sessions, no corrections."""
        self.set_faults([])
        self.sessions.clear()

    def export_file(self, key: tuple, render: Callable[[Path], str]) -> tuple[Path, str]:
        """The rendered file for a key, rendering it once (renders are kept on disk)."""
        with self._lock:
            if key not in self._renders:
                path = self.cache_dir / f"{len(self._renders)}-{key[0]}.{key[2]}"
                self._renders[key] = (path, render(path))
            return self._renders[key]

    @property
    def last_modified(self) -> str:
        """Last-Modified of every export: fixed, moved on by each change of the data."""
        return format_datetime(
            FIXED_TIME.replace(tzinfo=UTC) + timedelta(seconds=self.version), usegmt=True
        )

    def close(self) -> None:
        """Remove the rendered files."""
        shutil.rmtree(self.cache_dir, ignore_errors=True)


def make_corrections(data: MockData, count: int) -> pd.DataFrame:
    """``count`` corrected sales rows: the same district, producer and month as an existing row,
    a new amount and a later วันที่บันทึก.

    The first correction, when Chiang Rai is generated, lifts พญาเม็งราย (5712), one satang
    short of its 2567Q2 target, by 10,000 baht, recorded on 10 May 2024, after the quarter's
    grade became final: a correction that must create a new grade version.
    """
    sales = data.sales
    if count <= 0:
        return sales.iloc[0:0].copy()
    chosen: list[int] = []
    codes = list(data.districts["district_code"])
    if "5712" in codes:
        january_2024 = fiscal_quarter_months(2567, 2)[0]
        rows = sales[
            (sales["district_idx"] == codes.index("5712"))
            & (sales["month_idx"] == january_2024)
            & (sales["producer_idx"] >= 0)
        ]
        chosen.append(int(rows["amount"].idxmax()))
    rng = np.random.default_rng([data.spec.seed, 7])
    while len(chosen) < count:
        pick = int(rng.integers(0, len(sales)))
        if pick not in chosen and sales.at[pick, "producer_idx"] >= 0:
            chosen.append(pick)
    corrected = sales.loc[chosen[:count]].copy()
    bump = np.where(corrected.index == chosen[0], 1_000_000, corrected["amount"] // 10)
    corrected["amount"] = corrected["amount"] + bump
    corrected["recorded"] = corrected["recorded"] + 25
    if "5712" in codes:
        corrected.loc[chosen[0], "recorded"] = day_offset(date(2024, 5, 10))
    return corrected.reset_index(drop=True)


def _targets(*names: str) -> frozenset[str]:
    return frozenset(n for n in names if n)


def _request_faults(request: Request) -> list[Fault]:
    header = request.headers.get("x-mock-faults")
    return parse_faults(header) if header else []


def create_app(config: MockConfig, state: MockState | None = None) -> FastAPI:
    """The mock's ASGI app."""
    state = state or MockState(config)
    app = FastAPI(title="mock CDD systems", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.mock = state
    logging.getLogger("uvicorn.error").addFilter(_QuietCutShort())

    def transport_faults(request: Request, targets: frozenset[str]) -> Response | None:
        extra = [f for f in _request_faults(request) if f.matches(targets)]
        for fault in state.faults.take({"slow"}, targets) + [f for f in extra if f.kind == "slow"]:
            time.sleep(float(fault.arg or 1))
        hit = state.faults.take(STATUS_KINDS, targets, first_only=True) or [
            f for f in extra if f.kind in STATUS_KINDS
        ]
        if not hit:
            return None
        status = int(hit[0].kind)
        headers = {"Retry-After": hit[0].arg or "1"} if status == 429 else {}
        return PlainTextResponse(f"mock fault: HTTP {status}", status_code=status, headers=headers)

    def content_faults(request: Request, targets: frozenset[str]) -> list[Fault]:
        extra = [f for f in _request_faults(request) if f.matches(targets)]
        return state.faults.take(CONTENT_KINDS, targets) + [
            f for f in extra if f.kind in CONTENT_KINDS
        ]

    def session_problem(request: Request, system: str) -> Response | None:
        targets = _targets(system, SYSTEMS[system])
        sid = request.cookies.get(f"{system}_session", "")
        expired = state.faults.take({"expire_session"}, targets, first_only=True) or [
            f for f in _request_faults(request) if f.kind == "expire_session"
        ]
        if expired:
            state.sessions.pop(sid, None)
        if state.sessions.get(sid, 0.0) < time.monotonic():
            state.sessions.pop(sid, None)
            target = quote(str(request.url.path))
            return RedirectResponse(f"/{system}/login?next={target}", status_code=302)
        return None

    @app.get("/_mock/health")
    def health() -> dict[str, object]:
        data = state.data
        return {
            "status": "ok",
            "scale": data.spec.scale,
            "seed": data.spec.seed,
            "rows": {name: len(getattr(data, name)) for name in DATASETS},
            "corrections": len(data.corrections),
        }

    @app.get("/_mock/faults")
    def get_faults() -> list[dict[str, object]]:
        return [f.__dict__ for f in state.faults.active()]

    @app.put("/_mock/faults")
    async def put_faults(request: Request) -> Response:
        try:
            faults = parse_faults((await request.body()).decode("utf-8"))
        except FaultSpecError as error:
            return PlainTextResponse(str(error), status_code=400)
        state.set_faults(faults)
        return JSONResponse({"faults": len(faults), "corrections": len(state.data.corrections)})

    @app.delete("/_mock/faults")
    def clear_faults() -> dict[str, int]:
        state.set_faults([])
        return {"faults": 0}

    @app.post("/_mock/reset")
    def reset() -> dict[str, str]:
        state.reset()
        return {"status": "reset"}

    @app.get("/{system}/login")
    def login_form(request: Request, system: str, error: str = "") -> Response:
        if system not in SYSTEMS:
            return PlainTextResponse("not found", status_code=404)
        blocked = transport_faults(request, _targets(system, "login"))
        if blocked:
            return blocked
        token = secrets.token_hex(16)
        state.csrf_tokens.add(token)
        return _login_page(system, token, error, request.query_params.get("next", ""))

    @app.post("/{system}/login")
    async def login(request: Request, system: str) -> Response:
        if system not in SYSTEMS:
            return PlainTextResponse("not found", status_code=404)
        blocked = transport_faults(request, _targets(system, "login"))
        if blocked:
            return blocked
        form = {k: v[0] for k, v in parse_qs((await request.body()).decode("utf-8")).items()}
        token = form.get("csrf_token", "")
        if token not in state.csrf_tokens or token != request.cookies.get("csrftoken"):
            return PlainTextResponse("CSRF token missing or invalid", status_code=403)
        state.csrf_tokens.discard(token)
        if (form.get("username"), form.get("password")) != (
            state.config.username,
            state.config.password,
        ):
            fresh = secrets.token_hex(16)
            state.csrf_tokens.add(fresh)
            return _login_page(system, fresh, "ชื่อผู้ใช้หรือรหัสผ่านไม่ถูกต้อง", "")
        sid = secrets.token_hex(24)
        state.sessions[sid] = time.monotonic() + state.config.session_ttl
        response = RedirectResponse(form.get("next") or f"/{system}/", status_code=303)
        response.set_cookie(f"{system}_session", sid, httponly=True, path=f"/{system}")
        return response

    @app.get("/{system}/")
    def home(request: Request, system: str) -> Response:
        if system not in SYSTEMS:
            return PlainTextResponse("not found", status_code=404)
        problem = session_problem(request, system)
        if problem:
            return problem
        dataset = SYSTEMS[system]
        return HTMLResponse(
            f'<html><body><a href="/{system}/{dataset}">{dataset}</a> '
            f'<a href="/{system}/export/{dataset}.csv">CSV</a></body></html>'
        )

    @app.get("/otop/cdd_report/otop_r04.php")
    def summary_report(
        request: Request,
        year: int,
        org_group: int = 0,  # noqa: ARG001 - accepted as the real page does
        province: str | None = None,
        encoding: str = "utf-8",
        charset: str = "declared",
    ) -> Response:
        blocked = transport_faults(request, _targets("otop", "report"))
        if blocked:
            return blocked
        problem = _check_province(state.data, province) or _check_encoding(encoding, charset)
        if problem:
            return problem
        drift = state.faults.take({"summary_drift"}, _targets("otop", "report"))
        text = state.renderer.summary_html(year, province, drift=bool(drift))
        return _text_response(text, "text/html", encoding, charset)

    @app.get("/{system}/export/{filename}")
    def export(request: Request, system: str, filename: str) -> Response:
        return _export(request, system, filename, protected=True)

    @app.get("/sheets/{filename}")
    def sheet(request: Request, filename: str) -> Response:
        return _export(request, "sheets", filename, protected=False)

    @app.get("/forms/{filename}")
    def form_responses(request: Request, filename: str) -> Response:
        return _export(request, "forms", filename, protected=False)

    @app.get("/{system}/{dataset}")
    def listing(
        request: Request,
        system: str,
        dataset: str,
        page: int = 1,
        per_page: int = 100,
        province: str | None = None,
        year: int | None = None,
    ) -> Response:
        if SYSTEMS.get(system) != dataset:
            return PlainTextResponse("not found", status_code=404)
        targets = _targets(system, dataset)
        blocked = transport_faults(request, targets)
        if blocked:
            return blocked
        problem = session_problem(request, system) or _check_province(state.data, province)
        if problem:
            return problem
        if page < 1 or not 1 <= per_page <= 1000:
            return PlainTextResponse("page must be >= 1 and per_page 1-1000", status_code=400)
        served = page
        for fault in state.faults.take(
            {"repeat_page", "skip_page"}, targets, when=lambda f: int(f.arg or 0) == page
        ) + [f for f in _request_faults(request) if f.kind in {"repeat_page", "skip_page"}]:
            served = page - 1 if fault.kind == "repeat_page" else page + 1
        options = _options(content_faults(request, targets), year=year)
        text = state.renderer.listing_html(
            system, dataset, province, page, per_page, max(1, served), options
        )
        return HTMLResponse(text)

    def _export(request: Request, system: str, filename: str, protected: bool) -> Response:
        stem, _, file_format = filename.rpartition(".")
        expected, dataset = (
            PUBLIC_DATASETS.get(system, ("", "")) if not protected else (SYSTEMS.get(system),) * 2
        )
        if not dataset or stem != expected or file_format not in {"csv", "xlsx"}:
            return PlainTextResponse("not found", status_code=404)
        targets = _targets(system, dataset)
        blocked = transport_faults(request, targets)
        if blocked:
            return blocked
        if protected:
            problem = session_problem(request, system)
            if problem:
                return problem
        query = request.query_params
        province = query.get("province")
        encoding = query.get("encoding", "utf-8")
        charset = query.get("charset", "declared")
        problem = _check_province(state.data, province) or _check_encoding(encoding, charset)
        if problem:
            return problem
        faults = content_faults(request, targets)
        year = int(query["year"]) if query.get("year", "").isdigit() else None
        options = _options(faults, year=year, digits=query.get("digits", "arabic"))
        key = (dataset, province, file_format, encoding, options, state.version)
        try:
            path, sha = state.export_file(
                key,
                lambda out: write_export(
                    state.renderer, dataset, province, file_format, encoding, options, out
                ),
            )
        except TooManyRowsError as error:
            return PlainTextResponse(str(error), status_code=413)
        etag = f'"{sha[:40]}"'
        download = f"{dataset}_{province or 'all'}.{file_format}"
        headers = {
            "ETag": etag,
            "Last-Modified": state.last_modified,
            "Content-Disposition": f'attachment; filename="{download}"',
        }
        if _not_modified(request, etag, state.last_modified):
            return Response(status_code=304, headers=headers)
        media = XLSX_TYPE if file_format == "xlsx" else _csv_type(encoding, charset)
        truncate = next((f for f in faults if f.kind == "truncate"), None)
        if truncate is not None:
            return _truncated(path, truncate.arg == "clean", media, headers)
        return _BigChunkFileResponse(path, headers={**headers, "Content-Type": media})

    return app


def _options(faults: list[Fault], year: int | None = None, digits: str = "arabic") -> ExportOptions:
    renamed = tuple(
        tuple(f.arg.split(">", 1)) for f in faults if f.kind == "rename_column" and f.arg
    )
    dropped = tuple(f.arg for f in faults if f.kind == "drop_column" and f.arg)
    return ExportOptions(digits=digits, renamed=renamed, dropped=dropped, year=year)  # type: ignore[arg-type]


def _check_province(data: MockData, province: str | None) -> Response | None:
    if province is None or province in set(data.districts["province_code"]):
        return None
    return PlainTextResponse(f"unknown province {province!r}", status_code=404)


def _check_encoding(encoding: str, charset: str) -> Response | None:
    if encoding not in ENCODINGS:
        return PlainTextResponse(f"encoding must be one of {', '.join(ENCODINGS)}", 400)
    if charset not in {"declared", "missing"}:
        return PlainTextResponse("charset must be declared or missing", status_code=400)
    return None


def _csv_type(encoding: str, charset: str) -> str:
    return f"{CSV_TYPE}; charset={CHARSET_NAMES[encoding]}" if charset == "declared" else CSV_TYPE


def _text_response(text: str, media: str, encoding: str, charset: str) -> Response:
    body = text.encode("cp874" if encoding == "cp874" else "utf-8")
    if encoding == "utf-8-sig":
        body = b"\xef\xbb\xbf" + body
    content_type = f"{media}; charset={CHARSET_NAMES[encoding]}" if charset == "declared" else media
    return Response(body, headers={"Content-Type": content_type})


def _not_modified(request: Request, etag: str, last_modified: str) -> bool:
    if_none_match = request.headers.get("if-none-match")
    if if_none_match is not None:
        return etag in {tag.strip() for tag in if_none_match.split(",")} or if_none_match == "*"
    since = request.headers.get("if-modified-since")
    if since:
        try:
            return parsedate_to_datetime(since) >= parsedate_to_datetime(last_modified)
        except (TypeError, ValueError):
            return False
    return False


class _BigChunkFileResponse(FileResponse):
    """Sends large exports in 1 MiB chunks (Starlette's default of 64 KiB is slow for 300 MB)."""

    chunk_size = 1 << 20


class _CutShortResponse(Response):
    """Declares the whole body's Content-Length, sends half of it, then drops the connection."""

    def __init__(self, body: bytes, declared: int, media: str, headers: dict[str, str]) -> None:
        super().__init__(body, headers={**headers, "Content-Type": media})
        self.headers["content-length"] = str(declared)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:  # noqa: ARG002
        await send({"type": "http.response.start", "status": 200, "headers": self.raw_headers})
        await send({"type": "http.response.body", "body": self.body, "more_body": True})
        # Returning without the final body message makes the server close the connection.


class _QuietCutShort(logging.Filter):
    """Keeps the server's log free of the incomplete responses the truncate fault makes."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "without completing response" not in record.getMessage()


def _truncated(path: Path, clean: bool, media: str, headers: dict[str, str]) -> Response:
    data = path.read_bytes()
    half = len(data) // 2
    if clean:
        # Cut inside a row, away from a line end, and declare exactly what is sent.
        cut = data.rfind(b"\n", 0, half) + 1 + 3
        return Response(data[:cut], headers={**headers, "Content-Type": media})
    return _CutShortResponse(data[:half], len(data), media, headers)


def _login_page(system: str, token: str, error: str, next_path: str) -> HTMLResponse:
    message = f'<p class="error">{html.escape(error)}</p>' if error else ""
    response = HTMLResponse(
        '<!DOCTYPE html><html lang="th"><head><meta charset="utf-8"><title>เข้าสู่ระบบ</title>'
        f"</head><body><h1>เข้าสู่ระบบ</h1>{message}"
        f'<form method="post" action="/{system}/login">'
        f'<input type="hidden" name="csrf_token" value="{token}">'
        f'<input type="hidden" name="next" value="{html.escape(next_path)}">'
        '<input name="username"><input name="password" type="password">'
        '<button type="submit">เข้าสู่ระบบ</button></form></body></html>'
    )
    response.set_cookie("csrftoken", token, httponly=True, path=f"/{system}")
    return response


@dataclass
class RunningMock:
    """A mock server running in a background thread."""

    url: str
    state: MockState

    def set_faults(self, spec: str) -> None:
        """Switch faults on (see :mod:`otop_sync.mocks.faults`)."""
        self.state.set_faults(parse_faults(spec))

    def reset(self) -> None:
        """No faults, no sessions, no corrections."""
        self.state.reset()


@contextmanager
def serve_in_thread(config: MockConfig, port: int = 0) -> Iterator[RunningMock]:
    """Run the mock on 127.0.0.1 (a free port unless given) until the block ends."""
    import socket

    import uvicorn

    state = MockState(config)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", port))
    server = uvicorn.Server(
        uvicorn.Config(create_app(config, state), log_level="warning", access_log=False)
    )
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the mock CDD server did not start")
        time.sleep(0.02)
    try:
        yield RunningMock(f"http://127.0.0.1:{sock.getsockname()[1]}", state)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
        state.close()
