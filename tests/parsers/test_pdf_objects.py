"""parsers/pdf_objects.py, the fast object reader for the PDFium path's font walk, against pdfminer.

Where it reads a file it must read every object exactly as pdfminer's own parser does; where it cannot
it must say so (`Unsupported`), and `font_descents` then lets pdfminer read the file. Checked on every
PDF fixture (each object, compared value by value), on hand-written files that exercise the grammar
and the cross-reference rules, and on files damaged at random in their object syntax.
"""

from __future__ import annotations

import functools
import io
import random
import re
from pathlib import Path
from typing import Any

import pytest
from pdfminer.pdfdocument import PDFDocument
from pdfminer.pdfparser import PDFParser
from pdfminer.pdftypes import PDFObjRef, PDFStream
from pdfminer.psparser import LIT, PSKeyword, PSLiteral

from parsers import pdf_objects, speedups
from parsers.pdf_objects import Document, Unsupported, python_value
from parsers.pdf_pdfium import NO_TO_UNICODE, TYPE3, _page_fonts, font_descents, without_width_arrays
from tests.fixtures.fonts import build_cjk_font
from tests.parsers.test_pdf_fast import PDFS


@pytest.fixture(scope="module")
def cjk_font(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_cjk_font(tmp_path_factory.mktemp("fonts") / "nianbao-test-hei.ttf")


def _plain(value: Any) -> Any:
    """A parsed object as plain data, types kept apart (1, 1.0 and True are three values)."""
    if isinstance(value, PSLiteral):
        return ("name", value.name)
    if isinstance(value, PSKeyword):
        return ("keyword", value.name)
    if isinstance(value, PDFObjRef):
        return ("ref", value.objid)
    if isinstance(value, PDFStream):
        return ("stream", _plain(value.attrs), value.rawdata, value.objid, value.genno)
    if isinstance(value, dict):
        return ("dict", [(k, _plain(v)) for k, v in value.items()])
    if isinstance(value, list | tuple):
        return ("array", [_plain(v) for v in value])
    return (type(value).__name__, value)


def _pdfminer(data: bytes) -> PDFDocument:
    return PDFDocument(PDFParser(io.BytesIO(data)))


def _outcome(read: Any) -> Any:
    try:
        return _plain(read())
    except Exception as exc:  # the exception pdfminer raises is part of what must be the same
        return ("raises", type(exc).__name__)


def _object_ids(data: bytes) -> list[int]:
    return sorted({int(m[1]) for m in re.finditer(rb"(?m)^(\d+) \d+ obj", data)})


def _same_objects(data: bytes) -> int:
    """Asserts every object the fast reader reads equals pdfminer's; returns how many it read."""
    ours, theirs = Document(data), _pdfminer(data)
    read = 0
    for objid in _object_ids(data):
        mine = _outcome(lambda objid=objid: ours.getobj(objid))
        if mine == ("raises", "Unsupported"):
            continue
        assert mine == _outcome(lambda objid=objid: theirs.getobj(objid)), objid
        read += 1
    assert _plain(ours.catalog) == _plain(theirs.catalog)
    assert [_plain(i) for i in ours.info] == [_plain(i) for i in theirs.info]
    return read


@pytest.mark.parametrize("name", list(PDFS))
def test_every_object_of_every_fixture_reads_as_pdfminer_reads_it(name: str, cjk_font: Path) -> None:
    data, _ = PDFS[name](cjk_font)
    assert _same_objects(data) == len(_object_ids(data))
    stripped = without_width_arrays(data)
    assert _same_objects(stripped) == len(_object_ids(stripped))
    assert _page_fonts(Document(stripped)) == _page_fonts(_pdfminer(stripped))


def _build(
    objects: dict[int, bytes], trailer: bytes = b"/Root 1 0 R", *, header: bytes = b"%PDF-1.4\n"
) -> bytes:
    """A PDF of `objects` (number → the text between `obj` and `endobj`) with a standard xref table."""
    out = bytearray(header)
    offsets: dict[int, int] = {}
    for objid, body in objects.items():
        offsets[objid] = len(out)
        out += b"%d 0 obj\n" % objid + body + b"\nendobj\n"
    return bytes(out + _xref(offsets, max(objects) + 1, trailer, len(out)))


def _xref(offsets: dict[int, int], size: int, trailer: bytes, at: int) -> bytes:
    rows = [b"0000000000 65535 f \n"] + [
        b"%010d 00000 n \n" % offsets[i] if i in offsets else b"0000000000 00000 f \n" for i in range(1, size)
    ]
    return (
        b"xref\n0 %d\n" % size
        + b"".join(rows)
        + b"trailer\n<< /Size %d " % size
        + trailer
        + b" >>\nstartxref\n%d\n%%%%EOF\n" % at
    )


def _update(data: bytes, objects: dict[int, bytes], freed: tuple[int, ...] = ()) -> bytes:
    """`data` with an incremental update appended: new versions of `objects`, `freed` marked free."""
    prev = int(re.findall(rb"startxref\s+(\d+)", data)[-1])
    out = bytearray(data)
    offsets: dict[int, int] = {}
    for objid, body in objects.items():
        offsets[objid] = len(out)
        out += b"%d 0 obj\n" % objid + body + b"\nendobj\n"
    at = len(out)
    sections = b"".join(
        b"%d 1\n" % i + (b"%010d 00000 n \n" % offsets[i] if i in offsets else b"0000000000 00001 f \n")
        for i in sorted([*offsets, *freed])
    )
    return (
        bytes(out)
        + b"xref\n"
        + sections
        + b"trailer\n<< /Root 1 0 R /Prev %d >>\nstartxref\n%d\n%%%%EOF\n"
        % (
            prev,
            at,
        )
    )


def _page_tree(fonts: bytes, *, extra: dict[int, bytes] | None = None) -> dict[int, bytes]:
    """Catalog 1, page tree 2 with the font resources inherited by its two pages 3 and 4."""
    return {
        1: b"<< /Type /Catalog /Pages 2 0 R /Lang (zh-CN) >>",
        2: b"<< /Type /Pages /Kids [3 0 R 4 0 R] /Count 2 /Resources << /Font " + fonts + b" >> >>",
        3: b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 5 0 R >>",
        4: b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>",
        5: b"<< /Length 9 >>\nstream\nBT ET q\nQ\nendstream",
        **(extra or {}),
    }


def _descents(data: bytes) -> Any:
    """The fast reader's font walk, asserted equal to pdfminer's."""
    fast = _page_fonts(Document(data))
    assert fast == _page_fonts(_pdfminer(data))
    return fast


def test_fonts_inherited_indirect_and_composite_read_as_pdfminer_reads_them() -> None:
    data = _build(
        _page_tree(
            b"6 0 R",
            extra={
                6: b"<< /F1 7 0 R /F2 8 0 R /F3 10 0 R /Skip null >>",
                7: b"<< /Type /Font /Subtype /TrueType /BaseFont /ABCDEF+#CB#CE#CC#E5 /FontDescriptor 9 0 R"
                b" /Encoding /WinAnsiEncoding >>",
                8: b"<< /Type /Font /Subtype /Type0 /BaseFont /XYZXYZ+Sim#20Hei /Encoding /Identity-H"
                b" /DescendantFonts 11 0 R /ToUnicode 14 0 R >>",
                9: b"<< /Type /FontDescriptor /Descent 12 0 R /FontFile2 15 0 R >>",
                10: b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
                11: b"[ << /Subtype /CIDFontType2 /BaseFont /XYZXYZ+Sim#20Hei /FontDescriptor 13 0 R >> ]",
                12: b"-212.5",
                13: b"<< /Descent 250 % a positive descent, read as its negative\n /Ascent 880 >>",
            },
        )
    )
    assert _descents(data) == (
        {"b'ABCDEF+\\xcb\\xce\\xcc\\xe5'": -0.2125, "Sim Hei": -0.25, "Helvetica": -0.20700000000000002},
        2,
    )
    assert font_descents(data) == _descents(data)[0]


def test_strings_hex_strings_and_names_read_as_pdfminer_reads_them() -> None:
    data = _build(
        _page_tree(
            b"<< /F1 6 0 R >>",
            extra={
                6: b"<< /Type /Font /Subtype /Type3 /Name (a (nested) string\\051 \\101\\10\\1x \\q\\\r\nend)"
                b" /Hex <4e 6F7> /Empty () /Esc (\\n\\r\\t\\b\\f\\\\\\() /Odd /A#4G#2 /T true /F false"
                b" /Arr [1 -2 +3 .5 -.5 4. 1.2.3 /N#41me [ ] << >> (x)] >>",
            },
        )
    )
    fast: Any = Document(data).getobj(6)
    assert fast["Name"] == b"a (nested) string) A\x08\x01x end"
    assert fast["Hex"] == b"No\x07"
    assert fast["Esc"] == b"\n\r\t\x08\x0c\\("
    assert fast["Odd"].name == "A\x04G\x02"
    assert _plain(fast["Arr"]) == _plain(
        [1, -2, 3, 0.5, -0.5, 4.0, 1.2, 0.3, PSLiteral("NAme"), [], {}, b"x"]
    )
    assert _same_objects(data) == 6
    assert _descents(data) == ({"unknown": TYPE3}, 2)


def test_an_incremental_update_replaces_objects_and_a_freed_entry_falls_back_to_the_older_table() -> None:
    base = _build(
        _page_tree(
            b"<< /F1 6 0 R /F2 7 0 R >>",
            extra={
                6: b"<< /Subtype /Type0 /BaseFont /Old /DescendantFonts [] >>",
                7: b"<< /Subtype /TrueType /BaseFont /Kept /FontDescriptor << /Descent -100 >> >>",
            },
        )
    )
    data = _update(
        base,
        {6: b"<< /Subtype /Type0 /BaseFont /New /Encoding /Identity-H /DescendantFonts [] >>"},
        freed=(7,),
    )
    assert len(Document(data)._offsets) == 2
    assert _descents(data) == ({"New": NO_TO_UNICODE, "Kept": -0.1}, 2)


def _unsupported(data: bytes) -> str:
    """Asserts the fast reader declines the file and `font_descents` still gives pdfminer's answer
    (or, where pdfminer fails, refuses the file to the PDFium path)."""
    with pytest.raises(Unsupported) as declined:
        _page_fonts(Document(data))
    assert _outcome(lambda: font_descents(data)) == _pdfminer_answer(data)
    return str(declined.value)


def _pdfminer_answer(data: bytes) -> Any:
    """What `font_descents` answered before the fast reader: pdfminer's font walk, or the file refused
    to the PDFium path when pdfminer fails on it."""
    expected = _outcome(lambda: _page_fonts(_pdfminer(without_width_arrays(data)))[0])
    return ("raises", "PdfiumUnavailable") if expected[0] == "raises" else expected


FONT = b"<< /F1 6 0 R >>"
HELVETICA = {6: b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"}


def _edit(old: bytes, new: bytes) -> Any:
    return lambda data: data.replace(old, new)


OBJECT_EDITS = {
    "encrypted": (
        _edit(b"/Root 1 0 R", b"/Root 1 0 R /Encrypt << /Filter /Standard >>"),
        "an encrypted file",
    ),
    "a brace": (_edit(b"/Helvetica >>", b"/Helvetica { } >>"), "a token pdfminer reads its own way"),
    "octal 777": (_edit(b"/Lang (zh-CN)", b"/Lang (\\777)"), "an octal escape above 255"),
    "a stray bracket": (_edit(b"/Count 2", b"/Count 2 ]"), "an unbalanced b']'"),
    "a short /Length": (_edit(b"/Length 9", b"/Length 4"), "a stream whose /Length does not reach endstream"),
    "two values": (_edit(b"(zh-CN) >>", b"(zh-CN) >> /Extra"), "does not end with endobj"),
    "a stray R": (_edit(b"[3 0 R 4 0 R]", b"[3 0 R 4 0 R /Stray R]"), "the keyword b'R'"),
    "whitespace, then a bad token": (
        _edit(b"/Count 2", b"/Count 2" + b" " * 40 + b"\x00"),
        "a token pdfminer",
    ),
}
FILE_EDITS = {
    "two spaces in a subsection": (
        _edit(b"xref\n0 7", b"xref\n0  7"),
        "a malformed cross-reference subsection",
    ),
    "startxref in a comment": (_edit(b"%%EOF", b"%startxref"), "startxref not on a line of its own"),
    "a wrong offset": (
        lambda d: re.sub(rb"\d{10}( 00000 n \n)", lambda m: b"0000000001" + m[1], d, count=1),
        "object 1 is not at its cross-reference offset",
    ),
}


@pytest.mark.parametrize("case", list(OBJECT_EDITS) + list(FILE_EDITS))
def test_what_pdfminer_reads_its_own_way_is_left_to_pdfminer(case: str) -> None:
    objects = _page_tree(FONT, extra=HELVETICA)
    if case in OBJECT_EDITS:
        change, reason = OBJECT_EDITS[case]
        data = _build({objid: change(body) for objid, body in objects.items()}, change(b"/Root 1 0 R"))
    else:
        change, reason = FILE_EDITS[case]
        data = change(_build(objects))
    assert reason in _unsupported(data)


def test_a_cross_reference_stream_and_a_page_tree_without_pages_are_left_to_pdfminer() -> None:
    data = _build(_page_tree(FONT, extra=HELVETICA))
    at = data.index(b"xref\n")
    stream = data[:at] + b"9 0 obj\n<< /Type /XRef >>\nstream\nendstream\nendobj\n" + data[at:]
    stream = re.sub(rb"startxref\n\d+", b"startxref\n%d" % at, stream)
    assert "cross-reference stream" in _unsupported(stream)
    orphans = _build(
        _page_tree(FONT, extra=HELVETICA)
        | {
            2: b"<< /Type /Pages /Kids [] /Count 0 >>",
            3: b"<< /Type /Page /Resources << /Font << /F1 6 0 R >> >> >>",
        }
    )
    assert _page_fonts(Document(orphans)) == ({}, 0)
    assert font_descents(orphans) == {"Helvetica": -0.20700000000000002} == _page_fonts(_pdfminer(orphans))[0]


_SYNTAX = b" \n\r/<>[]()#%\\0123456789.-+Robjendstreamtruefalsenull{}\x00"


def _damage(data: bytes, rng: random.Random) -> bytes:
    """One to three bytes of the object syntax (outside stream data) overwritten with syntax bytes,
    or one inserted or deleted (which moves every later offset)."""
    spans = [(m.start(), m.end()) for m in re.finditer(rb"\d+ 0 obj.*?(?:stream|endobj)", data, re.S)]
    out = bytearray(data)
    for _ in range(rng.randint(1, 3)):
        start, end = rng.choice(spans)
        at = rng.randrange(start, end)
        action = rng.random()
        if action < 0.8:
            out[at] = rng.choice(_SYNTAX)
        elif action < 0.9:
            out.insert(at, rng.choice(_SYNTAX))
        else:
            del out[at]
    return bytes(out)


def test_randomly_damaged_object_syntax_reads_as_pdfminer_reads_it_or_is_left_to_it(cjk_font: Path) -> None:
    rng = random.Random(20261203)
    sources = [
        _build(_page_tree(FONT, extra=HELVETICA)),
        without_width_arrays(PDFS["gov2021_type0"](cjk_font)[0]),
        without_width_arrays(PDFS["gov2019_six_pages"](cjk_font)[0]),
    ]
    read = declined = 0
    for case in range(600):
        data = _damage(sources[case % len(sources)], rng)
        try:
            Document(data)
        except Unsupported:
            declined += 1
            continue
        read += _same_objects(data)
        assert _outcome(lambda data=data: font_descents(data)) == _pdfminer_answer(data), case
    assert read > 5000 and declined > 10, (read, declined)


def test_unsupported_is_not_one_of_the_errors_pdfminer_catches() -> None:
    from pdfminer.pdfexceptions import PDFException
    from pdfminer.psexceptions import PSException

    assert not issubclass(Unsupported, PDFException | PSException | KeyError | ValueError | TypeError)
    assert pdf_objects.__all__ == ["Document", "Unsupported", "python_value"]


def _parsed_at(read: Any) -> Any:
    try:
        value, end = read()
    except Unsupported as exc:
        return ("unsupported", str(exc))
    return (_plain(value), end)


@pytest.mark.skipif(speedups.native is None, reason="parsers/_pdf_speedups is not built")
def test_the_c_parser_reads_from_every_offset_what_the_python_parser_reads(cjk_font: Path) -> None:
    """Both parsers started at every byte of whole files (fixtures, hand-written, damaged): the same
    value and end, or the same reason to decline."""
    assert speedups.native is not None
    rng = random.Random(7)
    hand_written = _build(_page_tree(FONT, extra=HELVETICA))
    files = [
        hand_written,
        *(_damage(hand_written, rng) for _ in range(40)),
        without_width_arrays(PDFS["gov2021_type0"](cjk_font)[0]),
        PDFS["stat2014"](cjk_font)[0],
        PDFS["lo_gov2019"](cjk_font)[0],
        b"<< /A [1 2 0 R (s\\\\) <4> /B#20c false null] /K 1.5 /J -.5 /N +3. /Z <</Y true>> >>",
        b"[1 0 R 2 0 R] (unterminated \\\\",
    ]
    reference = functools.partial(PDFObjRef, None)
    compared = declined = 0
    for data in files:
        for pos in range(len(data)):
            expected = _parsed_at(functools.partial(python_value, data, pos, reference))
            got = _parsed_at(
                functools.partial(speedups.native.pdf_value, data, pos, reference, LIT, Unsupported)
            )
            assert got == expected, (pos, data[pos : pos + 40])
            compared += 1
            declined += expected[0] == "unsupported"
    assert compared - declined > 20_000 and declined > 20_000, (compared, declined)
    for outside in (-1, len(files[0]) + 1):
        with pytest.raises(Unsupported, match="a token pdfminer reads its own way"):
            speedups.native.pdf_value(files[0], outside, reference, LIT, Unsupported)
