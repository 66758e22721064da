"""A fast reader of a PDF's objects, for pdfminer's walk over the page tree and the font dictionaries.

The PDFium path needs pdfminer's view of each page font (`pdf_pdfium.font_descents`), and pdfminer
reads a file's cross-reference table and objects with a tokenizer written in pure Python: on a
six-page report that costs more than PDFium's whole text extraction. `Document` reads the same
objects with a few regular expressions and hands them to pdfminer as pdfminer's own types (names as
`PSLiteral`, references as `PDFObjRef`, streams as `PDFStream`), so pdfminer's own page walk
(`PDFPage.create_pages`) and value helpers (`dict_value`, `num_value`…) run over them unchanged.

It reads only what it reads exactly as pdfminer does: classic cross-reference tables (updates chained
by /Prev included) and objects written in the plain grammar. Anything else raises `Unsupported`: a
cross-reference stream or object stream, encryption, an offset that does not point at its object, a
token pdfminer would read in its own lenient way (a stray keyword, an unbalanced bracket, an octal
escape above 255…). The caller then lets pdfminer read the file itself.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from typing import Any

from pdfminer.pdfdocument import PDFDocument
from pdfminer.pdftypes import PDFObjectNotFound, PDFObjRef, PDFStream, dict_value, int_value
from pdfminer.psparser import LIT

from parsers import speedups

__all__ = ["Document", "Unsupported", "python_value"]


class Unsupported(Exception):
    """The file is outside what `Document` reads exactly as pdfminer does; let pdfminer read it."""


_SPACE = rb"[ \t\n\r\f\v]"
"""pdfminer's whitespace (`\\s` of a bytes pattern; NUL it skips in its own way, so not here)."""
_SKIP = rb"(?:" + _SPACE + rb"|%[^\r\n]*+)*+"
"""Whitespace and comments between tokens (possessive: a run of either is never re-split when what
follows does not match, which would take exponential time)."""
_DELIMITER = rb"#/%\[\]()<>{}\s"
_END = rb"(?![^" + _DELIMITER + rb"])"
"""The end of a keyword or number: a delimiter, whitespace or the end of the data."""

_TOKEN = re.compile(
    _SKIP
    + rb"(?:(?P<ref>(?P<objid>\d+)"
    + _SPACE
    + rb"+\d+"
    + _SPACE
    + rb"+R"
    + _END
    + rb")|(?P<number>[+-]?(?:\d+(?:\.\d*)?|\.\d+))"
    + rb"|/(?P<name>(?:[^"
    + _DELIMITER
    + rb"]|#[0-9A-Fa-f]{0,2})*+)"
    + rb"|(?P<open><<|\[)|(?P<close>>>|\])"
    + rb"|<(?P<hex>[0-9A-Fa-f \t\n\r\f\v]*)>"
    + rb"|(?P<string>\()"
    + rb"|(?P<keyword>[A-Za-z][^"
    + _DELIMITER
    + rb"]*))"
)
"""One token of an object, as pdfminer's tokenizer splits it; a reference `N G R` is one token here."""

_NAME_ESCAPE = re.compile(rb"#([0-9A-Fa-f]{0,2})")
_HEX_PAIR = re.compile(rb"[0-9a-fA-F]{2}|.")
_STRING_SPECIAL = re.compile(rb"[()\\]")
_OCTAL = re.compile(rb"[0-7]{1,3}")
_STRING_ESCAPES = {b"b": 8, b"t": 9, b"n": 10, b"f": 12, b"r": 13, b"(": 40, b")": 41, b"\\": 92}
_KEYWORDS: dict[bytes, Any] = {b"true": True, b"false": False, b"null": None}

_HEADER = re.compile(_SKIP + rb"(\d+)" + _SPACE + rb"+\d+" + _SPACE + rb"+obj" + _END)
_AFTER_OBJECT = re.compile(_SKIP + rb"(endobj|stream)" + _END)
_STREAM_END = re.compile(_SPACE + rb"*+endstream" + _SKIP + rb"endobj" + _END)
_EOL = re.compile(rb"[\r\n]")
_XREF = re.compile(_SKIP + rb"xref" + _END)
_TRAILER = re.compile(_SKIP + rb"trailer" + _END)
_STANDARD_ENTRIES = re.compile(rb"(?:\d{10} \d{5} [fn](?: \r| \n|\r\n))*")
"""Entries in the standard 20-byte form, which pdfminer's line-by-line reading reads the same way."""
_ENTRY = 20


def _name(escaped: bytes) -> Any:
    """A name token's literal: `#xx` escapes decoded the way pdfminer decodes them (a `#` with no hex
    digit after it is dropped), UTF-8 text where it decodes, the bytes otherwise."""
    raw = _NAME_ESCAPE.sub(lambda m: bytes((int(m[1], 16),)) if m[1] else b"", escaped)
    try:
        return LIT(str(raw, "utf-8"))
    except UnicodeDecodeError:
        return LIT(raw)


def _hex_string(digits: bytes) -> bytes:
    """pdfminer's value of `<digits>`: whitespace dropped, pairs of digits as bytes, and a last single
    digit as its own value (pdfminer's reading; the specification pads it with 0)."""
    return _HEX_PAIR.sub(lambda m: bytes((int(m[0], 16),)), re.sub(rb"\s", b"", digits))


def _literal_string(data: bytes, pos: int) -> tuple[bytes, int]:
    """The literal string whose text starts at `pos` (after its opening parenthesis), read as
    pdfminer reads it, and the position after its closing parenthesis."""
    out = bytearray()
    depth = 1
    while True:
        m = _STRING_SPECIAL.search(data, pos)
        if m is None:
            raise Unsupported("an unterminated string")
        at = m.start()
        out += data[pos:at]
        c = data[at]
        if c == 0x5C:
            pos = at + 1
            octal = _OCTAL.match(data, pos)
            if octal:
                code = int(octal[0], 8)
                if code > 255:
                    raise Unsupported("an octal escape above 255")
                out.append(code)
                pos = octal.end()
                continue
            escaped = data[pos : pos + 1]
            if not escaped:
                raise Unsupported("an unterminated string")
            if escaped in _STRING_ESCAPES:
                out.append(_STRING_ESCAPES[escaped])
            elif escaped == b"\r" and data[pos + 1 : pos + 2] == b"\n":
                pos += 1
            pos += 1
        elif c == 0x28:
            depth += 1
            out.append(c)
            pos = at + 1
        else:
            depth -= 1
            pos = at + 1
            if depth == 0:
                return bytes(out), pos
            out.append(c)


def _line(data: bytes, pos: int) -> tuple[bytes, int]:
    """The line from `pos` through its end of line (CR, LF or CRLF), as pdfminer's `nextline` reads it."""
    if pos >= len(data):
        raise Unsupported("the cross-reference table runs past the end of the file")
    m = _EOL.search(data, pos)
    if m is None:
        return data[pos:], len(data)
    end = m.end()
    if data[m.start()] == 0x0D and data[end : end + 1] == b"\n":
        end += 1
    return data[pos:end], end


def _startxref(data: bytes) -> int:
    """The offset after the file's last `startxref` line, found as pdfminer's `find_xref` finds it."""
    at = data.rfind(b"startxref")
    if at < 0:
        raise Unsupported("no startxref")
    line_start = max(data.rfind(b"\r", 0, at), data.rfind(b"\n", 0, at)) + 1
    line, after = _line(data, line_start)
    if line.strip() != b"startxref":
        raise Unsupported("startxref not on a line of its own")
    while True:
        line, after = _line(data, after)
        if line.strip():
            break
    offset = line.strip()
    if not offset.isdigit() or int(offset) >= 2**31:
        raise Unsupported("startxref without an offset")
    return int(offset)


class Document(PDFDocument):
    """A PDF's objects for pdfminer's page walk, read fast (see the module's docstring). The
    attributes pdfminer's `PDFPage.create_pages` uses are those of a `PDFDocument`; `xrefs` stays
    empty, so a file whose page tree yields no page must be read by pdfminer (its fallback scans
    the cross-reference tables for page objects)."""

    def __init__(self, data: bytes, *, native: bool = True) -> None:
        self.data = data
        self._native = speedups.chosen(native)
        self._reference = functools.partial(PDFObjRef, self)
        self.caching = True
        self.xrefs = []
        self.info = []
        self.catalog = {}
        self.encryption = None
        self.decipher = None
        self._parser = None
        self._cached_objs: dict[int, tuple[object, int]] = {}
        self._parsed_objs = {}
        self.is_printable = self.is_modifiable = self.is_extractable = True
        self._offsets: list[dict[int, tuple[int, int]]] = []
        """Each cross-reference section's objects in use: number → (offset, generation)."""
        trailers = self._read_xrefs(_startxref(data))
        for trailer in trailers:
            if not trailer:
                continue
            if "Encrypt" in trailer:
                raise Unsupported("an encrypted file")
            if "Info" in trailer:
                self.info.append(dict_value(trailer["Info"]))
            if "Root" in trailer:
                self.catalog = dict_value(trailer["Root"])
                break
        else:
            raise Unsupported("no /Root")

    def _read_xrefs(self, start: int) -> list[dict[str, Any]]:
        """Every cross-reference section from the newest (at `start`) back along /Prev, as pdfminer's
        `read_xref_from` orders them; their trailers in the same order."""
        trailers: list[dict[str, Any]] = []
        seen: set[int] = set()
        while True:
            if start in seen or start >= len(self.data):
                raise Unsupported("a /Prev chain that loops or leaves the file")
            seen.add(start)
            offsets, trailer = self._xref_section(start)
            self._offsets.append(offsets)
            trailers.append(trailer)
            if "XRefStm" in trailer:
                raise Unsupported("a cross-reference stream beside the table")
            if "Prev" not in trailer:
                return trailers
            start = trailer["Prev"]
            if not isinstance(start, int) or isinstance(start, bool) or start < 0:
                raise Unsupported("a /Prev that is not an offset")

    def _xref_section(self, start: int) -> tuple[dict[int, tuple[int, int]], dict[str, Any]]:
        """One `xref` table read line by line as pdfminer's `PDFXRef.load` reads it: the offsets of
        the objects in use, and the trailer dictionary."""
        data = self.data
        m = _XREF.match(data, start)
        if m is None:
            raise Unsupported("no xref table at startxref (a cross-reference stream?)")
        _, pos = _line(data, m.end())
        offsets: dict[int, tuple[int, int]] = {}
        while True:
            line_start = pos
            line, pos = _line(data, pos)
            line = line.strip()
            if not line:
                continue
            if line.startswith(b"trailer"):
                break
            fields = line.split(b" ")
            if len(fields) != 2:
                raise Unsupported("a malformed cross-reference subsection")
            try:
                first, count = int(fields[0]), int(fields[1])
            except ValueError as exc:
                raise Unsupported("a malformed cross-reference subsection") from exc
            standard = _STANDARD_ENTRIES.match(data, pos, pos + count * _ENTRY)
            if standard is not None and standard.end() == pos + count * _ENTRY:
                for k in range(count):
                    entry = pos + k * _ENTRY
                    if data[entry + 17] == 0x6E:
                        offsets[first + k] = (
                            int(data[entry : entry + 10]),
                            int(data[entry + 11 : entry + 16]),
                        )
                pos += count * _ENTRY
                continue
            for objid in range(first, first + count):
                line, pos = _line(data, pos)
                fields = line.strip().split(b" ")
                if len(fields) != 3:
                    raise Unsupported("a malformed cross-reference entry")
                if fields[2] != b"n":
                    continue
                try:
                    offsets[objid] = (int(fields[0]), int(fields[1]))
                except ValueError as exc:
                    raise Unsupported("a cross-reference entry that is not a number") from exc
        m = _TRAILER.match(data, line_start)
        if m is None:
            raise Unsupported("a malformed trailer keyword")
        trailer, _ = self._value(m.end())
        if not isinstance(trailer, dict):
            raise Unsupported("a trailer that is not a dictionary")
        return offsets, trailer

    def getobj(self, objid: int) -> object:
        """The object `objid`, parsed once; PDFObjectNotFound (which pdfminer's `resolve` turns into
        None) when no cross-reference section has it in use."""
        cached = self._cached_objs.get(objid)
        if cached is not None:
            return cached[0]
        for offsets in self._offsets:
            if objid in offsets:
                offset, genno = offsets[objid]
                obj = self._parse_object(offset, objid, genno)
                self._cached_objs[objid] = (obj, genno)
                return obj
        raise PDFObjectNotFound(objid)

    def _parse_object(self, offset: int, objid: int, genno: int) -> object:
        data = self.data
        header = _HEADER.match(data, offset)
        if header is None or int(header[1]) != objid:
            raise Unsupported(f"object {objid} is not at its cross-reference offset")
        value, pos = self._value(header.end())
        after = _AFTER_OBJECT.match(data, pos)
        if after is None:
            raise Unsupported(f"object {objid} does not end with endobj")
        if after[1] == b"endobj":
            return value
        if not isinstance(value, dict):
            raise Unsupported(f"object {objid}: a stream without a dictionary")
        _, begin = _line(data, after.start(1))
        length = int_value(value["Length"]) if "Length" in value else 0
        if length < 0 or _STREAM_END.match(data, begin + length) is None:
            raise Unsupported(f"object {objid}: a stream whose /Length does not reach endstream")
        stream = PDFStream(value, data[begin : begin + length])
        stream.set_objid(objid, genno)
        return stream

    def _value(self, pos: int) -> tuple[Any, int]:
        """The object that starts at `pos` and the position after it, built as pdfminer's
        `PDFParser.nextobject` builds it: dictionaries drop null values, the last of a repeated key
        wins. Parsed in C (`_pdf_speedups.pdf_value`) where built and wanted, else by
        `python_value`, with the same grammar, values and reasons."""
        if self._native is not None:
            value, end = self._native.pdf_value(self.data, pos, self._reference, LIT, Unsupported)
            return value, end
        return python_value(self.data, pos, self._reference)


def python_value(data: bytes, pos: int, make_ref: Callable[[int], Any]) -> tuple[Any, int]:
    """`Document._value` in Python (the reference for `_pdf_speedups.pdf_value`, and what runs where
    that is not built): the object that starts at `pos` and the position after it, references made
    by `make_ref(objid)`."""
    frames: list[tuple[bytes, list[Any]]] = []
    while True:
        m = _TOKEN.match(data, pos)
        if m is None:
            raise Unsupported(f"a token pdfminer reads its own way at offset {pos}")
        pos = m.end()
        kind = m.lastgroup
        value: Any
        if kind == "ref":
            value = make_ref(int(m["objid"]))
        elif kind == "number":
            text = m["number"]
            value = float(text) if b"." in text else int(text)
        elif kind == "name":
            value = _name(m["name"])
        elif kind == "open":
            frames.append((m["open"], []))
            continue
        elif kind == "close":
            if not frames or frames[-1][0] != (b"<<" if m["close"] == b">>" else b"["):
                raise Unsupported(f"an unbalanced {m['close']!r} at offset {m.start('close')}")
            opener, items = frames.pop()
            value = items if opener == b"[" else _dictionary(items)
        elif kind == "hex":
            value = _hex_string(m["hex"])
        elif kind == "string":
            value, pos = _literal_string(data, pos)
        else:
            word = m["keyword"]
            if word not in _KEYWORDS:
                raise Unsupported(f"the keyword {word!r} inside an object")
            value = _KEYWORDS[word]
        if not frames:
            return value, pos
        frames[-1][1].append(value)


def _dictionary(items: list[Any]) -> dict[str, Any]:
    """Key and value pairs as pdfminer's dictionary: the keys' names, null values left out."""
    if len(items) % 2:
        raise Unsupported("a dictionary with a key and no value")
    out: dict[str, Any] = {}
    for key, value in zip(items[::2], items[1::2], strict=True):
        name = getattr(key, "name", None)
        if not isinstance(name, str):
            raise Unsupported("a dictionary key that is not a name pdfminer reads as text")
        if value is not None:
            out[name] = value
    return out
