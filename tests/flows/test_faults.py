"""Faults that are not the document's: outages stop the run without spending attempts; hostile files
and killed attempts are counted against the document and the queue moves on."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from flows.demo.reportgen import make_spec, render_pdf
from storage import models, repository
from storage.db import session_scope
from storage.settings import Settings, get_settings
from tests.flows.test_ingest import AGENCY, register_agency, store_document
from tests.parsers import hostile

pytestmark = pytest.mark.usefixtures("prefect_api")


def _documents(settings: Settings) -> dict[int, tuple[str, int, bool, str]]:
    with session_scope(settings) as session:
        rows = session.scalars(select(models.Document).order_by(models.Document.id))
        return {d.id: (d.status, d.attempts, d.retryable, d.last_error) for d in rows}


def _peak_mb(pid: int | None) -> int:
    """The peak resident memory (VmHWM) of a live process, in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) // 1024
    return -1


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("object_store_config", ["local"], indirect=True)
def test_hostile_files_fail_alone_in_the_worker(settings: Settings) -> None:
    from flows.batch import parse_workers
    from flows.flows import ingest_pending_flow
    from flows.parseworker import WorkerLimits, worker_for

    register_agency(settings)
    docx = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    span = store_document(settings, hostile.docx_giant_span(), "http://x.example/span.docx", docx)
    bomb = store_document(settings, hostile.docx_zip_bomb(), "http://x.example/bomb.docx", docx)
    deep = store_document(settings, hostile.html_deep(), "http://x.example/deep.html", "text/html")
    good = store_document(
        settings, render_pdf(make_spec(21, "gov2021", agency=AGENCY, year=2023)), "http://x.example/good.pdf"
    )

    outcomes = {o.document_id: o.status for o in ingest_pending_flow()}

    assert outcomes == {span: "failed", bomb: "failed", deep: "failed", good: "parsed"}
    documents = _documents(settings)
    assert documents[span] == ("failed", 1, False, "DOCX table cell spans 1000000000 columns (limit 64)")
    assert documents[bomb] == ("failed", 1, False, "ZIP container unpacks to 300 MB (limit 200 MB)")
    assert documents[deep] == ("failed", 1, False, "HTML nested more than 200 elements deep")
    assert documents[good] == ("parsed", 1, False, "")
    limits = WorkerLimits(memory_mb=settings.parse_memory_mb, seconds=settings.parse_seconds)
    peaks = [_peak_mb(worker_for(limits, slot).pid) for slot in range(parse_workers(settings))]
    print(f"\nhostile corpus: peak memory of the parse workers {peaks} MB")
    assert all(0 < peak < 600 for peak in peaks)


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("object_store_config", ["local"], indirect=True)
def test_attempt_killed_mid_parse_is_counted_and_the_queue_moves_on(settings: Settings) -> None:
    """A process killed during the parse never records an outcome: the attempt claimed before the
    parse is what counts, so after `max_ingest_attempts` kills the document is failed, not pending."""
    from flows.ingest import claim_attempt

    first = store_document(
        settings, b"<html><body><p>a</p></body></html>", "http://x.example/a.html", "text/html"
    )
    second = store_document(
        settings, b"<html><body><p>b</p></body></html>", "http://x.example/b.html", "text/html"
    )
    for attempt in range(1, settings.max_ingest_attempts + 1):
        with session_scope(settings) as session:
            pending = [d.id for d in repository.pending_documents(session, max_attempts=3)]
        assert pending == [first, second]
        claim_attempt(settings, first)  # then the process is killed: nothing else is written
        assert _documents(settings)[first] == (
            "failed",
            attempt,
            True,
            f"interrupted: ingest attempt {attempt} did not finish",
        )
    with session_scope(settings) as session:
        assert [d.id for d in repository.pending_documents(session, max_attempts=3)] == [second]


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_object_store_outage_stops_the_run_without_spending_attempts(
    db_url: str, weed_factory: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from flows.flows import ingest_pending_flow
    from flows.ingest import Outage

    server = weed_factory()
    monkeypatch.setenv("NIANBAO_TASK_RETRIES", "0")
    # One document at a time, as the old per-document ingest did: a batch that fetches ahead could read
    # every original before the watcher stops S3.
    monkeypatch.setenv("NIANBAO_INGEST_BATCH_SIZE", "1")
    monkeypatch.setenv("NIANBAO_PARSE_WORKERS", "1")
    fields = {"home": tmp_path / "var", "database_url": db_url, **server.settings_fields("nianbao-outage")}
    for name, value in fields.items():
        monkeypatch.setenv(f"NIANBAO_{name.upper()}", str(value))
    get_settings.cache_clear()
    settings = get_settings()
    register_agency(settings)
    ids = [
        store_document(
            settings,
            render_pdf(make_spec(30 + n, "gov2021", agency=AGENCY, year=2020 + n)),
            f"http://x.example/{n}.pdf",
        )
        for n in range(7)
    ]

    def stop_after_first_load() -> None:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if any(status == "parsed" for status, *_ in _documents(settings).values()):
                server.stop()
                return
            time.sleep(0.05)

    watcher = threading.Thread(target=stop_after_first_load, daemon=True)
    watcher.start()
    for _ in range(3):  # S3 goes away during the first run and stays away for the next two
        with pytest.raises(Outage, match=r"^object store unavailable: ingest stopped after 3 consecutive"):
            ingest_pending_flow()
    watcher.join()
    documents = _documents(settings)
    loaded = [i for i in ids if documents[i][0] == "parsed"]
    print(
        f"\nS3 stopped mid-ingest for three runs: {len(loaded)} loaded before, {len(ids) - len(loaded)} waiting"
    )
    # Loaded before the outage: one attempt. Every other document: pending, no attempt spent.
    assert 1 <= len(loaded) < len(ids) and loaded == ids[: len(loaded)]
    assert all(documents[i][:3] == ("parsed", 1, False) for i in loaded)
    assert all(documents[i][1] == 0 and documents[i][0] in ("stored", "failed") for i in ids[len(loaded) :])
    assert all(
        documents[i][3].startswith("object store unavailable: ObjectStoreError: reading originals/")
        for i in ids[len(loaded) :]
        if documents[i][0] == "failed"
    )
    with session_scope(settings) as session:
        alerts = [(a.kind, a.title) for a in session.scalars(select(models.Alert))]
        assert [d.id for d in repository.pending_documents(session)] == ids[len(loaded) :]
    # The reports loaded before the outage may differ from each other's year (history findings): only
    # the outage matters here, and it is alerted once over the three runs.
    assert [a for a in alerts if a[0] == "outage"] == [
        ("outage", "[nianbao] object store unavailable: ingest stopped")
    ]

    server.start()
    monkeypatch.setenv("NIANBAO_TASK_RETRIES", "3")  # a volume may answer a moment after the S3 API
    get_settings.cache_clear()
    outcomes = ingest_pending_flow()
    assert [(o.document_id, o.status) for o in outcomes] == [(i, "parsed") for i in ids[len(loaded) :]]
    assert all(documents[1] == 1 for documents in _documents(settings).values())
