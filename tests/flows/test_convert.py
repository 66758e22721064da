"""Legacy Word (.doc) and Kingsoft WPS (.wps) files, made by LibreOffice from the generator's DOCX,
parse through flows.convert to exactly the spec's cells; a missing LibreOffice, a file it cannot open
and a conversion over its time limit end in a one-line ParseError.

LibreOffice (Debian's libreoffice-writer-nogui, which scripts/test.sh installs) is skipped with a
reason when missing, unless NIANBAO_TEST_REQUIRE_SERVICES is set."""

from __future__ import annotations

import functools
from pathlib import Path

import pytest

from flows.convert import (
    ConvertSettings,
    doc_to_docx,
    heavy_slot,
    libreoffice_convert,
    parse_document,
    soffice_path,
)
from flows.demo import reportgen as g
from parsers.errors import EncryptedDocument, ParseTimeout, ResourceLimit, UnsupportedKind
from parsers.model import Report
from tests.conftest import service_unavailable


@pytest.fixture(scope="module", autouse=True)
def soffice() -> str:
    path = soffice_path()
    if path is None:
        service_unavailable("LibreOffice (soffice) is not installed")
    return path


@functools.cache
def legacy_doc(fmt: str, seed: int) -> bytes:
    """The generated report saved by LibreOffice in Word 97 format (what a .doc or .wps attachment is)."""
    docx = g.render_docx(g.make_spec(seed, fmt))
    return libreoffice_convert(docx, source_suffix="docx", target="doc:MS Word 97")


def _key(report_or_spec: Report | g.ReportSpec) -> dict[tuple[str, str, str], tuple[object, str]]:
    return {(c.table, c.row, c.col): (c.value, c.raw) for c in report_or_spec.cells}


@pytest.mark.slow
@pytest.mark.parametrize(
    ("fmt", "filename", "content_type"),
    [
        ("gov2021", "P020240126.doc", "application/msword"),
        ("gov2019", "年度报告.wps", "application/kswps"),
        ("stat2014", "report.doc", ""),
    ],
)
def test_legacy_word_parses_to_exact_cells(fmt: str, filename: str, content_type: str) -> None:
    spec = g.make_spec(31, fmt)
    data = legacy_doc(fmt, 31)
    assert data.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1")
    report = parse_document(data, filename=filename, content_type=content_type)
    assert (report.status, report.parser.source_kind) == ("parsed", "doc")
    assert (report.format, report.year, report.agency, report.title) == (
        spec.format,
        spec.year,
        spec.agency,
        spec.title,
    )
    assert _key(report) == _key(spec)
    assert report.findings == []


def test_other_kinds_pass_through_unconverted() -> None:
    spec = g.make_spec(32, "gov2021")
    report = parse_document(g.render_docx(spec), filename="a.docx")
    assert report.parser.source_kind == "docx"
    assert _key(report) == _key(spec)


def test_without_libreoffice_the_document_is_unsupported(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NIANBAO_SOFFICE", "/nonexistent/soffice")
    with pytest.raises(UnsupportedKind) as caught:
        parse_document(legacy_doc("gov2021", 31), filename="a.doc")
    assert str(caught.value) == (
        "legacy Word/WPS (OLE2 .doc/.wps) document: DOC document needs LibreOffice (soffice), "
        "which is not installed"
    )


def test_conversion_over_its_time_limit_is_a_timeout() -> None:
    with pytest.raises(ParseTimeout) as caught:
        doc_to_docx(legacy_doc("gov2021", 31), ConvertSettings(timeout=0.05))
    assert str(caught.value) == "LibreOffice did not convert the DOC file within 0.05 s"


def test_password_protected_doc_is_encrypted() -> None:
    """Word 97's FIB flag fEncrypted set: refused before LibreOffice would be asked for a password."""
    data = bytearray(legacy_doc("gov2021", 31))
    fib = next(o for o in range(512, len(data), 512) if data[o : o + 2] == b"\xec\xa5")
    data[fib + 11] |= 0x01
    with pytest.raises(EncryptedDocument, match=r"^password-protected legacy Word/WPS document$"):
        parse_document(bytes(data), filename="a.doc")


def test_oversized_doc_is_refused_before_conversion() -> None:
    data = legacy_doc("gov2021", 31)
    with pytest.raises(ResourceLimit) as caught:
        doc_to_docx(data, ConvertSettings(max_input_bytes=10))
    assert (
        str(caught.value) == f"DOC file of {len(data)} bytes is larger than the conversion limit of 10 bytes"
    )


def test_conversions_take_a_host_slot_and_ordinary_documents_do_not(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With the only slot taken (another process converting or OCR'ing), a .doc waits and gives up
    after `slot_wait`; a DOCX is parsed at once; with the slot free the .doc converts."""
    monkeypatch.setenv("NIANBAO_HOME", str(tmp_path))
    limits = ConvertSettings(slots=1, slot_wait=0.3)
    data = legacy_doc("gov2021", 31)
    with heavy_slot(limits):
        with pytest.raises(ParseTimeout) as caught:
            parse_document(data, filename="a.doc", convert=limits)
        assert str(caught.value) == "no OCR/conversion slot free within 0.3 s (1 on this host)"
        assert parse_document(g.render_docx(g.make_spec(33, "gov2021")), filename="a.docx").status == "parsed"
    assert parse_document(data, filename="a.doc", convert=limits).parser.source_kind == "doc"
    assert sorted(p.name for p in (tmp_path / "locks").iterdir()) == ["heavy-0.lock"]
