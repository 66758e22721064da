"""PDF page contents through PDFium (pypdfium2): characters and ruling edges without pdfminer.

pdfminer interprets every content stream in Python, which is most of the cost of a PDF parse. PDFium
does the same in C++; this module turns its text page and path objects into the very dictionaries
pdfplumber builds (chars with x0/x1/top/bottom, edges with orientation), so pdfplumber's own word
grouping and table finder run on them unchanged and the resulting `Document` matches the pdfplumber
reader. Anything this module cannot reproduce faithfully (rotated or cropped pages, rotated text,
form XObjects, Type3 or unknown fonts, unmapped glyphs, a file PDFium or pdfminer refuses) raises
`PdfiumUnavailable` and the caller reads that page (or the file) with pdfplumber instead, so damaged
and encrypted files keep pdfplumber's errors.

Results must not depend on the fonts installed on the machine. PDFium substitutes an installed font
for every font a PDF does not embed, and its character boxes (and even which characters its text page
keeps) follow the substitute. So this module hides the machine's fonts from PDFium (an empty system
font list: PDFium then has only its own built-in standard 14 fonts), and a page that shows text in a
font that is neither embedded nor one of the standard 14 (whose metrics are fixed by the PDF
specification and built into both PDFium and pdfminer) is left to pdfplumber, which takes every
width from the PDF itself.
"""

from __future__ import annotations

import ctypes
import io
import itertools
import logging
import operator
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from parsers import speedups
from parsers.pdf import Char

log = logging.getLogger(__name__)

SegmentOp = tuple[str, tuple[float, float]]

_LOCK = threading.Lock()
"""PDFium is not thread-safe: one document at a time per process."""

_UNMAPPED = {*range(0x20), 0xFFFD, 0xFFFE, 0xFFFF}
"""What PDFium gives for a glyph it cannot map to a character: 0, a replacement character, or the code
itself, which for the codes below 0x20 no real text has (pdfminer writes "(cid:N)" there)."""
_MAYBE_GENERATED = {0x20, 0x0D, 0x0A, 0x2D, 0x02}
"""PDFium inserts spaces, line breaks and hyphens of its own (some carry a text object)."""
SUBSET_TAG = re.compile(r"^[A-Z]{6}\+")
_SURROGATE = re.compile("[\ud800-\udfff]")


STANDARD_14 = frozenset(
    {
        "Courier",
        "Courier-Bold",
        "Courier-BoldOblique",
        "Courier-Oblique",
        "Helvetica",
        "Helvetica-Bold",
        "Helvetica-BoldOblique",
        "Helvetica-Oblique",
        "Times-Roman",
        "Times-Bold",
        "Times-BoldItalic",
        "Times-Italic",
        "Symbol",
        "ZapfDingbats",
    }
)
"""The PDF standard fonts: their metrics are in the specification, built into PDFium and pdfminer."""


class PdfiumUnavailable(Exception):
    """This file (or one of its pages) is outside what the PDFium path reproduces; use pdfplumber."""


@dataclass
class PageContent:
    """One page as pdfplumber would see it: chars, ruling edges, and whether it has lines/rects."""

    width: float
    height: float
    chars: list[Char] = field(default_factory=list)
    edges: list[dict[str, Any]] = field(default_factory=list)
    ruled: bool = False

    @property
    def bbox(self) -> tuple[float, float, float, float]:
        return (0.0, 0.0, self.width, self.height)


def open_document(data: bytes) -> Any:
    """The PDFium document, or PdfiumUnavailable when PDFium cannot open it (pdfplumber decides why)."""
    try:
        return pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        raise PdfiumUnavailable(f"PDFium cannot open the file: {exc}") from exc


def _page_size(page: Any) -> tuple[float, float]:
    """Width and height, when the page is laid out the way pdfplumber's coordinates assume."""
    if page.get_rotation() != 0:
        raise PdfiumUnavailable("rotated page")
    mediabox = page.get_mediabox()
    if page.get_cropbox() != mediabox or mediabox[0] != 0 or mediabox[1] != 0:
        raise PdfiumUnavailable("page box with an offset or a crop")
    return float(mediabox[2]), float(mediabox[3])


def _base_name(name: str) -> str:
    """A font name without its subset tag ("BAAAAA+WenQuanYiZenHei" → "WenQuanYiZenHei")."""
    return SUBSET_TAG.sub("", name)


def _pdfminer_descent(spec: dict[str, Any]) -> float | None:
    """The descent pdfminer's font object for `spec` reports (`PDFFont.get_descent`), read from the
    font dictionary the way pdfminer's constructors read it, without building the font (which parses
    its ToUnicode CMap and font program in Python); None for a Type3 font. A font whose CMap or
    program pdfminer could not build therefore no longer sends the whole file to pdfplumber: PDFium
    reads its pages, under the same checks as any other (unmapped glyphs, widths)."""
    from pdfminer.pdffont import FontMetricsDB
    from pdfminer.pdftypes import dict_value, list_value, num_value
    from pdfminer.psparser import literal_name

    subtype = literal_name(spec["Subtype"]) if "Subtype" in spec else "Type1"
    if subtype == "Type3":
        return None
    if subtype == "Type0":
        descendants = list_value(spec["DescendantFonts"])
        if not descendants:
            raise PdfiumUnavailable("a Type0 font without descendant fonts")
        return _pdfminer_descent(dict_value(descendants[0]))
    descriptor: Any
    if subtype in ("CIDFontType0", "CIDFontType2"):
        descriptor = dict_value(spec["FontDescriptor"]) if "FontDescriptor" in spec else {}
    else:
        base = literal_name(spec["BaseFont"]) if "BaseFont" in spec else "unknown"
        try:
            descriptor = FontMetricsDB.get_metrics(base)[0]
        except KeyError:
            descriptor = dict_value(spec.get("FontDescriptor", {}))
    descent = num_value(descriptor.get("Descent", 0))
    return (-descent if descent > 0 else descent) * 0.001


_WIDTH_ARRAY = re.compile(rb"/(?:W|W2|Widths)\s*\[[-+.\d\s\[\]]{64,}?\](?=\s*(?:/|>>))")
"""A font's widths array written inline (`/Widths [...]` of a simple font, `/W [...]` and `/W2 [...]` of
a CIDFont): numbers and brackets up to the closing bracket that ends the dictionary entry."""


def without_width_arrays(data: bytes) -> bytes:
    """`data` with every long inline widths array blanked out, byte for byte, so offsets stay valid.
    pdfminer tokenizes a whole object to resolve it, and a CJK font's `/W` array of thousands of
    numbers was most of the cost of reading the descents; nothing here reads widths. An array is left
    alone unless its brackets balance; short arrays (a cross-reference stream's `/W [1 2 1]`) are
    never touched. Should a compressed stream happen to hold such bytes, its checksum fails, pdfminer
    raises, and the file goes to pdfplumber, which reads the original."""
    spans = [m.span() for m in _WIDTH_ARRAY.finditer(data) if m[0].count(b"[") == m[0].count(b"]")]
    if not spans:
        return data
    out = bytearray(data)
    for start, end in spans:
        out[start:end] = b" " * (end - start)
    return bytes(out)


FontDescents = dict[str, float | str]
"""pdfminer's descent (per point of size) of each page font by its BaseFont name, or why the PDFium path
does not reproduce that font."""

TYPE3 = "a Type3 font"
DISAGREEING = "two fonts of this name with different descents"
NO_TO_UNICODE = "a composite font without a ToUnicode map (PDFium would read its glyph ids as characters)"
NO_ENCODING = "an embedded font with neither a ToUnicode map nor an Encoding"


def _font_fact(spec: dict[str, Any]) -> float | str:
    """The font's descent as pdfminer reads it, or why PDFium would not read the font as pdfminer does,
    when the PDF does not say which character each code is. A composite (Type0) font without a
    ToUnicode map: pdfminer takes the characters from the embedded font's own character map, PDFium
    reads each CID as a character. An embedded simple font with neither ToUnicode nor Encoding:
    pdfminer reads its codes in the standard encoding (or as "(cid:N)"), PDFium as characters."""
    from pdfminer.pdftypes import dict_value
    from pdfminer.psparser import literal_name

    subtype = literal_name(spec["Subtype"]) if "Subtype" in spec else "Type1"
    if "ToUnicode" not in spec:
        if subtype == "Type0":
            return NO_TO_UNICODE
        descriptor = dict_value(spec.get("FontDescriptor", {}))
        embedded = any(key in descriptor for key in ("FontFile", "FontFile2", "FontFile3"))
        if subtype != "Type3" and embedded and "Encoding" not in spec:
            return NO_ENCODING
    descent = _pdfminer_descent(spec)
    return TYPE3 if descent is None else descent


def font_descents(data: bytes, *, native: bool = True) -> FontDescents:
    """pdfminer's descent of every page font by its BaseFont name (`FontDescents`), or the reason the
    PDFium path leaves it to pdfplumber: a Type3 font, two fonts of one name that disagree, a font
    whose codes the PDF does not map to characters (`_font_fact`). PDFium fills a missing descriptor
    Descent from the font program, pdfminer takes 0, and the char boxes must be pdfminer's. Reading the
    font dictionaries parses the cross-reference table and the page tree, not any content stream, CMap,
    font program or widths array (`without_width_arrays`), so it is cheap; pdf_objects reads them
    faster than pdfminer's own parser where the file is in the plain form it reads exactly as
    pdfminer does (its object parser in C where `native` and built), and pdfminer reads the rest. A
    file pdfminer cannot open ends here, and the pdfplumber reader then reports why."""
    from pdfminer.pdfdocument import PDFDocument
    from pdfminer.pdfparser import PDFParser

    from parsers import pdf_objects

    stripped = without_width_arrays(data)
    try:
        try:
            descents, pages = _page_fonts(pdf_objects.Document(stripped, native=native))
            if pages:
                return descents
            raise pdf_objects.Unsupported("no page in the page tree")
        except pdf_objects.Unsupported as exc:
            log.debug("font dictionaries read by pdfminer: %s", exc)
        return _page_fonts(PDFDocument(PDFParser(io.BytesIO(stripped))))[0]
    except PdfiumUnavailable:
        raise
    except Exception as exc:
        raise PdfiumUnavailable(f"pdfminer cannot read the fonts: {type(exc).__name__}") from exc


def _page_fonts(document: Any) -> tuple[FontDescents, int]:
    """`font_descents` over a pdfminer document (or pdf_objects' faster one), and how many pages
    pdfminer's page walk found."""
    from pdfminer.pdfpage import PDFPage
    from pdfminer.pdftypes import dict_value
    from pdfminer.psparser import literal_name

    out: FontDescents = {}
    seen: set[object] = set()
    pages = 0
    for page in PDFPage.create_pages(document):
        pages += 1
        fonts = dict_value(dict_value(page.resources).get("Font", {}))
        for ref in fonts.values():
            key = getattr(ref, "objid", None) or id(ref)
            if key in seen:
                continue
            seen.add(key)
            spec = dict_value(ref)
            name = _base_name(literal_name(spec.get("BaseFont", "unknown")))
            fact = _font_fact(spec)
            before = out.setdefault(name, fact)
            if not isinstance(before, str) and before != fact:
                out[name] = fact if isinstance(fact, str) else DISAGREEING
    return out, pages


def _function(name: str) -> int:
    """The address of a PDFium function pypdfium2 has loaded."""
    address = ctypes.cast(getattr(pdfium_c, name), ctypes.c_void_p).value
    if address is None:
        raise ImportError(f"PDFium has no {name}")
    return address


def _typed(name: str, restype: Any, *argtypes: Any) -> Any:
    """A PDFium function re-declared on plain addresses: the hot per-character calls then skip
    pypdfium2's pointer types, which cost more than the calls themselves."""
    return ctypes.CFUNCTYPE(restype, *argtypes)(_function(name))


_vp, _int, _uint, _float = ctypes.c_void_p, ctypes.c_int, ctypes.c_uint, ctypes.c_float
_get_text_object = _typed("FPDFText_GetTextObject", _vp, _vp, _int)
_get_char_origin = _typed("FPDFText_GetCharOrigin", _int, _vp, _int, _vp, _vp)
_is_generated = _typed("FPDFText_IsGenerated", _int, _vp, _int)
_get_unicode = _typed("FPDFText_GetUnicode", _uint, _vp, _int)
_count_objects = _typed("FPDFPage_CountObjects", _int, _vp)
_get_object = _typed("FPDFPage_GetObject", _vp, _vp, _int)
_object_type = _typed("FPDFPageObj_GetType", _int, _vp)
_object_matrix = _typed("FPDFPageObj_GetMatrix", _int, _vp, _vp)
_text_font = _typed("FPDFTextObj_GetFont", _vp, _vp)
_text_font_size = _typed("FPDFTextObj_GetFontSize", _int, _vp, _vp)
_font_embedded = _typed("FPDFFont_GetIsEmbedded", _int, _vp)
_font_base_name = _typed("FPDFFont_GetBaseFontName", ctypes.c_size_t, _vp, _vp, ctypes.c_size_t)
_glyph_width = _typed("FPDFFont_GetGlyphWidth", _int, _vp, _uint, _float, _vp)
_draw_mode = _typed("FPDFPath_GetDrawMode", _int, _vp, _vp, _vp)
_count_segments = _typed("FPDFPath_CountSegments", _int, _vp)
_get_segment = _typed("FPDFPath_GetPathSegment", _vp, _vp, _int)
_segment_type = _typed("FPDFPathSegment_GetType", _int, _vp)
_segment_point = _typed("FPDFPathSegment_GetPoint", _int, _vp, _vp, _vp)
_segment_close = _typed("FPDFPathSegment_GetClose", _int, _vp)
_TEXT, _PATH, _FORM = pdfium_c.FPDF_PAGEOBJ_TEXT, pdfium_c.FPDF_PAGEOBJ_PATH, pdfium_c.FPDF_PAGEOBJ_FORM
_MOVETO, _LINETO, _BEZIERTO = (
    pdfium_c.FPDF_SEGMENT_MOVETO,
    pdfium_c.FPDF_SEGMENT_LINETO,
    pdfium_c.FPDF_SEGMENT_BEZIERTO,
)


def _address(handle: Any) -> int:
    """The plain address of a pypdfium2 handle, for the functions declared by `_typed`."""
    return ctypes.cast(handle, ctypes.c_void_p).value or 0


def _without_system_fonts() -> Any:
    """Give PDFium a system font list that is empty, whatever the machine has installed: every font a
    PDF does not embed then maps to PDFium's built-in fonts, the same on every machine. The returned
    structure (and its callbacks) must stay alive as long as PDFium runs."""
    info = pdfium_c.FPDF_SYSFONTINFO()
    slot = {name: kind for name, kind in pdfium_c.FPDF_SYSFONTINFO._fields_}
    info.version = 1
    info.Release = slot["Release"](lambda this: None)
    info.EnumFonts = slot["EnumFonts"](lambda this, mapper: None)
    info.MapFont = slot["MapFont"](lambda this, weight, italic, charset, family, face, exact: None)
    info.GetFont = slot["GetFont"](lambda this, face: None)
    info.GetFontData = slot["GetFontData"](lambda this, font, table, buffer, size: 0)
    info.GetFaceName = slot["GetFaceName"](lambda this, font, buffer, size: 0)
    info.GetFontCharset = slot["GetFontCharset"](lambda this, font: 0)
    info.DeleteFont = slot["DeleteFont"](lambda this, font: None)
    pdfium_c.FPDF_SetSystemFontInfo(ctypes.byref(info))
    return info


_NO_SYSTEM_FONTS = _without_system_fonts()


def _font_name(font: int) -> str:
    buffer = ctypes.create_string_buffer(256)
    length = _font_base_name(font, ctypes.addressof(buffer), len(buffer))
    return _base_name(buffer.raw[: max(0, length - 1)].decode("latin-1"))


_TextObject = tuple[dict[int, float], int, float, float, float]
"""What every char of one text object shares: the advance (at size 1) of each code met so far in
its font, the font handle, and its scale in x, its height and its descent (font size × matrix)."""


_ObjectState = tuple[int, float, float, float, float, float]
"""A text object as the page lists it: its font handle, matrix a, b, c, d and font size."""


class _Fonts:
    """Per font handle of one page: pdfminer's descent (by base name) and the glyph advances."""

    def __init__(self, descents: FontDescents) -> None:
        self.descents = descents
        self.by_handle: dict[int, float] = {}
        self.widths: dict[int, dict[int, float]] = {}

    def descent(self, font: int) -> float:
        if font not in self.by_handle:
            name = _font_name(font)
            if not name:  # every font but a Type3 one has a BaseFont
                raise PdfiumUnavailable("a Type3 font (no BaseFont)")
            descent = self.descents.get(name)
            if descent is None:
                raise PdfiumUnavailable(f"font {name!r} without a known descent")
            if isinstance(descent, str):
                raise PdfiumUnavailable(f"font {name!r}: {descent}")
            self.by_handle[font] = descent
            self.widths[font] = {}
        return self.by_handle[font]

    def text_object(self, state: _ObjectState) -> _TextObject:
        """What the object's chars share; rotated or mirrored text is not reproduced."""
        font, a, b, c, d, size = state
        if b != 0 or c != 0 or a <= 0 or d <= 0:
            raise PdfiumUnavailable("rotated or mirrored text")
        descent = self.descent(font)
        return (self.widths[font], font, size * a, size * d, descent * size * d)


class _ObjectReader:
    """Reads a text object's font, matrix and font size into buffers allocated once per page."""

    def __init__(self) -> None:
        self._matrix = (ctypes.c_float * 6)()
        self._size = ctypes.c_float()
        self._matrix_at = ctypes.addressof(self._matrix)
        self._size_at = ctypes.addressof(self._size)

    def __call__(self, handle: int, font: int) -> _ObjectState:
        _object_matrix(handle, self._matrix_at)
        _text_font_size(handle, self._size_at)
        a, b, c, d = self._matrix[:4]
        return (font, a, b, c, d, self._size.value)


def _advance(font: int, code: int) -> float:
    """The glyph's advance width at size 1."""
    width = ctypes.c_float()
    if not _glyph_width(font, code, 1000.0, ctypes.addressof(width)):
        raise PdfiumUnavailable("a glyph without a width")
    return width.value / 1000.0


def _page_text(raw: Any, count: int) -> str | None:
    """All characters of the text page in one call, or None when the UTF-16 does not line up
    one code unit per character (characters outside the BMP)."""
    buffer = (ctypes.c_ushort * (count + 1))()
    written = pdfium_c.FPDFText_GetText(raw, 0, count, buffer)
    text = bytes(buffer)[: max(0, written - 1) * 2].decode("utf-16-le", errors="surrogatepass")
    return text if len(text) == count and not _SURROGATE.search(text) else None


NATIVE_FUNCTIONS = tuple(
    _function(name)
    for name in (
        "FPDFText_GetTextObject",
        "FPDFText_GetUnicode",
        "FPDFText_IsGenerated",
        "FPDFText_GetCharOrigin",
        "FPDFFont_GetGlyphWidth",
        "FPDFPageObj_GetMatrix",
        "FPDFTextObj_GetFontSize",
        "FPDFTextObj_GetFont",
    )
)
"""The PDFium functions `_pdf_speedups.page_chars` calls, by address (it does not link PDFium)."""


def page_chars(
    page: Any,
    height: float,
    descents: FontDescents,
    text_objects: dict[int, _ObjectState] | None = None,
    *,
    native: bool = True,
) -> list[Char]:
    """Every printed character with pdfminer's box: x from origin and advance, y from descent + size.
    The loop runs in C (`parsers/_pdf_speedups.c`) when that module is built and `native`, else in
    Python (`_python_chars`), with the same calls and the same arithmetic, so the same result."""
    textpage = page.get_textpage()
    try:
        raw = textpage.raw
        count = pdfium_c.FPDFText_CountChars(raw)
        text = _page_text(raw, count)
        fonts = _Fonts(descents)
        if (fast := speedups.chosen(native)) is not None:
            return fast.page_chars(
                _address(raw), count, height, text, fonts.descent, NATIVE_FUNCTIONS, PdfiumUnavailable
            )
        states = text_objects if text_objects is not None else {}
        return _python_chars(_address(raw), count, height, text, fonts, states)
    finally:
        textpage.close()


def _python_chars(
    address: int, count: int, height: float, text: str | None, fonts: _Fonts, states: dict[int, _ObjectState]
) -> list[Char]:
    """The character loop in Python: two PDFium calls per character (its text object, its origin);
    everything a text object's characters share is read once per object."""
    origin = (ctypes.c_double * 2)()
    origin_x = ctypes.addressof(origin)
    origin_y = origin_x + ctypes.sizeof(ctypes.c_double)
    read_object = _ObjectReader()
    objects: dict[int, _TextObject] = {}
    chars: list[Char] = []
    append = chars.append
    get_text_object, get_char_origin, is_generated = _get_text_object, _get_char_origin, _is_generated
    maybe_generated, unmapped = _MAYBE_GENERATED, _UNMAPPED
    last_key: int | None = None
    widths: dict[int, float] = {}
    font, scale, glyph_height, descent = 0, 0.0, 0.0, 0.0
    for i in range(count):
        key = get_text_object(address, i)
        if not key:
            continue
        if key != last_key:
            obj = objects.get(key)
            if obj is None:
                state = states.get(key) or read_object(key, _text_font(key) or 0)
                obj = objects[key] = fonts.text_object(state)
            widths, font, scale, glyph_height, descent = obj
            last_key = key
        if text is not None:
            ch = text[i]
            code = ord(ch)
        else:
            code = _get_unicode(address, i)
            ch = chr(code)
        if code in maybe_generated and is_generated(address, i):
            continue
        if code in unmapped:
            raise PdfiumUnavailable("a glyph without a Unicode mapping")
        advance = widths.get(code)
        if advance is None:
            advance = widths[code] = _advance(font, code)
        get_char_origin(address, i, origin_x, origin_y)
        x0 = origin[0]
        bottom = height - origin[1] - descent
        append((ch, x0, x0 + advance * scale, bottom - glyph_height, bottom))
    return chars


NATIVE_PATH_FUNCTIONS = tuple(
    _function(name)
    for name in (
        "FPDFPageObj_GetMatrix",
        "FPDFPath_CountSegments",
        "FPDFPath_GetPathSegment",
        "FPDFPathSegment_GetType",
        "FPDFPathSegment_GetPoint",
        "FPDFPathSegment_GetClose",
    )
)
"""The PDFium functions `_pdf_speedups.path_ops` calls, by address."""


def _path_ops(path: int, *, native: bool = True) -> list[SegmentOp]:
    """The path's segments as pdfminer's operators (m, l, c, h) with points in user space (in C where
    `native` and built)."""
    if (fast := speedups.chosen(native)) is not None:
        kinds = (_MOVETO, _LINETO, _BEZIERTO)
        return fast.path_ops(path, NATIVE_PATH_FUNCTIONS, kinds, PdfiumUnavailable)
    matrix = pdfium_c.FS_MATRIX()
    _object_matrix(path, ctypes.addressof(matrix))
    a, b, c, d, e, f = matrix.a, matrix.b, matrix.c, matrix.d, matrix.e, matrix.f
    point_xy = (ctypes.c_float * 2)()
    x_at = ctypes.addressof(point_xy)
    y_at = x_at + ctypes.sizeof(ctypes.c_float)
    ops: list[SegmentOp] = []
    start = (0.0, 0.0)
    bezier = 0
    for i in range(_count_segments(path)):
        segment = _get_segment(path, i)
        kind = _segment_type(segment)
        _segment_point(segment, x_at, y_at)
        x, y = point_xy[0], point_xy[1]
        point = (a * x + c * y + e, b * x + d * y + f)
        if kind == _MOVETO:
            ops.append(("m", point))
            start = point
            bezier = 0
        elif kind == _LINETO:
            ops.append(("l", point))
        elif kind == _BEZIERTO:
            bezier += 1
            if bezier % 3 == 0:
                ops.append(("c", point))
        else:
            raise PdfiumUnavailable("unknown path segment")
        if _segment_close(segment):
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
    for (ax, at), (bx, bt) in itertools.pairwise(flipped):
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


def _objects(raw: int) -> tuple[dict[int, _ObjectState], list[tuple[int, int]]]:
    """The page's objects in one pass, in Python: each text object's state, and every other object's
    type and handle."""
    texts: dict[int, _ObjectState] = {}
    others: list[tuple[int, int]] = []
    read_object = _ObjectReader()
    for i in range(_count_objects(raw)):
        obj = _get_object(raw, i)
        kind = _object_type(obj)
        if kind == _TEXT:
            texts[obj] = read_object(obj, _text_font(obj) or 0)
        else:
            others.append((kind, obj))
    return texts, others


NATIVE_OBJECT_FUNCTIONS = tuple(
    _function(name)
    for name in (
        "FPDFPage_CountObjects",
        "FPDFPage_GetObject",
        "FPDFPageObj_GetType",
        "FPDFTextObj_GetFont",
    )
)
"""The PDFium functions `_pdf_speedups.page_objects` calls, by address."""


_FONT_OF = operator.itemgetter(0)
"""A text object's font in its `_ObjectState`."""


def page_objects(
    page: Any, height: float, *, native: bool = True
) -> tuple[list[dict[str, Any]], bool, dict[int, _ObjectState] | None]:
    """One pass over the page's objects (in C when `_pdf_speedups` is built and `native`): the edges
    of every painted path (line edges, then rect edges, then curve edges, as pdfplumber orders them),
    whether the page has any line or rectangle, and, from the Python loop, each text object's font,
    matrix and size (for `page_chars`; the C loop reads them as it meets each object). Raises
    PdfiumUnavailable for text in a font that is neither embedded nor a standard 14 font (PDFium would
    read it through a substitute, pdfplumber through the PDF's widths), checked over the whole page
    first, then for a form XObject."""
    raw = _address(page.raw)
    texts: dict[int, _ObjectState] | None = None
    if (fast := speedups.chosen(native)) is not None:
        fonts, others = fast.page_objects(raw, NATIVE_OBJECT_FUNCTIONS, _TEXT)
    else:
        texts, others = _objects(raw)
        fonts = list(dict.fromkeys(map(_FONT_OF, texts.values())))
    for font in fonts:
        if not _font_embedded(font) and _font_name(font) not in STANDARD_14:
            raise PdfiumUnavailable(f"text in the non-embedded font {_font_name(font)!r}")
    found: dict[str, list[dict[str, Any]]] = {"line": [], "rect": [], "curve": []}
    modes = (ctypes.c_int * 2)()
    fill_at = ctypes.addressof(modes)
    stroke_at = fill_at + ctypes.sizeof(ctypes.c_int)
    for kind, obj in others:
        if kind == _FORM:
            raise PdfiumUnavailable("form XObject")
        if kind != _PATH:
            continue
        _draw_mode(obj, fill_at, stroke_at)
        if not modes[0] and not modes[1]:
            continue
        for subpath in _subpaths(_path_ops(obj, native=native)):
            if subpath[0][0] != "m":
                continue
            kind_name, edges = _classify(subpath, height)
            found[kind_name].extend(edges)
    edges = found["line"] + found["rect"] + found["curve"]
    return edges, bool(found["line"] or found["rect"]), texts


def page_content(pdf: Any, index: int, descents: FontDescents, *, native: bool = True) -> PageContent:
    """One page's chars and edges (read by the C loops where `native` and built); the page is closed
    before returning so memory stays flat."""
    try:
        page = pdf[index]
    except pdfium.PdfiumError as exc:
        raise PdfiumUnavailable(f"PDFium cannot load page {index + 1}") from exc
    try:
        width, height = _page_size(page)
        edges, ruled, texts = page_objects(page, height, native=native)
        chars = page_chars(page, height, descents, texts, native=native)
        return PageContent(width, height, chars, edges, ruled)
    except pdfium.PdfiumError as exc:
        raise PdfiumUnavailable(f"PDFium cannot read page {index + 1}: {exc}") from exc
    finally:
        page.close()


def document_lock() -> threading.Lock:
    return _LOCK
