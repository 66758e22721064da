"""DOCX: paragraphs as lines and tables as grids, in body order; merged cells become None slots."""

from __future__ import annotations

import io
import zipfile
from typing import Any

from parsers.document import Document, Grid, GridRow, Line
from parsers.errors import CorruptDocument, ResourceLimit, TruncatedDocument
from parsers.settings import ParseSettings

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def _continues_merge(tc: Any) -> bool:
    """A cell continuing a legacy horizontal merge (`<w:hMerge/>` without "restart"), as Word 97 wrote."""
    tc_pr = tc.find(f"{_W}tcPr")
    merge = tc_pr.find(f"{_W}hMerge") if tc_pr is not None else None
    return merge is not None and merge.get(f"{_W}val") != "restart"


def _int_attr(el: Any, path: str) -> int:
    found = el.find(path)
    value = found.get(f"{_W}val") if found is not None else None
    try:
        return int(value) if value is not None else 0
    except ValueError as exc:
        raise CorruptDocument(f"damaged DOCX: table span {value!r} is not a number") from exc


def check_table(tbl: Any, settings: ParseSettings) -> None:
    """Refuse a table whose cells span beyond `max_span` columns or whose grid exceeds
    `max_table_slots`, before python-docx expands each span into that many cell objects."""
    rows = tbl.findall(f"{_W}tr")
    widest = 0
    for tr in rows:
        width = _int_attr(tr, f"{_W}trPr/{_W}gridBefore") + _int_attr(tr, f"{_W}trPr/{_W}gridAfter")
        for tc in tr.findall(f"{_W}tc"):
            span = _int_attr(tc, f"{_W}tcPr/{_W}gridSpan")
            if span > settings.max_span:
                raise ResourceLimit(f"DOCX table cell spans {span} columns (limit {settings.max_span})")
            width += max(span, 1)
        widest = max(widest, width)
    if widest > settings.max_span * 4 or widest * len(rows) > settings.max_table_slots:
        raise ResourceLimit(
            f"DOCX table of {len(rows)} rows × {widest} columns exceeds the limit of "
            f"{settings.max_table_slots} slots"
        )


def _grid(table: Any, index: int) -> Grid:
    """A python-docx table: a cell object met again (gridSpan / vMerge) or a cell continuing an hMerge
    is a covered slot."""
    seen: dict[int, Any] = {}
    rows: list[GridRow] = []
    for row in table.rows:
        cells: list[str | None] = []
        for cell in row.cells:
            key = id(cell._tc)
            if key in seen or _continues_merge(cell._tc):
                cells.append(None)
                continue
            seen[key] = cell._tc  # keeps the element alive so its id is not reused
            cells.append("\n".join(p.text for p in cell.paragraphs))
        rows.append(GridRow(tuple(cells)))
    return Grid(rows, index)


def read_docx(data: bytes, settings: ParseSettings | None = None) -> Document:
    """Paragraphs and tables in body order; tables are checked against the span limits first."""
    settings = settings or ParseSettings()
    import docx
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    try:
        document = docx.Document(io.BytesIO(data))
    except zipfile.BadZipFile as exc:
        raise TruncatedDocument("truncated or damaged DOCX") from exc
    except (KeyError, ValueError) as exc:
        raise CorruptDocument(f"damaged DOCX: {exc}") from exc
    blocks: list[Line | Grid] = []
    tables = 0
    for child in document.element.body.iterchildren():
        if child.tag == f"{_W}p":
            text = " ".join(Paragraph(child, document).text.split())
            if text:
                blocks.append(Line(text))
        elif child.tag == f"{_W}tbl":
            check_table(child, settings)
            blocks.append(_grid(Table(child, document), tables))
            tables += 1
    return Document(kind="docx", blocks=blocks)
