"""PDF page contents through PDFium (pypdfium2): characters and ruling edges without pdfminer.

pdfminer interprets every content stream in Python, which is most of the cost of a PDF parse. PDFium
does the same in C++; this module turns its text page and path objects into the very dictionaries
pdfplumber builds (chars with x0/x1/top/bottom, edges with orientation), so pdfplumber's own word
grouping and table finder run on them unchanged and the resulting `Document` matches the pdfplumber
reader. Anything this module cannot reproduce faithfully (rotated pages or text, form XObjects,
unmapped glyphs, no text at all, a file PDFium refuses) raises `PdfiumUnavailable` and the caller
reads the file with pdfplumber instead.
"""

from __future__ import annotations

import ctypes
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

SegmentOp = tuple[str, tuple[float, float]]

_LOCK = threading.Lock()
"""PDFium is not thread-safe: one document at a time per process."""

_UNMAPPED = {0, 0xFFFD, 0xFFFE, 0xFFFF}


class PdfiumUnavailable(Exception):
    """This file (or one of its pages) is outside what the PDFium path reproduces; use pdfplumber."""


@dataclass
class PageContent:
    """One page as pdfplumber would see it: chars, ruling edges, and whether it has lines/rects."""

    height: float
    chars: list[dict[str, Any]] = field(default_factory=list)
    edges: list[dict[str, Any]] = field(default_factory=list)
    ruled: bool = False

    @property
    def bbox(self) -> tuple[float, float, float, float]:
        return (0.0, 0.0, 0.0, self.height)


def open_document(data: bytes) -> Any:
    """The PDFium document, or PdfiumUnavailable when PDFium cannot open it (pdfplumber decides why)."""
    try:
        return pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        raise PdfiumUnavailable(f"PDFium cannot open the file: {exc}") from exc


def _page_height(page: Any) -> float:
    """The page height, when the page is laid out the way pdfplumber's coordinates assume."""
    if page.get_rotation() != 0:
        raise PdfiumUnavailable("rotated page")
    mediabox = page.get_mediabox()
    if page.get_cropbox() != mediabox or mediabox[0] != 0 or mediabox[1] != 0:
        raise PdfiumUnavailable("page box with an offset or a crop")
    return float(mediabox[3])


class _FontCache:
    """Per font: descent per point of size, and glyph advance widths (PDFium calls are per char).

    Keyed by the font handle's address, so one cache lives only as long as its page."""

    def __init__(self) -> None:
        self.descent: dict[int, float] = {}
        self.width: dict[tuple[int, int], float] = {}
        self._value = ctypes.c_float()

    def font_of(self, text_object: Any) -> tuple[Any, int]:
        font = pdfium_c.FPDFTextObj_GetFont(text_object)
        key = ctypes.cast(font, ctypes.c_void_p).value or 0
        if key not in self.descent:
            ok = pdfium_c.FPDFFont_GetDescent(font, 1000.0, ctypes.byref(self._value))
            self.descent[key] = self._value.value / 1000.0 if ok else 0.0
        return font, key

    def advance(self, font: Any, key: int, code: int) -> float | None:
        """Width of the glyph at size 1 (None when the font cannot map the character back)."""
        wkey = (key, code)
        if wkey not in self.width:
            ok = pdfium_c.FPDFFont_GetGlyphWidth(font, code, 1000.0, ctypes.byref(self._value))
            self.width[wkey] = self._value.value / 1000.0 if ok else -1.0
        width = self.width[wkey]
        return None if width < 0 else width


def page_chars(page: Any, height: float, fonts: _FontCache) -> list[dict[str, Any]]:
    """Every printed character with pdfminer's box: x from origin and advance, y from descent + size."""
    textpage = page.get_textpage()
    try:
        raw = textpage.raw
        ox, oy = ctypes.c_double(), ctypes.c_double()
        matrix = pdfium_c.FS_MATRIX()
        loose = pdfium_c.FS_RECTF()
        chars: list[dict[str, Any]] = []
        last_object: Any = None
        font: Any = None
        font_key = 0
        for i in range(pdfium_c.FPDFText_CountChars(raw)):
            if pdfium_c.FPDFText_IsGenerated(raw, i):
                continue
            code = pdfium_c.FPDFText_GetUnicode(raw, i)
            if code in _UNMAPPED:
                raise PdfiumUnavailable("a glyph without a Unicode mapping")
            pdfium_c.FPDFText_GetMatrix(raw, i, ctypes.byref(matrix))
            if matrix.b != 0 or matrix.c != 0 or matrix.a <= 0 or matrix.d <= 0:
                raise PdfiumUnavailable("rotated or mirrored text")
            text_object = pdfium_c.FPDFText_GetTextObject(raw, i)
            object_key = ctypes.cast(text_object, ctypes.c_void_p).value
            if object_key != last_object:
                font, font_key = fonts.font_of(text_object)
                last_object = object_key
            size = pdfium_c.FPDFText_GetFontSize(raw, i)
            pdfium_c.FPDFText_GetCharOrigin(raw, i, ctypes.byref(ox), ctypes.byref(oy))
            advance = fonts.advance(font, font_key, code)
            x0 = ox.value
            if advance is None:
                pdfium_c.FPDFText_GetLooseCharBox(raw, i, ctypes.byref(loose))
                x1 = loose.right
            else:
                x1 = x0 + advance * size * matrix.a
            y0 = oy.value + fonts.descent[font_key] * size * matrix.d
            top = height - (y0 + size * matrix.d)
            bottom = height - y0
            chars.append(
                {
                    "text": chr(code),
                    "x0": x0,
                    "x1": x1,
                    "top": top,
                    "bottom": bottom,
                    "doctop": top,
                    "upright": True,
                    "size": size,
                }
            )
        return chars
    finally:
        textpage.close()


def _path_ops(path: Any) -> list[SegmentOp]:
    """The path's segments as pdfminer's operators (m, l, c, h) with points in user space."""
    matrix = pdfium_c.FS_MATRIX()
    pdfium_c.FPDFPageObj_GetMatrix(path, ctypes.byref(matrix))
    a, b, c, d, e, f = matrix.a, matrix.b, matrix.c, matrix.d, matrix.e, matrix.f
    x, y = ctypes.c_float(), ctypes.c_float()
    ops: list[SegmentOp] = []
    start = (0.0, 0.0)
    bezier = 0
    for i in range(pdfium_c.FPDFPath_CountSegments(path)):
        segment = pdfium_c.FPDFPath_GetPathSegment(path, i)
        kind = pdfium_c.FPDFPathSegment_GetType(segment)
        pdfium_c.FPDFPathSegment_GetPoint(segment, ctypes.byref(x), ctypes.byref(y))
        point = (a * x.value + c * y.value + e, b * x.value + d * y.value + f)
        if kind == pdfium_c.FPDF_SEGMENT_MOVETO:
            ops.append(("m", point))
            start = point
            bezier = 0
        elif kind == pdfium_c.FPDF_SEGMENT_LINETO:
            ops.append(("l", point))
        elif kind == pdfium_c.FPDF_SEGMENT_BEZIERTO:
            bezier += 1
            if bezier % 3 == 0:
                ops.append(("c", point))
        else:
            raise PdfiumUnavailable("unknown path segment")
        if pdfium_c.FPDFPathSegment_GetClose(segment):
            ops.append(("h", start))
    return ops


def _subpaths(ops: list[SegmentOp]) -> Iterator[list[SegmentOp]]:
    current: list[SegmentOp] = []
    for op in ops:
        if op[0] == "m" and current:
            yield current
            current = []
        current.append(op)
    if current:
        yield current


def _box(height: float, x0: float, y0: float, x1: float, y1: float) -> dict[str, Any]:
    top, bottom = height - max(y0, y1), height - min(y0, y1)
    return {
        "x0": min(x0, x1),
        "x1": max(x0, x1),
        "top": top,
        "bottom": bottom,
        "doctop": top,
        "width": abs(x1 - x0),
        "height": bottom - top,
    }


def _classify(subpath: list[SegmentOp], height: float) -> tuple[str, list[dict[str, Any]]]:
    """pdfminer's reading of one subpath (line, rect or curve) and pdfplumber's edges for it."""
    shape = "".join(op for op, _ in subpath)
    pts = [p for _, p in subpath]
    if len(shape) > 3 and shape[-2:] == "lh" and pts[-2] == pts[0]:
        shape = shape[:-2] + "h"
        pts.pop()
    if shape in ("mlh", "ml"):
        (x0, y0), (x1, y1) = pts[0], pts[1]
        edge = {**_box(height, x0, y0, x1, y1), "object_type": "line"}
        edge["orientation"] = "h" if edge["top"] == edge["bottom"] else "v"
        return "line", [edge]
    if shape in ("mlllh", "mllll"):
        (x0, y0), (x1, y1), (x2, y2), (x3, y3), _ = pts
        square = (x0 == x1 and y1 == y2 and x2 == x3 and y3 == y0) or (
            y0 == y1 and x1 == x2 and y2 == y3 and x3 == x0
        )
        if pts[0] == pts[4] and square:
            return "rect", _rect_edges(_box(height, x0, y0, x2, y2))
    flipped = [(px, height - py) for px, py in pts]
    edges = []
    for (ax, at), (bx, bt) in zip(flipped, flipped[1:], strict=False):
        orientation = "v" if ax == bx else ("h" if at == bt else None)
        edges.append(
            {
                "object_type": "curve_edge",
                "x0": min(ax, bx),
                "x1": max(ax, bx),
                "top": min(at, bt),
                "doctop": min(at, bt),
                "bottom": max(at, bt),
                "width": abs(ax - bx),
                "height": abs(at - bt),
                "orientation": orientation,
            }
        )
    return "curve", edges


def _rect_edges(box: dict[str, Any]) -> list[dict[str, Any]]:
    """pdfplumber's rect_to_edges: top, bottom, left, right."""
    base = {**box, "object_type": "rect_edge"}
    return [
        {**base, "height": 0, "bottom": box["top"], "orientation": "h"},
        {**base, "height": 0, "top": box["bottom"], "doctop": box["bottom"], "orientation": "h"},
        {**base, "width": 0, "x1": box["x0"], "orientation": "v"},
        {**base, "width": 0, "x0": box["x1"], "orientation": "v"},
    ]


def page_edges(page: Any, height: float) -> tuple[list[dict[str, Any]], bool]:
    """Edges of every painted path (line edges, then rect edges, then curve edges, as pdfplumber
    orders them) and whether the page has any line or rectangle."""
    raw = page.raw
    found: dict[str, list[dict[str, Any]]] = {"line": [], "rect": [], "curve": []}
    fill, stroke = ctypes.c_int(), ctypes.c_int()
    for i in range(pdfium_c.FPDFPage_CountObjects(raw)):
        obj = pdfium_c.FPDFPage_GetObject(raw, i)
        kind = pdfium_c.FPDFPageObj_GetType(obj)
        if kind == pdfium_c.FPDF_PAGEOBJ_FORM:
            raise PdfiumUnavailable("form XObject")
        if kind != pdfium_c.FPDF_PAGEOBJ_PATH:
            continue
        pdfium_c.FPDFPath_GetDrawMode(obj, ctypes.byref(fill), ctypes.byref(stroke))
        if not fill.value and not stroke.value:
            continue
        for subpath in _subpaths(_path_ops(obj)):
            if subpath[0][0] != "m":
                continue
            kind_name, edges = _classify(subpath, height)
            found[kind_name].extend(edges)
    edges = found["line"] + found["rect"] + found["curve"]
    return edges, bool(found["line"] or found["rect"])


def page_content(pdf: Any, index: int) -> PageContent:
    """One page's chars and edges; the page is closed before returning so memory stays flat."""
    page = pdf[index]
    try:
        height = _page_height(page)
        edges, ruled = page_edges(page, height)
        return PageContent(height, page_chars(page, height, _FontCache()), edges, ruled)
    finally:
        page.close()


def document_lock() -> threading.Lock:
    return _LOCK
