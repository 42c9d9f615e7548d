"""The HTTP base every CDD source stands on.

One ``requests.Session`` per source, built by :func:`build_session` and injected: a User-Agent,
connect and read timeouts, and the only retry layer, urllib3's ``Retry`` on connection errors,
429 and 5xx, honouring ``Retry-After`` up to a cap. :class:`HttpSource` adds what a CDD system
needs on top: logging in (CSRF form, session cookie) and logging in again when the session has
expired, conditional GET with ``ETag``/``Last-Modified``, streamed downloads into the raw landing
store with the body length checked, explicit decoding, and pagination that must reach the
reported total without repeating or skipping a page.
"""

from __future__ import annotations

import hashlib
import io
import logging
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from http.client import IncompleteRead
from pathlib import Path
from typing import IO, BinaryIO, TypeVar
from urllib.parse import urlencode, urljoin, urlsplit, urlunsplit

import requests
from requests.adapters import HTTPAdapter
from requests.exceptions import ChunkedEncodingError
from urllib3.exceptions import ProtocolError
from urllib3.util.retry import Retry

from otop_sync import __version__
from otop_sync.connectors.errors import (
    PaginationError,
    SourceAuthError,
    SourceRequestError,
    SourceUnreachableError,
    TruncatedPayloadError,
)
from otop_sync.connectors.files import decode_text
from otop_sync.connectors.html import ListingPage, PageFormatError, parse_csrf_token, parse_listing
from otop_sync.connectors.landing import Landing, RawLandingStore
from otop_sync.errors import OtopSyncError

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
T = TypeVar("T")

LOG = logging.getLogger(__name__)


@dataclass(frozen=True)
class HttpConfig:
    """Transport settings of one source."""

    base_url: str
    connect_timeout: float = 10.0
    read_timeout: float = 120.0
    retries: int = 4
    backoff_factor: float = 0.5
    max_retry_after: float = 60.0
    """Longest wait a Retry-After header may impose; a longer one is cut to this."""
    chunk_size: int = 1 << 20
    user_agent: str = f"otop-sync/{__version__} (+Community Development Department data sync)"


@dataclass(frozen=True)
class Credentials:
    """A CDD account. The password is never logged, raised or stored."""

    username: str
    password: str

    def __repr__(self) -> str:
        return f"Credentials(username={self.username!r}, password=***)"


class CappedRetry(Retry):
    """urllib3 Retry that honours Retry-After but never waits longer than a cap, and logs every
    wait with its reason and length."""

    def __init__(self, *args: object, max_retry_after: float = 60.0, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.max_retry_after = max_retry_after

    def new(self, **kwargs: object) -> CappedRetry:
        renewed = super().new(**kwargs)  # type: ignore[arg-type]
        renewed.max_retry_after = self.max_retry_after
        return renewed

    def get_retry_after(self, response: object) -> float | None:
        wait = super().get_retry_after(response)  # type: ignore[arg-type]
        return None if wait is None else min(wait, self.max_retry_after)

    def sleep(self, response: object = None) -> None:
        wait = (self.get_retry_after(response) if response is not None else None) or (
            self.get_backoff_time()
        )
        last = self.history[-1] if self.history else None
        reason = (
            f"HTTP {last.status}" if last is not None and last.status else str(last and last.error)
        )
        url = public_url(last.url) if last is not None and last.url else "a request"
        LOG.warning("retrying %s in %.1f s after %s", url, wait, reason)
        super().sleep(response)  # type: ignore[arg-type]


def build_session(config: HttpConfig) -> requests.Session:
    """A session for one source, with the one retry layer mounted (see module docstring)."""
    retry = CappedRetry(
        total=config.retries,
        connect=config.retries,
        read=config.retries,
        status=config.retries,
        backoff_factor=config.backoff_factor,
        status_forcelist=RETRY_STATUSES,
        allowed_methods=frozenset({"GET", "HEAD", "POST"}),
        respect_retry_after_header=True,
        raise_on_status=False,
        max_retry_after=config.max_retry_after,
    )
    session = requests.Session()
    adapter = HTTPAdapter(max_retries=retry)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    session.headers["User-Agent"] = config.user_agent
    return session


def public_url(url: str) -> str:
    """A URL fit for logs and records: no user name or password in it."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


class HttpSource:
    """One CDD system reached over HTTP (see module docstring)."""

    def __init__(
        self,
        name: str,
        config: HttpConfig,
        session: requests.Session,
        landing: RawLandingStore,
        credentials: Credentials | None = None,
        login_path: str | None = None,
    ) -> None:
        self.name = name
        self.config = config
        self.session = session
        self.landing = landing
        self.credentials = credentials
        self.login_path = login_path

    def url(self, path: str, params: Mapping[str, object] | None = None) -> str:
        """The absolute URL of a path on this source, with its query."""
        query = urlencode({k: v for k, v in (params or {}).items() if v is not None})
        return urljoin(self.config.base_url.rstrip("/") + "/", path.lstrip("/")) + (
            f"?{query}" if query else ""
        )

    def _send(self, method: str, url: str, **kwargs: object) -> requests.Response:
        try:
            response = self.session.request(
                method,
                url,
                timeout=(self.config.connect_timeout, self.config.read_timeout),
                allow_redirects=False,
                **kwargs,  # type: ignore[arg-type]
            )
        except requests.exceptions.RetryError as error:
            raise SourceUnreachableError(
                f"{self.name}: {public_url(url)} kept failing after "
                f"{self.config.retries} retries ({_reason(error)})"
            ) from None
        except (requests.ConnectionError, requests.Timeout) as error:
            raise SourceUnreachableError(
                f"{self.name}: cannot reach {public_url(url)} after "
                f"{self.config.retries} retries ({_reason(error)})"
            ) from None
        if response.status_code in RETRY_STATUSES:
            response.close()
            raise SourceUnreachableError(
                f"{self.name}: {public_url(url)} answered HTTP {response.status_code} "
                f"after {self.config.retries} retries"
            )
        return response

    def _is_login_redirect(self, response: requests.Response) -> bool:
        if response.status_code not in {301, 302, 303, 307, 308} or not self.login_path:
            return False
        return urlsplit(response.headers.get("Location", "")).path == self.login_path

    def login(self) -> None:
        """Log in through the CSRF-protected form; the session then carries the cookie."""
        if not self.login_path or self.credentials is None:
            raise SourceAuthError(f"{self.name}: a login is required but no account is set")
        form_url = self.url(self.login_path)
        form = self._send("GET", form_url)
        try:
            token = parse_csrf_token(form.text)
        except PageFormatError as error:
            raise SourceAuthError(f"{self.name}: {public_url(form_url)}: {error}") from None
        answer = self._send(
            "POST",
            form_url,
            data={
                "username": self.credentials.username,
                "password": self.credentials.password,
                "csrf_token": token,
            },
        )
        if answer.status_code in {301, 302, 303} and not self._is_login_redirect(answer):
            return
        reason = (
            "CSRF token refused" if answer.status_code == 403 else "user name or password refused"
        )
        raise SourceAuthError(
            f"{self.name}: login as {self.credentials.username!r} at {public_url(form_url)} "
            f"failed: {reason} (HTTP {answer.status_code})"
        )

    def get(
        self, path: str, params: Mapping[str, object] | None = None, **kwargs: object
    ) -> requests.Response:
        """GET a page, logging in first or again when the system sends us to its login."""
        url = self.url(path, params)
        response = self._send("GET", url, **kwargs)
        if self._is_login_redirect(response):
            response.close()
            self.login()
            response = self._send("GET", url, **kwargs)
            if self._is_login_redirect(response):
                raise SourceAuthError(
                    f"{self.name}: {public_url(url)} still asks for a login after logging in"
                )
        if response.status_code >= 400:
            response.close()
            raise SourceRequestError(
                f"{self.name}: {public_url(url)} answered HTTP {response.status_code} "
                "(a wrong URL, path or parameter: not retried)"
            )
        return response

    def download(
        self,
        path: str,
        params: Mapping[str, object] | None = None,
        suffix: str = "",
        reader: Callable[[BinaryIO], T] | None = None,
    ) -> tuple[Landing, T | None]:
        """Stream a payload into the raw landing store, conditionally on the last one.

        A ``304 Not Modified`` answer reuses the stored payload. The landing is unchanged when
        its payload is the one last loaded for this request. A body shorter than its
        Content-Length raises :class:`TruncatedPayloadError` and lands nothing. With a
        ``reader``, the body is also read as it streams in (one pass over the bytes); if the
        reader gives up with an :class:`OtopSyncError`, the payload is still landed whole and
        the second value is None, for the caller to read from the store.
        """
        url = self.url(path, params)
        request_key = f"{self.name}:{path}?{urlencode(sorted((params or {}).items()))}"
        previous = self.landing.last_for(request_key)
        headers = {}
        if previous is not None and previous.stored_path.exists():
            if previous.etag:
                headers["If-None-Match"] = previous.etag
            if previous.last_modified:
                headers["If-Modified-Since"] = previous.last_modified
        response = self.get(path, params, headers=headers, stream=True)
        if response.status_code == 304 and previous is not None:
            response.close()
            consumed = self.landing.last_consumed(request_key) == previous.sha256
            return Landing(previous, unchanged=consumed), None
        parsed: T | None = None
        try:
            with self.landing.writer() as (handle, digest):
                tee = _TeeStream(response.raw, handle, digest)
                if reader is not None:
                    try:
                        parsed = reader(tee)
                    except OtopSyncError:
                        parsed = None
                while tee.read(self.config.chunk_size):
                    pass
        except (ProtocolError, ChunkedEncodingError, IncompleteRead) as error:
            raise TruncatedPayloadError(
                f"{self.name}: {public_url(url)} ended before its announced length "
                f"({_reason(error)})"
            ) from None
        finally:
            response.close()
        landing = self.landing.commit(
            Path(handle.name),
            digest.hexdigest(),
            source=self.name,
            location=public_url(url),
            request_key=request_key,
            suffix=suffix,
            media_type=response.headers.get("Content-Type"),
            etag=response.headers.get("ETag"),
            last_modified=response.headers.get("Last-Modified"),
        )
        return landing, parsed

    def get_text(self, path: str, params: Mapping[str, object] | None = None) -> tuple[str, bytes]:
        """A text page, decoded from its bytes (never by requests' ISO-8859-1 default)."""
        response = self.get(path, params)
        body = response.content
        text, _encoding = decode_text(body, public_url(self.url(path, params)))
        return text, body

    def pages(
        self, path: str, params: Mapping[str, object] | None = None, per_page: int = 500
    ) -> Iterator[tuple[ListingPage, bytes]]:
        """Every page of a paginated HTML listing, checked to add up to the reported total.

        A page identical to an earlier one means the listing repeated or skipped a page; rows
        that do not reach the reported total mean a page went missing. Both raise
        :class:`PaginationError`.
        """
        seen: dict[str, int] = {}
        collected = 0
        number = 1
        while True:
            url = self.url(path, {**(params or {}), "page": number, "per_page": per_page})
            text, body = self.get_text(
                path, {**(params or {}), "page": number, "per_page": per_page}
            )
            try:
                page = parse_listing(text)
            except PageFormatError as error:
                raise PaginationError(f"{self.name}: {public_url(url)}: {error}") from None
            fingerprint = hashlib.sha256(repr(page.rows).encode()).hexdigest()
            if page.rows and fingerprint in seen:
                raise PaginationError(
                    f"{self.name}: {public_url(url)}: page {number} repeats the rows of page "
                    f"{seen[fingerprint]} (a page was repeated or skipped)"
                )
            seen[fingerprint] = number
            collected += len(page.rows)
            yield page, body
            if number >= page.pages or not page.rows:
                break
            number += 1
        if collected != page.total:
            raise PaginationError(
                f"{self.name}: {public_url(self.url(path, params))}: listing reported "
                f"{page.total} rows but its pages held {collected}"
            )


class _TeeStream(io.RawIOBase):
    """Reads a response body, writing every byte to the landing file and the digest."""

    def __init__(self, body: object, sink: IO[bytes], digest: hashlib._Hash) -> None:
        self._body = body
        self._sink = sink
        self._digest = digest

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        count = self._body.readinto(buffer)  # type: ignore[attr-defined]
        view = memoryview(buffer)[:count]
        self._sink.write(view)
        self._digest.update(view)
        return count


def _reason(error: Exception) -> str:
    """The innermost cause of a transport error, short, without URLs or credentials."""
    cause: BaseException = error
    while cause.__cause__ is not None or cause.__context__ is not None:
        cause = cause.__cause__ or cause.__context__  # type: ignore[assignment]
    text = str(cause).split(" (Caused by", 1)[0]
    return f"{type(cause).__name__}: {text}"[:200]
