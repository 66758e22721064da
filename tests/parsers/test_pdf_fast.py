"""The PDFium reader (parsers/pdf_pdfium.py) against the pdfplumber reader it replaces.

On PDFs whose fonts are embedded (generated reports with a CJK font the tests make, LibreOffice
exports) both engines must give the same chars and ruling edges page by page, the same intermediate
document (lines and grid cells, page numbers included), and so the same report cells and findings.
Files and pages the PDFium path does not reproduce (encrypted, rotated page or text, no text layer, a
font that is not embedded) are read by pdfplumber under the default "auto" engine, and refused under
a forced "pdfium" engine. tests/parsers/test_pdf_fonts.py checks the same under different installed
fonts.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pdfplumber
import pypdfium2 as pdfium
import pytest
from pdfminer.pdfinterp import PDFResourceManager
from pdfminer.pdftypes import resolve1

from flows.demo import reportgen as g
from parsers import ParseSettings, parse, speedups
from parsers.errors import CorruptDocument, EncryptedDocument
from parsers.model import Report
from parsers.pdf import CellText, Char, extract_words, find_tables, read_pdf
from parsers.pdf_pdfium import (
    SUBSET_TAG,
    PdfiumUnavailable,
    font_descents,
    page_content,
    without_width_arrays,
)
from tests.fixtures.cidfonts import with_cid_font
from tests.fixtures.fonts import build_cjk_font

LIBREOFFICE = Path(__file__).resolve().parents[1] / "fixtures" / "libreoffice"
PLUMBER = ParseSettings(pdf_engine="pdfplumber")
PDFIUM = ParseSettings(pdf_engine="pdfium")
PDFIUM_PYTHON = ParseSettings(pdf_engine="pdfium", pdf_speedups=False)
"""The PDFium reader with its Python loops instead of the C ones (parsers/_pdf_speedups.c)."""


Make = Callable[[Path], tuple[bytes, g.ReportSpec | None]]


def _generated(seed: int, fmt: str, **kwargs: Any) -> Make:
    """A generated report with the tests' CJK font embedded (the font file is the argument)."""
    blanks = kwargs.pop("blanks", False)
    rule = kwargs.pop("broken", None)

    def make(font_file: Path) -> tuple[bytes, g.ReportSpec | None]:
        spec = g.make_spec(seed, fmt, blanks=blanks)
        if rule:
            spec = g.break_identity(spec, rule)
        return g.render_pdf(spec, font_file=font_file, **kwargs), spec

    return make


def _composite(seed: int, fmt: str, **kwargs: Any) -> Make:
    """A generated report re-set in a Type0 Identity-H font (CIDFontType2 with `/W` widths and a
    ToUnicode CMap), the font structure of Word's and WPS's PDF export."""
    make = _generated(seed, fmt, **kwargs)

    def composite(font_file: Path) -> tuple[bytes, g.ReportSpec | None]:
        distinct = font_file.with_name("distinct-glyphs.ttf")
        if not distinct.exists():
            build_cjk_font(distinct, distinct_glyphs=True)
        data, spec = make(font_file)
        return with_cid_font(data, distinct), spec

    return composite


def _fixture(name: str) -> Make:
    return lambda _font_file: ((LIBREOFFICE / name).read_bytes(), None)


@pytest.fixture(scope="module")
def cjk_font(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_cjk_font(tmp_path_factory.mktemp("fonts") / "nianbao-test-hei.ttf")


PDFS: dict[str, Make] = {
    "gov2021": _generated(41, "gov2021"),
    "gov2019_blanks": _generated(42, "gov2019", blanks=True),
    "stat2014": _generated(43, "stat2014"),
    "gov2021_split_vertical": _generated(44, "gov2021", split_table=True, vertical_labels=True),
    "gov2019_split_vertical": _generated(45, "gov2019", split_table=True, vertical_labels=True),
    "gov2019_six_pages": _generated(46, "gov2019", pages_target=6),
    "gov2019_broken_balance": _generated(47, "gov2019", broken="requests.balance", split_table=True),
    "gov2021_type0": _composite(48, "gov2021"),
    "gov2019_type0_split_vertical": _composite(49, "gov2019", split_table=True, vertical_labels=True),
    "stat2014_type0": _composite(50, "stat2014"),
    "lo_gov2019": _fixture("lo_gov2019.pdf"),
    "lo_gov2021": _fixture("lo_gov2021.pdf"),
    "lo_stat2014": _fixture("lo_stat2014.pdf"),
}


def _rows(objects: list[dict[str, Any]], names: tuple[str, ...]) -> list[tuple[Any, ...]]:
    """Objects as (strings…, x0, x1, top, bottom), ordered by the strings and rounded position."""
    rows = [(*(str(o[n]) for n in names), o["x0"], o["x1"], o["top"], o["bottom"]) for o in objects]
    k = len(names)
    return sorted(rows, key=lambda r: (*r[:k], round(r[k + 2], 1), round(r[k], 1), round(r[k + 1], 1)))


def _char_rows(chars: list[Char] | list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    """Our char tuples or pdfplumber's char dicts as the same rows."""
    keys = ("text", "x0", "x1", "top", "bottom")
    return _rows([c if isinstance(c, dict) else dict(zip(keys, c, strict=True)) for c in chars], ("text",))


def _edge_rows(edges: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    return _rows(edges, ("orientation", "object_type"))


def _close(ours: list[tuple[Any, ...]], theirs: list[tuple[Any, ...]]) -> bool:
    """Same rows, numbers equal to 0.01 pt (PDFium computes in float32, pdfminer in float64)."""
    return len(ours) == len(theirs) and all(
        a[i] == b[i] if isinstance(a[i], str) else abs(a[i] - b[i]) < 0.01
        for a, b in zip(ours, theirs, strict=True)
        for i in range(len(a))
    )


def _summary(report: Report) -> tuple[Any, ...]:
    return (
        report.status,
        report.format,
        report.year,
        report.agency,
        report.title,
        report.sections,
        [(c.table, c.row, c.col, c.value, c.raw, c.page) for c in report.cells],
        [(f.rule, f.severity, f.where, f.message, f.expected, f.actual) for f in report.findings],
        report.statistics,
        report.parser.pages,
    )


@pytest.mark.parametrize("native", [True, False], ids=["c_loops", "python_loops"])
@pytest.mark.parametrize("name", list(PDFS))
def test_chars_and_edges_match_pdfplumber(name: str, native: bool, cjk_font: Path) -> None:
    data, _ = PDFS[name](cjk_font)
    descents = font_descents(data)
    pdf = pdfium.PdfDocument(data)
    try:
        with pdfplumber.open(io.BytesIO(data)) as reference:
            assert len(pdf) == len(reference.pages)
            for index, page in enumerate(reference.pages):
                content = page_content(pdf, index, descents, native=native)
                assert content.chars, f"page {index + 1} has no characters"
                assert _close(_char_rows(content.chars), _char_rows(page.chars)), f"chars of page {index + 1}"
                assert _close(_edge_rows(content.edges), _edge_rows(page.edges)), f"edges of page {index + 1}"
                assert content.ruled == bool(page.lines or page.rects)
    finally:
        pdf.close()


@pytest.mark.parametrize("fast_settings", [PDFIUM, PDFIUM_PYTHON], ids=["c_loops", "python_loops"])
@pytest.mark.parametrize("name", list(PDFS))
def test_engines_give_the_same_document_and_report(
    name: str, fast_settings: ParseSettings, cjk_font: Path
) -> None:
    data, spec = PDFS[name](cjk_font)
    fast, reference = read_pdf(data, fast_settings), read_pdf(data, PLUMBER)
    assert fast.grids, "no table grid found"
    assert fast.engines == ("pdfium",) * (fast.pages or 0)
    assert (fast.blocks, fast.pages, fast.has_text_layer) == (
        reference.blocks,
        reference.pages,
        reference.has_text_layer,
    )
    ours, theirs = parse(data, settings=fast_settings), parse(data, settings=PLUMBER)
    assert _summary(ours) == _summary(theirs)
    assert ours.status == "parsed"
    assert ours.cells
    if spec is not None:
        assert {(c.table, c.row, c.col): (c.value, c.raw) for c in ours.cells} == {
            (c.table, c.row, c.col): (c.value, c.raw) for c in spec.cells
        }
        assert sorted((f.rule, f.where, f.expected, f.actual) for f in ours.findings) == sorted(
            (f.rule, f.where, f.expected, f.actual) for f in spec.expected_findings
        )


@pytest.mark.parametrize("name", list(PDFS))
def test_font_descents_are_those_of_pdfminers_own_font_objects(name: str, cjk_font: Path) -> None:
    data, _ = PDFS[name](cjk_font)
    expected: dict[str, float] = {}
    manager = PDFResourceManager()
    with pdfplumber.open(io.BytesIO(data)) as pdf:
        for page in pdf.pages:
            for spec in map(resolve1, resolve1(page.page_obj.resources["Font"]).values()):
                font = manager.get_font(None, spec)
                expected[SUBSET_TAG.sub("", font.fontname)] = font.get_descent()
    assert font_descents(data) == expected


def test_width_arrays_are_blanked_in_place_and_nothing_else() -> None:
    cid_widths = b"/W [ 1 [ 500 1000 1000 ] 4 9 1000 " + b"12 [ 250 ] " * 8 + b"]"
    simple_widths = b"/Widths [" + b" 600" * 40 + b" ]"
    data = (
        b"<</Type/Font/Subtype/CIDFontType2" + cid_widths + b"/FontDescriptor 5 0 R>>\n"
        b"<</Subtype/TrueType " + simple_widths + b">>\n"
        b"<</Type/XRef/W [1 2 1]/Size 9>>\n"
        b"<</Odd/W [" + b" 7" * 40 + b" [ ]]]/End 1>>\n"
    )
    blanked = without_width_arrays(data)
    assert len(blanked) == len(data)
    assert blanked == (
        data.replace(cid_widths, b" " * len(cid_widths)).replace(simple_widths, b" " * len(simple_widths))
    )
    assert without_width_arrays(b"%PDF-1.7 nothing to blank") == b"%PDF-1.7 nothing to blank"


@pytest.mark.parametrize("name", [name for name in PDFS if "type0" in name])
def test_composite_fixtures_show_every_char_in_a_type0_identity_h_font(name: str, cjk_font: Path) -> None:
    data, _ = PDFS[name](cjk_font)
    with pdfplumber.open(io.BytesIO(data)) as pdf:
        fonts = {
            (spec.get("Subtype").name, spec.get("Encoding").name if "Encoding" in spec else None)
            for page in pdf.pages
            for spec in map(resolve1, resolve1(page.page_obj.resources["Font"]).values())
        }
        used = {char["fontname"] for page in pdf.pages for char in page.chars}
    assert ("Type0", "Identity-H") in fonts
    assert b"/W [ 1[ " in data, "the CIDFont's widths are inline, as Word writes them"
    assert used == {"NianbaoTestHei"}
    assert read_pdf(data).engines == ("pdfium",) * len(read_pdf(data).engines)


def test_vertical_labels_come_out_joined_by_both_engines(cjk_font: Path) -> None:
    data, _ = PDFS["gov2021_split_vertical"](cjk_font)
    cells = {c for grid in read_pdf(data, PDFIUM).grids for row in grid.rows for c in row.cells if c}
    assert "自\n然\n人" in cells
    assert "总\n计" in cells


def test_default_engine_is_auto_and_uses_pdfium(cjk_font: Path) -> None:
    data, _ = PDFS["gov2021"](cjk_font)
    assert ParseSettings().pdf_engine == "auto"
    auto = read_pdf(data)
    assert auto.blocks == read_pdf(data, PDFIUM).blocks
    assert auto.engines == ("pdfium",) * (auto.pages or 0)


def test_pages_in_a_font_the_pdf_does_not_embed_go_to_pdfplumber_and_pdfium_refuses_them() -> None:
    spec = g.make_spec(41, "gov2021")
    data = g.render_pdf(spec)
    with pytest.raises(CorruptDocument) as caught:
        read_pdf(data, PDFIUM)
    assert str(caught.value) == "PDFium cannot read this PDF: text in the non-embedded font 'STSong-Light'"
    auto, reference = read_pdf(data), read_pdf(data, PLUMBER)
    assert auto.engines == reference.engines == ("pdfplumber",) * 4
    assert auto.blocks == reference.blocks
    report = parse(data)
    assert report.parser.engines == ("pdfplumber",) * 4
    assert {(c.table, c.row, c.col): (c.value, c.raw) for c in report.cells} == {
        (c.table, c.row, c.col): (c.value, c.raw) for c in spec.cells
    }


def test_each_page_takes_its_own_engine(cjk_font: Path) -> None:
    """A document whose first page embeds its font and whose second does not: page 1 PDFium,
    page 2 pdfplumber, and the result is the reference reader's."""

    def draw(canvas: Any) -> None:
        canvas.setFont(g.register_font(cjk_font), 14)
        canvas.drawString(72, 700, "某某县人民政府2023年政府信息公开工作年度报告")
        canvas.showPage()
        canvas.setFont(g.register_font(), 14)
        canvas.drawString(72, 700, "收到申请 12 件")

    data = _canvas_pdf(draw)
    auto, reference = read_pdf(data), read_pdf(data, PLUMBER)
    assert auto.engines == ("pdfium", "pdfplumber")
    assert auto.blocks == reference.blocks
    assert [line.text for line in auto.lines] == [
        "某某县人民政府2023年政府信息公开工作年度报告",
        "收到申请 12 件",
    ]


def test_a_composite_font_without_to_unicode_goes_to_pdfplumber(cjk_font: Path) -> None:
    """Without ToUnicode, PDFium reads an Identity-H font's glyph ids as characters (garbage, and no
    report), while pdfminer takes the characters from the embedded font's own map: every page of such a
    file is pdfplumber's, and a forced PDFium engine refuses it naming the font."""
    data, spec = _composite(51, "gov2021")(cjk_font)
    data = _without_to_unicode(data)
    for forced in (PDFIUM, PDFIUM_PYTHON):
        with pytest.raises(CorruptDocument) as caught:
            read_pdf(data, forced)
        assert re.fullmatch(
            r"PDFium cannot read this PDF: font '[\w-]+': a composite font without a ToUnicode map "
            r"\(PDFium would read its glyph ids as characters\)",
            str(caught.value),
        ), str(caught.value)
    auto, reference = read_pdf(data), read_pdf(data, PLUMBER)
    assert auto.engines == ("pdfplumber",) * (auto.pages or 0) and auto.pages == 4
    assert auto.blocks == reference.blocks
    report = parse(data)
    assert spec is not None and report.status == "parsed"
    assert {(c.table, c.row, c.col): (c.value, c.raw) for c in report.cells} == {
        (c.table, c.row, c.col): (c.value, c.raw) for c in spec.cells
    }


def _without_to_unicode(data: bytes) -> bytes:
    """`data` with every font's ToUnicode reference blanked out (offsets kept)."""
    data = re.sub(rb"/ToUnicode\s+\d+\s+0\s+R", lambda m: b" " * len(m[0]), data)
    assert b"/ToUnicode" not in data
    return data


@pytest.mark.parametrize("native", [True, False], ids=["c_loops", "python_loops"])
def test_an_embedded_simple_font_without_to_unicode_or_encoding_goes_to_pdfplumber(
    native: bool, cjk_font: Path
) -> None:
    """reportlab's subsets without their ToUnicode maps: pdfminer reads the codes in the standard
    encoding ("(cid:1)" where it has none), PDFium as characters ("\x01"). The font is pdfplumber's;
    and should a PDF's encoding hide that, the control characters PDFium gives are unmapped glyphs."""
    data = _without_to_unicode(_generated(52, "gov2021")(cjk_font)[0])
    descents = font_descents(data)
    assert descents["NianbaoTestHei"] == "an embedded font with neither a ToUnicode map nor an Encoding"
    settings = ParseSettings(pdf_engine="pdfium", pdf_speedups=native)
    with pytest.raises(
        CorruptDocument, match=r"^PDFium cannot read this PDF: font 'NianbaoTestHei': an embedded"
    ):
        read_pdf(data, settings)
    auto, reference = read_pdf(data, ParseSettings(pdf_speedups=native)), read_pdf(data, PLUMBER)
    assert auto.engines == ("pdfplumber",) * 4
    assert auto.blocks == reference.blocks
    assert "(cid:1)" in reference.lines[0].text
    pdf = pdfium.PdfDocument(data)
    try:
        with pytest.raises(PdfiumUnavailable, match=r"^a glyph without a Unicode mapping$"):
            page_content(pdf, 0, {**descents, "NianbaoTestHei": -0.12}, native=native)
    finally:
        pdf.close()


def _type3_pdf() -> bytes:
    """A page that writes "abba" in a Type3 font (glyphs drawn as filled boxes), written out by hand:
    reportlab makes no Type3 fonts."""
    content = b"BT /F1 24 Tf 72 700 Td (abba) Tj ET"
    glyphs = [b"1000 0 0 0 750 750 d1 0 0 750 750 re f", b"1000 0 0 0 750 750 d1 0 0 375 750 re f"]
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 4 0 R >> >> "
        b"/Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type3 /FontBBox [0 0 750 750] /FontMatrix [0.001 0 0 0.001 0 0] "
        b"/CharProcs << /a 6 0 R /b 7 0 R >> /Encoding << /Type /Encoding /Differences [97 /a /b] >> "
        b"/FirstChar 97 /LastChar 98 /Widths [1000 1000] /Resources << >> >>",
        *(
            b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream)
            for stream in [content, *glyphs]
        ),
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


@pytest.mark.parametrize("forced", [PDFIUM, PDFIUM_PYTHON], ids=["c_loops", "python_loops"])
def test_a_type3_font_goes_to_pdfplumber(forced: ParseSettings) -> None:
    data = _type3_pdf()
    assert font_descents(data) == {"unknown": "a Type3 font"}
    with pytest.raises(CorruptDocument) as caught:
        read_pdf(data, forced)
    assert str(caught.value) == "PDFium cannot read this PDF: a Type3 font (no BaseFont)"
    auto, reference = read_pdf(data, ParseSettings(pdf_speedups=forced.pdf_speedups)), read_pdf(data, PLUMBER)
    assert auto.engines == ("pdfplumber",)
    assert auto.blocks == reference.blocks
    assert [line.text for line in auto.lines] == ["abba"]


def _canvas_pdf(draw: Callable[[Any], None]) -> bytes:
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen.canvas import Canvas

    buf = io.BytesIO()
    canvas = Canvas(buf, pagesize=A4)
    draw(canvas)
    canvas.showPage()
    canvas.save()
    return buf.getvalue()


def _rotated_page(canvas: Any, font: str) -> None:
    canvas.setPageRotation(90)
    canvas.setFont(font, 14)
    canvas.drawString(72, 700, "某某县人民政府2023年政府信息公开工作年度报告")
    canvas.drawString(72, 670, "收到申请 12 件")
    canvas.grid([72, 200, 300], [600, 620, 640])


def _rotated_text(canvas: Any, font: str) -> None:
    canvas.setFont(font, 14)
    canvas.drawString(72, 700, "某某县人民政府2023年政府信息公开工作年度报告")
    canvas.saveState()
    canvas.translate(300, 400)
    canvas.rotate(90)
    canvas.drawString(0, 0, "竖排文字")
    canvas.restoreState()


@pytest.mark.parametrize("forced", [PDFIUM, PDFIUM_PYTHON], ids=["c_loops", "python_loops"])
@pytest.mark.parametrize(
    ("draw", "reason"),
    [(_rotated_page, "rotated page"), (_rotated_text, "rotated or mirrored text")],
)
def test_auto_falls_back_to_pdfplumber_where_pdfium_does_not_reproduce(
    draw: Callable[[Any, str], None], reason: str, forced: ParseSettings, cjk_font: Path
) -> None:
    font = g.register_font(cjk_font)
    data = _canvas_pdf(lambda canvas: draw(canvas, font))
    with pytest.raises(CorruptDocument) as caught:
        read_pdf(data, forced)
    assert str(caught.value) == f"PDFium cannot read this PDF: {reason}"
    auto, reference = read_pdf(data), read_pdf(data, PLUMBER)
    assert auto.blocks == reference.blocks
    assert any("年度报告" in line.text for line in auto.lines)


def test_encrypted_pdf_keeps_its_error_under_auto_and_pdfium_refuses_it() -> None:
    data, _ = g.bad_inputs()["encrypted_pdf"]
    with pytest.raises(EncryptedDocument) as caught:
        read_pdf(data)
    assert str(caught.value) == "encrypted PDF (password required)"
    with pytest.raises(CorruptDocument, match=r"^PDFium cannot read this PDF: PDFium cannot open the file"):
        read_pdf(data, PDFIUM)


def test_scanned_pdf_needs_ocr_under_every_engine() -> None:
    data, filename = g.bad_inputs()["scanned_pdf"]
    for settings in (ParseSettings(), PDFIUM, PLUMBER):
        document = read_pdf(data, settings)
        assert document.has_text_layer is False and document.blocks == []
        assert parse(data, filename=filename, settings=settings).status == "needs_ocr"


def _tables(tables: list[Any]) -> list[tuple[Any, ...]]:
    """What the reader takes of a table, C-found (`FoundTable`) or pdfplumber's own `Table`."""
    return [(table.bbox, table.cells, [(row.bbox, row.cells) for row in table.rows]) for table in tables]


@pytest.mark.skipif(speedups.native is None, reason="parsers/_pdf_speedups.c is not built here")
@pytest.mark.parametrize("name", list(PDFS))
def test_c_and_python_loops_give_identical_pages(name: str, cjk_font: Path) -> None:
    """Not close but equal, bit for bit: the C loops make the same PDFium calls and the same float
    operations as the Python ones, the C table finder finds pdfplumber's tables, cells and rows, and
    the C cell texts are the Python ones."""
    data, _ = PDFS[name](cjk_font)
    descents = font_descents(data)
    pdf = pdfium.PdfDocument(data)
    try:
        for index in range(len(pdf)):
            c_page = page_content(pdf, index, descents, native=True)
            python_page = page_content(pdf, index, descents, native=False)
            assert c_page == python_page
            for x_tolerance, y_tolerance in ((1.5, 2), (3, 3)):
                assert extract_words(c_page.chars, x_tolerance, y_tolerance) == extract_words(
                    c_page.chars, x_tolerance, y_tolerance, native=False
                )
            c_tables, python_tables = find_tables(c_page), find_tables(c_page, native=False)
            assert _tables(c_tables) == _tables(python_tables)
            c_cells, python_cells = CellText(c_page.chars), CellText(c_page.chars, native=False)
            assert [c_cells(t) for t in c_tables] == [python_cells(t) for t in python_tables]
    finally:
        pdf.close()
