"""The dataset catalog: every dataset otop-sync reads, each declared in one module.

Adding a dataset is one module here (its :class:`~otop_sync.datasets.base.DatasetSpec`), one
line in :data:`CATALOG` and one migration for its table.
"""

from __future__ import annotations

from collections.abc import Mapping

from otop_sync.datasets.base import DatasetSpec, Endpoint, LoadTarget
from otop_sync.datasets.baseline import BASELINE
from otop_sync.datasets.form_responses import FORM_RESPONSES
from otop_sync.datasets.products import PRODUCTS
from otop_sync.datasets.sales import SALES
from otop_sync.datasets.shops import SHOPS
from otop_sync.datasets.summary import SUMMARY
from otop_sync.errors import OtopSyncError
from otop_sync.transforms.formats import format_for_filename

__all__ = [
    "CATALOG",
    "DatasetSpec",
    "Endpoint",
    "LoadTarget",
    "UnknownDatasetError",
    "configure",
    "dataset",
    "dataset_for_filename",
    "loaded_datasets",
]

CATALOG: tuple[DatasetSpec, ...] = tuple(
    sorted(
        (BASELINE, PRODUCTS, SHOPS, FORM_RESPONSES, SALES, SUMMARY),
        key=lambda spec: spec.extract_order,
    )
)
"""Every dataset, in the order a sync extracts, validates and loads them."""


class UnknownDatasetError(OtopSyncError, KeyError):
    """A dataset name that is not in the catalog."""

    def __str__(self) -> str:
        return str(self.args[0])


def dataset(name: str, catalog: tuple[DatasetSpec, ...] = CATALOG) -> DatasetSpec:
    """The dataset of that name."""
    for spec in catalog:
        if spec.name == name:
            return spec
    known = ", ".join(spec.name for spec in catalog)
    raise UnknownDatasetError(f"no dataset {name!r}; the datasets are {known}")


def loaded_datasets(catalog: tuple[DatasetSpec, ...] = CATALOG) -> tuple[DatasetSpec, ...]:
    """The datasets whose rows are loaded into the warehouse, in load order."""
    return tuple(spec for spec in catalog if spec.target is not None)


def dataset_for_filename(
    filename: str, catalog: tuple[DatasetSpec, ...] = CATALOG
) -> DatasetSpec | None:
    """The one dataset whose word a file name contains, if any."""
    found = format_for_filename(filename, tuple(spec for spec in catalog if spec.file_words))
    return None if found is None else dataset(found.name, catalog)


def configure(
    headers: Mapping[str, Mapping[str, str]] | None = None,
    aliases: Mapping[str, Mapping[str, Mapping[str, str]]] | None = None,
    catalog: tuple[DatasetSpec, ...] = CATALOG,
) -> tuple[DatasetSpec, ...]:
    """The catalog as configured: headers (dataset → canonical column → header) and value
    aliases (dataset → canonical column → value → value)."""
    headers, aliases = headers or {}, aliases or {}
    for name in (*headers, *aliases):
        dataset(name, catalog)  # an unknown dataset is an error naming the datasets
    configured = []
    for spec in catalog:
        if spec.name in headers:
            spec = spec.with_headers(headers[spec.name])  # type: ignore[assignment]
        if spec.name in aliases:
            spec = spec.with_aliases(aliases[spec.name])  # type: ignore[assignment]
        configured.append(spec)
    return tuple(configured)
