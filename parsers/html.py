"""HTML report pages: the article body as lines, its <table>s as grids (rowspan/colspan expanded).

Page chrome (navigation, header, footer, scripts) is dropped: the body is a TRS editor container
(`div.TRS_Editor`) when the page has one, otherwise the element that holds most of the page's Chinese
text, found by descending from <body>. Old sites lay out the whole page with <table>: such a layout
table (one holding another table, or a long text cell) is walked as blocks, never read as a grid.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping

import lxml.html
from lxml import etree
from lxml.etree import ParserError, _Element

from parsers.decode import decode_bytes
from parsers.document import Document, Grid, GridRow, Line
from parsers.errors import CorruptDocument, ResourceLimit
from parsers.perthread import per_thread
from parsers.settings import ParseSettings

_CJK_RUN = re.compile(r"[\u4e00-\u9fff]+")
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
_CELLS = etree.XPath("//td|//th")
_TABLE_CELLS = etree.XPath(".//td|.//th")
_NESTED_TABLE = etree.XPath("boolean(.//table)")
_EDITORS = etree.XPath("." + _EDITOR)
_STRING = etree.XPath("string()", smart_strings=False)
_META_CONTENT = etree.XPath("//meta[@name=$name]/@content")
_FIRST_H1, _FIRST_H2, _FIRST_TITLE = (etree.XPath(f"(//{tag})[1]") for tag in ("h1", "h2", "title"))
_CELL_TEXTS = f"""<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
  <xsl:template match="/">
    <d><xsl:for-each select="//td|//th"><c><xsl:apply-templates mode="text"/></c></xsl:for-each></d>
  </xsl:template>
  <xsl:template match="{"|".join(sorted(_BLOCK))}" mode="text">
    <xsl:text> </xsl:text><xsl:apply-templates mode="text"/><xsl:text> </xsl:text>
  </xsl:template>
  <xsl:template match="*" mode="text"><xsl:apply-templates mode="text"/></xsl:template>
  <xsl:template match="comment()|processing-instruction()" mode="text"/>
</xsl:stylesheet>"""
"""Every cell's raw text in one pass in C (libxslt), as `cell_text` builds it: text nodes in order, a
space either side of a block element, comments and processing instructions left out."""


def _cjk_count(text: str) -> int:
    return sum(map(len, _CJK_RUN.findall(text)))


def text_content(el: _Element) -> str:
    """The element's text and its descendants' (lxml.html's `text_content`: XPath `string()`)."""
    return str(_STRING(el))


def _cjk_len(el: _Element) -> int:
    return _cjk_count(text_content(el))


def drop_tree(el: _Element) -> None:
    """Remove the element and its content; its tail joins the previous sibling or the parent
    (lxml.html's `drop_tree`)."""
    parent = el.getparent()
    if parent is None:
        return
    if el.tail:
        previous = el.getprevious()
        if previous is None:
            parent.text = (parent.text or "") + el.tail
        else:
            previous.tail = (previous.tail or "") + el.tail
    parent.remove(el)


def is_layout_table(table: _Element, texts: Mapping[_Element, str] | None = None) -> bool:
    """A table that lays out a page (it holds another table or a long text cell), not a data table.
    `texts` (from `cell_texts`) saves reading each cell's text again; a cell's Chinese characters
    are the same in its text and its `cell_text`."""
    if _NESTED_TABLE(table):
        return True
    if isinstance(texts, CellTexts) and texts.longest < _LAYOUT_CELL_CJK:
        return False
    for td in _TABLE_CELLS(table):
        text = texts[td] if texts is not None else text_content(td)
        if len(text) >= _LAYOUT_CELL_CJK and _cjk_count(text) >= _LAYOUT_CELL_CJK:
            return True
    return False


def main_container(body: _Element, texts: Mapping[_Element, str] | None = None) -> _Element:
    """The TRS editor container if the page has one, else the deepest element holding ≥ 70% of the
    body's Chinese text (descending into layout tables, stopping at a data table)."""
    total = _cjk_len(body)
    editors = _EDITORS(body)
    if editors:
        counts = [_cjk_len(e) for e in editors]
        first_most = max(range(len(editors)), key=counts.__getitem__)
        if counts[first_most] >= 0.3 * total:
            return editors[first_most]
    node = body
    while True:
        children = [c for c in node if isinstance(c.tag, str)]
        best = max(children, key=_cjk_len, default=None)
        if best is None or _cjk_len(best) < 0.7 * total:
            return node
        if best.tag == "table" and not is_layout_table(best, texts):
            return node
        node = best


# lxml's HTML parser with lxml.html's settings but plain elements: lxml.html's element classes are
# looked up in Python for every element touched, a third of a page's cost.
_html_parser = per_thread(etree.HTMLParser)
_cell_extract = per_thread(lambda: etree.XSLT(etree.XML(_CELL_TEXTS)))


class CellTexts(dict[_Element, str]):
    """`cell_text` of every td/th of the page, computed in one XSLT pass; `longest` is the length
    of the longest (a table whose cells are all shorter than a layout cell's Chinese text needs
    no count)."""

    longest = 0


def cell_texts(root: _Element) -> CellTexts:
    cells = _CELLS(root)
    extracted = _cell_extract()(root.getroottree()).getroot()
    raw = [c.text for c in extracted]
    normal = [" ".join(text.split()) if text else "" for text in raw]
    out = CellTexts(zip(cells, normal, strict=True))
    out.longest = max(map(len, normal), default=0)
    return out


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


def grid_of(
    table: _Element,
    index: int,
    settings: ParseSettings | None = None,
    texts: Mapping[_Element, str] | None = None,
) -> Grid:
    """Rows of cell texts (`texts` from `cell_texts`, else read here); a slot covered by a
    rowspan/colspan of another cell is None. A span beyond `max_span` or a table of more than
    `max_table_slots` slots is a ResourceLimit."""
    settings = settings or ParseSettings()
    max_span, max_slots = settings.max_span, settings.max_table_slots
    slots = 0
    rows: list[list[str | None]] = []
    pending: dict[tuple[int, int], bool] = {}
    trs = table.xpath("./tr|./thead/tr|./tbody/tr|./tfoot/tr")
    for r, tr in enumerate(trs):
        row: list[str | None] = []
        col = 0
        for td in tr.iterchildren("td", "th"):
            while pending and pending.pop((r, col), False):
                row.append(None)
                col += 1
            text = texts[td] if texts is not None else cell_text(td)
            rowspan, colspan = td.get("rowspan"), td.get("colspan")
            rowspan = 1 if rowspan is None else _span(rowspan, max_span)
            colspan = 1 if colspan is None else _span(colspan, max_span)
            slots += rowspan * colspan
            if slots > max_slots:
                raise ResourceLimit(f"HTML table with more than {max_slots} slots")
            row.append(text)
            if colspan > 1:
                row.extend([None] * (colspan - 1))
            for dr in range(1, rowspan):
                for dc in range(colspan):
                    pending[(r + dr, col + dc)] = True
            col += colspan
        while pending and pending.pop((r, col), False):
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


@functools.cache
def _below(depth: int) -> etree.XPath:
    """Whether an element lies `depth` levels below the context element: a path of `depth` child
    steps, which libxml2 walks level by level."""
    return etree.XPath(f"boolean({'/'.join(['*'] * depth)})")


def check_depth(root: _Element, limit: int) -> None:
    """Refuse a page nested deeper than `limit` elements (the readers below recurse over it)."""
    if limit < 1 or _below(limit)(root):
        raise ResourceLimit(f"HTML nested more than {limit} elements deep")


def _walk(
    el: _Element,
    blocks: list[Line | Grid],
    buf: list[str],
    settings: ParseSettings,
    texts: Mapping[_Element, str] | None = None,
) -> None:
    def flush() -> None:
        text = " ".join("".join(buf).split())
        if text:
            blocks.append(Line(text))
        buf.clear()

    if el.tag == "table" and not is_layout_table(el, texts):
        flush()
        blocks.append(grid_of(el, len([b for b in blocks if isinstance(b, Grid)]), settings, texts))
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
            _walk(child, blocks, buf, settings, texts)
        elif child.tail:
            buf.append(child.tail)
    if block:
        flush()
    if el.tail:
        buf.append(el.tail)


def page_title(root: _Element) -> str:
    for name in ("ArticleTitle", "articletitle", "title"):
        meta = _META_CONTENT(root, name=name)
        if meta and meta[0].strip():
            return " ".join(str(meta[0]).split())
    for find in (_FIRST_H1, _FIRST_H2):
        found = find(root)
        if found and text_content(found[0]).strip():
            return " ".join(text_content(found[0]).split())
    titles = _FIRST_TITLE(root)
    if titles:
        return _TITLE_SPLIT.split(text_content(titles[0]).strip())[0]
    return ""


def read_html(data: bytes, content_type: str = "", settings: ParseSettings | None = None) -> Document:
    """The page's title and main container as lines and grids, within the depth and span limits."""
    settings = settings or ParseSettings()
    text = _XML_DECL.sub("", decode_bytes(data, content_type))
    try:
        root = lxml.html.document_fromstring(text, parser=_html_parser())
    except (ParserError, ValueError) as exc:
        raise CorruptDocument(f"unreadable HTML: {exc}") from exc
    check_depth(root, settings.max_html_depth)
    for el in list(root.iter(*_DROP)):
        drop_tree(el)
    title = page_title(root)
    texts = cell_texts(root)
    body = root.find("body")
    container = main_container(body if body is not None else root, texts)
    blocks: list[Line | Grid] = []
    buf: list[str] = []
    _walk(container, blocks, buf, settings, texts)
    if buf and "".join(buf).strip():
        blocks.append(Line(" ".join("".join(buf).split())))
    head = "".join(b.text for b in blocks[:3] if isinstance(b, Line)).replace(" ", "")
    if title and title.replace(" ", "") not in head:
        blocks.insert(0, Line(title))
    return Document(kind="html", blocks=blocks)
