"""OCR of scanned reports: generated scans (clean 300 dpi and degraded: 150 dpi, skew, JPEG noise, a
red seal over a table, a signature) parse back to the spec's cells with `source_kind` "ocr"; a cell
read with low confidence is `report.parse_uncertain` and never an arithmetic error.

The scans are printed with a real CJK font taken out of a Debian package into the session's temporary
directory (tests/fixtures/scanfont.py); without it (or without the `[ocr]` extra) the OCR tests skip,
or fail when NIANBAO_TEST_REQUIRE_SERVICES is set."""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path

import pytest

from flows.convert import parse_document
from flows.demo import reportgen as g
from flows.demo.reportgen.as_scan import CLEAN_300, DEGRADED, render_scan_image, render_scanned_pdf
from parsers import parse
from parsers.checks import LOW_CONFIDENCE
from parsers.document import Grid, GridRow
from parsers.docx import read_docx
from parsers.errors import CorruptDocument
from parsers.model import Report
from parsers.ocr import ocr_available, parse_scan
from parsers.pipeline import build_report
from tests.conftest import service_unavailable
from tests.fixtures.scanfont import extract_scan_font

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def font(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not ocr_available():
        service_unavailable("OCR is not installed (pip install '.[ocr]')")
    found = extract_scan_font(tmp_path_factory.mktemp("scanfont"))
    if found is None:
        service_unavailable("no CJK font to print the test scans with (apt-get download fonts-wqy-zenhei)")
    return found


def _key(report_or_spec: Report | g.ReportSpec) -> dict[tuple[str, str, str], tuple[object, str]]:
    return {(c.table, c.row, c.col): (c.value, c.raw) for c in report_or_spec.cells}


def _only_uncertain(report: Report) -> None:
    """Every finding is a low-confidence cell (no false error, no missing table or row)."""
    assert {(f.rule, f.severity) for f in report.findings} <= {("report.parse_uncertain", "warning")}
    for finding in report.findings:
        (cell,) = finding.cells
        got = next(c for c in report.cells if (c.table, c.row, c.col) == cell.key)
        assert got.confidence is not None and got.confidence < LOW_CONFIDENCE


@pytest.mark.parametrize("fmt", g.FORMATS)
def test_clean_300_dpi_scan_parses_to_the_same_cells(font: Path, fmt: str) -> None:
    spec = g.make_spec(41, fmt)
    data = render_scanned_pdf(spec, CLEAN_300, font=font)
    assert parse(data).status == "needs_ocr"
    started = time.perf_counter()
    report = parse_document(data, filename="scan.pdf")
    seconds = time.perf_counter() - started
    assert (report.status, report.parser.source_kind, report.format) == ("parsed", "ocr", fmt)
    assert (report.year, report.agency, report.title) == (spec.year, spec.agency, spec.title)
    assert _key(report) == _key(spec)
    assert all(c.confidence is not None and 0 <= c.confidence <= 1 for c in report.cells)
    _only_uncertain(report)
    assert report.parser.pages is not None and seconds / report.parser.pages < 60


@pytest.mark.parametrize("scan", DEGRADED, ids=lambda s: f"{s.dpi}dpi-skew{s.skew}-seal{s.stamp}")
def test_degraded_scan_has_98_percent_of_cells_right_and_no_false_error(font: Path, scan: object) -> None:
    spec = g.make_spec(42, "gov2021")
    report = parse_scan(render_scanned_pdf(spec, scan, font=font))  # type: ignore[arg-type]
    want, got = _key(spec), _key(report)
    right = sum(1 for key, value in want.items() if got.get(key) == value)
    assert report.status == "parsed"
    assert right / len(want) >= 0.98, [(k, got.get(k), v) for k, v in want.items() if got.get(k) != v]
    assert [f for f in report.findings if f.severity == "error"] == []


def test_image_attachment_is_read_by_ocr(font: Path) -> None:
    """Page 3 of a report photographed as a JPEG: table 4 with a seal over it, every cell right."""
    spec = g.make_spec(43, "gov2021")
    scan = dataclasses.replace(DEGRADED[0], stamp=True)
    report = parse_document(render_scan_image(spec, 3, scan, font=font), filename="年报.jpg")
    assert report.parser.source_kind == "ocr"
    review = {k: v for k, v in _key(report).items() if k[0] == "review_litigation"}
    assert review == {k: v for k, v in _key(spec).items() if k[0] == "review_litigation"}


def _doc_with_confidence(spec: g.ReportSpec, wrong: str, confidence: float) -> Report:
    """The spec's DOCX read, with table 3's "new" total printed as `wrong` at `confidence`, as OCR
    would hand it over."""
    doc = read_docx(g.render_docx(spec))
    for block in doc.blocks:
        if not isinstance(block, Grid):
            continue
        for i, row in enumerate(block.rows):
            if row.cells and any(c and c.startswith("一、本年新收") for c in row.cells):
                cells = list(row.cells)
                cells[-1] = wrong
                confidence_of = tuple(confidence if j == len(cells) - 1 else 0.99 for j in range(len(cells)))
                block.rows[i] = GridRow(tuple(cells), row.page, confidence_of)
    return build_report(doc, started=time.perf_counter())


def test_low_confidence_cell_is_uncertain_not_an_arithmetic_error() -> None:
    spec = g.make_spec(44, "gov2021")
    total = spec.raw("requests", "new", "total")
    misread = str(int(total) + 1)
    certain = _doc_with_confidence(spec, misread, 0.99)
    assert "requests.row_total" in {f.rule for f in certain.findings}
    unsure = _doc_with_confidence(spec, misread, 0.42)
    assert [(f.rule, f.where, f.message) for f in unsure.findings] == [
        (
            "report.parse_uncertain",
            "requests/new/total",
            f"OCR read “{misread}” with confidence 0.42 (below {LOW_CONFIDENCE}): not checked",
        )
    ]
    assert unsure.value("requests", "new", "total") == int(misread)
    assert (
        next(c for c in unsure.cells if (c.table, c.row, c.col) == ("requests", "new", "total")).confidence
        == 0.42
    )


def test_corrupt_image_is_a_one_line_error() -> None:
    if not ocr_available():
        service_unavailable("OCR is not installed (pip install '.[ocr]')")
    with pytest.raises(CorruptDocument) as caught:
        parse_scan(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4, filename="page.png")
    assert str(caught.value) == "damaged or unreadable image: UnidentifiedImageError"


def test_scan_without_readable_text_gives_only_what_it_can_read() -> None:
    """Printed without a CJK font (grey bars for the text, digits in Latin): only table 4, a row of
    fifteen numbers that needs no label, is read (exactly); nothing else is guessed."""
    if not ocr_available():
        service_unavailable("OCR is not installed (pip install '.[ocr]')")
    spec = g.make_spec(45, "gov2021")
    report = parse_document(render_scanned_pdf(spec, font=None), filename="scan.pdf")
    assert (report.status, report.parser.source_kind, report.title, report.agency, report.year) == (
        "parsed",
        "ocr",
        "",
        None,
        None,
    )
    assert _key(report) == {k: v for k, v in _key(spec).items() if k[0] == "review_litigation"}
    assert [f for f in report.findings if f.severity == "error"] == []
