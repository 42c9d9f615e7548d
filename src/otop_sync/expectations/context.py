"""The Great Expectations context otop-sync validates with.

Why an ephemeral context: the suites are code (built by the factories in
:mod:`otop_sync.expectations.suites` on every run, with that run's province and date), and the
results that matter are kept in the warehouse's ``validation_result`` table. A file context
would add a ``gx/`` folder of JSON copies of the same suites to keep in step with the code.
What a file context would add, browsable HTML, is kept anyway: each run writes its Data Docs
into the data folder through a filesystem site.

GX is quietened here once: no progress bars, no INFO logging at import, no analytics (which
would also try the network).
"""

from __future__ import annotations

import logging
import os
import warnings
from pathlib import Path
from typing import Any

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
logging.getLogger("great_expectations").setLevel(logging.WARNING)
warnings.filterwarnings(
    "ignore", message=r"module 'sre_(constants|parse)' is deprecated", category=DeprecationWarning
)

import great_expectations as gx  # noqa: E402

logging.captureWarnings(False)  # GX switches this on for the whole process at import
logging.getLogger("great_expectations.data_context.types.base").setLevel(logging.WARNING)

DOCS_SITE = "otop_sync_docs"


def gx_context(docs_dir: Path | None = None) -> Any:
    """An ephemeral GX context; with ``docs_dir``, Data Docs are written there."""
    context = gx.get_context(mode="ephemeral")
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
