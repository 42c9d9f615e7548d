"""Data Docs that render with no internet.

GX's Data Docs pages load Bootstrap, Bootstrap Table, jQuery, Font Awesome and more from public
CDNs, and their logo from GX's web assets: on a government network without internet they
render unstyled. :func:`serve_offline` copies the same files, shipped in this package
(``static/vendor``, see its README for versions and licences), into the site and points every
page at the copies by relative links, which work from ``file://`` as from any web server.

The Vega chart scripts are removed instead (otop-sync's suites draw no charts). Anything else a
page loads from outside is left as it is and listed by :func:`external_resources`, so a GX
upgrade that adds one shows up in the tests.
"""

from __future__ import annotations

import os
import re
import shutil
from importlib.resources import files
from pathlib import Path

VENDOR_DIR = "static/vendor"
"""Where, inside a Data Docs site, the packaged copies are put."""

OFFLINE_COPIES: dict[str, str] = {
    "https://maxcdn.bootstrapcdn.com/bootstrap/4.3.1/css/bootstrap.min.css": (
        "bootstrap/bootstrap.min.css"
    ),
    "https://stackpath.bootstrapcdn.com/bootstrap/4.3.1/js/bootstrap.min.js": (
        "bootstrap/bootstrap.min.js"
    ),
    "https://unpkg.com/bootstrap-table@1.19.1/dist/bootstrap-table.min.css": (
        "bootstrap-table/bootstrap-table.min.css"
    ),
    "https://unpkg.com/bootstrap-table@1.19.1/dist/bootstrap-table.min.js": (
        "bootstrap-table/bootstrap-table.min.js"
    ),
    "https://unpkg.com/bootstrap-table@1.19.0/dist/extensions/filter-control/"
    "bootstrap-table-filter-control.css": (
        "bootstrap-table/extensions/filter-control/bootstrap-table-filter-control.min.css"
    ),
    "https://unpkg.com/bootstrap-table@1.19.0/dist/extensions/filter-control/"
    "bootstrap-table-filter-control.min.css": (
        "bootstrap-table/extensions/filter-control/bootstrap-table-filter-control.min.css"
    ),
    "https://unpkg.com/bootstrap-table@1.19.1/dist/extensions/filter-control/"
    "bootstrap-table-filter-control.min.js": (
        "bootstrap-table/extensions/filter-control/bootstrap-table-filter-control.min.js"
    ),
    "https://cdnjs.cloudflare.com/ajax/libs/bootstrap-datepicker/1.9.0/css/"
    "bootstrap-datepicker.min.css": "bootstrap-datepicker/bootstrap-datepicker.min.css",
    "https://cdnjs.cloudflare.com/ajax/libs/bootstrap-datepicker/1.9.0/js/"
    "bootstrap-datepicker.min.js": "bootstrap-datepicker/bootstrap-datepicker.min.js",
    "https://cdn.jsdelivr.net/npm/@forevolve/bootstrap-dark@1.1.0/dist/css/"
    "bootstrap-prefers-dark.css": "bootstrap-dark/bootstrap-prefers-dark.min.css",
    "https://cdnjs.cloudflare.com/ajax/libs/font-awesome/6.6.0/css/all.min.css": (
        "fontawesome/css/all.min.css"
    ),
    "https://code.jquery.com/jquery-3.7.1.min.js": "jquery/jquery.min.js",
    "https://cdnjs.cloudflare.com/ajax/libs/popper.js/1.12.9/umd/popper.min.js": (
        "popper.js/popper.min.js"
    ),
}
"""Each CDN address the GX 1.24.1 templates load, and its packaged copy under ``static/vendor``."""

DROPPED_SCRIPTS = (
    "https://cdn.jsdelivr.net/npm/vega@5",
    "https://cdn.jsdelivr.net/npm/vega-lite@5",
    "https://cdn.jsdelivr.net/npm/vega-embed@6",
)
"""Chart libraries otop-sync's pages never use: their script tags are removed."""

GX_ASSETS = "https://great-expectations-web-assets.s3.us-east-2.amazonaws.com/"
GX_LOGO = "static/images/logo-long.png"
"""GX's logo, shipped by GX and copied into every site: used instead of its web assets."""

_SRI = re.compile(r'\s+(?:integrity|crossorigin)="[^"]*"')
_EXTERNAL = re.compile(r'<(?:link|script|img)\b[^>]*?(?:href|src)="(https?://[^"]+)"')


def vendor_files() -> Path:
    """The packaged copies (``otop_sync/expectations/static/vendor``)."""
    return Path(str(files("otop_sync.expectations") / "static" / "vendor"))


def _relative(page: Path, site: Path, target: str) -> str:
    return Path(os.path.relpath(site / target, page.parent)).as_posix()


def offline_page(html: str, page: Path, site: Path) -> str:
    """A page's HTML with every CDN address replaced by a relative link to the site's copy,
    the Vega scripts removed and GX's web-asset images replaced by its packaged logo."""
    for url in DROPPED_SCRIPTS:
        html = re.sub(rf'<script[^>]*src="{re.escape(url)}"[^>]*>\s*</script>\s*', "", html)
    for url, copy in OFFLINE_COPIES.items():
        local = _relative(page, site, f"{VENDOR_DIR}/{copy}")
        html = re.sub(
            rf'(<(?:link|script)\b[^>]*?(?:href|src)=)"{re.escape(url)}"([^>]*>)',
            lambda m, local=local: m.group(1) + f'"{local}"' + _SRI.sub("", m.group(2)),
            html,
        )
    logo = _relative(page, site, GX_LOGO)
    return re.sub(rf"{re.escape(GX_ASSETS)}[A-Za-z0-9_.-]+(?:\?[^\"')]*)?", logo, html)


def serve_offline(site: Path) -> None:
    """Copy the packaged assets into the Data Docs ``site`` and rewrite every page to use them."""
    shutil.copytree(vendor_files(), site / VENDOR_DIR, dirs_exist_ok=True)
    for page in site.rglob("*.html"):
        if VENDOR_DIR in page.relative_to(site).as_posix():
            continue
        html = page.read_text(encoding="utf-8")
        offline = offline_page(html, page, site)
        if offline != html:  # pages of earlier runs are rewritten once
            page.write_text(offline, encoding="utf-8")


def external_resources(html: str) -> list[str]:
    """What a page still loads from outside (stylesheets, scripts, images); links to follow by
    hand are not counted."""
    return _EXTERNAL.findall(html)
