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
import operator
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from parsers import speedups
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


_X0, _X1, _TOP, _BOTTOM = (operator.itemgetter(i) for i in range(1, 5))


def _merge(chars: list[Char]) -> Word:
    """pdfplumber's `WordExtractor.merge_chars`: the chars' text (ligatures expanded) and bbox."""
    if len(chars) == 1:
        c = chars[0]
        return (c[0].translate(_ligatures()), c[1], c[2], c[3], c[4])
    return (
        "".join([c[0] for c in chars]).translate(_ligatures()),
        min(map(_X0, chars)),
        max(map(_X1, chars)),
        min(map(_TOP, chars)),
        max(map(_BOTTOM, chars)),
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


def extract_words(
    chars: list[Char], x_tolerance: float, y_tolerance: float, *, native: bool = True
) -> list[Word]:
    """pdfplumber's `extract_words` (upright text, its default directions and options) on char
    tuples: chars clustered into lines by top, each line sorted by x0 (both stable, so ties keep
    page order), a word ending at a blank char, a char starting left of the previous one's x0 or
    more than `x_tolerance` right of its x1 (pdfplumber's `char_begins_new_word`), or a top more
    than `y_tolerance` away. In C (`parsers/_pdf_speedups.c`) when it is built and `native`."""
    if not chars:
        return []
    if (fast := speedups.chosen(native)) is not None:
        grouped: list[Word] = fast.extract_words(chars, x_tolerance, y_tolerance, _ligatures())
        return grouped
    tops = set(map(_TOP, chars))
    if len(tops) == 1:
        lines = [0] * len(chars)
    else:
        line_of = _clusters(tops, y_tolerance)
        lines = list(map(line_of.__getitem__, map(_TOP, chars)))
    order = sorted(zip(lines, map(_X0, chars), range(len(chars)), strict=True))
    words: list[Word] = []
    current: list[Char] = []
    line = -1
    for here, x0, i in order:
        char = chars[i]
        if here != line:
            if current:
                words.append(_merge(current))
            current = []
            line = here
        text = char[0]
        if text.isspace() or not text:
            if current:
                words.append(_merge(current))
            current = []
            if not text:
                words.append(_merge([char]))
        elif not current:
            current.append(char)
        else:
            prev = current[-1]
            if x0 < prev[1] or x0 > prev[2] + x_tolerance or abs(char[3] - prev[3]) > y_tolerance:
                words.append(_merge(current))
                current = [char]
            else:
                current.append(char)
    if current:
        words.append(_merge(current))
    return words


def extract_text(chars: list[Char], *, native: bool = True) -> str:
    """pdfplumber's `extract_text` (layout off, default tolerances 3 and 3) on char tuples: words,
    then words clustered into lines by top, a space between words and a newline between lines."""
    if len(chars) == 1:
        text = chars[0][0]
        return "" if text.isspace() else text.translate(_ligatures())
    words = extract_words(chars, TEXT_TOLERANCE, TEXT_TOLERANCE, native=native)
    if len(words) <= 1:
        return words[0][0] if words else ""
    tops = set(map(_TOP, words))
    if len(tops) == 1:
        return " ".join([w[0] for w in words])
    line_of = _clusters(tops, TEXT_TOLERANCE)
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


def _outside(words: list[Word], bboxes: list[tuple[float, float, float, float]]) -> list[Word]:
    """The words whose centre lies in none of the bboxes (a table's text is the table's)."""
    free = []
    for word in words:
        cx = (word[1] + word[2]) / 2
        cy = (word[3] + word[4]) / 2
        for x0, top, x1, bottom in bboxes:
            if x0 <= cx <= x1 and top <= cy <= bottom:
                break
        else:
            free.append(word)
    return free


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
    free = _outside(words, bboxes) if bboxes else words
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


Point = tuple[float, float]
Bbox = tuple[float, float, float, float]


class CellText:
    """`Table.extract` of pdfplumber without rescanning every char of the page for every row: chars
    are indexed once by their vertical middle, each row takes its band by bisection, and the chars
    keep page order, so every cell gets exactly the chars (and text) pdfplumber gives it. In C
    (`parsers/_pdf_speedups.c`, the same conditions over each row's band) where `native` and built."""

    def __init__(self, chars: list[Char], *, native: bool = True) -> None:
        self.chars = chars
        self.native = native
        self.fast = speedups.chosen(native)

    @functools.cached_property
    def mids(self) -> list[tuple[float, float, int]]:
        return sorted(((c[3] + c[4]) / 2, (c[1] + c[2]) / 2, i) for i, c in enumerate(self.chars))

    @functools.cached_property
    def v_mids(self) -> list[float]:
        return [m[0] for m in self.mids]

    def _in_band(self, top: float, bottom: float) -> list[tuple[float, float, int]]:
        return self.mids[bisect.bisect_left(self.v_mids, top) : bisect.bisect_left(self.v_mids, bottom)]

    def __call__(self, table: Any) -> list[list[str | None]]:
        if self.fast is not None:
            rows = [(row.bbox, row.cells) for row in table.rows]
            texts: list[list[str | None]] = self.fast.cell_texts(self.chars, rows, _ligatures())
            return texts
        out: list[list[str | None]] = []
        for row in table.rows:
            x0, top, x1, bottom = row.bbox
            band = sorted((i, v, h) for v, h, i in self._in_band(top, bottom) if x0 <= h < x1)
            out.append(
                [
                    None if cell is None else extract_text(inside, native=self.native) if inside else ""
                    for cell, inside in zip(row.cells, self._cell_chars(row.cells, band), strict=True)
                ]
            )
        return out

    def _cell_chars(self, cells: list[Bbox | None], band: list[tuple[int, float, float]]) -> list[list[Char]]:
        """The chars of each cell of a row, from the row's `band` (index, vertical and horizontal
        middle, in page order). Where no two cells overlap across, each char is looked up by
        bisection on the cells' left edges (it can be in one cell at most); else every cell tests
        every char."""
        inside: list[list[Char]] = [[] for _ in cells]
        placed = sorted((cell, k) for k, cell in enumerate(cells) if cell is not None)
        lefts = [cell[0] for cell, _ in placed]
        if any(cell[2] > right for (cell, _), right in zip(placed, lefts[1:], strict=False)):
            for cell, k in placed:
                cx0, ctop, cx1, cbottom = cell
                inside[k] = [self.chars[i] for i, v, h in band if cx0 <= h < cx1 and ctop <= v < cbottom]
            return inside
        for i, v, h in band:
            at = bisect.bisect_right(lefts, h) - 1
            if at >= 0:
                (_, ctop, cx1, cbottom), k = placed[at]
                if h < cx1 and ctop <= v < cbottom:
                    inside[k].append(self.chars[i])
        return inside


def _intersections(edges: list[dict[str, Any]], x_tolerance: float, y_tolerance: float) -> dict[Point, Any]:
    """pdfplumber's `edges_to_intersections` on plain numbers: each point where a vertical edge meets
    a horizontal one (within the tolerances), with the bboxes of the vertical and of the horizontal
    edges through it (as sets: pdfplumber's lists are only ever compared as sets)."""
    v_edges = [e for e in edges if e["orientation"] == "v"]
    h_edges = [
        (e["top"], e["x0"], e["x1"], (e["x0"], e["top"], e["x1"], e["bottom"]))
        for e in edges
        if e["orientation"] == "h"
    ]
    out: dict[Point, tuple[set[Bbox], set[Bbox]]] = {}
    for v in v_edges:
        vx, vtop, vbottom = v["x0"], v["top"], v["bottom"]
        v_bbox = (vx, vtop, v["x1"], vbottom)
        for htop, hx0, hx1, h_bbox in h_edges:
            if (
                vtop <= htop + y_tolerance
                and vbottom >= htop - y_tolerance
                and hx0 - x_tolerance <= vx <= hx1 + x_tolerance
            ):
                found = out.get((vx, htop))
                if found is None:
                    found = out[(vx, htop)] = (set(), set())
                found[0].add(v_bbox)
                found[1].add(h_bbox)
    return out


def _cells(intersections: dict[Point, Any]) -> list[Bbox]:
    """pdfplumber's `intersections_to_cells`: for each point in order, the smallest cell whose four
    corners are points joined by common edges. The points below and to the right of each point are
    slices of its column and row, computed once instead of once per pair: the same cells, in the
    same order."""

    def connects(p1: Point, p2: Point) -> bool:
        return bool(
            (p1[0] == p2[0] and intersections[p1][0] & intersections[p2][0])
            or (p1[1] == p2[1] and intersections[p1][1] & intersections[p2][1])
        )

    points = sorted(intersections)
    columns: dict[float, list[Point]] = {}
    rows: dict[float, list[Point]] = {}
    place: dict[Point, tuple[int, int]] = {}
    for point in points:
        column, row = columns.setdefault(point[0], []), rows.setdefault(point[1], [])
        place[point] = (len(column), len(row))
        column.append(point)
        row.append(point)
    cells = []
    for pt in points[:-1]:
        in_column, in_row = place[pt]
        below = columns[pt[0]][in_column + 1 :]
        right = rows[pt[1]][in_row + 1 :]
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


def _tables(cells: list[Bbox]) -> list[list[Bbox]]:
    """pdfplumber's `cells_to_tables`: cells joined through shared corners, each group grown from the
    first cell not yet placed until no cell touches it (so a group is the connected set of that
    cell), groups ordered by their top-left-most corner, single cells dropped. Found by walking each
    corner's cells once instead of rescanning every remaining cell."""
    by_corner: dict[Point, list[int]] = {}
    corners = [((x0, top), (x0, bottom), (x1, top), (x1, bottom)) for x0, top, x1, bottom in cells]
    for i, four in enumerate(corners):
        for corner in four:
            by_corner.setdefault(corner, []).append(i)
    group_of = [-1] * len(cells)
    groups: list[list[Bbox]] = []
    for seed in range(len(cells)):
        if group_of[seed] >= 0:
            continue
        members = [seed]
        group_of[seed] = len(groups)
        for i in members:
            for corner in corners[i]:
                for j in by_corner[corner]:
                    if group_of[j] < 0:
                        group_of[j] = len(groups)
                        members.append(j)
        groups.append([cells[i] for i in sorted(members)])
    groups.sort(key=lambda group: min((c[1], c[0]) for c in group))
    return [group for group in groups if len(group) > 1]


@functools.cache
def _table_settings() -> Any:
    from pdfplumber import table as plumber_table

    return plumber_table.TableSettings.resolve(TABLE_SETTINGS)


@dataclass(frozen=True)
class FoundRow:
    """A table row as pdfplumber's `Table.rows` gives it: a slot per column (None where no cell starts
    there) and the bbox of its cells."""

    bbox: Bbox
    cells: list[Bbox | None]


@dataclass(frozen=True)
class FoundTable:
    """A table found by the C table finder, with what `place_blocks` and `CellText` read of
    pdfplumber's `Table`: its bbox, cells and rows (computed once, where pdfplumber's `rows` computes
    them on every access)."""

    bbox: Bbox
    cells: list[Bbox]
    rows: list[FoundRow]


def find_tables(content: Any, *, native: bool = True) -> list[Any]:
    """pdfplumber's `TableFinder` ("lines" strategies, TABLE_SETTINGS) on a page's edges, with the
    faster `_intersections`, `_cells` and `_tables`, or the edge merging, all three and the rows in C
    (`FoundTable`) where `native` and built."""
    from pdfplumber import table as plumber_table
    from pdfplumber.utils import filter_edges

    settings = _table_settings()
    prefilter = settings.edge_min_length_prefilter
    edges = filter_edges(content.edges, "v", min_length=prefilter) + filter_edges(
        content.edges, "h", min_length=prefilter
    )
    x_tolerance, y_tolerance = settings.intersection_x_tolerance, settings.intersection_y_tolerance
    if (fast := speedups.chosen(native)) is not None:
        v_boxes, h_boxes = fast.merge_edges(
            edges,
            settings.snap_x_tolerance,
            settings.snap_y_tolerance,
            settings.join_x_tolerance,
            settings.join_y_tolerance,
            settings.edge_min_length,
        )
        return [
            FoundTable(bbox, cells, [FoundRow(*row) for row in rows])
            for bbox, cells, rows in fast.table_cells(v_boxes, h_boxes, x_tolerance, y_tolerance)
        ]
    edges = plumber_table.merge_edges(
        edges,
        snap_x_tolerance=settings.snap_x_tolerance,
        snap_y_tolerance=settings.snap_y_tolerance,
        join_x_tolerance=settings.join_x_tolerance,
        join_y_tolerance=settings.join_y_tolerance,
    )
    edges = filter_edges(edges, min_length=settings.edge_min_length)
    intersections = _intersections(edges, x_tolerance, y_tolerance)
    return [plumber_table.Table(content, group) for group in _tables(_cells(intersections))]


def read_content(
    content: Any, page_number: int, table_index: int, *, native: bool = True
) -> tuple[list[Line | Grid], int]:
    """The same as `read_page` for a PDFium `PageContent`: pdfplumber's word grouping and table finder
    run on PDFium's chars and edges (words grouped in C where `native` and built)."""
    if not content.chars:
        return [], 0
    words = extract_words(
        content.chars, WORD_SETTINGS["x_tolerance"], WORD_SETTINGS["y_tolerance"], native=native
    )
    tables = find_tables(content, native=native) if content.ruled else []
    extract = CellText(content.chars, native=native) if tables else None
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
            descents = font_descents(data, native=settings.pdf_speedups)
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
                        content = page_content(pdf, number - 1, descents, native=settings.pdf_speedups)
                        page_blocks, n_chars = read_content(
                            content, number, tables, native=settings.pdf_speedups
                        )
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
