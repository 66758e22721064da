"""Spreadsheets (.xlsx, BIFF8 .xls) and OFD files generated from a report spec parse back to exactly
the spec's cells; detection tells OLE2 Word from Excel; the OFD reader's abbreviations."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable

import pytest

from flows.demo import reportgen as g
from flows.demo.reportgen.as_ofd import render_ofd
from flows.demo.reportgen.as_xlsx import render_xls, render_xlsx
from parsers import parse
from parsers.detect import detect_kind
from parsers.errors import CorruptDocument, EncryptedDocument, ResourceLimit, UnsupportedKind
from parsers.model import Report
from parsers.ofd import deltas, path_segments

RENDERERS: dict[str, tuple[Callable[[g.ReportSpec], bytes], str]] = {
    "xlsx": (render_xlsx, "xls"),
    "xls": (render_xls, "xls"),
    "ofd": (render_ofd, "ofd"),
}


def _key(report_or_spec: Report | g.ReportSpec) -> dict[tuple[str, str, str], tuple[object, str]]:
    return {(c.table, c.row, c.col): (c.value, c.raw) for c in report_or_spec.cells}


@pytest.mark.parametrize("blanks", [False, True])
@pytest.mark.parametrize("fmt", g.FORMATS)
@pytest.mark.parametrize("kind", list(RENDERERS))
def test_generated_report_parses_back_exactly(kind: str, fmt: str, blanks: bool) -> None:
    render, source_kind = RENDERERS[kind]
    spec = g.make_spec(21 if blanks else 22, fmt, blanks=blanks)
    report = parse(render(spec), filename=f"report.{kind}")
    assert (report.status, report.parser.source_kind) == ("parsed", source_kind)
    assert (report.format, report.year, report.agency, report.title) == (
        spec.format,
        spec.year,
        spec.agency,
        spec.title,
    )
    assert _key(report) == _key(spec)
    if fmt == "stat2014":
        assert {p: (e["unit"], e["value"]) for p, e in report.statistics.items()} == {
            p: (e["unit"], e["value"]) for p, e in spec.statistics.items()
        }
    assert report.findings == []


def test_ofd_tables_split_over_pages_carry_their_page() -> None:
    spec = g.make_spec(23, "gov2021")
    report = parse(render_ofd(spec))
    pages: dict[str, set[int | None]] = {}
    for cell in report.cells:
        pages.setdefault(cell.table, set()).add(cell.page)
    assert report.parser.pages == 3
    assert pages == {"proactive": {1, 2}, "requests": {2, 3}, "review_litigation": {3}}
    requests = {c.row: c.page for c in report.cells if c.table == "requests"}
    assert (requests["withheld_three_securities"], requests["other"], requests["total"]) == (2, 3, 3)


def test_broken_identity_in_a_spreadsheet_is_found() -> None:
    spec = g.break_identity(g.make_spec(24, "gov2021"), "requests.total_sum")
    report = parse(render_xlsx(spec))
    got = sorted((f.rule, f.severity, f.where, f.expected, f.actual) for f in report.findings)
    want = sorted((f.rule, f.severity, f.where, f.expected, f.actual) for f in spec.expected_findings)
    assert want and got == want


def test_detect_office_kinds() -> None:
    spec = g.make_spec(25, "gov2019")
    assert detect_kind(render_xls(spec)) == "xls"
    assert detect_kind(render_xlsx(spec)) == "xls"
    assert detect_kind(render_ofd(spec)) == "ofd"


def _ole2(*streams: str) -> bytes:
    """An OLE2 header followed by directory entry names (what detection looks at)."""
    return b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504) + b"".join(s.encode("utf-16-le") for s in streams)


def test_ole2_kinds_by_stream() -> None:
    assert detect_kind(_ole2("Root Entry", "WordDocument", "1Table")) == "doc"
    assert detect_kind(_ole2("Root Entry", "Workbook")) == "xls"
    with pytest.raises(EncryptedDocument, match="password-protected Office document"):
        detect_kind(_ole2("Root Entry", "EncryptionInfo", "EncryptedPackage"))
    with pytest.raises(UnsupportedKind, match=r"^OLE2 compound file of an unknown kind"):
        detect_kind(_ole2("Root Entry", "PowerPoint Document"))


def test_legacy_word_is_left_to_the_converter() -> None:
    with pytest.raises(UnsupportedKind) as caught:
        parse(_ole2("Root Entry", "WordDocument"), filename="report.doc")
    assert str(caught.value) == (
        "legacy Word/WPS (OLE2 .doc/.wps) document: needs conversion by LibreOffice (flows.convert)"
    )


def test_ofd_without_its_document_is_corrupt() -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr(
            "OFD.xml",
            "<ofd:OFD xmlns:ofd='http://www.ofdspec.org/2016'><ofd:DocBody>"
            "<ofd:DocRoot>Doc_0/Document.xml</ofd:DocRoot></ofd:DocBody></ofd:OFD>",
        )
    with pytest.raises(CorruptDocument) as caught:
        parse(buf.getvalue(), filename="a.ofd")
    assert str(caught.value) == "damaged OFD: Doc_0/Document.xml is missing"


def test_ofd_zip_bomb_is_refused_before_unpacking() -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("OFD.xml", "<ofd:OFD/>")
        zf.writestr("Doc_0/Pages/Page_0/Content.xml", b" " * (300 * 1024 * 1024))
    with pytest.raises(ResourceLimit, match=r"^ZIP container unpacks to 300 MB"):
        parse(buf.getvalue(), filename="bomb.ofd")


def test_ofd_abbreviations() -> None:
    assert deltas("g 3 3.5 1.75 g 2 1") == [3.5, 3.5, 3.5, 1.75, 1.0, 1.0]
    assert path_segments("M 0 0 L 10 0 L 10 5 L 0 5 C") == [
        ((0.0, 0.0), (10.0, 0.0)),
        ((10.0, 0.0), (10.0, 5.0)),
        ((10.0, 5.0), (0.0, 5.0)),
        ((0.0, 5.0), (0.0, 0.0)),
    ]
    assert path_segments("M 1 1 B 2 2 3 3 4 4 L 4 9") == [((4.0, 4.0), (4.0, 9.0))]
