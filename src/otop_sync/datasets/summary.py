"""The central data system's own sales summary report (otop_r04): sales per place and month,
read only to reconcile the sales export with (it is not loaded)."""

from __future__ import annotations

from otop_sync.datasets.base import DatasetSpec, Endpoint
from otop_sync.transforms import cells
from otop_sync.transforms.formats import Column

SUMMARY = DatasetSpec(
    name="summary",
    columns=(
        Column("รหัส", "place_code", cells.text, typed_name="district_code"),
        Column("เดือน", "month", cells.be_month),
        Column("ยอดจำหน่าย", "amount", cells.amount),
    ),
    endpoint=Endpoint(
        system="otop",
        export_path="/otop/cdd_report/otop_r04.php",
        url_setting="sales_url",
        query=(("org_group", "0"),),
        report=True,
    ),
    extract_order=4,
)
