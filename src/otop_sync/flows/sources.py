"""Building the sources a sync reads from, out of the settings and the dataset catalog."""

from __future__ import annotations

from dataclasses import replace
from urllib.parse import parse_qsl, urlsplit, urlunsplit

from otop_sync.connectors.cdd import CddSource, cdd_sources
from otop_sync.connectors.errors import SourceError
from otop_sync.connectors.files import MIB, ReadLimits
from otop_sync.connectors.http import Credentials, HttpConfig
from otop_sync.connectors.landing import RawLandingStore
from otop_sync.datasets import (
    CATALOG,
    DatasetSpec,
    Endpoint,
    UnknownDatasetError,
    configure,
    dataset,
)
from otop_sync.datasets.baseline import BASELINE
from otop_sync.flows.settings import Settings

OVERRIDABLE = ("export_path", "listing_path", "login_path", "system")
"""The endpoint fields ``OTOP_ENDPOINTS`` may set."""


class SourceSettingsError(SourceError):
    """The settings do not say enough to reach a source."""


def configured_catalog(settings: Settings) -> tuple[DatasetSpec, ...]:
    """The dataset catalog as the settings configure it: the report form's question titles
    (``OTOP_FORM_HEADERS``) and values read as known ones (``OTOP_VALUE_MAP``)."""
    headers = {"form_responses": settings.form_headers} if settings.form_headers else {}
    return configure(headers, settings.value_map)


def read_limits(settings: Settings) -> ReadLimits:
    """The size and row caps of an export (``OTOP_MAX_FILE_MIB`` and the XLSX caps)."""
    return ReadLimits(
        max_file_bytes=settings.max_file_mib * MIB,
        max_xlsx_uncompressed_bytes=settings.max_xlsx_mib * MIB,
        max_xlsx_rows=settings.max_xlsx_rows,
    )


def http_config(settings: Settings) -> HttpConfig:
    """Transport settings shared by every source (each gets its own base URL)."""
    return HttpConfig(
        base_url="",
        connect_timeout=settings.http_connect_timeout,
        read_timeout=settings.http_read_timeout,
        retries=settings.http_retries,
        backoff_factor=settings.http_backoff,
        max_retry_after=settings.http_max_retry_after,
    )


def endpoints(
    settings: Settings, catalog: tuple[DatasetSpec, ...] = CATALOG
) -> dict[str, Endpoint]:
    """Each dataset's declared endpoint with the paths ``OTOP_ENDPOINTS`` overrides."""
    merged = {spec.name: spec.endpoint for spec in catalog if spec.endpoint is not None}
    for name, overrides in settings.endpoints.items():
        try:
            dataset(name, catalog)
        except UnknownDatasetError:
            raise SourceSettingsError(f"OTOP_ENDPOINTS: no dataset {name!r}") from None
        unknown = set(overrides) - set(OVERRIDABLE)
        if name not in merged or unknown:
            raise SourceSettingsError(
                f"OTOP_ENDPOINTS.{name}: unknown field(s) {', '.join(sorted(unknown))}; "
                f"use {', '.join(OVERRIDABLE)}"
            )
        merged[name] = replace(merged[name], **overrides)
    return merged


def at_url(url: str, endpoint: Endpoint) -> tuple[str, Endpoint]:
    """Where a dataset is fetched from a URL setting: a bare host (``https://host``) gets the
    dataset's own path; a URL with a path (a published sheet's CSV link) is the document
    itself, its query included."""
    parts = urlsplit(url)
    if parts.path in {"", "/"}:
        return url, endpoint
    base = urlunsplit((parts.scheme, parts.netloc, "", "", ""))
    query = tuple(parse_qsl(parts.query, keep_blank_values=True))
    return base, replace(endpoint, export_path=parts.path, query=(*endpoint.query, *query))


def cdd_password(settings: Settings) -> str:
    """The CDD password: from the Prefect Secret block if one is named, else the setting."""
    if settings.cdd_password_block:
        from prefect.blocks.system import Secret

        return str(Secret.load(settings.cdd_password_block).get())
    return settings.cdd_password.get_secret_value()


def http_sources(
    settings: Settings,
    landing: RawLandingStore,
    mock_url: str | None = None,
) -> dict[str, CddSource]:
    """The sources of every dataset with an endpoint: at the mock's URL, or at the configured
    real hosts (each dataset's endpoint names the setting holding its system's URL). The
    catalog is the one the settings configure (form headers, value aliases).

    With ``OTOP_BASELINE_FILE`` set, the baseline comes from that file instead of a URL; a
    dataset whose endpoint is not required is left out while its URL is unset.
    """
    catalog = configured_catalog(settings)
    limits = read_limits(settings)
    reachable = [spec for spec in catalog if spec.endpoint is not None]
    paths = endpoints(settings, catalog)
    if mock_url is not None:
        from otop_sync.mocks.server import MockConfig

        account = Credentials(MockConfig.username, MockConfig.password)  # the mock's one account
        urls = dict.fromkeys(reachable, mock_url)
        return cdd_sources(urls, landing, account, http_config(settings), paths, limits)
    urls = {}
    unset = []
    for spec in reachable:
        endpoint = paths[spec.name]
        url = getattr(settings, endpoint.url_setting)
        if spec.name == BASELINE.name and settings.baseline_file is not None:
            continue
        if url:
            urls[spec], paths[spec.name] = at_url(url, endpoint)
        elif endpoint.required:
            unset.append(f"OTOP_{endpoint.url_setting.upper()}")
    if unset:
        raise SourceSettingsError(f"source http needs {', '.join(dict.fromkeys(unset))}")
    password = cdd_password(settings)
    if not settings.cdd_username or not password:
        raise SourceSettingsError(
            "source http needs OTOP_CDD_USERNAME and OTOP_CDD_PASSWORD (or OTOP_CDD_PASSWORD_BLOCK)"
        )
    account = Credentials(settings.cdd_username, password)
    return cdd_sources(urls, landing, account, http_config(settings), paths, limits)
