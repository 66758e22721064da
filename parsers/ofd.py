"""OFD (GB/T 33190): a ZIP of XML pages with positioned text (TextObject/TextCode) and paths
(PathObject); read into the same `Document` as a PDF.

Each page's characters and straight path segments become pdfplumber-style chars and ruling edges (in
points, top-down), and `parsers.pdf.read_content` groups the words and finds the ruled tables exactly
as it does for a PDF page, so table matching does not care which container the page came from.
Unit of OFD coordinates is the millimetre; a TextCode's X/Y is the baseline origin inside its
object's Boundary, DeltaX/DeltaY the advances (with the `g N d` repeat abbreviation).
"""

from __future__ import annotations

import io
import posixpath
import re
import zipfile
from collections.abc import Iterator
from typing import Any

from parsers.document import Document, Grid, Line
from parsers.errors import CorruptDocument, ResourceLimit, TruncatedDocument
from parsers.pdf import Char, ruling_edge

PT_PER_MM = 72 / 25.4
MAX_MEMBER_BYTES = 32 * 1024 * 1024
MAX_PAGES = 500
ASCENT = 0.88
"""The share of a font size above the baseline (the rest is the descent)."""

Matrix = tuple[float, float, float, float, float, float]
IDENTITY: Matrix = (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)


def _local(tag: Any) -> str:
    return str(tag).rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _children(element: Any, name: str) -> Iterator[Any]:
    return (child for child in element if _local(child.tag) == name)


def _first(element: Any, name: str) -> Any:
    return next((e for e in element.iter() if _local(e.tag) == name), None)


def _numbers(text: str | None) -> list[float]:
    return [float(n) for n in (text or "").split()]


def deltas(text: str | None) -> list[float]:
    """A DeltaX/DeltaY list with `g N d` (d repeated N times) expanded."""
    out: list[float] = []
    tokens = (text or "").split()
    i = 0
    while i < len(tokens):
        if tokens[i] == "g" and i + 2 < len(tokens):
            out.extend([float(tokens[i + 2])] * int(float(tokens[i + 1])))
            i += 3
        else:
            out.append(float(tokens[i]))
            i += 1
    return out


def _matrix(text: str | None) -> Matrix:
    values = _numbers(text)
    return (
        (values[0], values[1], values[2], values[3], values[4], values[5]) if len(values) == 6 else IDENTITY
    )


def _apply(m: Matrix, x: float, y: float) -> tuple[float, float]:
    return m[0] * x + m[2] * y + m[4], m[1] * x + m[3] * y + m[5]


class _Package:
    """The ZIP with every member read at most once and bounded in size."""

    def __init__(self, data: bytes) -> None:
        try:
            self.zip = zipfile.ZipFile(io.BytesIO(data))
        except zipfile.BadZipFile as exc:
            raise TruncatedDocument("truncated or damaged OFD (ZIP directory missing)") from exc
        self.names = {name.lstrip("/"): name for name in self.zip.namelist()}

    def xml(self, path: str) -> Any:
        from lxml import etree

        name = self.names.get(posixpath.normpath(path).lstrip("/"))
        if name is None:
            raise CorruptDocument(f"damaged OFD: {path} is missing")
        info = self.zip.getinfo(name)
        if info.file_size > MAX_MEMBER_BYTES:
            raise ResourceLimit(f"OFD member {path} unpacks to {info.file_size // 2**20} MB")
        try:
            with self.zip.open(info) as member:
                raw = member.read(MAX_MEMBER_BYTES + 1)
        except (zipfile.BadZipFile, EOFError, OSError) as exc:
            raise CorruptDocument(f"damaged OFD member {path}: {type(exc).__name__}") from exc
        if len(raw) > MAX_MEMBER_BYTES:
            raise ResourceLimit(f"OFD member {path} unpacks to more than {MAX_MEMBER_BYTES // 2**20} MB")
        parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
        try:
            return etree.fromstring(raw, parser)
        except etree.XMLSyntaxError as exc:
            raise CorruptDocument(f"damaged OFD XML in {path}: {exc}") from exc


def _page_paths(package: _Package) -> tuple[list[str], tuple[float, float]]:
    """The content file of every page of the first document, in order, and the default page size (mm)."""
    root = package.xml("OFD.xml")
    doc_root = _first(root, "DocRoot")
    if doc_root is None or not (doc_root.text or "").strip():
        raise CorruptDocument("damaged OFD: OFD.xml names no DocRoot")
    document_path = doc_root.text.strip().lstrip("/")
    document = package.xml(document_path)
    base = posixpath.dirname(document_path)
    box = _numbers(
        _first(document, "PhysicalBox").text if _first(document, "PhysicalBox") is not None else ""
    )
    size = (box[2], box[3]) if len(box) == 4 else (210.0, 297.0)
    pages_el = _first(document, "Pages")
    pages = [] if pages_el is None else list(_children(pages_el, "Page"))
    if len(pages) > MAX_PAGES:
        raise ResourceLimit(f"OFD with {len(pages)} pages (limit {MAX_PAGES})")
    paths: list[str] = []
    for page in pages:
        loc = (page.get("BaseLoc") or "").strip()
        if loc:
            paths.append(loc.lstrip("/") if loc.startswith("/") else posixpath.join(base, loc))
    return paths, size


def _char(text: str, x: float, baseline: float, width: float, size: float) -> Char:
    top = (baseline - size * ASCENT) * PT_PER_MM
    return (text, x * PT_PER_MM, (x + width) * PT_PER_MM, top, (baseline + size * (1 - ASCENT)) * PT_PER_MM)


def _text_chars(obj: Any) -> list[Char]:
    """Every character of one TextObject with its box in points."""
    boundary = _numbers(obj.get("Boundary"))
    bx, by = (boundary[0], boundary[1]) if len(boundary) >= 2 else (0.0, 0.0)
    size = float(obj.get("Size") or 3.5)
    ctm = _matrix(obj.get("CTM"))
    scale = abs(ctm[3]) or 1.0
    chars: list[Char] = []
    x = y = 0.0
    for code in _children(obj, "TextCode"):
        text = code.text or ""
        x = float(code.get("X", x))
        y = float(code.get("Y", y))
        dx, dy = deltas(code.get("DeltaX")), deltas(code.get("DeltaY"))
        for i, ch in enumerate(text):
            advance = dx[i] if i < len(dx) else (size if ord(ch) > 0x2E7F else size / 2)
            px, py = _apply(ctm, x, y)
            if not ch.isspace():
                chars.append(_char(ch, bx + px, by + py, advance * abs(ctm[0] or 1), size * scale))
            if dy and not dx:
                y += dy[i] if i < len(dy) else size
            else:
                x += advance
                y += dy[i] if i < len(dy) else 0.0
    return chars


_PATH_TOKEN = re.compile(r"[A-Za-z]|-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?")
_ARITY = {"S": 2, "M": 2, "L": 2, "Q": 4, "B": 6, "A": 7, "C": 0}


def path_segments(data: str) -> list[tuple[tuple[float, float], tuple[float, float]]]:
    """The straight segments of an AbbreviatedData path (M/L/C; curves move the pen only)."""
    tokens = _PATH_TOKEN.findall(data)
    segments: list[tuple[tuple[float, float], tuple[float, float]]] = []
    pen = start = (0.0, 0.0)
    i = 0
    while i < len(tokens):
        op = tokens[i]
        arity = _ARITY.get(op)
        if arity is None:
            i += 1
            continue
        args = [float(t) for t in tokens[i + 1 : i + 1 + arity]]
        i += 1 + arity
        if len(args) < arity:
            break
        if op in ("S", "M"):
            pen = start = (args[0], args[1])
        elif op == "L":
            segments.append((pen, (args[0], args[1])))
            pen = (args[0], args[1])
        elif op == "C":
            if pen != start:
                segments.append((pen, start))
            pen = start
        else:
            pen = (args[-2], args[-1])
    return segments


def _path_edges(obj: Any) -> list[dict[str, Any]]:
    """pdfplumber edges (points, top-down) for the horizontal and vertical segments of one PathObject."""
    if obj.get("Stroke") == "false" and obj.get("Fill") != "true":
        return []
    boundary = _numbers(obj.get("Boundary"))
    bx, by = (boundary[0], boundary[1]) if len(boundary) >= 2 else (0.0, 0.0)
    data = _first(obj, "AbbreviatedData")
    ctm = _matrix(obj.get("CTM"))
    edges: list[dict[str, Any]] = []
    for a, b in path_segments(data.text or "" if data is not None else ""):
        (ax, ay), (cx, cy) = _apply(ctm, *a), _apply(ctm, *b)
        x0, x1 = sorted(((bx + ax) * PT_PER_MM, (bx + cx) * PT_PER_MM))
        top, bottom = sorted(((by + ay) * PT_PER_MM, (by + cy) * PT_PER_MM))
        if abs(bottom - top) < 0.01:
            orientation = "h"
        elif abs(x1 - x0) < 0.01:
            orientation = "v"
        else:
            continue
        edges.append(ruling_edge(x0, x1, top, bottom, orientation))
    return edges


def page_objects(content: Any) -> tuple[list[Char], list[dict[str, Any]]]:
    """The chars and ruling edges of one page's Content.xml (every layer, in document order)."""
    chars: list[Char] = []
    edges: list[dict[str, Any]] = []
    for element in content.iter():
        name = _local(element.tag)
        if name == "TextObject":
            chars.extend(_text_chars(element))
        elif name == "PathObject":
            edges.extend(_path_edges(element))
    return chars, edges


def read_ofd(data: bytes) -> Document:
    """Lines and ruled grids of every page, top to bottom, pages in order."""
    from parsers.pdf import read_content
    from parsers.pdf_pdfium import PageContent

    package = _Package(data)
    paths, (width, height) = _page_paths(package)
    blocks: list[Line | Grid] = []
    tables = 0
    total = 0
    for number, path in enumerate(paths, start=1):
        chars, edges = page_objects(package.xml(path))
        content = PageContent(width * PT_PER_MM, height * PT_PER_MM, chars, edges, ruled=bool(edges))
        try:
            page_blocks, n_chars = read_content(content, number, tables)
        except (ValueError, KeyError, TypeError) as exc:
            raise CorruptDocument(f"damaged OFD page {number}: {type(exc).__name__}") from exc
        tables += sum(1 for b in page_blocks if isinstance(b, Grid))
        blocks.extend(page_blocks)
        total += n_chars
    return Document(kind="ofd", blocks=blocks, pages=len(paths), has_text_layer=total > 0)
