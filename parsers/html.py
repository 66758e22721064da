"""HTML report pages: the article body as lines, its <table>s as grids (rowspan/colspan expanded).

Page chrome (navigation, header, footer, scripts) is dropped: the body is a TRS editor container
(`div.TRS_Editor`) when the page has one, otherwise the element that holds most of the page's Chinese
text, found by descending from <body>. Old sites lay out the whole page with <table>: such a layout
table (one holding another table, or a long text cell) is walked as blocks, never read as a grid.
"""

from __future__ import annotations

import re

import lxml.html
from lxml.etree import ParserError, _Element

from parsers.decode import decode_bytes
from parsers.document import Document, Grid, GridRow, Line
from parsers.errors import CorruptDocument, ResourceLimit
from parsers.settings import ParseSettings

_CJK = re.compile(r"[\u4e00-\u9fff]")
_BLOCK = frozenset(
    {
        "p",
        "div",
        "br",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "li",
        "section",
        "article",
        "tr",
        "center",
        "blockquote",
        "table",
        "tbody",
        "thead",
        "tfoot",
        "td",
        "th",
    }
)
_LAYOUT_CELL_CJK = 200
_EDITOR = "//div[contains(concat(' ', normalize-space(@class), ' '), ' TRS_Editor ')]"
_DROP = ("script", "style", "noscript", "nav", "header", "footer", "iframe", "form", "select", "button")
_XML_DECL = re.compile(r"^\s*<\?xml[^>]*\?>")
_TITLE_SPLIT = re.compile(r"\s*[-_|—]+\s*")


def _cjk_len(el: _Element) -> int:
    return len(_CJK.findall(el.text_content()))


def is_layout_table(table: _Element) -> bool:
    """A table that lays out a page (it holds another table or a long text cell), not a data table."""
    if table.xpath(".//table"):
        return True
    return any(_cjk_len(td) >= _LAYOUT_CELL_CJK for td in table.xpath(".//td|.//th"))


def main_container(body: _Element) -> _Element:
    """The TRS editor container if the page has one, else the deepest element holding ≥ 70% of the
    body's Chinese text (descending into layout tables, stopping at a data table)."""
    total = _cjk_len(body)
    editor = max(body.xpath("." + _EDITOR), key=_cjk_len, default=None)
    if editor is not None and _cjk_len(editor) >= 0.3 * total:
        return editor
    node = body
    while True:
        children = [c for c in node if isinstance(c.tag, str)]
        best = max(children, key=_cjk_len, default=None)
        if best is None or _cjk_len(best) < 0.7 * total:
            return node
        if best.tag == "table" and not is_layout_table(best):
            return node
        node = best


def cell_text(td: _Element) -> str:
    """A cell's text: inline runs (Word's <span lang=EN-US>, <o:p>) joined as printed, block
    elements (<p>, <br>, <div>) separated by a space."""
    parts: list[str] = []

    def collect(el: _Element) -> None:
        block = isinstance(el.tag, str) and el.tag in _BLOCK
        if block:
            parts.append(" ")
        if isinstance(el.tag, str) and el.text:
            parts.append(el.text)
        for child in el:
            collect(child)
            if child.tail:
                parts.append(child.tail)
        if block:
            parts.append(" ")

    collect(td)
    return " ".join("".join(parts).split())


def grid_of(table: _Element, index: int, settings: ParseSettings | None = None) -> Grid:
    """Rows of cell texts; a slot covered by a rowspan/colspan of another cell is None. A span beyond
    `max_span` or a table of more than `max_table_slots` slots is a ResourceLimit."""
    settings = settings or ParseSettings()
    slots = 0
    rows: list[list[str | None]] = []
    pending: dict[tuple[int, int], bool] = {}
    trs = table.xpath("./tr|./thead/tr|./tbody/tr|./tfoot/tr")
    for r, tr in enumerate(trs):
        row: list[str | None] = []
        col = 0
        for td in tr.xpath("./td|./th"):
            while pending.pop((r, col), False):
                row.append(None)
                col += 1
            text = cell_text(td)
            rowspan = _span(td.get("rowspan"), settings.max_span)
            colspan = _span(td.get("colspan"), settings.max_span)
            slots += rowspan * colspan
            if slots > settings.max_table_slots:
                raise ResourceLimit(f"HTML table with more than {settings.max_table_slots} slots")
            row.append(text)
            row.extend([None] * (colspan - 1))
            for dr in range(1, rowspan):
                for dc in range(colspan):
                    pending[(r + dr, col + dc)] = True
            col += colspan
        while pending.pop((r, col), False):
            row.append(None)
            col += 1
        rows.append(row)
    return Grid([GridRow(tuple(cells)) for cells in rows], index)


def _span(value: str | None, limit: int) -> int:
    """A rowspan/colspan: 1 when missing or not a number, a ResourceLimit beyond `limit`."""
    try:
        span = int(value or 1)
    except ValueError:
        return 1
    if span > limit:
        raise ResourceLimit(f"HTML table cell spans {span} rows or columns (limit {limit})")
    return max(1, span)


def check_depth(root: _Element, limit: int) -> None:
    """Refuse a page nested deeper than `limit` elements (the readers below recurse over it)."""
    from lxml import etree

    depth = 0
    for event, _ in etree.iterwalk(root, events=("start", "end")):
        depth += 1 if event == "start" else -1
        if depth > limit:
            raise ResourceLimit(f"HTML nested more than {limit} elements deep")


def _walk(el: _Element, blocks: list[Line | Grid], buf: list[str], settings: ParseSettings) -> None:
    def flush() -> None:
        text = " ".join("".join(buf).split())
        if text:
            blocks.append(Line(text))
        buf.clear()

    if el.tag == "table" and not is_layout_table(el):
        flush()
        blocks.append(grid_of(el, len([b for b in blocks if isinstance(b, Grid)]), settings))
        if el.tail:
            buf.append(el.tail)
        return
    block = el.tag in _BLOCK
    if block:
        flush()
    if el.text:
        buf.append(el.text)
    for child in el:
        if isinstance(child.tag, str):
            _walk(child, blocks, buf, settings)
        elif child.tail:
            buf.append(child.tail)
    if block:
        flush()
    if el.tail:
        buf.append(el.tail)


def page_title(root: _Element) -> str:
    for name in ("ArticleTitle", "articletitle", "title"):
        meta = root.xpath(f"//meta[@name='{name}']/@content")
        if meta and meta[0].strip():
            return " ".join(str(meta[0]).split())
    for tag in ("h1", "h2"):
        found = root.xpath(f"//{tag}")
        if found and found[0].text_content().strip():
            return " ".join(found[0].text_content().split())
    titles = root.xpath("//title")
    if titles:
        return _TITLE_SPLIT.split(titles[0].text_content().strip())[0]
    return ""


def read_html(data: bytes, content_type: str = "", settings: ParseSettings | None = None) -> Document:
    """The page's title and main container as lines and grids, within the depth and span limits."""
    settings = settings or ParseSettings()
    text = _XML_DECL.sub("", decode_bytes(data, content_type))
    try:
        root = lxml.html.document_fromstring(text)
    except (ParserError, ValueError) as exc:
        raise CorruptDocument(f"unreadable HTML: {exc}") from exc
    check_depth(root, settings.max_html_depth)
    for el in root.xpath("|".join(f"//{tag}" for tag in _DROP)):
        el.drop_tree()
    title = page_title(root)
    body = root.find("body")
    container = main_container(body if body is not None else root)
    blocks: list[Line | Grid] = []
    buf: list[str] = []
    _walk(container, blocks, buf, settings)
    if buf and "".join(buf).strip():
        blocks.append(Line(" ".join("".join(buf).split())))
    head = "".join(b.text for b in blocks[:3] if isinstance(b, Line)).replace(" ", "")
    if title and title.replace(" ", "") not in head:
        blocks.insert(0, Line(title))
    return Document(kind="html", blocks=blocks)
