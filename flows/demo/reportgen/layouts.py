"""Real layouts: a report printed the way real reports are, with the spec its parse must give.

Each variant is a spec change (what is printed changes, the ground truth with it) and/or a rendering
(the standard renderers with a `relayout` of their tables, or a renderer of its own):
- blank rows: `blank_rows` prints result rows with every cell empty (`&nbsp;`, empty PDF/DOCX cells);
- label cells: `render_label_cells` prints （一）…（七） merged across the label and sub-label columns
  (gridSpan / SPAN), beside an empty cell, or merged by Word 97's `<w:hMerge>`;
- pre-2014 statistics: `pre2014` and `render_pre2014` (指标名称 / 计量单位 / 2013年度 / 历年累计), also as
  Word-exported HTML (`render_word_html`);
- Markdown: `render_markdown` (pipe tables split by a page footer, labels split over rows);
- titles and bylines: `retitle`, `render_titled`, `render_with_source`, `companion_page`.
"""

from __future__ import annotations

import html
import io
import itertools
import random
from collections.abc import Callable
from dataclasses import replace

from flows.demo.reportgen.as_docx import _fixed_zip_times, render_docx
from flows.demo.reportgen.as_html import render_html
from flows.demo.reportgen.as_pdf import render_pdf
from flows.demo.reportgen.as_text import render_text
from flows.demo.reportgen.figures import STAT2014_INDICATORS
from flows.demo.reportgen.layout import (
    CORNER_TEXT,
    Grid,
    GridCell,
    appendix_title,
    body_sections,
    statistics_grid,
)
from flows.demo.reportgen.prose import preamble, write_sections
from flows.demo.reportgen.spec import ReportSpec, document_time
from parsers import templates
from parsers.model import Cell

Relayout = Callable[[Grid], Grid]
RESULTS_LABEL = "三、本年度办理结果"


def _request_rows(fmt: str) -> tuple[templates.Row, ...]:
    return templates.REQUEST_ROWS_2019 if fmt == "gov2019" else templates.REQUEST_ROWS_2021


def _result_keys(fmt: str) -> tuple[str, ...]:
    return tuple(r.key for r in _request_rows(fmt)[2:-2])


def _renderer(kind: str) -> Callable[..., bytes]:
    renderers: dict[str, Callable[..., bytes]] = {"html": render_html, "pdf": render_pdf, "docx": render_docx}
    if kind not in renderers:
        raise ValueError(f"unknown kind {kind!r}, expected one of {', '.join(renderers)}")
    return renderers[kind]


# ---------------------------------------------------------------------------------------------
# Blank rows


def blank_rows(spec: ReportSpec, rows: tuple[str, ...] = ()) -> ReportSpec:
    """A copy of `spec` whose result `rows` (default: one drawn from the seed) print every cell empty.

    Their figures move into （一）予以公开 first, so every stated number still adds up; the blank cells
    are "not stated" (value None, raw ""), and the texts are rewritten from the new figures."""
    if spec.format == "stat2014":
        raise ValueError("stat2014 reports have no table 3")
    results = _result_keys(spec.format)
    if not rows:
        rows = (random.Random(f"{spec.seed}:blank").choice(results[1:-1]),)
    if "granted" in rows or any(r not in results for r in rows):
        raise ValueError(f"blank rows must be result rows other than granted, got {rows}")
    moved = {col: sum(spec.number("requests", r, col) for r in rows) for col, _l in templates.REQUEST_COLUMNS}
    cells: list[Cell] = []
    for cell in spec.cells:
        if cell.table == "requests" and cell.row in rows:
            cells.append(replace(cell, value=None, raw=""))
        elif cell.table == "requests" and cell.row == "granted" and moved[cell.col]:
            value = spec.number("requests", "granted", cell.col) + moved[cell.col]
            cells.append(replace(cell, value=value, raw=str(value)))
        else:
            cells.append(cell)
    blanked = replace(spec, cells=cells)
    blanked.sections = write_sections(blanked)
    return blanked


def render_blank_rows(spec: ReportSpec, kind: str) -> bytes:
    """A `blank_rows` spec as HTML (blank cells written `&nbsp;`, as CMS editors save them), PDF or DOCX
    (empty ruled cells)."""
    data = _renderer(kind)(spec)
    if kind != "html":
        return data
    page = data.decode()
    start = page.rindex("<table", 0, page.index(html.escape(CORNER_TEXT)))
    end = page.index("</table>", start)
    table = page[start:end].replace("<span></span>", "<span>&nbsp;</span>")
    return (page[:start] + table + page[end:]).encode()


# ---------------------------------------------------------------------------------------------
# Label cells of table 3

LABEL_MERGES: tuple[str, ...] = ("span", "empty_cell", "hmerge")


def label_beside_empty_cell(grid: Grid) -> Grid:
    """Table 3 with （一）…（七） in the label column beside an empty sub-label cell instead of spanning it."""
    if grid.name != "requests":
        return grid
    cells: list[GridCell] = []
    for c in grid.cells:
        if c.row >= grid.header_rows and c.col == 1 and c.colspan == 2:
            cells.extend([replace(c, colspan=1), GridCell(c.row, 2, "")])
        else:
            cells.append(c)
    return replace(grid, cells=cells)


def _hmerge_labels(data: bytes, spec: ReportSpec) -> bytes:
    """Mark each label cell and the empty cell after it with Word 97's <w:hMerge> (restart/continue)."""
    import docx
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    labels = {r.label for r in _request_rows(spec.format) if r.group == RESULTS_LABEL}
    document = docx.Document(io.BytesIO(data))
    for table in document.tables:
        for tr in table._tbl.tr_lst:
            tcs = list(tr.tc_lst)
            for left, right in itertools.pairwise(tcs):
                text = "".join(t.text or "" for t in left.iter(qn("w:t")))
                if text not in labels:
                    continue
                for tc, restart in ((left, True), (right, False)):
                    mark = OxmlElement("w:hMerge")
                    if restart:
                        mark.set(qn("w:val"), "restart")
                    tc.get_or_add_tcPr().append(mark)
    out = io.BytesIO()
    document.save(out)
    return _fixed_zip_times(out.getvalue(), document_time(spec))


def render_label_cells(spec: ReportSpec, kind: str, merge: str) -> bytes:
    """Table 3's （一）…（七） labels in a DOCX or PDF: "span" merged across the label and sub-label columns
    (gridSpan / a reportlab SPAN, the standard rendering), "empty_cell" beside an empty cell, "hmerge"
    (DOCX only) beside an empty cell joined to it by <w:hMerge>."""
    if kind not in ("docx", "pdf") or merge not in LABEL_MERGES or (merge == "hmerge" and kind != "docx"):
        raise ValueError(f"no label layout {merge!r} for {kind!r}")
    render = _renderer(kind)
    if merge == "span":
        return render(spec)
    data = render(spec, relayout=label_beside_empty_cell)
    return _hmerge_labels(data, spec) if merge == "hmerge" else data


# ---------------------------------------------------------------------------------------------
# Statistics tables before 2014

CUMULATIVE = "历年累计"


def pre2014(spec: ReportSpec, year: int = 2013) -> ReportSpec:
    """A stat2014 spec as a statistics table of `year` (before 2014) prints it: a second value column
    历年累计 (cumulative since 2008), keyed `历年累计`; group rows print "—" in both."""
    if spec.format != "stat2014":
        raise ValueError("pre-2014 tables are statistics tables")
    rng = random.Random(f"{spec.seed}:pre2014")
    agency = spec.agency or ""
    cells: list[Cell] = []
    statistics = {path: dict(entry) for path, entry in spec.statistics.items()}
    for cell in spec.cells:
        if cell.table != "statistics":
            cells.append(cell)
            continue
        value = cell.value
        total: int | float | None = None
        if isinstance(value, float):
            total = round(value + rng.randint(0, 500) / 100, 2)
        elif isinstance(value, int):
            total = value + rng.randint(0, 5 * value + 3)
        raw = "—" if total is None else (f"{total:.2f}" if isinstance(total, float) else str(total))
        cells.extend([cell, Cell("statistics", cell.row, CUMULATIVE, total, raw)])
        statistics[cell.row]["values"] = {f"{year}年度": value, CUMULATIVE: total}
    old = replace(spec, year=year, title=f"{agency}{year}年政府信息公开工作年度报告", cells=cells)
    old.statistics = statistics
    old.sections = write_sections(old)
    return old


def pre2014_header(spec: ReportSpec) -> Relayout:
    """The relayout printing the statistics table headed 指标名称 / 计量单位 / <year>年度 / 历年累计."""

    def relayout(grid: Grid) -> Grid:
        if grid.name != "statistics":
            return grid
        heads = ("指标名称", "计量单位", f"{spec.year}年度", CUMULATIVE)
        cells = [GridCell(0, i, text, header=True) for i, text in enumerate(heads)]
        for i, ind in enumerate(STAT2014_INDICATORS, 1):
            cells.extend(
                GridCell(i, col, text)
                for col, text in enumerate(
                    (
                        ind.label,
                        ind.unit,
                        spec.raw("statistics", ind.path, "value"),
                        spec.raw("statistics", ind.path, CUMULATIVE),
                    )
                )
            )
        return Grid("statistics", grid.nrows, (6.0, 1.0, 1.2, 1.2), cells, header_rows=1)

    return relayout


def pre2014_caption(spec: ReportSpec) -> str:
    """The caption above a pre-2014 table (it does not say 政府信息公开情况统计表)."""
    return f"{spec.agency or ''}{spec.year}年度政府信息公开工作数据"


def render_pre2014(spec: ReportSpec, kind: str) -> bytes:
    """A `pre2014` spec as an article page ("html") or as Word's "save as web page" ("word_html");
    the table is headed 指标名称 / 计量单位 / 2013年度 / 历年累计 and no 统计指标 or 统计表 words appear."""
    if kind == "word_html":
        return render_word_html(spec, relayout=pre2014_header(spec), caption=pre2014_caption(spec))
    if kind != "html":
        raise ValueError(f"unknown kind {kind!r}, expected html or word_html")
    page = render_html(spec, relayout=pre2014_header(spec)).decode()
    return page.replace(html.escape(appendix_title(spec)), html.escape(pre2014_caption(spec))).encode()


def _word_runs(text: str) -> str:
    """Text as Word's HTML export writes it: CJK runs in 宋体 spans, digits and Latin in lang=EN-US spans."""
    parts: list[str] = []
    for ch in text:
        if parts and parts[-1][-1].isascii() == ch.isascii():
            parts[-1] += ch
        else:
            parts.append(ch)
    spans = [
        f"<span lang=EN-US style='font-size:10.5pt'>{html.escape(p)}</span>"
        if p.isascii()
        else f"<span style='font-size:10.5pt;font-family:宋体'>{html.escape(p)}</span>"
        for p in parts
    ]
    return "".join(spans) or "<span lang=EN-US><o:p>&nbsp;</o:p></span>"


def _word_table(grid: Grid) -> str:
    rows = []
    for r in range(grid.nrows):
        tds = []
        for c in grid.at(r):
            span = (f" rowspan={c.rowspan}" if c.rowspan > 1 else "") + (
                f" colspan={c.colspan}" if c.colspan > 1 else ""
            )
            tds.append(
                f"<td{span} valign=top style='border:solid windowtext 1.0pt;mso-border-alt:solid windowtext "
                ".5pt;padding:0cm 5.4pt 0cm 5.4pt'><p class=MsoNormal align=center style='text-align:center'>"
                f"{_word_runs(c.text)}<span lang=EN-US><o:p></o:p></span></p></td>"
            )
        rows.append(f"<tr style='mso-yfti-irow:{r}'>" + "".join(tds) + "</tr>")
    return (
        "<table class=MsoNormalTable border=1 cellspacing=0 cellpadding=0 style='border-collapse:collapse;"
        "border:none;mso-border-alt:solid windowtext .5pt;mso-yfti-tbllook:1184'>"
        + "".join(rows)
        + "</table>"
    )


def render_word_html(spec: ReportSpec, *, relayout: Relayout | None = None, caption: str = "") -> bytes:
    """The report as Word's "save as web page" writes it (GB2312, MsoNormal paragraphs, mso- styles,
    <o:p> placeholders); `caption` replaces the statistics appendix's title."""

    def para(text: str, indent: bool = True) -> str:
        style = " style='text-indent:21.0pt'" if indent else " align=center style='text-align:center'"
        return f"<p class=MsoNormal{style}>{_word_runs(text)}</p>"

    def table(grid: Grid) -> str:
        return _word_table(relayout(grid) if relayout else grid)

    parts = [para(spec.title, indent=False), para(preamble(spec))]
    for heading, key, tables in body_sections(spec):
        parts.append(para(heading))
        parts.extend(para(p) for p in spec.sections[key].split("\n") if p)
        parts.extend(table(g) for g in tables)
    if spec.format == "stat2014":
        parts.extend([para("附件："), para(caption or appendix_title(spec), indent=False)])
        parts.append(table(statistics_grid(spec)))
    page = (
        '<html xmlns:o="urn:schemas-microsoft-com:office:office"><head>'
        '<meta http-equiv=Content-Type content="text/html; charset=gb2312">'
        '<meta name=Generator content="Microsoft Word 12 (filtered)">'
        f"<title>{html.escape(spec.title)}</title><!--[if gte mso 9]><xml><o:DocumentProperties>"
        "<o:Author>admin</o:Author></o:DocumentProperties></xml><![endif]--></head>"
        "<body lang=ZH-CN style='tab-interval:21.0pt'><div class=WordSection1>"
        + "\n".join(parts)
        + "</div></body></html>"
    )
    return page.encode("gbk", errors="xmlcharrefreplace")


# ---------------------------------------------------------------------------------------------
# Markdown pipe tables


def _pipe(cells: list[str]) -> str:
    return "| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |"


def _grid_rows(grid: Grid) -> list[list[str]]:
    """The grid as rows of strings, a merged cell's text in its top-left slot and "" elsewhere."""
    rows = [[""] * grid.ncols for _ in range(grid.nrows)]
    for c in grid.cells:
        rows[c.row][c.col] = c.text
    return rows


def _split_label(row: list[str], label_col: int) -> list[list[str]] | None:
    """A data row whose long label (with a "，") is printed over two rows, the values on the second."""
    label = row[label_col]
    if len(label) <= 20 or "，" not in label:
        return None
    cut = label.index("，") + 1
    first = [*row[:label_col], label[:cut], *[""] * (len(row) - label_col - 1)]
    second = ["" for _ in row[: label_col + 1]] + row[label_col + 1 :]
    second[label_col] = label[cut:]
    first[0] = row[0]
    return [first, second]


def _pipe_table(grid: Grid, *, split_at: int, page: int, split_labels: bool) -> tuple[list[str], int]:
    """A grid as pipe tables; requests split before data row `split_at` by a page footer `- N -`."""
    rows = _grid_rows(grid)
    lines: list[str] = []
    first_data = max(grid.header_rows, 1)
    out_rows: list[list[str]] = []
    for r, row in enumerate(rows):
        pieces = (
            _split_label(row, 1) if split_labels and grid.name == "requests" and r >= first_data else None
        )
        out_rows.extend(pieces or [row])
        if r == 0:
            out_rows.append(["---"] * grid.ncols)
        if grid.name == "requests" and split_at and r == grid.header_rows + split_at - 1:
            out_rows.append([])
    table: list[str] = []
    fresh = False
    for row in out_rows:
        if not row:
            lines.extend([*table, "", f"- {page} -", ""])
            page += 1
            table, fresh = [], True
            continue
        table.append(_pipe(row))
        if fresh:
            table.append(_pipe(["---"] * grid.ncols))
            fresh = False
    lines.extend(table)
    return lines, page


def render_markdown(spec: ReportSpec, *, split_at: int = 10, split_labels: bool = True) -> bytes:
    """The report as an OCR or PDF-to-Markdown tool writes it: `#` title, `##` headings, each table a
    pipe table without merges (a merged label's text in its first slot); table 3 cut into two pipe
    tables after `split_at` data rows by a page footer `- N -` (0: not cut), and with `split_labels`
    long labels with a "，" broken over two rows (the values on the second)."""
    lines = [f"# {spec.title}", "", preamble(spec), ""]
    page = 1
    for heading, key, tables in body_sections(spec):
        lines.extend([f"## {heading}", ""])
        lines.extend(p for para in spec.sections[key].split("\n") if para for p in (para, ""))
        for grid in tables:
            table, page = _pipe_table(grid, split_at=split_at, page=page, split_labels=split_labels)
            lines.extend([*table, ""])
    if spec.format == "stat2014":
        lines.extend(["附件：", "", f"**{appendix_title(spec)}**", ""])
        table, page = _pipe_table(statistics_grid(spec), split_at=0, page=page, split_labels=False)
        lines.extend([*table, ""])
    lines.extend([f"- {page} -", ""])
    return "\n".join(lines).encode("utf-8")


# ---------------------------------------------------------------------------------------------
# Titles, agencies and bylines

TITLE_STYLES: tuple[str, ...] = ("year_first", "two_lines", "chinese_year", "bracketed_year")
AGENCY_NAMES: tuple[str, ...] = (
    "银川市西夏区",
    "上海市浦东新区",
    "平潭综合实验区",
    "银川经济技术开发区",
    "宁东能源化工基地管委会",
    "银川市人民政府办公室",
)
"""Issuers ending in 区, 新区, 综合实验区, 开发区, 管委会, 办公室."""
COMPANION_KINDS: tuple[str, ...] = ("图解", "一图读懂", "政策解读")
_CN_DIGITS = "〇一二三四五六七八九"


def chinese_year(year: int) -> str:
    """2021 → 二〇二一."""
    return "".join(_CN_DIGITS[int(d)] for d in str(year))


def retitle(spec: ReportSpec, style: str) -> ReportSpec:
    """`spec` with its title printed in `style`: "year_first" (2019年<agency>政府信息公开工作年度报告),
    "chinese_year" (<agency>二〇二一年…), "bracketed_year" (<agency>…年度报告（2021）) or "two_lines" (the
    standard title, printed over two lines by `render_titled`)."""
    agency, kind = spec.agency or "", "政府信息公开工作年度报告"
    titles = {
        "year_first": f"{spec.year}年{agency}{kind}",
        "two_lines": spec.title,
        "chinese_year": f"{agency}{chinese_year(spec.year)}年{kind}",
        "bracketed_year": f"{agency}{kind}（{spec.year}）",
    }
    if style not in titles:
        raise ValueError(f"unknown title style {style!r}, expected one of {', '.join(TITLE_STYLES)}")
    return replace(spec, title=titles[style])


def _title_lines(spec: ReportSpec, style: str) -> list[str]:
    if style == "two_lines" and spec.agency and spec.title.startswith(spec.agency):
        return [spec.agency, spec.title[len(spec.agency) :]]
    return [spec.title]


def render_titled(spec: ReportSpec, style: str, kind: str) -> bytes:
    """A `retitle`d spec as text (the title's lines first) or as an article page (the <h1> broken by
    <br> for "two_lines")."""
    lines = _title_lines(spec, style)
    if kind == "text":
        text = render_text(spec).decode()
        return "\n".join([*lines, text.split("\n", 1)[1]]).encode()
    if kind == "html":
        page = render_html(spec).decode()
        h1 = f'<h1 class="title">{html.escape(spec.title)}</h1>'
        broken = '<h1 class="title">' + "<br>".join(html.escape(line) for line in lines) + "</h1>"
        return page.replace(h1, broken).encode()
    raise ValueError(f"unknown kind {kind!r}, expected text or html")


def render_with_source(spec: ReportSpec, source: str, kind: str) -> bytes:
    """The report with a site template's byline `来源：<source>` naming another body near the title
    (the HTML page's info line and ContentSource meta; a text line right under the title)."""
    if kind == "text":
        first, rest = render_text(spec).decode().split("\n", 1)
        byline = f"来源：{source}　　发布时间：{spec.published}"
        return "\n".join([first, byline, rest]).encode()
    if kind == "html":
        page = render_html(spec).decode()
        own = html.escape(spec.agency or "")
        page = page.replace(f"<span>来源：{own}</span>", f"<span>来源：{html.escape(source)}</span>")
        page = page.replace(
            f'name="ContentSource" content="{own}"', f'name="ContentSource" content="{source}"'
        )
        return page.encode()
    raise ValueError(f"unknown kind {kind!r}, expected text or html")


def companion_title(spec: ReportSpec, kind: str) -> str:
    """The title of an infographic or explainer of the report: 图解：…, 一图读懂…, …政策解读."""
    titles = {
        "图解": f"图解：{spec.title}",
        "一图读懂": f"一图读懂{spec.title}",
        "政策解读": f"{spec.title}政策解读",
    }
    if kind not in titles:
        raise ValueError(f"unknown companion {kind!r}, expected one of {', '.join(COMPANION_KINDS)}")
    return titles[kind]


def companion_page(spec: ReportSpec, kind: str) -> bytes:
    """An article page that explains the report (infographic images with a few quoted figures)."""
    title = html.escape(companion_title(spec, kind))
    figures = [
        f"{spec.year}年，{spec.agency_name}主动公开政府信息、办理依申请公开，图解如下。",
        f"图一：{spec.year}年政府信息公开工作年度报告要点。",
        f"全年新收政府信息公开申请{int(spec.number('requests', 'new', 'total'))}件。"
        if spec.format != "stat2014"
        else f"全年收到政府信息公开申请{int(spec.number('statistics', '3.1', 'value'))}件。",
    ]
    body = "".join(f"<p>{html.escape(p)}</p>" for p in figures)
    images = "".join(
        f'<p><img src="/images/P0{spec.year + 1}0120{i}.png" alt="图{i}"></p>' for i in range(1, 4)
    )
    return (
        f'<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8"><title>{title}</title>'
        f'<meta name="ArticleTitle" content="{title}"></head><body><div class="article">'
        f'<h1 class="title">{title}</h1><div class="TRS_Editor">{body}{images}</div></div></body></html>'
    ).encode()
