"""The Great Expectations context otop-sync validates with.

Why an ephemeral context: the suites are code (built by the factories in
:mod:`otop_sync.expectations.suites` on every run, with that run's province and date), and the
results that matter are kept in the warehouse's ``validation_result`` table. A file context
would add a ``gx/`` folder of JSON copies of the same suites to keep in step with the code.
What a file context would add, browsable HTML, is kept anyway: each run writes its Data Docs
into the data folder through a filesystem site.

GX is quietened where the context is made, not at import: analytics off (they would also try
the network), no progress bars, its INFO logging down to warnings.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import great_expectations as gx
from great_expectations.data_context.types.base import (
    DataContextConfig,
    InMemoryStoreBackendDefaults,
)

DOCS_SITE = "otop_sync_docs"


def gx_context(docs_dir: Path | None = None) -> Any:
    """An ephemeral GX context; with ``docs_dir``, Data Docs are written there."""
    logging.getLogger("great_expectations").setLevel(logging.WARNING)
    logging.captureWarnings(False)  # GX switches this on for the whole process at import
    config = DataContextConfig(
        analytics_enabled=False, store_backend_defaults=InMemoryStoreBackendDefaults()
    )
    context = gx.get_context(mode="ephemeral", project_config=config)
    docs_dir = docs_dir.resolve() if docs_dir is not None else None
    context.variables.progress_bars = {"globally": False, "metric_calculations": False}
    for site in list(context.get_site_names()):
        context.delete_data_docs_site(site)
    if docs_dir is not None:
        context.add_data_docs_site(
            DOCS_SITE,
            {
                "class_name": "SiteBuilder",
                "show_how_to_buttons": False,
                "store_backend": {
                    "class_name": "TupleFilesystemStoreBackend",
                    "base_directory": str(docs_dir),
                },
                "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
            },
        )
    return context
