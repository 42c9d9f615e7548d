"""Data Docs render styled with no internet: a page opened in headless Chromium, every request
off the machine refused, shows Bootstrap's colours and Font Awesome's icons from the package's
own copies."""

import os
import struct
import zlib
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from otop_sync.connectors.inbox import extract_file
from otop_sync.connectors.landing import RawLandingStore
from otop_sync.datasets import dataset as dataset_spec
from otop_sync.expectations.checks import validate_dataset
from otop_sync.expectations.context import gx_context
from otop_sync.expectations.offline_docs import (
    OFFLINE_COPIES,
    VENDOR_DIR,
    external_resources,
    vendor_files,
)
from otop_sync.expectations.runner import Validator
from otop_sync.expectations.severity import load_severities
from tests.chromium import screenshot
from tests.expectations.test_corpus import CORPUS, PARAMS

BOOTSTRAP_PRIMARY = (0, 123, 255)
"""``.btn-primary`` (the page's "Show All" filter button)."""
BOOTSTRAP_SUCCESS = (40, 167, 69)
"""``.text-success``: the Font Awesome check beside the status "Succeeded"."""


def _pixels(png: bytes) -> Counter[tuple[int, int, int]]:
    """How many pixels of each RGB colour an 8-bit RGB or RGBA, non-interlaced PNG (what
    Chromium writes) has."""
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    position, data = 8, b""
    width = height = channels = 0
    while position < len(png):
        (length,) = struct.unpack(">I", png[position : position + 4])
        kind = png[position + 4 : position + 8]
        body = png[position + 8 : position + 8 + length]
        if kind == b"IHDR":
            width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", body)
            assert (depth, interlace) == (8, 0)
            channels = {2: 3, 6: 4}[colour]
        elif kind == b"IDAT":
            data += body
        position += 12 + length
    stride = width * channels
    rows = np.frombuffer(zlib.decompress(data), dtype=np.uint8).reshape(height, stride + 1)
    image = np.zeros((height, stride), dtype=np.uint8)
    previous = np.zeros(stride, dtype=np.int32)
    for y in range(height):
        kind, line = rows[y, 0], rows[y, 1:].astype(np.int32)
        if kind == 1:  # Sub: a running sum along each channel
            line = np.cumsum(line.reshape(-1, channels), axis=0).reshape(-1)
        elif kind == 2:  # Up
            line = line + previous
        elif kind in (3, 4):  # Average, Paeth: byte by byte
            out = [0] * stride
            up = previous.tolist()
            for i, value in enumerate(line.tolist()):
                left = out[i - channels] if i >= channels else 0
                corner = up[i - channels] if i >= channels else 0
                if kind == 3:
                    out[i] = (value + (left + up[i]) // 2) & 0xFF
                    continue
                estimate = left + up[i] - corner
                pa, pb, pc = abs(estimate - left), abs(estimate - up[i]), abs(estimate - corner)
                nearest = left if pa <= pb and pa <= pc else up[i] if pb <= pc else corner
                out[i] = (value + nearest) & 0xFF
            line = np.array(out, dtype=np.int32)
        line &= 0xFF
        image[y] = line
        previous = line
    rgb = image.reshape(height, width, channels)[:, :, :3].reshape(-1, 3)
    colours, counts = np.unique(rgb, axis=0, return_counts=True)
    return Counter(
        {tuple(int(c) for c in colour): int(n) for colour, n in zip(colours, counts, strict=True)}
    )


def _screenshot(page: Path, out: Path) -> Counter[tuple[int, int, int]]:
    """The page as headless Chromium renders it with every request off the machine refused
    (all traffic goes to a proxy on a closed loopback port)."""
    flags = (
        "--proxy-server=127.0.0.1:9",
        "--window-size=1000,600",
        "--force-device-scale-factor=0.5",  # a small image: quick to decode
    )
    return _pixels(screenshot(page, out / f"{page.stem}.png", out / "profile", flags))


@pytest.fixture(scope="module")
def docs(tmp_path_factory) -> Path:
    """A Data Docs site of one sales validation, as a run builds it."""
    root = tmp_path_factory.mktemp("docs")
    spec = dataset_spec("sales")
    extract = extract_file(CORPUS / "sales_clean.csv", spec, RawLandingStore(root / "raw"))
    typed, issues = spec.type_rows(extract.table)
    validator = Validator(gx_context(root / "site"), load_severities(), "run-7")
    validate_dataset(validator, spec, extract.table, typed, issues, PARAMS)
    assert validator.build_docs() == root / "site" / "index.html"
    return root / "site"


def _sales_page(site: Path) -> Path:
    (page,) = (site / "validations" / "sales").rglob("*.html")
    return page


def test_pages_load_nothing_from_outside(docs):
    pages = list(docs.rglob("*.html"))
    assert len(pages) == 4  # the index and three validation pages
    for page in pages:
        assert external_resources(page.read_text(encoding="utf-8")) == [], page
    for copy in set(OFFLINE_COPIES.values()):
        assert (docs / VENDOR_DIR / copy).is_file(), copy
    assert (docs / VENDOR_DIR / "fontawesome" / "webfonts" / "fa-solid-900.woff2").is_file()


def test_page_is_styled_with_the_network_off(docs, tmp_path):
    pixels = _screenshot(_sales_page(docs), tmp_path)
    assert pixels[BOOTSTRAP_PRIMARY] > 300  # the filter buttons' background
    assert pixels[BOOTSTRAP_SUCCESS] > 5  # the check icon of "Succeeded" (an icon font glyph)


def test_gx_page_as_published_is_unstyled_offline(docs, tmp_path):
    """The same page as GX writes it (its CDN links put back) renders without those colours
    offline: what the test above checks is what the packaged copies bring."""
    page = _sales_page(docs)
    html = page.read_text(encoding="utf-8")
    for url, copy in OFFLINE_COPIES.items():
        html = html.replace(os.path.relpath(docs / VENDOR_DIR / copy, page.parent), url)
    original = tmp_path / "as-published.html"
    original.write_text(html, encoding="utf-8")
    assert external_resources(html)
    pixels = _screenshot(original, tmp_path)
    assert pixels[BOOTSTRAP_PRIMARY] == 0
    assert pixels[BOOTSTRAP_SUCCESS] == 0


def test_vendored_files_carry_their_licences():
    vendor = vendor_files()
    for folder in ("bootstrap", "bootstrap-table", "bootstrap-datepicker", "bootstrap-dark"):
        assert (vendor / folder / "LICENSE").is_file(), folder
    for folder in ("jquery", "fontawesome"):
        assert (vendor / folder / "LICENSE.txt").is_file(), folder
    assert "MIT License" in (vendor / "popper.js" / "popper.min.js").read_text()[:200]
