"""Year over year for one agency, or all agencies of a region side by side: what supervising offices ask.

`compare_agency` lines up every figure of an agency's reports across years with its change and percent
change, marks where the carry-over check (上年结转 = last year's 结转下年度) and the 现行有效 chain break
(the rules of `parsers.history`, so the marks are the findings the pipeline stores), and gives the
near-duplicate text ratio of each section against the year before. A blank is never 0: a change needs
both years stated. `compare_region` ranks a region's agencies for one year by requests received, with
the granted share and the correction rate in administrative review and litigation.
"""

from __future__ import annotations

import html
import io
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from parsers import templates as t
from parsers.dictionary import row_label, template_cells
from parsers.history import DUPLICATE_THRESHOLD, carry_over, in_force, lcs_ratio, normalise_text
from parsers.model import SECTION_KEYS, Finding
from parsers.model import Report as ParsedReport

Address = tuple[str, str, str]
MIN_SECTION_CHARS = 20
TABLE_TITLES = {
    "proactive": "主动公开",
    "requests": "依申请",
    "review_litigation": "复议诉讼",
    "statistics": "统计表",
}


@dataclass(frozen=True)
class Figure:
    """One printed cell in one year: value (None when not stated) and raw text."""

    value: float | int | None
    raw: str


@dataclass(frozen=True)
class Break:
    """A cross-year rule broken at a cell: rule id, what it expected and the message."""

    rule: str
    expected: float | int | None
    message: str


@dataclass
class FigureRow:
    """One cell address across years, with change against the year before where both are stated."""

    table: str
    row: str
    col: str
    label: str
    values: dict[int, Figure] = field(default_factory=dict)
    breaks: dict[int, Break] = field(default_factory=dict)

    def change(self, year: int) -> tuple[float | int, float | None] | None:
        """(change, percent change) against `year - 1`; None unless both years are stated."""
        now, before = self.values.get(year), self.values.get(year - 1)
        if now is None or before is None or now.value is None or before.value is None:
            return None
        delta = now.value - before.value
        percent = None if before.value == 0 else round(delta / before.value * 100, 1)
        return _plain(delta), percent

    def to_dict(self, years: Sequence[int]) -> dict[str, Any]:
        out: dict[str, Any] = {
            "table": self.table,
            "row": self.row,
            "col": self.col,
            "label": self.label,
            "years": {},
        }
        for year in years:
            figure = self.values.get(year)
            change = self.change(year)
            broken = self.breaks.get(year)
            out["years"][str(year)] = {
                "value": None if figure is None else figure.value,
                "raw": None if figure is None else figure.raw,
                "change": None if change is None else change[0],
                "percent": None if change is None else change[1],
                "break": None
                if broken is None
                else {"rule": broken.rule, "expected": broken.expected, "message": broken.message},
            }
        return out


@dataclass
class AgencyComparison:
    """An agency's reports across years, figure by figure."""

    agency: str
    years: list[int]
    formats: dict[int, str]
    rows: list[FigureRow]
    section_ratios: dict[int, dict[str, float | None]]
    missing_years: list[int]

    @property
    def breaks(self) -> list[tuple[int, FigureRow, Break]]:
        return [(year, row, b) for row in self.rows for year, b in sorted(row.breaks.items())]

    def to_dict(self) -> dict[str, Any]:
        return {
            "agency": self.agency,
            "years": self.years,
            "formats": {str(y): f for y, f in self.formats.items()},
            "missing_years": self.missing_years,
            "figures": [row.to_dict(self.years) for row in self.rows],
            "breaks": [
                {
                    "year": year,
                    "table": row.table,
                    "row": row.row,
                    "col": row.col,
                    "rule": b.rule,
                    "expected": b.expected,
                    "actual": row.values[year].value if year in row.values else None,
                    "message": b.message,
                }
                for year, row, b in self.breaks
            ],
            "section_ratios": {str(y): ratios for y, ratios in self.section_ratios.items()},
        }


def _plain(value: float | int) -> float | int:
    return int(value) if float(value).is_integer() else round(float(value), 4)


def _label(report: ParsedReport, table: str, row: str, col: str) -> str:
    if table == "statistics":
        entry = report.statistics.get(row) or {}
        name = str(entry.get("label") or row)
        return name if col == "value" else f"{name} / {col}"
    template = t.table_template(report.format, report.year)
    return f"{TABLE_TITLES.get(table, table)}·{row_label(template, table, row)}·{template.column_label(table, col)}"


def _order(reports: dict[int, ParsedReport]) -> list[Address]:
    """Addresses in the printed order of the newest year's format, then any others as first seen."""
    ordered: list[Address] = []
    seen: set[Address] = set()
    newest = reports[max(reports)]
    template = t.template(newest.format)
    candidates: list[Address] = list(template_cells(template)) if template else []
    for year in sorted(reports, reverse=True):
        candidates.extend((c.table, c.row, c.col) for c in reports[year].cells)
    present = {(c.table, c.row, c.col) for r in reports.values() for c in r.cells}
    for address in candidates:
        if address in present and address not in seen:
            seen.add(address)
            ordered.append(address)
    return ordered


def section_ratio(previous: str, current: str) -> float | None:
    """`lcs_ratio` of two section texts with years, whitespace and punctuation removed (the measure of
    `history.duplicate_of_previous`); None when either is too short to judge."""
    before, now = normalise_text(previous), normalise_text(current)
    if len(before) < MIN_SECTION_CHARS or len(now) < MIN_SECTION_CHARS:
        return None
    return round(lcs_ratio(before, now), 4)


def _mark(rows: dict[Address, FigureRow], year: int, findings: list[Finding]) -> None:
    for finding in findings:
        table, row, col = finding.where.split("/")
        if (table, row, col) in rows:
            rows[(table, row, col)].breaks[year] = Break(finding.rule, finding.expected, finding.message)


def compare_agency(agency: str, reports: dict[int, ParsedReport], years: Sequence[int]) -> AgencyComparison:
    """Line up `reports` (by year) over `years`: figures, changes, carry-over and 现行有效 breaks,
    section text ratios against the year before."""
    present = {year: reports[year] for year in years if year in reports}
    rows: dict[Address, FigureRow] = {}
    printed = sorted(present.items(), reverse=True)
    report_addresses = {id(r): {(c.table, c.row, c.col) for c in r.cells} for r in present.values()}
    if present:
        for address in _order(present):
            newest = next(report for _, report in printed if address in report_addresses[id(report)])
            rows[address] = FigureRow(*address, label=_label(newest, *address))
        for year, report in present.items():
            for cell in report.cells:
                rows[(cell.table, cell.row, cell.col)].values[year] = Figure(cell.value, cell.raw)
    ratios: dict[int, dict[str, float | None]] = {}
    for year, report in present.items():
        previous = reports.get(year - 1)
        if previous is None:
            continue
        _mark(rows, year, [*carry_over(previous, report), *in_force(previous, report)])
        ratios[year] = {
            key: section_ratio(previous.sections[key], report.sections[key])
            if key in previous.sections and key in report.sections
            else None
            for key in SECTION_KEYS
        }
    return AgencyComparison(
        agency=agency,
        years=list(years),
        formats={year: report.format for year, report in present.items()},
        rows=list(rows.values()),
        section_ratios=ratios,
        missing_years=[year for year in years if year not in reports],
    )


# -- a region's agencies in one year ----------------------------------------------------------


@dataclass(frozen=True)
class AgencyYear:
    """One agency's headline figures of a year, as the offices' dashboards rank them."""

    agency: str
    format: str
    received: float | int | None
    granted_share: float | None
    review_correction_rate: float | None
    litigation_correction_rate: float | None
    rank: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "rank": self.rank,
            "agency": self.agency,
            "format": self.format,
            "received": self.received,
            "granted_share": self.granted_share,
            "review_correction_rate": self.review_correction_rate,
            "litigation_correction_rate": self.litigation_correction_rate,
        }


def _ratio(part: float | int | None, whole: float | int | None) -> float | None:
    if part is None or whole is None or whole == 0:
        return None
    return round(part / whole, 4)


def _sum(values: Sequence[float | int | None]) -> float | int | None:
    if any(v is None for v in values):
        return None
    return sum(v for v in values if v is not None)


def headline(agency: str, report: ParsedReport) -> AgencyYear:
    """Requests received (一、本年新收 总计), granted share ((予以公开 + 部分公开) / （七）总计) and
    correction rate (结果纠正 / (总计 − 尚未审结)) in review and in litigation; None where not stated."""
    v = report.value
    granted = _sum([v("requests", "granted", "total"), v("requests", "partly_granted", "total")])
    suits = ("suit_direct", "suit_after_review")

    def decided(blocks: Sequence[str]) -> float | int | None:
        totals = [v("review_litigation", b, "total") for b in blocks]
        pending = [v("review_litigation", b, "pending") for b in blocks]
        total, waiting = _sum(totals), _sum(pending)
        return None if total is None or waiting is None else total - waiting

    return AgencyYear(
        agency=agency,
        format=report.format,
        received=v("requests", "new", "total"),
        granted_share=_ratio(granted, v("requests", "total", "total")),
        review_correction_rate=_ratio(v("review_litigation", "review", "corrected"), decided(["review"])),
        litigation_correction_rate=_ratio(
            _sum([v("review_litigation", b, "corrected") for b in suits]), decided(suits)
        ),
    )


def compare_region(entries: Sequence[tuple[str, ParsedReport]]) -> list[AgencyYear]:
    """A region's agencies ranked by requests received (most first; not stated last, unranked)."""
    rows = [headline(agency, report) for agency, report in entries]
    stated = sorted((r for r in rows if r.received is not None), key=lambda r: (-(r.received or 0), r.agency))
    ranked = [AgencyYear(**{**r.__dict__, "rank": i + 1}) for i, r in enumerate(stated)]
    return ranked + sorted((r for r in rows if r.received is None), key=lambda r: r.agency)


# -- rendering ------------------------------------------------------------------------------------


def _number(value: float | int | None) -> str:
    if value is None:
        return "—"
    return str(_plain(value))


def _change_text(change: tuple[float | int, float | None] | None) -> str:
    if change is None:
        return ""
    delta, percent = change
    text = f"{'+' if delta > 0 else ''}{_plain(delta)}"
    return text if percent is None else f"{text} ({'+' if percent > 0 else ''}{percent}%)"


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def _render(table: Any, width: int) -> str:
    from rich.console import Console

    buffer = io.StringIO()
    Console(file=buffer, width=width, color_system=None, legacy_windows=False).print(table)
    return buffer.getvalue()


def agency_table(comparison: AgencyComparison) -> str:
    """CJK-aligned text: one line per figure, each year's value with its change; breaks marked ✗."""
    from rich.table import Table

    table = Table(title=f"{comparison.agency} {comparison.years[0]}–{comparison.years[-1]}", show_lines=False)
    table.add_column("项目")
    for year in comparison.years:
        table.add_column(f"{year} ({comparison.formats.get(year, '无报告')})", justify="right")
    for row in comparison.rows:
        cells = []
        for year in comparison.years:
            figure = row.values.get(year)
            text = "" if figure is None else _number(figure.value)
            change = _change_text(row.change(year))
            if change:
                text = f"{text} {change}"
            if year in row.breaks:
                text = f"✗ {text}"
            cells.append(text)
        table.add_row(row.label, *cells)
    lines = [_render(table, 60 + 28 * len(comparison.years))]
    for year, row, broken in comparison.breaks:
        lines.append(f"✗ {year} {row.label}: {broken.rule}: {broken.message}\n")
    for year, ratios in sorted(comparison.section_ratios.items()):
        shown = ", ".join(
            f"{key} {ratio:.0%}{' ≥90%' if ratio >= DUPLICATE_THRESHOLD else ''}"
            for key, ratio in ratios.items()
            if ratio is not None
        )
        lines.append(f"{year} 正文与上年相同比例: {shown or '—'}\n")
    if comparison.missing_years:
        lines.append(f"no report loaded for {', '.join(map(str, comparison.missing_years))}\n")
    return "".join(lines)


def region_table(region: str, year: int, rows: Sequence[AgencyYear]) -> str:
    """CJK-aligned text of a region's ranking."""
    from rich.table import Table

    table = Table(title=f"{region} {year}")
    for name, justify in (
        ("排名", "right"),
        ("机关", "left"),
        ("收到申请", "right"),
        ("公开比例", "right"),
        ("复议纠错率", "right"),
        ("诉讼纠错率", "right"),
    ):
        table.add_column(name, justify=justify)  # type: ignore[arg-type]
    for r in rows:
        table.add_row(
            "" if r.rank is None else str(r.rank),
            r.agency,
            _number(r.received),
            _percent(r.granted_share),
            _percent(r.review_correction_rate),
            _percent(r.litigation_correction_rate),
        )
    return _render(table, 140)


_STYLE = """
body { font-family: "Noto Sans CJK SC", "Source Han Sans SC", "Microsoft YaHei", sans-serif; margin: 1.5em; }
table { border-collapse: collapse; font-size: 13px; }
th, td { border: 1px solid #bbb; padding: 3px 8px; }
tbody th { text-align: left; font-weight: normal; }
td.key { font-family: monospace; font-size: 12px; color: #444; }
#breaks li { color: #900; font-weight: bold; }
td.n { text-align: right; white-space: nowrap; }
td.break { background: #fdd; color: #900; font-weight: bold; }
.up { color: #060; } .down { color: #a00; } .dup { background: #ffe9b3; }
caption { font-size: 16px; font-weight: bold; margin-bottom: 0.5em; text-align: left; }
"""


def _page(title: str, body: str) -> str:
    return (
        f'<!DOCTYPE html>\n<html lang="zh-CN"><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
        f"<style>{_STYLE}</style></head><body>\n{body}\n</body></html>\n"
    )


def agency_html(comparison: AgencyComparison) -> str:
    """A standalone page: the figures table (breaks highlighted, `data-break` naming the rule) and the
    section ratios."""
    e = html.escape
    head = "".join(
        f'<th data-year="{y}">{y}<br><small>{e(comparison.formats.get(y, "无报告"))}</small></th>'
        for y in comparison.years
    )
    body_rows = []
    for row in comparison.rows:
        cells = []
        for year in comparison.years:
            figure = row.values.get(year)
            change = row.change(year)
            broken = row.breaks.get(year)
            classes = "n break" if broken else "n"
            attrs = f' data-year="{year}" data-value="{"" if figure is None or figure.value is None else _plain(figure.value)}"'
            if broken:
                attrs += f' data-break="{e(broken.rule)}" title="{e(broken.message)}"'
            text = "" if figure is None else e(_number(figure.value))
            if change is not None:
                direction = "up" if change[0] > 0 else "down" if change[0] < 0 else ""
                text += f' <small class="{direction}">{e(_change_text(change))}</small>'
            cells.append(f'<td class="{classes}"{attrs}>{text}</td>')
        key = f"{row.table}/{row.row}/{row.col}"
        body_rows.append(
            f'<tr data-key="{e(key)}"><th scope="row">{e(row.label)}</th><td class="key">{e(key)}</td>'
            f"{''.join(cells)}</tr>"
        )
    breaks = "".join(
        f'<li data-year="{year}" data-key="{e(row.table)}/{e(row.row)}/{e(row.col)}" data-rule="{e(b.rule)}">'
        f"{year} {e(row.table)}/{e(row.row)}/{e(row.col)} {e(row.label)}: {e(b.rule)}: {e(b.message)}</li>"
        for year, row, b in comparison.breaks
    )
    ratio_rows = "".join(
        f"<tr><th>{year}</th>{''.join(_ratio_cell(ratios.get(key)) for key in SECTION_KEYS)}</tr>"
        for year, ratios in sorted(comparison.section_ratios.items())
    )
    title = f"{comparison.agency} {comparison.years[0]}–{comparison.years[-1]}"
    body = (
        f"<h1>{e(title)}</h1>"
        f'<h2>跨年核对未通过 (carry-over / in-force breaks)</h2><ul id="breaks">{breaks or "<li>无</li>"}</ul>'
        f'<h2>正文与上年相同比例 (section text vs last year)</h2><table id="sections"><thead><tr><th></th>'
        f"{''.join(f'<th>{k}</th>' for k in SECTION_KEYS)}</tr></thead><tbody>{ratio_rows}</tbody></table>"
        f'<h2>数据 (figures)</h2><table id="figures"><thead><tr><th>项目</th><th>key</th>{head}</tr></thead>'
        f"<tbody>{''.join(body_rows)}</tbody></table>"
    )
    return _page(title, body)


def _ratio_cell(ratio: float | None) -> str:
    if ratio is None:
        return '<td class="n">—</td>'
    css = "n dup" if ratio >= DUPLICATE_THRESHOLD else "n"
    return f'<td class="{css}" data-ratio="{ratio}">{ratio:.0%}</td>'


def region_html(region: str, year: int, rows: Sequence[AgencyYear]) -> str:
    """A standalone page of a region's ranking."""
    e = html.escape
    body_rows = "".join(
        f'<tr data-agency="{e(r.agency)}" data-rank="{"" if r.rank is None else r.rank}">'
        f'<td class="n">{"" if r.rank is None else r.rank}</td><th>{e(r.agency)}</th>'
        f'<td class="n">{_number(r.received)}</td><td class="n">{_percent(r.granted_share)}</td>'
        f'<td class="n">{_percent(r.review_correction_rate)}</td>'
        f'<td class="n">{_percent(r.litigation_correction_rate)}</td></tr>'
        for r in rows
    )
    title = f"{region} {year}"
    body = (
        f'<h1>{e(title)}</h1><table id="region"><thead><tr><th>排名</th><th>机关</th><th>收到申请</th>'
        f"<th>公开比例</th><th>复议纠错率</th><th>诉讼纠错率</th></tr></thead><tbody>{body_rows}</tbody></table>"
    )
    return _page(title, body)


def as_json(document: Any) -> str:
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"
