"""Timeliness output, pure (rows → str): a text table, CSV, JSON, a self-contained HTML heat map, and the
rows of the Prefect table artifact.
"""

from __future__ import annotations

import csv
import html
import io
import json
import unicodedata
from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any

from flows.timeliness.status import StatusRow, UnmatchedReport
from storage.domain import SHANGHAI, as_utc

STATUSES: tuple[str, ...] = ("on_time", "late", "missing", "pending", "changed", "unchecked")
# The Chinese word with the English key, as tables and pages print a status.
STATUS_LABELS: dict[str, str] = {
    "on_time": "按时 on_time",
    "late": "逾期 late",
    "missing": "未发布 missing",
    "pending": "未到期 pending",
    "changed": "逾期后替换 changed",
    "unchecked": "未核查 unchecked",
}
STATUS_COLOURS: dict[str, str] = {
    "on_time": "#2e7d32",
    "late": "#ef6c00",
    "missing": "#c62828",
    "pending": "#9e9e9e",
    "changed": "#6a1b9a",
    "unchecked": "#455a64",
}
# The same colours as emoji, for the Markdown heat map of the Prefect UI.
STATUS_EMOJI: dict[str, str] = {
    "on_time": "🟩",
    "late": "🟧",
    "missing": "🟥",
    "pending": "⬜",
    "changed": "🟪",
    "unchecked": "⬛",
}
FIELDS: tuple[str, ...] = (
    "agency",
    "kind",
    "region_code",
    "year",
    "status",
    "deadline",
    "published_at",
    "published_at_source",
    "days_late",
    "report_id",
    "url",
    "previous_status",
    "carry_over_breaks",
    "near_duplicate",
    "unchecked_reason",
)


def _moment(value: datetime | None) -> str:
    """An aware moment as ISO 8601 in Asia/Shanghai ("" for none)."""
    return as_utc(value).astimezone(SHANGHAI).isoformat() if value is not None else ""


def _text(value: object) -> str:
    return "" if value is None else str(value)


def artifact_rows(rows: Sequence[StatusRow]) -> list[dict[str, str]]:
    """One flat string dict per agency-year (FIELDS order): the Prefect table artifact and the CSV rows."""
    return [
        {
            "agency": row.agency.name,
            "kind": row.agency.kind,
            "region_code": row.agency.region_code,
            "year": str(row.year),
            "status": row.status,
            "deadline": row.deadline.isoformat(),
            "published_at": _moment(row.published_at),
            "published_at_source": row.published_at_source,
            "days_late": _text(row.days_late),
            "report_id": _text(row.report_id),
            "url": row.url,
            "previous_status": _text(row.previous_status),
            "carry_over_breaks": str(row.carry_over_breaks),
            "near_duplicate": "yes" if row.near_duplicate else "no",
            "unchecked_reason": row.unchecked_reason,
        }
        for row in rows
    ]


def summary(rows: Sequence[StatusRow]) -> dict[str, int]:
    """Counts by status (every status present, zero included)."""
    counts = dict.fromkeys(STATUSES, 0)
    for row in rows:
        counts[row.status] += 1
    return counts


def render_csv(rows: Sequence[StatusRow]) -> str:
    """CSV with a header line of FIELDS; csv.DictReader gives back `artifact_rows(rows)`."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=FIELDS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(artifact_rows(rows))
    return buffer.getvalue()


def _unmatched_dict(report: UnmatchedReport) -> dict[str, Any]:
    return {
        "report_id": report.report_id,
        "year": report.year,
        "agency_name": report.agency_name,
        "title": report.title,
        "url": report.url,
        "published_at": _moment(report.published_at),
        "published_at_source": report.published_at_source,
    }


def render_json(rows: Sequence[StatusRow], unmatched: Sequence[UnmatchedReport] = ()) -> str:
    """{"rows": [...], "unmatched": [...], "summary": {...}} with typed values."""
    typed = []
    for flat, row in zip(artifact_rows(rows), rows, strict=True):
        item: dict[str, Any] = dict(flat)
        item.update(
            year=row.year,
            days_late=row.days_late,
            report_id=row.report_id,
            previous_status=row.previous_status,
            carry_over_breaks=row.carry_over_breaks,
            near_duplicate=row.near_duplicate,
        )
        typed.append(item)
    document = {"rows": typed, "unmatched": [_unmatched_dict(u) for u in unmatched], "summary": summary(rows)}
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"


def _width(text: str) -> int:
    """Terminal columns of a text: CJK (wide, full-width) characters count double."""
    if text.isascii():
        return len(text)
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def render_table(rows: Sequence[StatusRow], unmatched: Sequence[UnmatchedReport] = ()) -> str:
    """An aligned text table for a person (CJK characters count double), then the unmatched reports."""
    header = ("agency", "year", "status", "deadline", "published", "source", "late", "carry", "dup")
    lines = [
        (
            row.agency.name,
            str(row.year),
            STATUS_LABELS[row.status],
            row.deadline.isoformat(),
            _moment(row.published_at)[:16].replace("T", " "),
            row.published_at_source,
            _text(row.days_late) if row.days_late else "",
            str(row.carry_over_breaks) if row.carry_over_breaks else "",
            "yes" if row.near_duplicate else "",
        )
        for row in rows
    ]
    measured = [[(cell, _width(cell)) for cell in cells] for cells in [header, *lines]]
    widths = [max(line[i][1] for line in measured) for i in range(len(header))]
    out = [
        "  ".join(
            cell + " " * (width - own) for (cell, own), width in zip(line, widths, strict=True)
        ).rstrip()
        for line in measured
    ]
    counts = summary(rows)
    out.append("")
    out.append("  ".join(f"{status}: {counts[status]}" for status in STATUSES))
    unchecked = [row for row in rows if row.unchecked_reason]
    if unchecked:
        out.append("")
        out.append(f"未核查 unchecked ({len(unchecked)}): no report found, but the source was not checked")
        out.extend(f"  {row.agency.name} {row.year}: {row.unchecked_reason}" for row in unchecked)
    if unmatched:
        out.append("")
        out.append(f"unmatched reports ({len(unmatched)}):")
        out.extend(f"  {u.year}  {u.agency_name or u.title}  {u.url}" for u in unmatched)
    return "\n".join(out) + "\n"


_CSS = """
body{font-family:"Noto Sans CJK SC","PingFang SC","Microsoft YaHei",sans-serif;margin:2em;color:#222}
h1{font-size:1.4em}h2{font-size:1.1em;margin-top:2em}
table{border-collapse:collapse}th,td{border:1px solid #ddd;padding:.3em .6em;text-align:left}
td.cell{color:#fff;text-align:center;min-width:6em}
.legend span{display:inline-block;margin-right:1em}
.legend i{display:inline-block;width:1em;height:1em;vertical-align:middle;margin-right:.3em}
"""


def _cell_title(row: StatusRow) -> str:
    parts = [f"{row.agency.name} {row.year}: {row.status}", f"deadline {row.deadline.isoformat()}"]
    if row.published_at is not None:
        parts.append(f"published {_moment(row.published_at)} ({row.published_at_source})")
    if row.days_late:
        parts.append(f"{row.days_late} days late")
    if row.carry_over_breaks:
        parts.append(f"{row.carry_over_breaks} carry-over breaks")
    if row.near_duplicate:
        parts.append("near-duplicate of previous year")
    if row.unchecked_reason:
        parts.append(row.unchecked_reason)
    return "; ".join(parts)


def _cell(row: StatusRow) -> str:
    """A heat-map cell. Only the agency name, the title and the text can hold characters to escape;
    the other attributes are keys, numbers, dates and colours."""
    text = STATUS_LABELS[row.status] + (f" +{row.days_late}d" if row.days_late else "")
    if row.carry_over_breaks or row.near_duplicate:
        text += " ⚠"
    return (
        f'<td class="cell status-{row.status}" style="background:{STATUS_COLOURS[row.status]}"'
        f' data-agency="{html.escape(row.agency.name)}" data-year="{row.year}" data-status="{row.status}"'
        f' data-deadline="{row.deadline.isoformat()}" data-published-at="{_moment(row.published_at)}"'
        f' data-days-late="{_text(row.days_late)}" data-carry-over-breaks="{row.carry_over_breaks}"'
        f' data-near-duplicate="{"yes" if row.near_duplicate else "no"}"'
        f' title="{html.escape(_cell_title(row))}">{html.escape(text)}</td>'
    )


def render_html(
    rows: Sequence[StatusRow],
    unmatched: Sequence[UnmatchedReport] = (),
    *,
    title: str = "政府信息公开工作年度报告 timeliness",
    generated_at: str = "",
) -> str:
    """A self-contained page (inline CSS, no external assets): a heat map agencies × years with a legend,
    each cell carrying data-* attributes and a title, then the unmatched reports."""
    return "\n".join(html_lines(rows, unmatched, title=title, generated_at=generated_at)) + "\n"


def html_lines(
    rows: Sequence[StatusRow],
    unmatched: Sequence[UnmatchedReport] = (),
    *,
    title: str = "政府信息公开工作年度报告 timeliness",
    generated_at: str = "",
) -> Iterator[str]:
    """The lines of `render_html` one by one (without their newlines), so that a country's heat map
    (40 MB for 20,000 agencies × 5 years) is written out without being held whole."""
    years = sorted({row.year for row in rows})
    agencies: dict[int, tuple[str, str, str]] = {}
    by_cell: dict[tuple[int, int], StatusRow] = {}
    for row in rows:
        agencies.setdefault(row.agency.id, (row.agency.region_code, row.agency.name, row.agency.kind))
        by_cell[(row.agency.id, row.year)] = row
    order = sorted(agencies, key=lambda agency_id: agencies[agency_id])
    esc = html.escape
    yield "<!DOCTYPE html>"
    yield '<html lang="zh-CN"><head><meta charset="utf-8">'
    yield f"<title>{esc(title)}</title><style>{_CSS}</style></head><body>"
    yield f"<h1>{esc(title)}</h1>"
    if generated_at:
        yield f'<p class="generated">{esc(generated_at)}</p>'
    yield '<p class="legend" id="legend">'
    yield from (
        f'<span data-status="{s}"><i style="background:{STATUS_COLOURS[s]}"></i>'
        f"{esc(STATUS_LABELS[s])}</span>"
        for s in STATUSES
    )
    yield "</p>"
    counts = summary(rows)
    counted = (f'<span data-count="{s}">{s}: {counts[s]}</span>' for s in STATUSES)
    yield '<p class="summary">' + " · ".join(counted)
    yield "</p>"
    yield '<table id="heatmap"><thead><tr><th>agency</th><th>kind</th><th>region</th>'
    yield from (f"<th>{year}</th>" for year in years)
    yield "</tr></thead><tbody>"
    for agency_id in order:
        region, name, kind = agencies[agency_id]
        yield f'<tr data-agency="{esc(name)}"><th>{esc(name)}</th><td>{esc(kind)}</td><td>{esc(region)}</td>'
        for year in years:
            found = by_cell.get((agency_id, year))
            yield _cell(found) if found else f'<td class="cell empty" data-year="{year}"></td>'
        yield "</tr>"
    yield "</tbody></table>"
    if unmatched:
        yield f"<h2>未匹配的报告 unmatched reports ({len(unmatched)})</h2>"
        yield '<table id="unmatched"><tr><th>year</th><th>issuer</th><th>title</th><th>url</th></tr>'
        yield from (
            f'<tr data-report-id="{u.report_id}"><td>{u.year}</td><td>{esc(u.agency_name)}</td>'
            f"<td>{esc(u.title)}</td><td>{esc(u.url)}</td></tr>"
            for u in unmatched
        )
        yield "</table>"
    yield "</body></html>"


def render_markdown(rows: Sequence[StatusRow], *, title: str = "") -> str:
    """The heat map as a Markdown table (agencies × years, the status colours as emoji with the Chinese
    label and key): the Prefect UI's view of `nianbao timeliness --format html`."""
    years = sorted({row.year for row in rows})
    agencies: dict[int, tuple[str, str]] = {}
    by_cell: dict[tuple[int, int], StatusRow] = {}
    for row in rows:
        agencies.setdefault(row.agency.id, (row.agency.region_code, row.agency.name))
        by_cell[(row.agency.id, row.year)] = row

    def cell(found: StatusRow | None) -> str:
        if found is None:
            return ""
        late = f" +{found.days_late}d" if found.days_late else ""
        return f"{STATUS_EMOJI[found.status]} {STATUS_LABELS[found.status]}{late}"

    lines = [f"# {title}", ""] if title else []
    lines.append("legend: " + " · ".join(f"{STATUS_EMOJI[s]} {STATUS_LABELS[s]}" for s in STATUSES))
    lines.append("")
    lines.append("| agency | region | " + " | ".join(str(year) for year in years) + " |")
    lines.append("|---|---|" + "---|" * len(years))
    for agency_id in sorted(agencies, key=lambda a: agencies[a]):
        region, name = agencies[agency_id]
        cells = " | ".join(cell(by_cell.get((agency_id, year))) for year in years)
        lines.append(f"| {name.replace('|', '/')} | {region} | {cells} |")
    counts = summary(rows)
    lines.append("")
    lines.append(", ".join(f"{STATUS_LABELS[s]}: {counts[s]}" for s in STATUSES))
    return "\n".join(lines) + "\n"
