"""Bad input ends in a ParseError subclass with a one-line reason, or a Report with a non-parsed status."""

from __future__ import annotations

import io
import zipfile

import pytest

from flows.demo import reportgen as g
from parsers import ParseSettings, parse
from parsers.errors import (
    CorruptDocument,
    EmptyDocument,
    EncryptedDocument,
    ParseError,
    ParseTimeout,
    TruncatedDocument,
    UnsupportedKind,
    WrongKind,
)

BAD = g.bad_inputs()


@pytest.mark.parametrize(
    ("name", "error", "message"),
    [
        ("empty", EmptyDocument, "empty document (0 bytes of content)"),
        ("truncated_pdf", TruncatedDocument, "truncated PDF (no %%EOF end marker)"),
        ("encrypted_pdf", EncryptedDocument, "encrypted PDF (password required)"),
        (
            "html_error_as_pdf",
            WrongKind,
            "named or typed as PDF but the bytes are an HTML page (no %PDF header)",
        ),
        ("zip", UnsupportedKind, "ZIP archive with 2 files, not a report document"),
    ],
)
def test_bad_input_raises_one_line_error(name: str, error: type[ParseError], message: str) -> None:
    data, filename = BAD[name]
    with pytest.raises(error) as caught:
        parse(data, filename=filename)
    assert str(caught.value) == message
    assert "\n" not in str(caught.value)


def test_scanned_pdf_needs_ocr_and_has_no_numbers() -> None:
    data, filename = BAD["scanned_pdf"]
    report = parse(data, filename=filename)
    assert report.status == "needs_ocr"
    assert report.cells == [] and report.findings == []
    assert report.parser.source_kind == "pdf"


@pytest.mark.parametrize("name", ["notice", "news"])
def test_not_a_report(name: str) -> None:
    data, filename = BAD[name]
    report = parse(data, filename=filename)
    assert report.status == "not_a_report"
    assert report.cells == []


def test_whitespace_only_is_empty() -> None:
    with pytest.raises(EmptyDocument):
        parse(b" \r\n\t ", filename="a.txt")


def test_pdf_served_as_octet_stream_is_detected_from_bytes() -> None:
    spec = g.make_spec(31, "gov2021")
    report = parse(g.render_pdf(spec), filename="download.do", content_type="application/octet-stream")
    assert report.parser.source_kind == "pdf"
    assert report.value("requests", "new", "total") == spec.number("requests", "new", "total")


def test_truncated_pdf_with_end_marker_cut_mid_body() -> None:
    pdf = g.render_pdf(g.make_spec(32, "gov2019"))
    damaged = pdf[: len(pdf) // 2] + b"\n%%EOF\n"
    try:
        report = parse(damaged, filename="x.pdf")
    except ParseError as exc:
        assert "\n" not in str(exc)
    else:
        assert report.status in ("parsed", "needs_ocr")


def test_ole2_file_named_doc_without_word_stream_is_unsupported() -> None:
    with pytest.raises(UnsupportedKind) as caught:
        parse(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600, filename="report.doc")
    assert str(caught.value) == "legacy Word/WPS (OLE2 .doc/.wps) file without a WordDocument stream"


def test_xlsx_without_sheets_is_corrupt() -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("xl/workbook.xml", "<workbook/>")
    with pytest.raises(CorruptDocument, match=r"^damaged spreadsheet"):
        parse(buf.getvalue(), filename="a.xlsx")


def test_truncated_docx() -> None:
    docx = g.render_docx(g.make_spec(33, "gov2021"))
    with pytest.raises(TruncatedDocument, match="truncated"):
        parse(docx[: len(docx) // 2], filename="a.docx")


def test_time_budget_turns_into_parse_timeout() -> None:
    pdf = g.render_pdf(g.make_spec(34, "gov2021"))
    with pytest.raises(ParseTimeout, match=r"PDF parse exceeded 0 s at page 1 of \d+"):
        parse(pdf, settings=ParseSettings(max_seconds=1e-9))


def test_page_limit() -> None:
    pdf = g.render_pdf(g.make_spec(35, "gov2021"))
    with pytest.raises(ParseTimeout, match=r"PDF has \d+ pages, more than the limit of 1"):
        parse(pdf, settings=ParseSettings(max_pages=1))
