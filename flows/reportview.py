"""One loaded report as its tables are printed: rows and columns in the template's order with their Chinese
labels, the cells a finding is about marked, the findings below with their evidence.

Pure functions (report, cells, findings → str) for `nianbao show` in text, HTML and JSON. Labels come
from the module-level tuples of `parsers.templates`; text columns are measured in display cells
(`rich.cells.cell_len`: a CJK character takes two), and no label is ever cut.
"""

from __future__ import annotations

import html
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from rich.cells import cell_len

from flows.review import FindingView
from parsers import templates as t
from storage.settings import Settings

Address = tuple[str, str, str]

TABLE_TITLES: dict[str, str] = {
    "proactive": "表二 主动公开政府信息情况",
    "requests": "表三 收到和处理政府信息公开申请情况",
    "review_litigation": "表四 政府信息公开行政复议、行政诉讼情况",
    "statistics": "政府信息公开情况统计表",
    "other": "其他单元格 other cells",
}


@dataclass(frozen=True)
class GridRow:
    """A printed row: its label and, per column, the cell address shown there (None: nothing printed)."""

    label: str
    addresses: tuple[Address | None, ...] = ()
    heading: bool = False


@dataclass(frozen=True)
class Grid:
    """One printed table block: header lines (first column is the label column) and rows."""

    header: tuple[tuple[str, ...], ...]
    rows: tuple[GridRow, ...]


@dataclass(frozen=True)
class Layout:
    """A table of the report as the template prints it (one or more blocks)."""

    key: str
    title: str
    grids: tuple[Grid, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class ReportHeader:
    """What `show` prints above the tables."""

    id: int
    document_id: int
    agency: str
    year: int | None
    format: str
    status: str
    title: str
    url: str
    original: str
    published_at: str


def _proactive(fmt: str) -> Layout:
    columns = dict(t.PROACTIVE_COLUMNS_2019 if fmt == "gov2019" else t.PROACTIVE_COLUMNS_2021)
    rows = t.PROACTIVE_ROWS_2019 if fmt == "gov2019" else t.PROACTIVE_ROWS_2021
    grids: list[Grid] = []
    block: list[tuple[str, str, tuple[str, ...]]] = []
    for row in [*rows, None]:
        if block and (row is None or row[2] != block[0][2]):
            cols = block[0][2]
            grids.append(
                Grid(
                    header=(("信息内容", *(columns[c] for c in cols)),),
                    rows=tuple(
                        GridRow(label, tuple(("proactive", key, c) for c in cols)) for key, label, _ in block
                    ),
                )
            )
            block = []
        if row is not None:
            block.append(row)
    return Layout("proactive", TABLE_TITLES["proactive"], tuple(grids))


def _requests(fmt: str) -> Layout:
    rows = t.REQUEST_ROWS_2019 if fmt == "gov2019" else t.REQUEST_ROWS_2021
    columns = t.REQUEST_COLUMNS
    results = next(row.group for row in rows if row.key == "granted")
    printed: list[GridRow] = []
    groups_shown: set[str] = set()
    for row in rows:
        parents = [row.group] if row.group else []
        if row.group and row.group != results and row.group.startswith("（"):
            parents = [results, row.group]
        for group in parents:
            if group not in groups_shown:
                groups_shown.add(group)
                printed.append(GridRow(group, tuple(None for _ in columns), heading=True))
        printed.append(GridRow(row.label, tuple(("requests", row.key, col) for col, _ in columns)))
    header = (
        ("", "申请人情况", *("" for _ in columns[1:])),
        ("", *(label for _, label in columns)),
    )
    return Layout("requests", TABLE_TITLES["requests"], (Grid(header, tuple(printed)),))


def _review() -> Layout:
    blocks, columns = t.REVIEW_BLOCKS, t.REVIEW_COLUMNS
    top = ("", *(label if i == 0 else "" for _, label in blocks for i, _ in enumerate(columns)))
    second = ("", *(label for _ in blocks for _, label in columns))
    addresses = tuple(("review_litigation", block, col) for block, _ in blocks for col, _ in columns)
    grid = Grid((top, second), (GridRow("", addresses),))
    return Layout("review_litigation", TABLE_TITLES["review_litigation"], (grid,))


def _statistics(cells: Mapping[Address, str], statistics: Mapping[str, Mapping[str, Any]]) -> Layout:
    paths: list[str] = []
    columns: list[str] = []
    for table, row, col in cells:
        if table != "statistics":
            continue
        if row not in paths:
            paths.append(row)
        if col not in columns:
            columns.append(col)
    columns.sort(key=lambda col: col != "value")
    header = (("指标", *("本期 value" if c == "value" else c for c in columns)),)
    rows = []
    for path in paths:
        entry = statistics.get(path, {})
        label = str(entry.get("label") or path)
        unit = str(entry.get("unit") or "")
        label = f"{label}（{unit}）" if unit not in ("", "—", "-") else label
        rows.append(GridRow(label, tuple(("statistics", path, c) for c in columns)))
    return Layout("statistics", TABLE_TITLES["statistics"], (Grid(header, tuple(rows)),))


def layouts(
    fmt: str, cells: Mapping[Address, str], statistics: Mapping[str, Mapping[str, Any]]
) -> list[Layout]:
    """The tables of a report in print order; cells no template places are listed last, never dropped."""
    found: list[Layout] = []
    if any(table == "statistics" for table, _, _ in cells):
        found.append(_statistics(cells, statistics))
    if any(table != "statistics" for table, _, _ in cells) or fmt in ("gov2019", "gov2021"):
        found += [_proactive(fmt), _requests(fmt), _review()]
    placed = {a for layout in found for grid in layout.grids for row in grid.rows for a in row.addresses if a}
    extra = [address for address in cells if address not in placed]
    if extra:
        rows = tuple(GridRow("/".join(address), (address,)) for address in extra)
        found.append(Layout("other", TABLE_TITLES["other"], (Grid((("cell", "raw"),), rows),)))
    return found


def cell_label(fmt: str, table: str, row: str, col: str) -> str:
    """The printed labels of a cell address, e.g. `（七）总计 / 自然人`; the keys where no template names it."""
    if table == "requests":
        rows = {r.key: r.label for r in (t.REQUEST_ROWS_2019 if fmt == "gov2019" else t.REQUEST_ROWS_2021)}
        return f"{rows.get(row, row)} / {dict(t.REQUEST_COLUMNS).get(col, col)}"
    if table == "proactive":
        rows_2 = t.PROACTIVE_ROWS_2019 if fmt == "gov2019" else t.PROACTIVE_ROWS_2021
        columns = dict(t.PROACTIVE_COLUMNS_2019 if fmt == "gov2019" else t.PROACTIVE_COLUMNS_2021)
        return f"{ {k: label for k, label, _ in rows_2}.get(row, row) } / {columns.get(col, col)}"
    if table == "review_litigation":
        return f"{dict(t.REVIEW_BLOCKS).get(row, row)} / {dict(t.REVIEW_COLUMNS).get(col, col)}"
    return f"{row} / {col}"


def marks_of(findings: Sequence[FindingView]) -> dict[Address, list[int]]:
    """The finding ids each cell of this report is evidence for (cells of other years left out)."""
    marks: dict[Address, list[int]] = {}
    for finding in findings:
        for ref in finding.cells:
            if ref.get("year") not in (None, finding.year):
                continue
            address = (str(ref["table"]), str(ref["row"]), str(ref["col"]))
            if finding.id not in marks.setdefault(address, []):
                marks[address].append(finding.id)
    return marks


# -- text -------------------------------------------------------------------------------------


def _pad(text: str, width: int, right: bool = False) -> str:
    gap = " " * (width - cell_len(text))
    return gap + text if right else text + gap


def _grid_lines(grid: Grid, cells: Mapping[Address, str], marks: Mapping[Address, list[int]]) -> list[str]:
    def shown(address: Address | None) -> str:
        if address is None:
            return ""
        raw = cells.get(address, "")
        flagged = marks.get(address)
        return f"{raw} [{','.join(f'#{i}' for i in flagged)}]" if flagged else raw

    body = [(row.label, *(shown(a) for a in row.addresses)) for row in grid.rows]
    headings = {n for n, row in enumerate(grid.rows, start=len(grid.header)) if row.heading}
    lines = [*grid.header, *body]
    width = max(len(line) for line in lines)
    widths = [max(cell_len(line[i]) if i < len(line) else 0 for line in lines) for i in range(width)]
    out = []
    for n, line in enumerate(lines):
        is_body = n >= len(grid.header)
        if n in headings:
            out.append(line[0])  # a merged group label spans the row
            continue
        padded = [_pad(text, widths[i], right=is_body and i > 0) for i, text in enumerate(line)]
        out.append(" | ".join(padded).rstrip())
        if n == len(grid.header) - 1:
            out.append("-+-".join("-" * w for w in widths))
    return out


def render_text(
    header: ReportHeader,
    cell_raw: Mapping[Address, str],
    statistics: Mapping[str, Mapping[str, Any]],
    findings: Sequence[FindingView],
) -> str:
    """The report for a terminal: what it is, its tables as printed with flagged cells, its findings."""
    marks = marks_of(findings)
    lines = [
        f"报告 report {header.id}: {header.agency} {header.year or '?'}年 ({header.format}, {header.status})",
        f"标题 title: {header.title}",
        f"页面 page: {header.url}",
        f"原件 original: {header.original}",
    ]
    if header.published_at:
        lines.append(f"发布 published: {header.published_at}")
    for layout in layouts(header.format, cell_raw, statistics):
        lines += ["", layout.title]
        for grid in layout.grids:
            lines += _grid_lines(grid, cell_raw, marks)
            lines.append("")
    lines += [
        "",
        f"问题 findings ({len(findings)})" + ("; [#N] marks a cell finding #N is about" if marks else ""),
    ]
    lines += finding_lines(findings, header.format) if findings else ["none"]
    return "\n".join(lines).rstrip() + "\n"


def finding_lines(findings: Sequence[FindingView], fmt: str | None = None) -> list[str]:
    """Each finding as a few lines: what, where, expected vs actual, the evidence cells, the decision."""
    out: list[str] = []
    for f in findings:
        out.append(f"#{f.id} {f.severity} {f.rule} — {f.agency} {f.year or '?'}年 — {f.where}")
        out.append(f"    {f.message}")
        if f.expected is not None or f.actual is not None:
            out.append(f"    expected {_num(f.expected)}, actual {_num(f.actual)}")
        for ref in f.cells:
            page = f" p.{ref['page']}" if ref.get("page") else ""
            year = f" ({ref['year']})" if ref.get("year") not in (None, f.year) else ""
            label = cell_label(fmt or f.format, str(ref["table"]), str(ref["row"]), str(ref["col"]))
            where = f"{ref['table']}/{ref['row']}/{ref['col']}"
            out.append(f"    cell {where}{year}{page} = {ref.get('raw', '')!r}  {label}")
        out.append(
            f"    review: {f.review.line() if f.review else 'open (nianbao findings confirm|dismiss ' + str(f.id) + ' --note …)'}"
        )
        out.append(f"    original: {f.original or f.url}  page: {f.url}")
        out.append(f"    fingerprint: {f.fingerprint[:16]}")
    return out


def _num(value: float | int | None) -> str:
    return "—" if value is None else str(value)


# -- HTML and JSON ----------------------------------------------------------------------------

_CSS = """
body{font-family:"Noto Sans CJK SC","PingFang SC","Microsoft YaHei",sans-serif;margin:2em;color:#222}
table{border-collapse:collapse;margin:.5em 0 1.5em}th,td{border:1px solid #bbb;padding:.25em .5em}
td.value{text-align:right;min-width:3em}td.flagged{background:#ffcdd2;font-weight:bold}
tr.heading th{text-align:left;background:#f5f5f5}.finding{margin-bottom:1em}
.severity-error{color:#c62828}.severity-warning{color:#ef6c00}.severity-info{color:#555}
"""


def render_html(
    header: ReportHeader,
    cell_raw: Mapping[Address, str],
    statistics: Mapping[str, Mapping[str, Any]],
    findings: Sequence[FindingView],
) -> str:
    """A self-contained page (inline CSS): the tables with flagged cells, then the findings with evidence."""
    esc = html.escape
    marks = marks_of(findings)
    title = f"{header.agency} {header.year or '?'}年 政府信息公开工作年度报告"
    parts = [
        "<!DOCTYPE html>",
        '<html lang="zh-CN"><head><meta charset="utf-8">',
        f"<title>{esc(title)}</title><style>{_CSS}</style></head><body>",
        f'<h1 data-report-id="{header.id}">{esc(title)}</h1>',
        f"<p>{esc(header.title)} · {esc(header.format)} · {esc(header.status)}</p>",
        f'<p>页面 page: <a href="{esc(header.url)}">{esc(header.url)}</a> · '
        f'原件 original: <a href="{esc(header.original)}">{esc(header.original)}</a></p>',
    ]
    for layout in layouts(header.format, cell_raw, statistics):
        parts.append(f"<h2>{esc(layout.title)}</h2>")
        for grid in layout.grids:
            parts.append(f'<table data-table="{esc(layout.key)}"><thead>')
            for line in grid.header:
                parts.append("<tr>" + "".join(f"<th>{esc(text)}</th>" for text in line) + "</tr>")
            parts.append("</thead><tbody>")
            for row in grid.rows:
                label = esc(row.label)
                if row.heading:
                    parts.append(
                        f'<tr class="heading"><th colspan="{len(row.addresses) + 1}">{label}</th></tr>'
                    )
                    continue
                tds = []
                for address in row.addresses:
                    if address is None:
                        tds.append("<td></td>")
                        continue
                    flagged = marks.get(address)
                    attrs = f'class="value{" flagged" if flagged else ""}" data-row="{esc(address[1])}" data-col="{esc(address[2])}"'
                    if flagged:
                        attrs += f' data-findings="{",".join(str(i) for i in flagged)}"'
                        attrs += f' title="{esc(", ".join(f"#{i}" for i in flagged))}"'
                    tds.append(f"<td {attrs}>{esc(cell_raw.get(address, ''))}</td>")
                parts.append(f"<tr><th>{label}</th>{''.join(tds)}</tr>")
            parts.append("</tbody></table>")
    parts.append(f"<h2>问题 findings ({len(findings)})</h2>")
    for f in findings:
        parts.append(
            f'<div class="finding severity-{esc(f.severity)}" id="finding-{f.id}" data-fingerprint="{f.fingerprint}">'
        )
        parts.append(f"<h3>#{f.id} {esc(f.severity)} {esc(f.rule)} — {esc(f.where)}</h3>")
        parts.append(f"<p>{esc(f.message)}</p>")
        if f.expected is not None or f.actual is not None:
            parts.append(f"<p>expected {_num(f.expected)}, actual {_num(f.actual)}</p>")
        if f.cells:
            parts.append(
                "<table><tr><th>cell</th><th>label</th><th>year</th><th>page</th><th>printed</th></tr>"
            )
            for ref in f.cells:
                where = f"{ref['table']}/{ref['row']}/{ref['col']}"
                label = cell_label(header.format, str(ref["table"]), str(ref["row"]), str(ref["col"]))
                parts.append(
                    f"<tr><td>{esc(where)}</td><td>{esc(label)}</td><td>{ref.get('year') or f.year or ''}</td>"
                    f"<td>{ref.get('page') or ''}</td><td>{esc(str(ref.get('raw', '')))}</td></tr>"
                )
            parts.append("</table>")
        review = f.review.line() if f.review else "open"
        parts.append(f'<p class="review">review: {esc(review)}</p></div>')
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def render_json(header: ReportHeader, report_json: Mapping[str, Any], findings: Sequence[FindingView]) -> str:
    """The canonical report JSON (`nianbao parse --json`) with its ids, links and reviewed findings."""
    document = {
        **report_json,
        "id": header.id,
        "document_id": header.document_id,
        "agency": header.agency,
        "year": header.year,
        "url": header.url,
        "original": header.original,
        "published_at": header.published_at or None,
        "findings": [f.to_dict() for f in findings],
    }
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"


def report_page(report_id: int, output_format: str, settings: Settings | None = None) -> str | None:
    """`nianbao show REPORT_ID` as text (`table`), `html` or `json`; None when there is no such report."""
    from flows.review import agency_of, finding_views, original_links
    from storage import repository
    from storage.db import session_scope
    from storage.domain import SHANGHAI, as_utc
    from storage.settings import get_settings

    settings = settings or get_settings()
    with session_scope(settings) as session:
        listed = repository.report_listing(session, report_id=report_id)
        if not listed:
            return None
        report, document, registered = listed[0]
        findings = finding_views(session, settings, report_id=report_id)
        header = ReportHeader(
            id=report.id,
            document_id=document.id,
            agency=agency_of(report, registered),
            year=report.year,
            format=report.format,
            status=report.status,
            title=report.title or document.title,
            url=document.url,
            original=original_links(settings, [document]).get(document.id, ""),
            published_at=as_utc(report.published_at).astimezone(SHANGHAI).isoformat()
            if report.published_at
            else "",
        )
        cell_raw = {(c.table_name, c.row_key, c.col_key): c.raw for c in report.cells}
        statistics = dict(report.statistics or {})
        report_json = repository.report_from_row(report).to_json() if output_format == "json" else {}
    if output_format == "html":
        return render_html(header, cell_raw, statistics, findings)
    if output_format == "json":
        return render_json(header, report_json, findings)
    return render_text(header, cell_raw, statistics, findings)
