"""An explained grade (:class:`~otop_sync.warehouse.lineage.Explanation`) as text for the
terminal, as JSON, or as a self-contained HTML page (inline CSS, Thai fonts, no scripts or
network), the per-district page a quarter report can link to.

Dates are BE in the text and the page (``10/5/2567``) and CE ISO in JSON; money is written to
the satang (JSON keeps it as a string, exact).
"""

from __future__ import annotations

import html
import json
from dataclasses import fields, is_dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from otop_sync.reports.quarter import STYLE
from otop_sync.transforms.fiscal import Quarter
from otop_sync.transforms.grades import amount_text
from otop_sync.transforms.thai import format_be_date, format_be_month
from otop_sync.warehouse.lineage import Explanation, Provenance


class ExplainFormat(StrEnum):
    """Output formats of ``otop-sync explain``."""

    text = "text"
    json = "json"
    html = "html"


def _plain(value: object) -> object:
    """A value as JSON holds it: dataclasses as objects, CE ISO dates, exact money as text."""
    if isinstance(value, Quarter):
        return str(value)
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return value


def explanation_record(explanation: Explanation) -> dict[str, object]:
    """The explanation as a JSON-ready object, with the source rows' totals beside the grade's
    figures (``source_totals``), which they equal."""
    record = _plain(explanation)
    assert isinstance(record, dict)
    previous, end = explanation.products_active()
    producers, centres = explanation.shop_units()
    record["source_totals"] = {
        "products_active_at_previous_end": previous,
        "products_active_at_end": end,
        "products_added": end - previous,
        "sales_counted": str(explanation.sales_counted()),
        "shop_producers": producers,
        "shop_centres": centres,
    }
    return record


def render_explanation_json(explanation: Explanation) -> str:
    """The explanation as indented JSON (Thai kept as written)."""
    return json.dumps(explanation_record(explanation), ensure_ascii=False, indent=2) + "\n"


def _day(value: date | datetime | None) -> str:
    if value is None:
        return "-"
    if isinstance(value, datetime):
        return f"{format_be_date(value.date())} {value:%H:%M} UTC"
    return format_be_date(value)


def _where(provenance: Provenance | None) -> str:
    """``file (sha256 1a2b3c4d5e6f…) line 12, run r-1``."""
    if provenance is None:
        return "-"
    line = "?" if provenance.source_line is None else str(provenance.source_line)
    name = provenance.file or "unrecorded file"
    return f"{name} (sha256 {provenance.raw_sha256}) line {line}, run {provenance.run_id}"


def _baht(value: Decimal | None) -> str:
    return "-" if value is None else f"{value:,.2f}"


def _sections(explanation: Explanation) -> list[tuple[str, list[str]]]:
    """The explanation as titled sections of lines, shared by the text and the page."""
    e = explanation
    grade = e.grade or "ไม่ได้ระดับ"
    summary = [
        f"grade {grade}, {e.status} since {_day(e.status_since)} "
        f"(final from {_day(e.final_from)}); version {e.current.version}, as of "
        f"{_day(e.as_of)}, run {e.current.run_id}",
        f"next grade: {e.next_grade or '-'}; failed: {e.failed_criteria or '-'}",
    ]
    if e.reasons:
        summary.append(f"หมายเหตุ: {e.reasons}")
    criteria = [
        f"{c.label_th} ({c.result.criterion}): {amount_text(c.result.unit, c.result.actual)} "
        f"against {amount_text(c.result.unit, c.result.target)}, "
        f"{'met' if c.result.met else 'not met'}"
        + (f", level {c.result.level}" if c.result.level else "")
        + f", missing {amount_text(c.result.unit, c.result.missing)}"
        for c in e.criteria
    ]
    rules = [
        f"rules version {e.rules_version or '-'}, letter {e.rules_letter or '-'}"
        + (f" (carried forward from FY{e.carried_forward_from})" if e.carried_forward_from else "")
    ]
    base: list[str] = []
    if e.base is not None:
        base.append(
            f"{e.base.quarter}: {_baht(e.base.base_sales)} baht, {e.base.source}"
            + (
                f" (the warehouse adds up {_baht(e.base.computed_base_sales)})"
                if e.base.computed_base_sales is not None
                else ""
            )
        )
        if e.base.published is not None:
            base.append(f"published in {_where(e.base.published)}")
        base += [
            f"{format_be_month(s.month)} {s.producer_code or '(district)'} {_baht(s.amount)} "
            f"recorded {_day(s.recorded_on)}: {_where(s.provenance)}"
            for s in e.base.sales
            if s.counted
        ]
    previous, end = e.products_active()
    products = [
        f"active at {_day(e.quarter.previous().end)}: {previous}; at {_day(e.quarter.end)}: {end}"
    ]
    products += [
        f"{p.product_code} registered {_day(p.registered_on)}"
        + (f", cancelled {_day(p.cancelled_on)}" if p.cancelled_on else "")
        + f": {'counted' if p.active_at_end else 'not active'} at the end, "
        f"{'counted' if p.active_at_previous_end else 'not active'} at the previous end; "
        f"{_where(p.provenance)}"
        for p in e.products
    ]
    sales = [f"counted: {_baht(e.sales_counted())} baht"]
    sales += [
        f"{format_be_month(s.month)} {s.producer_code or '(district)'} {_baht(s.amount)} "
        f"recorded {_day(s.recorded_on)}"
        + ("" if s.counted else " (not counted)")
        + (f", replaced by run {s.replaced_by_run}" if s.replaced_by_run else "")
        + f": {_where(s.provenance)}"
        for s in e.sales
    ]
    producers, centres = e.shop_units()
    shops = [f"units at {_day(e.quarter.end)}: producers {producers}, centres {centres}"]
    shops += [
        f"{s.shop_code} ({s.shop_type}) registered {_day(s.registered_on)} counts as {s.unit}: "
        f"{_where(s.provenance)}"
        for s in e.shops
    ]
    corrections = [
        f"{format_be_month(c.month)} {c.producer_code or '(district)'}: "
        f"{_baht(c.old_amount)} recorded {_day(c.old_recorded_on)} ({_where(c.old)}) replaced by "
        f"{_baht(c.new_amount)} recorded {_day(c.new_recorded_on)} ({_where(c.new)}), "
        f"run {c.replaced_by_run} at {_day(c.replaced_at)}"
        for c in e.corrections
    ] or ["none"]
    quarantined = [
        f"{q.dataset} line {q.line} of {q.file or 'unrecorded file'} (sha256 {q.raw_sha256}), "
        f"run {q.run_id}: {q.reasons}"
        for q in e.quarantined
    ] or ["none"]
    reconciliation = [
        f"run {r.run_id}: "
        + ("sales equal the summary report" if r.success else f"{r.unexpected_count} differences")
        + ("; " + "; ".join(r.district_differences) if r.district_differences else "")
        for r in e.reconciliations
    ] or ["no summary report was compared (a file inbox has none)"]
    versions = [
        f"version {v.version}: grade {v.grade or '-'}, {v.status}, as of {_day(v.as_of)}, "
        f"run {v.run_id}, replaced {_day(v.replaced_at)} by run {v.replaced_by_run}; "
        + ", ".join(
            f"{r.criterion} {amount_text(r.unit, r.actual)}/{amount_text(r.unit, r.target)}"
            for r in v.criteria
        )
        for v in e.earlier_versions
    ] or ["none"]
    return [
        ("Grade", summary),
        ("Criteria", criteria),
        ("Rules", rules),
        ("Base year", base or ["-"]),
        ("Products (OTOP Big Data)", products),
        ("Sales (central data system)", sales),
        ("Shop ชุมชน (Click ชุมชน)", shops),
        ("Corrections", corrections),
        ("Quarantined rows", quarantined),
        ("Reconciliation with the summary report", reconciliation),
        ("Earlier versions", versions),
    ]


def _title(explanation: Explanation) -> str:
    return f"{explanation.quarter} {explanation.district_code} {explanation.district_name_th}"


def render_explanation_text(explanation: Explanation) -> str:
    """The explanation as plain text, one titled section after another."""
    lines = [_title(explanation)]
    for title, body in _sections(explanation):
        lines += ["", f"{title}:", *(f"  {line}" for line in body)]
    return "\n".join(lines) + "\n"


PAGE_STYLE = (
    STYLE
    + """
section { margin-top: 18px; } ul { margin: 6px 0; padding-left: 20px; font-size: 13px; }
li { margin: 2px 0; } .grade { font-size: 28px; font-weight: bold; }
"""
)


def render_explanation_html(explanation: Explanation) -> str:
    """The explanation as a standalone page: inline CSS, a Thai font stack, no scripts."""
    title = html.escape(f"คำอธิบายระดับ {_title(explanation)}")
    parts = [
        f'<!DOCTYPE html>\n<html lang="th"><head><meta charset="utf-8"><title>{title}</title>'
        f"<style>{PAGE_STYLE}</style></head><body><h1>{title}</h1>",
        f'<p class="grade">{html.escape(explanation.grade or "ไม่ได้ระดับ")}</p>',
    ]
    for heading, body in _sections(explanation):
        items = "".join(f"<li>{html.escape(line)}</li>" for line in body)
        parts.append(f"<section><h2>{html.escape(heading)}</h2><ul>{items}</ul></section>")
    parts.append("</body></html>\n")
    return "".join(parts)


def render_explanation(explanation: Explanation, output_format: ExplainFormat) -> str:
    """The explanation in one of :class:`ExplainFormat`."""
    if output_format == ExplainFormat.json:
        return render_explanation_json(explanation)
    if output_format == ExplainFormat.html:
        return render_explanation_html(explanation)
    return render_explanation_text(explanation)
