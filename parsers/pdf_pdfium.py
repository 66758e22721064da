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
import io
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


def font_descents(data: bytes) -> dict[str, float | None]:
    """pdfminer's descent (per point of size) of every page font by its BaseFont name; None where two
    fonts of one name disagree or the font is Type3. PDFium fills a missing descriptor Descent from the
    font program, pdfminer takes 0, and the char boxes must be pdfminer's. Reading the fonts parses
    the cross-reference table and the page tree, not any content stream, so it is cheap; a file
    pdfminer cannot open ends here, and the pdfplumber reader then reports why."""
    from pdfminer.pdfdocument import PDFDocument
    from pdfminer.pdfinterp import PDFResourceManager
    from pdfminer.pdfpage import PDFPage
    from pdfminer.pdfparser import PDFParser
    from pdfminer.pdftypes import dict_value
    from pdfminer.psparser import literal_name

    out: dict[str, float | None] = {}
    try:
        document = PDFDocument(PDFParser(io.BytesIO(data)))
        manager = PDFResourceManager()
        seen: set[object] = set()
        for page in PDFPage.create_pages(document):
            fonts = dict_value(dict_value(page.resources).get("Font", {}))
            for ref in fonts.values():
                key = getattr(ref, "objid", None) or id(ref)
                if key in seen:
                    continue
                seen.add(key)
                spec = dict_value(ref)
                name = literal_name(spec.get("BaseFont", "unknown"))
                subtype = literal_name(spec.get("Subtype", ""))
                descent = None if subtype == "Type3" else manager.get_font(None, spec).get_descent()
                out[name] = descent if out.get(name, descent) == descent else None
    except Exception as exc:
        raise PdfiumUnavailable(f"pdfminer cannot read the fonts: {type(exc).__name__}") from exc
    return out


@dataclass(frozen=True)
class _TextObject:
    """What every char of one text object shares: scale, font handle and pdfminer descent."""

    scale_x: float
    scale_y: float
    font: Any
    font_key: int
    descent: float


def _pointer(handle: Any) -> int:
    return ctypes.c_void_p.from_buffer(handle).value or 0


def _text_object(handle: Any, descents: dict[str, float | None]) -> _TextObject:
    matrix = pdfium_c.FS_MATRIX()
    pdfium_c.FPDFPageObj_GetMatrix(handle, ctypes.byref(matrix))
    if matrix.b != 0 or matrix.c != 0 or matrix.a <= 0 or matrix.d <= 0:
        raise PdfiumUnavailable("rotated or mirrored text")
    font = pdfium_c.FPDFTextObj_GetFont(handle)
    buffer = ctypes.create_string_buffer(256)
    length = pdfium_c.FPDFFont_GetBaseFontName(font, buffer, len(buffer))
    name = buffer.raw[: max(0, length - 1)].decode("latin-1")
    descent = descents.get(name)
    if descent is None:
        raise PdfiumUnavailable(f"font {name!r} without a known descent")
    return _TextObject(matrix.a, matrix.d, font, _pointer(font), descent)


def _page_text(raw: Any, count: int) -> str | None:
    """All characters of the text page in one call, or None when the UTF-16 does not line up
    one code unit per character (characters outside the BMP)."""
    buffer = (ctypes.c_ushort * (count + 1))()
    written = pdfium_c.FPDFText_GetText(raw, 0, count, buffer)
    text = bytes(buffer)[: max(0, written - 1) * 2].decode("utf-16-le", errors="surrogatepass")
    return text if len(text) == count and not any(0xD800 <= ord(ch) < 0xE000 for ch in text) else None


def page_chars(page: Any, height: float, descents: dict[str, float | None]) -> list[dict[str, Any]]:
    """Every printed character with pdfminer's box: x from origin and advance, y from descent + size."""
    textpage = page.get_textpage()
    try:
        raw = textpage.raw
        count = pdfium_c.FPDFText_CountChars(raw)
        text = _page_text(raw, count)
        ox, oy = ctypes.c_double(), ctypes.c_double()
        origin_x, origin_y = ctypes.byref(ox), ctypes.byref(oy)
        size_value = ctypes.c_float()
        width_value = ctypes.c_float()
        objects: dict[int, tuple[_TextObject, float]] = {}
        widths: dict[tuple[int, int], float] = {}
        chars: list[dict[str, Any]] = []
        last_key = -1
        current: _TextObject | None = None
        size = 0.0
        for i in range(count):
            handle = pdfium_c.FPDFText_GetTextObject(raw, i)
            if not handle:
                continue
            key = _pointer(handle)
            if key != last_key:
                if key not in objects:
                    pdfium_c.FPDFTextObj_GetFontSize(handle, ctypes.byref(size_value))
                    objects[key] = _text_object(handle, descents), size_value.value
                current, size = objects[key]
                last_key = key
            assert current is not None
            code = ord(text[i]) if text is not None else pdfium_c.FPDFText_GetUnicode(raw, i)
            if code in _UNMAPPED:
                raise PdfiumUnavailable("a glyph without a Unicode mapping")
            wkey = (current.font_key, code)
            if wkey not in widths:
                ok = pdfium_c.FPDFFont_GetGlyphWidth(current.font, code, 1000.0, ctypes.byref(width_value))
                if not ok:
                    raise PdfiumUnavailable("a glyph without a width")
                widths[wkey] = width_value.value / 1000.0
            pdfium_c.FPDFText_GetCharOrigin(raw, i, origin_x, origin_y)
            x0 = ox.value
            y0 = oy.value + current.descent * size * current.scale_y
            bottom = height - y0
            top = bottom - size * current.scale_y
            chars.append(
                {
                    "text": chr(code),
                    "x0": x0,
                    "x1": x0 + widths[wkey] * size * current.scale_x,
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


def page_content(pdf: Any, index: int, descents: dict[str, float | None]) -> PageContent:
    """One page's chars and edges; the page is closed before returning so memory stays flat."""
    page = pdf[index]
    try:
        height = _page_height(page)
        edges, ruled = page_edges(page, height)
        return PageContent(height, page_chars(page, height, descents), edges, ruled)
    finally:
        page.close()


def document_lock() -> threading.Lock:
    return _LOCK
