"""Building the sources a sync reads from, out of the settings."""

from __future__ import annotations

from dataclasses import fields, replace

from otop_sync.connectors.cdd import DEFAULT_ENDPOINTS, CddSource, Endpoint, cdd_sources
from otop_sync.connectors.errors import SourceError
from otop_sync.connectors.http import Credentials, HttpConfig
from otop_sync.connectors.landing import RawLandingStore
from otop_sync.flows.settings import Settings


class SourceSettingsError(SourceError):
    """The settings do not say enough to reach a source."""


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


def endpoints(settings: Settings) -> dict[str, Endpoint]:
    """The built-in endpoints with the paths the settings override."""
    known = {f.name for f in fields(Endpoint)} - {"dataset", "query"}
    merged = dict(DEFAULT_ENDPOINTS)
    for dataset, overrides in settings.endpoints.items():
        if dataset not in merged:
            raise SourceSettingsError(f"OTOP_ENDPOINTS: no dataset {dataset!r}")
        unknown = set(overrides) - known
        if unknown:
            raise SourceSettingsError(
                f"OTOP_ENDPOINTS.{dataset}: unknown field(s) {', '.join(sorted(unknown))}; "
                f"use {', '.join(sorted(known))}"
            )
        merged[dataset] = replace(merged[dataset], **overrides)
    return merged


def cdd_password(settings: Settings) -> str:
    """The CDD password: from the Prefect Secret block if one is named, else the setting."""
    if settings.cdd_password_block:
        from prefect.blocks.system import Secret

        return str(Secret.load(settings.cdd_password_block).get())
    return settings.cdd_password.get_secret_value()


def http_sources(
    settings: Settings, landing: RawLandingStore, mock_url: str | None = None
) -> dict[str, CddSource]:
    """The CDD sources: at the mock's URL, or at the configured real hosts.

    With ``OTOP_BASELINE_FILE`` set, the baseline comes from that file instead of a URL.
    """
    if mock_url is not None:
        from otop_sync.mocks.server import MockConfig

        urls = dict.fromkeys(("products", "sales", "shops", "baseline"), mock_url)
        account = Credentials(MockConfig.username, MockConfig.password)  # the mock's one account
        return cdd_sources(urls, landing, account, http_config(settings), endpoints(settings))
    urls = {
        "products": settings.products_url,
        "sales": settings.sales_url,
        "shops": settings.shops_url,
        "baseline": settings.baseline_url,
    }
    if settings.baseline_file is not None:
        del urls["baseline"]
    unset = [f"OTOP_{name.upper()}_URL" for name, url in urls.items() if not url]
    if unset:
        raise SourceSettingsError(f"source http needs {', '.join(unset)}")
    password = cdd_password(settings)
    if not settings.cdd_username or not password:
        raise SourceSettingsError(
            "source http needs OTOP_CDD_USERNAME and OTOP_CDD_PASSWORD (or OTOP_CDD_PASSWORD_BLOCK)"
        )
    account = Credentials(settings.cdd_username, password)
    return cdd_sources(urls, landing, account, http_config(settings), endpoints(settings))
