"""The CDD systems as sources: OTOP Big Data (products), the central data system (monthly sales
and its summary report), Click ชุมชน (Shop registrations) and the province's baseline sheet.

Paths default to the layout of the systems as otop-sync knows them (and as the mock serves
them); base URLs, paths and the account come from settings.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import pandas as pd

from otop_sync.connectors.errors import SourceError
from otop_sync.connectors.extract import Extract, canonical_from_raw, empty_table
from otop_sync.connectors.files import read_csv_stream
from otop_sync.connectors.html import PageFormatError, listing_table, parse_summary_report
from otop_sync.connectors.http import (
    Credentials,
    HttpConfig,
    HttpSource,
    build_session,
    public_url,
)
from otop_sync.connectors.landing import RawFile, RawLandingStore
from otop_sync.transforms.formats import DATASETS, to_canonical


@dataclass(frozen=True)
class Endpoint:
    """Where one dataset lives on its system."""

    dataset: str
    system: str
    export_path: str
    login_path: str | None = None
    listing_path: str | None = None
    query: tuple[tuple[str, str], ...] = ()
    """Fixed query parameters the system wants on every request of this dataset."""

    def params(self, province: str | None, fiscal_year: int | None) -> dict[str, object]:
        """The query of a request: the fixed parameters, the province and the fiscal year."""
        return {**dict(self.query), "province": province, "year": fiscal_year}


DEFAULT_ENDPOINTS: dict[str, Endpoint] = {
    "products": Endpoint(
        "products", "bigdata", "/bigdata/export/products.csv", "/bigdata/login", "/bigdata/products"
    ),
    "sales": Endpoint("sales", "otop", "/otop/export/sales.csv", "/otop/login", "/otop/sales"),
    "shops": Endpoint("shops", "click", "/click/export/shops.csv", "/click/login", "/click/shops"),
    "baseline": Endpoint("baseline", "sheets", "/sheets/baseline.csv"),
}
SUMMARY_REPORT_PATH = "/otop/cdd_report/otop_r04.php"


@dataclass(frozen=True)
class SummaryReport:
    """The central system's sales summary for one fiscal year, as landed and as text rows."""

    raw: RawFile
    table: pd.DataFrame


class CddSource(HttpSource):
    """One dataset's system: its export, or its paginated listing."""

    def __init__(
        self,
        endpoint: Endpoint,
        config: HttpConfig,
        landing: RawLandingStore,
        credentials: Credentials | None,
    ) -> None:
        super().__init__(
            name=endpoint.system,
            config=config,
            session=build_session(config),
            landing=landing,
            credentials=credentials,
            login_path=endpoint.login_path,
        )
        self.endpoint = endpoint

    def extract(
        self,
        province: str | None = None,
        fiscal_year: int | None = None,
        read_unchanged: bool = False,
    ) -> Extract:
        """Download the export into the landing store and read it (unless unchanged)."""
        params = self.endpoint.params(province, fiscal_year)
        suffix = "." + self.endpoint.export_path.rsplit(".", 1)[-1]
        location = public_url(self.url(self.endpoint.export_path, params))
        reader = (lambda body: read_csv_stream(body, location)) if suffix == ".csv" else None
        landing, streamed = self.download(self.endpoint.export_path, params, suffix, reader)
        dataset = self.endpoint.dataset
        if landing.unchanged and not read_unchanged:
            return Extract(dataset, self.name, (landing.raw,), True, empty_table(dataset))
        if streamed is None:
            table, unknown = canonical_from_raw(landing.raw, dataset)
        else:
            mapped, unknown_list = to_canonical(streamed, DATASETS[dataset], location)
            table, unknown = mapped, tuple(unknown_list)
        return Extract(dataset, self.name, (landing.raw,), landing.unchanged, table, unknown)

    def extract_listing(
        self, province: str | None = None, fiscal_year: int | None = None, per_page: int = 500
    ) -> Extract:
        """Read the paginated HTML listing instead of the export; every page is landed."""
        if self.endpoint.listing_path is None:
            raise SourceError(f"{self.endpoint.dataset} has no listing on {self.name}")
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
        dataset = self.endpoint.dataset
        table, unknown = to_canonical(listing_table(pages), DATASETS[dataset], self.name)
        unchanged = all(landing.unchanged for landing in raws)
        return Extract(
            dataset, self.name, tuple(r.raw for r in raws), unchanged, table, tuple(unknown)
        )


class SalesSource(CddSource):
    """The central data system: monthly sales, plus the summary report used to reconcile."""

    def summary_report(self, fiscal_year: int, province: str | None = None) -> SummaryReport:
        """The sales summary by place and month (public page), landed and parsed."""
        params = {"year": fiscal_year, "org_group": 0, "province": province}
        text, body = self.get_text(SUMMARY_REPORT_PATH, params)
        landing = self.landing.put_bytes(
            body,
            source=self.name,
            location=self.url(SUMMARY_REPORT_PATH, params),
            request_key=f"{self.name}:{SUMMARY_REPORT_PATH}:{params}",
            suffix=".html",
            media_type="text/html",
        )
        try:
            table = parse_summary_report(text)
        except PageFormatError as error:
            raise PageFormatError(f"{landing.raw.location}: {error}") from None
        return SummaryReport(landing.raw, table)


def cdd_sources(
    base_urls: dict[str, str],
    landing: RawLandingStore,
    credentials: Credentials | None,
    http: HttpConfig,
    endpoints: dict[str, Endpoint] | None = None,
) -> dict[str, CddSource]:
    """One source per dataset in ``base_urls`` (dataset → base URL), each with its own session."""
    sources: dict[str, CddSource] = {}
    for dataset, base_url in base_urls.items():
        endpoint = (endpoints or DEFAULT_ENDPOINTS)[dataset]
        kind = SalesSource if dataset == "sales" else CddSource
        account = credentials if endpoint.login_path else None
        sources[dataset] = kind(endpoint, replace(http, base_url=base_url), landing, account)
    return sources
