"""PDF with a text layer: characters, words and ruled tables of each page.

Two engines fill the same `Document`. PDFium (parsers/pdf_pdfium.py) reads each page's characters and
ruling lines in C++ and hands them to pdfplumber's own word grouping and table finder; pdfplumber
(pdfminer) interprets the content streams in Python and is the reference and the fallback for any file
the PDFium path does not open (damaged, encrypted, no text at all) and for any page it does not
reproduce exactly (text in a font the PDF does not embed, rotated text); `Document.engines` records
which engine read each page. Words are grouped
once per page; table finding runs only on pages with ruling lines or rectangles, and text inside a
table's bbox is left to the table. Pages are closed as soon as they are read so memory stays flat.
A document with no characters at all needs OCR.
"""

from __future__ import annotations

import bisect
import functools
import io
import logging
import time
from collections.abc import Callable
from typing import Any

from parsers.document import Document, Grid, GridRow, Line
from parsers.errors import CorruptDocument, EncryptedDocument, ParseTimeout, TruncatedDocument
from parsers.settings import ParseSettings

TABLE_SETTINGS: dict[str, Any] = {
    "vertical_strategy": "lines",
    "horizontal_strategy": "lines",
    "snap_tolerance": 3,
    "join_tolerance": 3,
    "intersection_tolerance": 3,
}
WORD_SETTINGS: dict[str, Any] = {"x_tolerance": 1.5, "y_tolerance": 2}
LINE_TOLERANCE = 3.0
TEXT_TOLERANCE = 3
"""pdfplumber's `extract_text` x and y tolerances when none are given, as `Table.extract` calls it
(`pdfplumber.utils.text.DEFAULT_X_TOLERANCE`, `DEFAULT_Y_TOLERANCE`)."""
PAGE_ERRORS = (ValueError, KeyError, TypeError, AttributeError)

log = logging.getLogger(__name__)


def _check_end_marker(data: bytes) -> None:
    if b"%%EOF" not in data[-2048:]:
        raise TruncatedDocument("truncated PDF (no %%EOF end marker)")


def _open(data: bytes) -> Any:
    import pdfplumber
    from pdfminer.pdfdocument import PDFEncryptionError, PDFPasswordIncorrect
    from pdfminer.pdfparser import PDFSyntaxError
    from pdfplumber.utils.exceptions import PdfminerException

    _check_end_marker(data)
    try:
        pdf = pdfplumber.open(io.BytesIO(data))
        _ = pdf.pages
    except (PDFPasswordIncorrect, PDFEncryptionError) as exc:
        raise EncryptedDocument("encrypted PDF (password required)") from exc
    except (PdfminerException, PDFSyntaxError) as exc:
        cause = exc.args[0] if exc.args else exc
        if isinstance(cause, (PDFPasswordIncorrect, PDFEncryptionError)):
            raise EncryptedDocument("encrypted PDF (password required)") from exc
        raise CorruptDocument(f"damaged PDF: {type(cause).__name__}") from exc
    except Exception as exc:
        raise CorruptDocument(f"damaged PDF: {type(exc).__name__}") from exc
    return pdf


def ruling_edge(x0: float, x1: float, top: float, bottom: float, orientation: str) -> dict[str, Any]:
    """A horizontal or vertical ruling line as pdfplumber's table finder takes it (readers that find
    lines elsewhere than in a PDF — OFD paths, scanned page images — hand theirs in this shape)."""
    return {
        "object_type": "line",
        "x0": x0,
        "x1": x1,
        "top": top,
        "bottom": bottom,
        "doctop": top,
        "width": x1 - x0,
        "height": bottom - top,
        "orientation": orientation,
    }


Char = tuple[str, float, float, float, float]
"""One printed character as pdfplumber boxes it: (text, x0, x1, top, bottom), top-down points. A
plain tuple, not pdfplumber's dict: a page has about a thousand, and building and reading dicts was
a large part of a page's cost."""

Word = tuple[str, float, float, float, float]
"""A word as (text, x0, x1, top, bottom): the box of its chars, in the same layout as a char."""


@functools.cache
def _ligatures() -> dict[int, str]:
    """pdfplumber's ligature expansions ("ﬁ" → "fi") as a `str.translate` table."""
    from pdfplumber.utils.text import LIGATURES

    return str.maketrans(LIGATURES)


def _merge(chars: list[Char]) -> Word:
    """pdfplumber's `WordExtractor.merge_chars`: the chars' text (ligatures expanded) and bbox."""
    text = "".join(c[0] for c in chars).translate(_ligatures())
    if len(chars) == 1:
        c = chars[0]
        return (text, c[1], c[2], c[3], c[4])
    return (
        text,
        min(c[1] for c in chars),
        max(c[2] for c in chars),
        min(c[3] for c in chars),
        max(c[4] for c in chars),
    )


def _clusters(values: set[float], tolerance: float) -> dict[float, int]:
    """pdfplumber's `make_cluster_dict`: each value's cluster among the sorted distinct values, a
    new cluster starting where a value is more than `tolerance` above the one before it."""
    out: dict[float, int] = {}
    index = 0
    last: float | None = None
    for value in sorted(values):
        if last is not None and value > last + tolerance:
            index += 1
        out[value] = index
        last = value
    return out


def _begins_word(prev: Char, char: Char, x_tolerance: float, y_tolerance: float) -> bool:
    """pdfplumber's `char_begins_new_word` for left-to-right text."""
    return char[1] < prev[1] or char[1] > prev[2] + x_tolerance or abs(char[3] - prev[3]) > y_tolerance


def extract_words(chars: list[Char], x_tolerance: float, y_tolerance: float) -> list[Word]:
    """pdfplumber's `extract_words` (upright text, its default directions and options) on char
    tuples: chars clustered into lines by top, each line sorted by x0 (both stable, so ties keep
    page order), a word ending at a blank char, a char starting left of the previous one's x0 or
    more than `x_tolerance` right of its x1, or a top more than `y_tolerance` away."""
    if not chars:
        return []
    line_of = _clusters({c[3] for c in chars}, y_tolerance)
    words: list[Word] = []
    current: list[Char] = []
    line = -1
    for char in sorted(chars, key=lambda c: (line_of[c[3]], c[1])):
        here = line_of[char[3]]
        text = char[0]
        if here != line:
            if current:
                words.append(_merge(current))
            current = []
            line = here
        if text.isspace() or not text:
            if current:
                words.append(_merge(current))
            current = []
            if not text:
                words.append(_merge([char]))
        elif current and _begins_word(current[-1], char, x_tolerance, y_tolerance):
            words.append(_merge(current))
            current = [char]
        else:
            current.append(char)
    if current:
        words.append(_merge(current))
    return words


def extract_text(chars: list[Char]) -> str:
    """pdfplumber's `extract_text` (layout off, default tolerances 3 and 3) on char tuples: words,
    then words clustered into lines by top, a space between words and a newline between lines."""
    words = extract_words(chars, TEXT_TOLERANCE, TEXT_TOLERANCE)
    if not words:
        return ""
    line_of = _clusters({w[3] for w in words}, TEXT_TOLERANCE)
    lines: dict[int, list[str]] = {}
    for word in words:
        lines.setdefault(line_of[word[3]], []).append(word[0])
    return "\n".join(" ".join(lines[k]) for k in sorted(lines))


def _lines(words: list[Word], page_number: int) -> list[tuple[float, Line]]:
    """Words grouped into lines by their top coordinate, with each line's top."""
    out: list[tuple[float, Line]] = []
    current: list[Word] = []
    for word in sorted(words, key=lambda w: (round(w[3] / LINE_TOLERANCE), w[1])):
        if current and abs(word[3] - current[0][3]) > LINE_TOLERANCE:
            out.append(_line(current, page_number))
            current = []
        current.append(word)
    if current:
        out.append(_line(current, page_number))
    return out


def _line(words: list[Word], page_number: int) -> tuple[float, Line]:
    words = sorted(words, key=lambda w: w[1])
    return words[0][3], Line(" ".join(w[0] for w in words), page_number)


def _inside(word: Word, bbox: tuple[float, float, float, float]) -> bool:
    x0, top, x1, bottom = bbox
    cx = (word[1] + word[2]) / 2
    cy = (word[3] + word[4]) / 2
    return x0 <= cx <= x1 and top <= cy <= bottom


def place_blocks(
    words: list[Word],
    tables: list[Any],
    page_number: int,
    table_index: int,
    extract: Callable[[Any], list[list[str | None]]] | None = None,
) -> list[Line | Grid]:
    """Lines (words outside every table) and grids (pdfplumber tables, their cell texts by `extract`,
    pdfplumber's `Table.extract` by default) of one page, top to bottom."""
    placed: list[tuple[float, Line | Grid]] = []
    for table in tables:
        cells = extract(table) if extract is not None else table.extract()
        rows = [GridRow(tuple(cell for cell in row), page_number) for row in cells]
        placed.append((table.bbox[1], Grid(rows, table_index)))
        table_index += 1
    bboxes = [t.bbox for t in tables]
    free = [w for w in words if not any(_inside(w, b) for b in bboxes)] if bboxes else words
    placed.extend(_lines(free, page_number))
    placed.sort(key=lambda p: p[0])
    return [block for _, block in placed]


def read_page(page: Any, page_number: int, table_index: int) -> tuple[list[Line | Grid], int]:
    """Lines and grids of one pdfplumber page in top-to-bottom order, and how many characters it has."""
    chars = page.chars
    if not chars:
        return [], 0
    words = [
        (w["text"], w["x0"], w["x1"], w["top"], w["bottom"]) for w in page.extract_words(**WORD_SETTINGS)
    ]
    tables = page.find_tables(TABLE_SETTINGS) if (page.rects or page.lines) else []
    return place_blocks(words, tables, page_number, table_index), len(chars)


class CellText:
    """`Table.extract` of pdfplumber without rescanning every char of the page for every row: chars
    are indexed once by their vertical middle, each row takes its band by bisection, and the chars
    keep page order, so every cell gets exactly the chars (and text) pdfplumber gives it."""

    def __init__(self, chars: list[Char]) -> None:
        mids = sorted(((c[3] + c[4]) / 2, (c[1] + c[2]) / 2, i) for i, c in enumerate(chars))
        self.chars = chars
        self.v_mids = [m[0] for m in mids]
        self.mids = mids

    def _in_band(self, top: float, bottom: float) -> list[tuple[float, float, int]]:
        return self.mids[bisect.bisect_left(self.v_mids, top) : bisect.bisect_left(self.v_mids, bottom)]

    def __call__(self, table: Any) -> list[list[str | None]]:
        out: list[list[str | None]] = []
        for row in table.rows:
            x0, top, x1, bottom = row.bbox
            band = sorted((i, v, h) for v, h, i in self._in_band(top, bottom) if x0 <= h < x1)
            texts: list[str | None] = []
            for cell in row.cells:
                if cell is None:
                    texts.append(None)
                    continue
                cx0, ctop, cx1, cbottom = cell
                inside = [self.chars[i] for i, v, h in band if cx0 <= h < cx1 and ctop <= v < cbottom]
                texts.append(extract_text(inside) if inside else "")
            out.append(texts)
        return out


def _cells(intersections: dict[tuple[float, float], dict[str, list[dict[str, Any]]]]) -> list[Any]:
    """pdfplumber's `intersections_to_cells` with the edge sets and the points below and to the
    right of each point computed once instead of once per pair: the same cells, in the same order."""
    from pdfplumber.utils import obj_to_bbox

    v_sets = {p: {obj_to_bbox(e) for e in found["v"]} for p, found in intersections.items()}
    h_sets = {p: {obj_to_bbox(e) for e in found["h"]} for p, found in intersections.items()}

    def connects(p1: tuple[float, float], p2: tuple[float, float]) -> bool:
        return bool(
            (p1[0] == p2[0] and v_sets[p1] & v_sets[p2]) or (p1[1] == p2[1] and h_sets[p1] & h_sets[p2])
        )

    points = sorted(intersections)
    columns: dict[float, list[tuple[float, float]]] = {}
    rows: dict[float, list[tuple[float, float]]] = {}
    for point in points:
        columns.setdefault(point[0], []).append(point)
        rows.setdefault(point[1], []).append(point)
    cells = []
    for pt in points[:-1]:
        below = [p for p in columns[pt[0]] if p > pt]
        right = [p for p in rows[pt[1]] if p > pt]
        cell = None
        for below_pt in below:
            if not connects(pt, below_pt):
                continue
            for right_pt in right:
                if not connects(pt, right_pt):
                    continue
                corner = (right_pt[0], below_pt[1])
                if corner in intersections and connects(corner, right_pt) and connects(corner, below_pt):
                    cell = (pt[0], pt[1], corner[0], corner[1])
                    break
            if cell is not None:
                break
        if cell is not None:
            cells.append(cell)
    return cells


def find_tables(content: Any) -> list[Any]:
    """pdfplumber's `TableFinder` ("lines" strategies, TABLE_SETTINGS) on a page's edges, with the
    faster `_cells`."""
    from pdfplumber import table as plumber_table
    from pdfplumber.utils import filter_edges

    settings = plumber_table.TableSettings.resolve(TABLE_SETTINGS)
    prefilter = settings.edge_min_length_prefilter
    edges = filter_edges(content.edges, "v", min_length=prefilter) + filter_edges(
        content.edges, "h", min_length=prefilter
    )
    edges = plumber_table.merge_edges(
        edges,
        snap_x_tolerance=settings.snap_x_tolerance,
        snap_y_tolerance=settings.snap_y_tolerance,
        join_x_tolerance=settings.join_x_tolerance,
        join_y_tolerance=settings.join_y_tolerance,
    )
    edges = filter_edges(edges, min_length=settings.edge_min_length)
    intersections = plumber_table.edges_to_intersections(
        edges, settings.intersection_x_tolerance, settings.intersection_y_tolerance
    )
    groups = plumber_table.cells_to_tables(_cells(intersections))
    return [plumber_table.Table(content, group) for group in groups]


def read_content(content: Any, page_number: int, table_index: int) -> tuple[list[Line | Grid], int]:
    """The same as `read_page` for a PDFium `PageContent`: pdfplumber's word grouping and table finder
    run on PDFium's chars and edges."""
    if not content.chars:
        return [], 0
    words = extract_words(content.chars, WORD_SETTINGS["x_tolerance"], WORD_SETTINGS["y_tolerance"])
    tables = find_tables(content) if content.ruled else []
    extract = CellText(content.chars) if tables else None
    blocks = place_blocks(words, tables, page_number, table_index, extract)
    return blocks, len(content.chars)


def _check_size(pages: int, settings: ParseSettings) -> None:
    if pages > settings.max_pages:
        raise ParseTimeout(f"PDF has {pages} pages, more than the limit of {settings.max_pages}")


def _check_time(started: float, budget: float, number: int, pages: int) -> None:
    if time.perf_counter() - started > budget:
        raise ParseTimeout(f"PDF parse exceeded {budget:.0f} s at page {number} of {pages}")


def _read_plumber_page(page: Any, number: int, table_index: int) -> tuple[list[Line | Grid], int]:
    """`read_page` with pdfminer's errors on a page turned into CorruptDocument; the page is closed."""
    try:
        return read_page(page, number, table_index)
    except PAGE_ERRORS as exc:
        raise CorruptDocument(f"damaged PDF page {number}: {type(exc).__name__}") from exc
    finally:
        page.close()


def read_pdf_pdfplumber(data: bytes, settings: ParseSettings, started: float) -> Document:
    """The reference reader: pdfplumber (pdfminer) on every page."""
    pdf = _open(data)
    try:
        pages = pdf.pages
        if not pages:
            raise TruncatedDocument("PDF without pages")
        _check_size(len(pages), settings)
        budget = settings.budget(len(pages))
        blocks: list[Line | Grid] = []
        total_chars = 0
        tables = 0
        for number, page in enumerate(pages, start=1):
            page_blocks, n_chars = _read_plumber_page(page, number, tables)
            tables += sum(1 for b in page_blocks if isinstance(b, Grid))
            blocks.extend(page_blocks)
            total_chars += n_chars
            _check_time(started, budget, number, len(pages))
        return Document(
            kind="pdf",
            blocks=blocks,
            pages=len(pages),
            has_text_layer=total_chars > 0,
            engines=("pdfplumber",) * len(pages),
        )
    finally:
        pdf.close()


def read_pdf_pdfium(data: bytes, settings: ParseSettings, started: float, *, fallback: bool) -> Document:
    """The fast reader: PDFium chars and edges, page by page.

    With `fallback`, a page PDFium does not reproduce (a non-embedded font, rotated text, a form
    XObject…) is read by pdfplumber and recorded so in `Document.engines`, and a document without any
    character goes to pdfplumber entirely, so `needs_ocr` is decided by the reference reader. Without
    it, such a page raises PdfiumUnavailable."""
    from parsers.pdf_pdfium import (
        PdfiumUnavailable,
        document_lock,
        font_descents,
        open_document,
        page_content,
    )

    _check_end_marker(data)
    with document_lock():
        pdf = open_document(data)
        plumber: Any = None
        try:
            descents = font_descents(data)
            count = len(pdf)
            if count == 0:
                raise PdfiumUnavailable("no pages")
            _check_size(count, settings)
            budget = settings.budget(count)
            blocks: list[Line | Grid] = []
            engines: list[str] = []
            total_chars = 0
            tables = 0
            for number in range(1, count + 1):
                try:
                    try:
                        content = page_content(pdf, number - 1, descents)
                        page_blocks, n_chars = read_content(content, number, tables)
                    except PAGE_ERRORS as exc:
                        raise PdfiumUnavailable(f"page {number}: {type(exc).__name__}") from exc
                    engines.append("pdfium")
                except PdfiumUnavailable as exc:
                    if not fallback:
                        raise
                    log.debug("PDF page %d read with pdfplumber: %s", number, exc)
                    plumber = plumber or _open(data)
                    if number > len(plumber.pages):
                        raise CorruptDocument(f"damaged PDF: page {number} of {count} unreadable") from exc
                    page_blocks, n_chars = _read_plumber_page(plumber.pages[number - 1], number, tables)
                    engines.append("pdfplumber")
                tables += sum(1 for b in page_blocks if isinstance(b, Grid))
                blocks.extend(page_blocks)
                total_chars += n_chars
                _check_time(started, budget, number, count)
        finally:
            pdf.close()
            if plumber is not None:
                plumber.close()
    if total_chars == 0 and fallback:
        raise PdfiumUnavailable("no characters")
    return Document(
        kind="pdf",
        blocks=blocks,
        pages=count,
        has_text_layer=total_chars > 0,
        engines=tuple(engines),
    )


def read_pdf(data: bytes, settings: ParseSettings | None = None) -> Document:
    """The PDF's lines and grids by `settings.pdf_engine`: "auto" reads each page with PDFium where it
    reproduces pdfplumber exactly and with pdfplumber elsewhere (the whole file when PDFium cannot open
    it), "pdfium" never falls back (a file it cannot read is a CorruptDocument), "pdfplumber"
    is the reference reader alone."""
    settings = settings or ParseSettings()
    started = time.perf_counter()
    if settings.pdf_engine == "pdfplumber":
        return read_pdf_pdfplumber(data, settings, started)
    from parsers.pdf_pdfium import PdfiumUnavailable

    try:
        return read_pdf_pdfium(data, settings, started, fallback=settings.pdf_engine == "auto")
    except PdfiumUnavailable as exc:
        if settings.pdf_engine == "pdfium":
            raise CorruptDocument(f"PDFium cannot read this PDF: {exc}") from exc
        log.debug("PDF read with pdfplumber: %s", exc)
    return read_pdf_pdfplumber(data, settings, started)
