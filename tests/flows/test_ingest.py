"""The ingest flow on real services: PostgreSQL, SeaweedFS S3 and a Prefect API."""

from __future__ import annotations

import json
import threading
import time
from typing import Any
from uuid import UUID

import pytest
from sqlalchemy import func, select

from flows.demo.reportgen import break_identity, make_spec, render_pdf
from storage import models, repository
from storage.db import session_scope
from storage.objectstore import open_store
from storage.settings import Settings, get_settings

AGENCY = "银川市西夏区科学技术和工业信息化局"
pytestmark = pytest.mark.usefixtures("prefect_api")


@pytest.fixture(autouse=True)
def quick_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NIANBAO_TASK_RETRY_DELAY", "0.5")
    get_settings.cache_clear()


def register_agency(settings: Settings) -> None:
    with session_scope(settings) as session:
        repository.sync_agencies(
            session,
            [{"name": AGENCY, "aliases": ["西夏区科信局"], "kind": "department", "region_code": "640105"}],
        )


def store_document(settings: Settings, data: bytes, url: str, content_type: str = "application/pdf") -> int:
    """Archive bytes and record the document, as the crawler's pipeline does (no event sent)."""
    info = open_store(settings).put(data, {"source_url": url}, content_type=content_type)
    with session_scope(settings) as session:
        document, _ = repository.record_document(
            session,
            url=url,
            sha256=info.sha256,
            object_key=info.key,
            content_type=content_type,
            size=info.size,
            title=f"{AGENCY}2023年政府信息公开工作年度报告",
        )
        return document.id


def stored_cells(settings: Settings, document_id: int) -> dict[tuple[str, str, str], Any]:
    with session_scope(settings) as session:
        report = repository.report_of_document(session, document_id)
        assert report is not None
        return repository.cells_of(session, report.id)


def task_run_counts(flow_run_id: UUID) -> dict[str, int]:
    """How many times each task of a flow run ran (retries included), read back from the Prefect API."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

    with get_client(sync_client=True) as client:
        runs = client.read_task_runs(flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[flow_run_id])))
    return {run.name.split(" ")[0]: run.run_count for run in runs}


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
@pytest.mark.parametrize("object_store_config", ["s3"], indirect=True)
def test_ingest_loads_exact_cells_once_on_postgres_and_s3(settings: Settings) -> None:
    from flows.flows import ingest_flow

    register_agency(settings)
    spec = make_spec(11, "gov2021", agency=AGENCY, year=2023)
    document_id = store_document(settings, render_pdf(spec), "http://xixia.example/P020240128.pdf")

    first = ingest_flow(document_id)
    second = ingest_flow(document_id)

    assert (first.status, first.agency, first.agency_matched, first.year) == ("parsed", AGENCY, True, 2023)
    assert [f for f in first.findings if f["severity"] == "error"] == []
    assert second.status == "parsed"
    expected = {(c.table, c.row, c.col): c.value for c in spec.cells}
    assert stored_cells(settings, document_id) == expected
    with session_scope(settings) as session:
        assert session.scalar(select(func.count()).select_from(models.Report)) == 1
        assert session.scalar(select(func.count()).select_from(models.ReportCell)) == len(expected)
        document = session.get(models.Document, document_id)
        assert document is not None
        assert (document.status, document.last_error) == ("parsed", "")


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_object_store_down_at_first_attempt_succeeds_on_retry(
    db_url: str, weed_factory: Any, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from flows.flows import ingest_flow

    server = weed_factory()
    monkeypatch.setenv("NIANBAO_TASK_RETRIES", "5")
    fields = {"home": tmp_path / "var", "database_url": db_url, **server.settings_fields("nianbao-retry")}
    for name, value in fields.items():
        monkeypatch.setenv(f"NIANBAO_{name.upper()}", str(value))
    get_settings.cache_clear()
    settings = get_settings()
    register_agency(settings)
    document_id = store_document(
        settings, render_pdf(make_spec(12, "gov2021", agency=AGENCY, year=2023)), "http://xixia.example/a.pdf"
    )
    server.stop()
    restarter = threading.Thread(target=lambda: (time.sleep(1.0), server.start()), daemon=True)
    restarter.start()

    state = ingest_flow(document_id, return_state=True)
    restarter.join()

    outcome = state.result()
    assert outcome.status == "parsed"
    assert task_run_counts(state.state_details.flow_run_id)["parse"] >= 2
    with session_scope(settings) as session:
        document = session.get(models.Document, document_id)
        assert document is not None and document.status == "parsed"


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("object_store_config", ["local"], indirect=True)
def test_corrupt_pdf_fails_once_without_retry_and_shows_in_cli(settings: Settings) -> None:
    from typer.testing import CliRunner

    from flows.cli import COMMAND_MODULES, app
    from flows.flows import ingest_flow

    good = render_pdf(make_spec(13, "gov2021", agency=AGENCY, year=2023))
    document_id = store_document(settings, good[: len(good) // 3], "http://xixia.example/broken.pdf")
    loaded_id = store_document(settings, good, "http://xixia.example/good.pdf")

    state = ingest_flow(document_id, return_state=True)
    outcome = state.result()
    ingest_flow(loaded_id)

    assert outcome.status == "failed"
    assert task_run_counts(state.state_details.flow_run_id)["parse"] == 1
    with session_scope(settings) as session:
        document = session.get(models.Document, document_id)
        assert document is not None
        assert (document.status, document.attempts, document.retryable) == ("failed", 1, False)
        assert document.last_error == outcome.error != ""
        assert [d.id for d in repository.pending_documents(session)] == []

    for name in COMMAND_MODULES:
        __import__(f"flows.cli.{name}")
    result = CliRunner().invoke(app, ["documents", "--json"])
    assert result.exit_code == 0, result.output
    listed = {row["id"]: row for row in map(json.loads, result.output.splitlines())}
    assert (listed[document_id]["status"], listed[document_id]["last_error"]) == ("failed", outcome.error)
    assert listed[loaded_id]["status"] == "parsed"


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("object_store_config", ["local"], indirect=True)
def test_documents_stored_without_events_are_loaded_by_ingest_pending(settings: Settings) -> None:
    from flows.flows import ingest_pending_flow

    register_agency(settings)
    ids = [
        store_document(
            settings,
            render_pdf(make_spec(20 + n, "gov2021", agency=AGENCY, year=2023)),
            f"http://x.example/{n}.pdf",
        )
        for n in range(2)
    ]

    outcomes = ingest_pending_flow()

    assert sorted((o.document_id, o.status) for o in outcomes) == [(ids[0], "parsed"), (ids[1], "parsed")]
    with session_scope(settings) as session:
        assert repository.pending_documents(session) == []
        assert session.scalar(select(func.count()).select_from(models.Report)) == 2


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("object_store_config", ["local"], indirect=True)
def test_error_finding_alerts_once_at_the_webhook(
    settings: Settings, webhook: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from flows.flows import ingest_flow

    monkeypatch.setenv("NIANBAO_ALERT_URLS", webhook.apprise_url)
    get_settings.cache_clear()
    register_agency(settings)
    broken = break_identity(make_spec(31, "gov2021", agency=AGENCY, year=2023), "requests.balance")
    document_id = store_document(settings, render_pdf(broken), "http://xixia.example/unbalanced.pdf")

    outcome = ingest_flow(document_id)
    ingest_flow(document_id)

    errors = [f for f in outcome.findings if f["severity"] == "error"]
    assert sorted((f["rule"], f["where"]) for f in errors) == sorted(
        (f.rule, f.where) for f in broken.expected_findings
    )
    assert {f["rule"] for f in errors} == {"requests.balance"}
    assert len(webhook.received) == len(errors)
    titles = {alert["title"] for alert in webhook.received}
    assert titles == {f"[nianbao] {AGENCY} 2023年报: requests.balance"}
    first = errors[0]
    alert = next(a for a in webhook.received if first["where"] in a["message"])
    assert f"expected {int(first['expected'])}, actual {int(first['actual'])}" in alert["message"]
    assert "http://xixia.example/unbalanced.pdf" in alert["message"]


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("object_store_config", ["local"], indirect=True)
def test_no_alert_urls_records_but_sends_nothing(settings: Settings, webhook: Any) -> None:
    from flows.flows import ingest_flow

    register_agency(settings)
    broken = break_identity(make_spec(32, "gov2021", agency=AGENCY, year=2023), "requests.total_sum")
    document_id = store_document(settings, render_pdf(broken), "http://xixia.example/total.pdf")

    ingest_flow(document_id)

    assert webhook.received == []
    with session_scope(settings) as session:
        alerts = list(session.scalars(select(models.Alert)))
        assert [(a.kind, a.sent_at) for a in alerts] == [("finding", None)] * len(broken.expected_findings)
        assert all("requests.total_sum" in alert.title for alert in alerts)


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("object_store_config", ["local"], indirect=True)
def test_unreadable_attachment_still_records_the_publication(settings: Settings) -> None:
    """A report published only as a legacy .doc: the page is its cover, the .doc an unreadable report."""
    from datetime import UTC, datetime

    from flows.flows import ingest_pending_flow

    register_agency(settings)
    title = f"{AGENCY}2023年政府信息公开工作年度报告"
    page_html = (
        f"<html><head><meta name='ArticleTitle' content='{title}'></head><body>"
        f"<div class='TRS_Editor'><p>{title}</p><p>附件：<a href='./P020240126.doc'>年度报告</a></p></div>"
        "</body></html>"
    ).encode()
    legacy_doc = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(4096)
    store = open_store(settings)
    page_info = store.put(page_html, content_type="text/html")
    doc_info = store.put(legacy_doc, content_type="application/msword")
    published = datetime(2024, 1, 26, 8, 22, tzinfo=UTC)
    with session_scope(settings) as session:
        page, _ = repository.record_document(
            session,
            url="http://xixia.example/202401/t20240126_1.html",
            sha256=page_info.sha256,
            object_key=page_info.key,
            content_type="text/html",
            title=title,
            page_pub_date=published,
            meta={"ArticleTitle": title},
        )
        attachment, _ = repository.record_document(
            session,
            url="http://xixia.example/202401/P020240126.doc",
            sha256=doc_info.sha256,
            object_key=doc_info.key,
            content_type="application/msword",
            parent_id=page.id,
            title="年度报告",
        )
        page_id, attachment_id = page.id, attachment.id

    outcomes = {o.document_id: o for o in ingest_pending_flow()}

    assert outcomes[page_id].status == "not_a_report"
    assert (outcomes[attachment_id].report_status, outcomes[attachment_id].agency) == ("unreadable", AGENCY)
    with session_scope(settings) as session:
        report = repository.report_of_document(session, attachment_id)
        assert report is not None
        assert (report.status, report.year, report.published_at_source) == ("unreadable", 2023, "pubdate")
        assert report.published_at is not None and report.published_at.replace(tzinfo=UTC) == published
        assert [f.rule for f in report.findings] == ["report.unreadable"]
        document = session.get(models.Document, attachment_id)
        assert document is not None
        assert (document.status, document.retryable) == ("failed", False)
        assert document.last_error.startswith("legacy Word/WPS")
