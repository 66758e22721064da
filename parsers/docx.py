"""DOCX: paragraphs as lines and tables as grids, in body order; merged cells become None slots.

The main document part is read straight from the ZIP and walked with lxml: no object per paragraph,
run or cell. What it reads is what python-docx reads (the reader it replaces, still the writer of the
generated reports): the part the package relationships name as the office document (refused unless
its content type is a Word document's), a paragraph's text from its direct runs and hyperlinks
(`w:t`, `w:tab`, `w:ptab`, `w:br`, `w:cr`, `w:noBreakHyphen`), a table row's cells repeated over
their gridSpan, a `vMerge` continuation standing for the cell above it, a cell's text from its direct
paragraphs (a nested table's text is not its parent cell's). tests/parsers/test_docx_reader.py holds
python-docx's reading as the reference. Unlike python-docx, which parsed every part of the package,
only the main part is read: a damaged styles or numbering part no longer fails the document.
"""

from __future__ import annotations

import io
import posixpath
import zipfile
from typing import Any

from lxml import etree

from parsers.document import Document, Grid, GridRow, Line
from parsers.errors import CorruptDocument, ResourceLimit, TruncatedDocument
from parsers.perthread import per_thread
from parsers.settings import ParseSettings

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_RELS = "{http://schemas.openxmlformats.org/package/2006/relationships}Relationship"
_TYPES = "{http://schemas.openxmlformats.org/package/2006/content-types}"
_OFFICE_DOCUMENT = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"
_WORD_MAIN = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"

_BODY = """<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
    xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">
  <xsl:template match="/">
    <d><xsl:apply-templates select="*/w:body[1]/w:p|*/w:body[1]/w:tbl"/></d>
  </xsl:template>
  <xsl:template match="w:p"><p><xsl:apply-templates select="." mode="text"/></p></xsl:template>
  <xsl:template match="w:tbl">
    <t>
      <xsl:for-each select="w:tr">
        <r>
          <xsl:apply-templates select="w:trPr[1]" mode="props"/>
          <xsl:for-each select="w:tc">
            <c>
              <xsl:apply-templates select="w:tcPr[1]" mode="props"/>
              <xsl:for-each select="w:p">
                <xsl:if test="position() &gt; 1"><xsl:text>&#10;</xsl:text></xsl:if>
                <xsl:apply-templates select="." mode="text"/>
              </xsl:for-each>
            </c>
          </xsl:for-each>
        </r>
      </xsl:for-each>
    </t>
  </xsl:template>
  <xsl:template match="w:trPr" mode="props">
    <xsl:if test="w:gridBefore"><xsl:apply-templates select="w:gridBefore[1]" mode="val"/></xsl:if>
    <xsl:if test="w:gridAfter"><xsl:apply-templates select="w:gridAfter[1]" mode="val"/></xsl:if>
  </xsl:template>
  <xsl:template match="w:tcPr" mode="props">
    <xsl:if test="w:gridSpan"><xsl:apply-templates select="w:gridSpan[1]" mode="val"/></xsl:if>
    <xsl:if test="w:vMerge"><xsl:apply-templates select="w:vMerge[1]" mode="val"/></xsl:if>
    <xsl:if test="w:hMerge"><xsl:apply-templates select="w:hMerge[1]" mode="val"/></xsl:if>
  </xsl:template>
  <xsl:template match="w:gridBefore|w:gridAfter|w:gridSpan|w:vMerge|w:hMerge" mode="val">
    <xsl:attribute name="{local-name()}"><xsl:apply-templates select="@w:val" mode="val"/></xsl:attribute>
  </xsl:template>
  <xsl:template match="@*" mode="val">=<xsl:value-of select="."/></xsl:template>
  <xsl:template match="w:p" mode="text">
    <xsl:apply-templates select="w:r/*|w:hyperlink/w:r/*" mode="run"/>
  </xsl:template>
  <xsl:template match="*" mode="run"/>
  <xsl:template match="w:t" mode="run"><xsl:value-of select="node()[1][self::text()]"/></xsl:template>
  <xsl:template match="w:tab|w:ptab" mode="run"><xsl:text>&#9;</xsl:text></xsl:template>
  <xsl:template match="w:cr" mode="run"><xsl:text>&#10;</xsl:text></xsl:template>
  <xsl:template match="w:noBreakHyphen" mode="run"><xsl:text>-</xsl:text></xsl:template>
  <xsl:template match="w:br" mode="run">
    <xsl:if test="not(@w:type) or @w:type = 'textWrapping'"><xsl:text>&#10;</xsl:text></xsl:if>
  </xsl:template>
</xsl:stylesheet>"""
"""The body as the reader needs it, extracted in C by libxslt: `<p>` per body paragraph with its
text; `<t>` per body table, `<r>` per row, `<c>` per cell with its paragraphs' text joined by
newlines. A row's gridBefore/gridAfter and a cell's gridSpan/vMerge/hMerge (the first of each in the
first trPr/tcPr) become attributes: absent when the element is, "" when it has no `w:val`, else
"=" and the value. A run's text: `w:t` as written, tabs as "\t", line breaks as "\n" (a page or
column break as nothing), a non-breaking hyphen as "-"."""

# python-docx's parser settings: blank text between elements dropped, no entity expansion.
_xml_parser = per_thread(lambda: etree.XMLParser(remove_blank_text=True, resolve_entities=False))
_body_extract = per_thread(lambda: etree.XSLT(etree.XML(_BODY)))


def _value(raw: str | None) -> str | None:
    """An extracted property's `w:val`: None when the element or its value is absent."""
    return raw[1:] if raw else None


def _limit(raw: str | None) -> int:
    """A span as the limit check reads it: 0 when the element or its value is absent."""
    value = _value(raw)
    try:
        return int(value) if value is not None else 0
    except ValueError as exc:
        raise CorruptDocument(f"damaged DOCX: table span {value!r} is not a number") from exc


def _count(raw: str | None, default: int) -> int:
    """A gridSpan/gridBefore once the limits are checked: `default` when absent, else its required
    `w:val` (a number, as the check made sure)."""
    if raw is None:
        return default
    if not raw:
        raise CorruptDocument("damaged DOCX: a table span or grid count without a value")
    return int(raw[1:])


class _Cell:
    """One extracted cell: its text, its gridSpan, whether it continues a vertical merge
    (`<w:vMerge/>` whose value is, or defaults to, "continue") and whether it continues a legacy
    horizontal merge (`<w:hMerge/>` without "restart", as Word 97 wrote); `root` is the cell a
    vertical-merge continuation stands for (itself otherwise)."""

    __slots__ = ("continues_h", "continues_v", "root", "span", "span_raw", "text")

    def __init__(self, cell: Any) -> None:
        self.text: str = cell.text or ""
        self.span_raw: str | None = None
        self.span = 1
        self.continues_v = self.continues_h = False
        self.root = self
        if cell.keys():
            get = cell.get
            self.span_raw = get("gridSpan")
            v_merge, h_merge = get("vMerge"), get("hMerge")
            v_value = _value(v_merge)
            self.continues_v = v_merge is not None and (v_value is None or v_value == "continue")
            self.continues_h = h_merge is not None and _value(h_merge) != "restart"


class _Row:
    """One extracted row: gridBefore/gridAfter as extracted, its cells, and (once `place`d) the grid
    column each cell starts at."""

    __slots__ = ("after_raw", "before", "before_raw", "by_start", "cells", "starts")

    def __init__(self, row: Any) -> None:
        self.before_raw: str | None = row.get("gridBefore")
        self.after_raw: str | None = row.get("gridAfter")
        self.cells = [_Cell(cell) for cell in row]
        self.before = 0
        self.starts: list[int] = []
        self.by_start: dict[int, _Cell] | None = None

    def place(self) -> None:
        """Each cell's span (1 when absent) and starting grid column after gridBefore."""
        self.before = start = _count(self.before_raw, 0)
        for cell in self.cells:
            cell.span = _count(cell.span_raw, 1)
            self.starts.append(start)
            start += cell.span
        if all(cell.span >= 1 for cell in self.cells):
            self.by_start = dict(zip(self.starts, self.cells, strict=True))

    def at(self, offset: int) -> _Cell:
        """The cell that starts exactly at grid column `offset`: python-docx's walk, which stops once
        past the offset (a lookup when every span is at least 1, so the starts increase)."""
        if self.by_start is not None:
            found = self.by_start.get(offset)
            if found is not None:
                return found
        else:
            remaining = offset - self.before
            for cell in self.cells:
                if remaining < 0:
                    break
                if remaining == 0:
                    return cell
                remaining -= cell.span
        raise CorruptDocument(f"damaged DOCX: a merged cell continues no cell above it (column {offset})")


def check_table(rows: list[_Row], settings: ParseSettings) -> None:
    """Refuse a table whose cells span beyond `max_span` columns or whose grid exceeds
    `max_table_slots`, before each span is expanded into that many slots."""
    widest = 0
    for row in rows:
        width = _limit(row.before_raw) + _limit(row.after_raw)
        for cell in row.cells:
            span = _limit(cell.span_raw) if cell.span_raw is not None else 1
            if span > settings.max_span:
                raise ResourceLimit(f"DOCX table cell spans {span} columns (limit {settings.max_span})")
            width += max(span, 1)
        widest = max(widest, width)
    if widest > settings.max_span * 4 or widest * len(rows) > settings.max_table_slots:
        raise ResourceLimit(
            f"DOCX table of {len(rows)} rows × {widest} columns exceeds the limit of "
            f"{settings.max_table_slots} slots"
        )


def _grid(rows: list[_Row], index: int) -> Grid:
    """A checked table: each cell repeated over its gridSpan, a vMerge continuation standing for the
    cell above it in its grid column (python-docx follows continuations up to the cell that holds
    the content; rows are read top-down, so the cell above already knows it); a cell met again (its
    span, a vertical merge) or continuing an hMerge is a covered slot (None)."""
    for row in rows:
        row.place()
    seen: set[int] = set()
    out: list[GridRow] = []
    for r, row in enumerate(rows):
        cells: list[str | None] = []
        for cell, start in zip(row.cells, row.starts, strict=True):
            if cell.continues_v:
                if r == 0:
                    raise CorruptDocument("damaged DOCX: a merged cell continues from above the first row")
                cell.root = rows[r - 1].at(start).root
            root = cell.root
            for _ in range(root.span):
                if root.continues_h or id(root) in seen:
                    cells.append(None)
                    continue
                seen.add(id(root))
                cells.append(root.text)
        out.append(GridRow(tuple(cells)))
    return Grid(out, index)


def _main_part(package: zipfile.ZipFile) -> str:
    """The ZIP member of the office document the package relationships name, after checking that
    [Content_Types].xml gives it a Word document's content type."""
    rels = etree.fromstring(package.read("_rels/.rels"), _xml_parser())
    targets = [
        rel.get("Target", "")
        for rel in rels.iter(_RELS)
        if rel.get("Type") == _OFFICE_DOCUMENT and rel.get("TargetMode") != "External"
    ]
    if len(targets) != 1:
        raise CorruptDocument(f"damaged DOCX: {len(targets)} office document relationships")
    name = posixpath.normpath(posixpath.join("/", targets[0]))
    types = etree.fromstring(package.read("[Content_Types].xml"), _xml_parser())
    overrides = {o.get("PartName", "").lower(): o.get("ContentType") for o in types.iter(f"{_TYPES}Override")}
    defaults = {d.get("Extension", "").lower(): d.get("ContentType") for d in types.iter(f"{_TYPES}Default")}
    content_type = overrides.get(name.lower()) or defaults.get(posixpath.splitext(name)[1][1:].lower())
    if content_type != _WORD_MAIN:
        raise CorruptDocument(f"damaged DOCX: the main part is not a Word document ({content_type})")
    return name[1:]


def read_docx(data: bytes, settings: ParseSettings | None = None) -> Document:
    """Paragraphs and tables in body order; tables are checked against the span limits first."""
    settings = settings or ParseSettings()
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as package:
            xml = package.read(_main_part(package))
    except zipfile.BadZipFile as exc:
        raise TruncatedDocument("truncated or damaged DOCX") from exc
    except KeyError as exc:
        raise CorruptDocument(f"damaged DOCX: {exc}") from exc
    root = etree.fromstring(xml, _xml_parser())
    if root.find(f"{_W}body") is None:
        raise CorruptDocument("damaged DOCX: the document has no body")
    blocks: list[Line | Grid] = []
    tables = 0
    for block in _body_extract()(root.getroottree()).getroot():
        if block.tag == "p":
            text = " ".join((block.text or "").split())
            if text:
                blocks.append(Line(text))
        else:
            rows = [_Row(row) for row in block]
            check_table(rows, settings)
            blocks.append(_grid(rows, tables))
            tables += 1
    return Document(kind="docx", blocks=blocks)
