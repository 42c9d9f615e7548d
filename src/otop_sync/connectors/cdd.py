"""The CDD systems as sources: one source per dataset of the catalog that has an endpoint
(OTOP Big Data's products, the central data system's sales and its summary report, Click
ชุมชน's Shop registrations, the province's baseline sheet, the Shop ชุมชน report form).

Paths default to what each dataset declares (the layout of the systems as otop-sync knows
them, and as the mock serves them); base URLs, paths and the account come from settings.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import PurePosixPath

import pandas as pd

from otop_sync.connectors.errors import SourceError
from otop_sync.connectors.extract import Extract, canonical_from_raw, empty_table
from otop_sync.connectors.files import DEFAULT_LIMITS, ReadLimits, read_csv_stream
from otop_sync.connectors.html import PageFormatError, listing_table, parse_summary_report
from otop_sync.connectors.http import (
    Credentials,
    HttpConfig,
    HttpSource,
    build_session,
    public_url,
)
from otop_sync.connectors.landing import RawFile, RawLandingStore
from otop_sync.datasets import DatasetSpec, Endpoint
from otop_sync.transforms.formats import to_canonical


@dataclass(frozen=True)
class SummaryReport:
    """The central system's sales summary for one fiscal year, as landed and as text rows."""

    raw: RawFile
    table: pd.DataFrame


class CddSource(HttpSource):
    """One dataset's system: its export, or its paginated listing."""

    def __init__(
        self,
        spec: DatasetSpec,
        endpoint: Endpoint,
        config: HttpConfig,
        landing: RawLandingStore,
        credentials: Credentials | None,
        limits: ReadLimits = DEFAULT_LIMITS,
    ) -> None:
        super().__init__(
            name=endpoint.system,
            config=config,
            session=build_session(config),
            landing=landing,
            credentials=credentials,
            login_path=endpoint.login_path,
        )
        self.spec = spec
        self.endpoint = endpoint
        self.limits = limits

    def extract(
        self,
        province: str | None = None,
        fiscal_year: int | None = None,
        read_unchanged: bool = False,
    ) -> Extract:
        """Download the export into the landing store and read it (unless unchanged); a system
        without an export (an empty export path) is read from its paginated listing."""
        if not self.endpoint.export_path:
            return self.extract_listing(province, fiscal_year)
        params = self.endpoint.params(province, fiscal_year)
        suffix = PurePosixPath(self.endpoint.export_path).suffix.lower()
        suffix = suffix if suffix in {".csv", ".xlsx"} else ".csv"  # the content decides anyway
        location = public_url(self.url(self.endpoint.export_path, params))
        reader = (lambda body: read_csv_stream(body, location)) if suffix == ".csv" else None
        landing, streamed = self.download(self.endpoint.export_path, params, suffix, reader)
        dataset = self.spec.name
        if landing.unchanged and not read_unchanged:
            return Extract(dataset, self.name, (landing.raw,), True, empty_table(self.spec))
        if streamed is None:
            table, unknown = canonical_from_raw(landing.raw, self.spec, self.limits)
        else:
            mapped, unknown_list = to_canonical(streamed, self.spec, location)
            table, unknown = mapped, tuple(unknown_list)
        return Extract(dataset, self.name, (landing.raw,), landing.unchanged, table, unknown)

    def extract_listing(
        self, province: str | None = None, fiscal_year: int | None = None, per_page: int = 500
    ) -> Extract:
        """Read the paginated HTML listing instead of the export; every page is landed."""
        if self.endpoint.listing_path is None:
            raise SourceError(f"{self.spec.name} has no listing on {self.name}")
        params = self.endpoint.params(province, fiscal_year)
        pages, raws = [], []
        for number, (page, body) in enumerate(
            self.pages(self.endpoint.listing_path, params, per_page), start=1
        ):
            pages.append(page)
            raws.append(
                self.landing.put_bytes(
                    body,
                    source=self.name,
                    location=self.url(self.endpoint.listing_path, {**params, "page": number}),
                    request_key=f"{self.name}:{self.endpoint.listing_path}:page={number}:{params}",
                    suffix=".html",
                    media_type="text/html",
                )
            )
        dataset = self.spec.name
        table, unknown = to_canonical(listing_table(pages), self.spec, self.name)
        unchanged = all(landing.unchanged for landing in raws)
        return Extract(
            dataset, self.name, tuple(r.raw for r in raws), unchanged, table, tuple(unknown)
        )


class ReportSource(CddSource):
    """A system's HTML report page (the central data system's sales summary, used to
    reconcile the sales export)."""

    def summary_report(self, fiscal_year: int, province: str | None = None) -> SummaryReport:
        """The summary by place and month for a fiscal year (public page), landed and parsed."""
        path = self.endpoint.export_path
        params = self.endpoint.params(province, fiscal_year)
        text, body = self.get_text(path, params)
        landing = self.landing.put_bytes(
            body,
            source=self.name,
            location=self.url(path, params),
            request_key=f"{self.name}:{path}:{params}",
            suffix=".html",
            media_type="text/html",
        )
        try:
            table = parse_summary_report(text)
        except PageFormatError as error:
            raise PageFormatError(f"{landing.raw.location}: {error}") from None
        return SummaryReport(landing.raw, table)


def cdd_sources(
    base_urls: Mapping[DatasetSpec, str],
    landing: RawLandingStore,
    credentials: Credentials | None,
    http: HttpConfig,
    endpoints: Mapping[str, Endpoint] | None = None,
    limits: ReadLimits = DEFAULT_LIMITS,
) -> dict[str, CddSource]:
    """One source per dataset (spec → base URL), each with its own session; ``endpoints``
    replaces the endpoints some datasets declare (dataset name → endpoint)."""
    sources: dict[str, CddSource] = {}
    for spec, base_url in base_urls.items():
        endpoint = (endpoints or {}).get(spec.name, spec.endpoint)
        if endpoint is None:
            raise SourceError(f"{spec.name} has no endpoint: it arrives only as a file")
        kind = ReportSource if endpoint.report else CddSource
        account = credentials if endpoint.login_path else None
        sources[spec.name] = kind(
            spec, endpoint, replace(http, base_url=base_url), landing, account, limits
        )
    return sources
