"""`nianbao reparse` and the `reparse` flow on PostgreSQL and S3: a scanned report loaded as needs_ocr
by an older parser (no OCR) becomes parsed with the exact cells once read again; a second reparse
changes nothing; the filters pick by status, parser version and source."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import update

from flows.demo import reportgen as g
from flows.demo.reportgen.as_scan import CLEAN_300, render_scanned_pdf
from flows.reparse import select_documents, version_key
from parsers.ocr import ocr_available
from storage import models, repository
from storage.db import session_scope
from storage.objectstore import open_store
from storage.settings import Settings, get_settings
from tests.conftest import service_unavailable
from tests.fixtures.scanfont import extract_scan_font

AGENCY = "银川市西夏区科学技术和工业信息化局"

pytestmark = [pytest.mark.usefixtures("prefect_api"), pytest.mark.postgres, pytest.mark.s3]


@pytest.fixture
def scan_font(tmp_path: Path) -> Path:
    if not ocr_available():
        service_unavailable("OCR is not installed (pip install '.[ocr]')")
    found = extract_scan_font(tmp_path / "font")
    if found is None:
        service_unavailable("no CJK font to print the test scans with (apt-get download fonts-wqy-zenhei)")
    return found


def _store(settings: Settings, data: bytes, url: str) -> int:
    info = open_store(settings).put(data, {"source_url": url}, content_type="application/pdf")
    with session_scope(settings) as session:
        repository.sync_agencies(session, [{"name": AGENCY, "kind": "department", "region_code": "640105"}])
        document, _ = repository.record_document(
            session,
            url=url,
            sha256=info.sha256,
            object_key=info.key,
            content_type="application/pdf",
            size=info.size,
            title=f"{AGENCY}2023年政府信息公开工作年度报告",
        )
        return document.id


def test_version_order() -> None:
    assert version_key("") < version_key("0.1.0") < version_key("0.9.1") < version_key("0.10.0")


@pytest.mark.slow
@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
@pytest.mark.parametrize("object_store_config", ["s3"], indirect=True)
def test_needs_ocr_report_becomes_parsed_on_reparse(settings: Settings, scan_font: Path) -> None:
    import parsers
    from flows.flows import ingest_flow
    from flows.ingest import load_parsed, locate_original
    from flows.reparse import reparse_flow

    spec = g.make_spec(61, "gov2021", agency=AGENCY)
    scanned = _store(
        settings, render_scanned_pdf(spec, CLEAN_300, font=scan_font), "http://x.example/scan.pdf"
    )
    text_pdf = _store(
        settings, g.render_pdf(g.make_spec(62, "gov2019", agency=AGENCY)), "http://x.example/b.pdf"
    )
    # The first load was by a parser without OCR: the scan is needs_ocr.
    original = locate_original(settings, scanned)
    assert (
        load_parsed(
            settings, original, parsers.parse(open_store(settings).get(original.object_key))
        ).report_status
        == "needs_ocr"
    )
    assert ingest_flow(text_pdf).report_status == "parsed"
    with session_scope(settings) as session:
        session.execute(update(models.Report).values(parser_version="0.1.0"))

    assert select_documents(settings, statuses=["needs_ocr"]) == [(scanned, "needs_ocr", "0.1.0")]
    assert select_documents(settings, parser_older_than="0.1.0") == []
    assert [d for d, _, _ in select_documents(settings, parser_older_than="0.2.0")] == [scanned, text_pdf]
    assert select_documents(settings, source_id="elsewhere") == []

    summary = reparse_flow(["needs_ocr"], "0.2.0")
    assert summary.to_dict() == {
        "selected": 1,
        "before": {"needs_ocr": 1},
        "after": {"parsed": 1},
        "changed": [
            {"document_id": scanned, "before": "needs_ocr", "after": "parsed", "parser_version": "0.1.0"}
        ],
        "failed": 0,
    }
    with session_scope(settings) as session:
        report = repository.report_of_document(session, scanned)
        assert report is not None
        assert (
            report.status,
            report.source_kind,
            report.parser_version,
            report.year,
            report.agency_name,
        ) == (
            "parsed",
            "ocr",
            "0.2.0",
            2023,
            AGENCY,
        )
        cells = repository.cells_of(session, report.id)
    assert cells == {(c.table, c.row, c.col): c.value for c in spec.cells}

    again = reparse_flow(["parsed"], None, None)
    assert (again.selected, again.changed, again.failed) == (2, [], 0)
    with session_scope(settings) as session:
        report = repository.report_of_document(session, scanned)
        assert report is not None and repository.cells_of(session, report.id) == cells
    assert select_documents(settings, statuses=["needs_ocr"]) == []
    get_settings.cache_clear()


def test_cli_refuses_an_unknown_status() -> None:
    from typer.testing import CliRunner

    from flows.cli import app, load_commands

    load_commands()
    result = CliRunner().invoke(app, ["reparse", "--status", "ocr_done"])
    assert result.exit_code == 2
    assert (
        "unknown status ocr_done (one of parsed, needs_ocr, unreadable, not_a_report, failed)"
        in result.output
    )
