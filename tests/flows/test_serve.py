"""Served mode against a real `prefect server start`: the event path loads a stored document (relay →
background task run → the task worker in `nianbao serve`), the Automation notifies."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from flows.demo.reportgen import make_spec, render_pdf
from flows.serve import AUTOMATION_NAME
from storage import models, repository
from storage.db import session_scope
from storage.objectstore import open_store
from storage.settings import Settings, get_settings
from tests.flows.conftest import PrefectServer
from tests.processes import stop_process

AGENCY = "银川市西夏区科学技术和工业信息化局"
EMIT = """
import sys
from crawler.events import emit_document_stored, flush_events
assert emit_document_stored(int(sys.argv[1]), None, sys.argv[2], sys.argv[3], "application/pdf")
flush_events()
"""


EMIT_MANY = """
from crawler.events import emit_document_stored, flush_events
def emit(document_id, url, sha256):
    assert emit_document_stored(document_id, None, url, sha256, "application/pdf")
"""


def wait_for(condition: Callable[[], Any], timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.5)
    pytest.fail(f"timed out after {timeout:.0f}s waiting for {what}", pytrace=False)


def api_post(server: PrefectServer, path: str, body: dict[str, Any], timeout: float = 10) -> Any:
    response = httpx.post(f"{server.api_url}{path}", json=body, timeout=timeout)
    response.raise_for_status()
    return response.json()


#: What `nianbao serve` prints once it serves the deployments, relays events and takes task runs.
SERVE_READY = (
    "Your deployments are being served",
    "relay subscribed: nianbao.document.stored",
    "Subscribing to runs of task(s): ingest_stored_task",
)


@pytest.fixture
def served(
    prefect_server: PrefectServer,
    settings: Settings,
    webhook: Any,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[subprocess.Popen[bytes]]:
    """`nianbao serve` as a child process on the test's database, store and webhook."""
    monkeypatch.setenv("NIANBAO_ALERT_URLS", webhook.apprise_url)
    monkeypatch.setenv("NIANBAO_TASK_RETRY_DELAY", "0.2")
    get_settings.cache_clear()
    log = (tmp_path / "serve.log").open("wb")
    process = subprocess.Popen(
        [str(Path(sys.executable).parent / "nianbao"), "serve"],
        env=prefect_server.env(),
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    output = tmp_path / "serve.log"
    try:
        # This process's own readiness, not the deployments an earlier test's `serve` left registered:
        # events emitted before the relay subscribes reach it only if already persisted (its backfill).
        wait_for(
            lambda: (
                all(line in output.read_text(errors="replace") for line in SERVE_READY)
                or process.poll() is not None
            ),
            90,
            "the deployments served, the relay subscribed and the task worker subscribed",
        )
        assert process.poll() is None, output.read_text(errors="replace")[-3000:]
        yield process
    finally:
        stop_process(process)
        log.close()


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("object_store_config", ["local"], indirect=True)
def test_document_stored_event_triggers_ingest(
    prefect_server: PrefectServer, settings: Settings, served: Any, webhook: Any
) -> None:
    with session_scope(settings) as session:
        repository.sync_agencies(session, [{"name": AGENCY, "kind": "department", "region_code": "640105"}])
    spec = make_spec(41, "gov2021", agency=AGENCY, year=2023)
    url = "http://xixia.example/P020240128.pdf"
    info = open_store(settings).put(render_pdf(spec), {"source_url": url}, content_type="application/pdf")
    with session_scope(settings) as session:
        document, _ = repository.record_document(
            session, url=url, sha256=info.sha256, object_key=info.key, content_type="application/pdf"
        )
        document_id = document.id
    deployments = {d["name"] for d in api_post(prefect_server, "/deployments/filter", {})}
    assert deployments == {
        "crawl",
        "ingest",
        "ingest-pending",
        "timeliness",
        "review-finding",
        "export",
        "reparse",
    }
    automations = api_post(prefect_server, "/automations/filter", {})
    assert AUTOMATION_NAME in {a["name"] for a in automations}

    emitted = time.monotonic()
    subprocess.run(
        [sys.executable, "-c", EMIT, str(document_id), url, info.sha256],
        env=prefect_server.env(),
        check=True,
        timeout=60,
    )

    def loaded() -> Any:
        with session_scope(settings) as session:
            return repository.report_of_document(session, document_id) is not None

    wait_for(loaded, 120, "the report of the emitted document")
    print(f"\nemit → loaded latency: {time.monotonic() - emitted:.1f} s")
    with session_scope(settings) as session:
        report = repository.report_of_document(session, document_id)
        assert report is not None
        assert (report.agency_name, report.year, report.format) == (AGENCY, 2023, "gov2021")
    runs = wait_for(lambda: ingest_task_runs(prefect_server, "COMPLETED"), 30, "the completed task run")
    assert [run["name"] for run in runs] == [f"ingest stored {document_id}–{document_id} (1)"]
    started = api_post(
        prefect_server,
        "/flow_runs/filter",
        {"flow_runs": {"state": {"type": {"any_": ["RUNNING", "COMPLETED", "FAILED", "CRASHED"]}}}},
    )
    assert started == []  # no flow run: no process was started for the document


def ingest_task_runs(server: PrefectServer, state: str) -> list[dict[str, Any]]:
    runs = api_post(server, "/task_runs/filter", {"task_runs": {"name": {"like_": "ingest stored"}}})
    return [run for run in runs if run["state_type"] == state]


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("object_store_config", ["local"], indirect=True)
def test_a_burst_of_events_is_loaded_once_each_in_few_task_runs(
    prefect_server: PrefectServer, settings: Settings, served: Any
) -> None:
    # First, before this database has a document, an event from another database on the same Prefect
    # server (as the relay's backfill may replay the previous test's) for id 1, which the burst's first
    # document gets next: CI once lost that document, the relay taking its event for a replay.
    elsewhere = "emit(1, 'http://elsewhere.example/1.pdf', '0' * 64)\nflush_events()\n"
    done = {run["id"] for run in ingest_task_runs(prefect_server, "COMPLETED")}
    subprocess.run(
        [sys.executable, "-c", EMIT_MANY + elsewhere], env=prefect_server.env(), check=True, timeout=60
    )
    wait_for(
        lambda: [r for r in ingest_task_runs(prefect_server, "COMPLETED") if r["id"] not in done],
        120,
        "the other database's event handled",
    )
    with session_scope(settings) as session:
        repository.sync_agencies(session, [{"name": AGENCY, "kind": "department", "region_code": "640105"}])
    store = open_store(settings)
    stored = []
    for n in range(24):
        url = f"http://xixia.example/burst/{n}.pdf"
        data = render_pdf(make_spec(100 + n, "gov2021", agency=AGENCY, year=2000 + n))
        info = store.put(data, {"source_url": url}, content_type="application/pdf")
        with session_scope(settings) as session:
            document, _ = repository.record_document(
                session, url=url, sha256=info.sha256, object_key=info.key, content_type="application/pdf"
            )
            stored.append((document.id, url, info.sha256))
    assert stored[0][0] == 1
    emit_all = EMIT_MANY + "".join(f"emit({i}, {u!r}, {h!r})\n" for i, u, h in stored) + "flush_events()\n"
    earlier = {run["id"] for run in ingest_task_runs(prefect_server, "COMPLETED")}
    emitted = time.monotonic()
    subprocess.run([sys.executable, "-c", emit_all], env=prefect_server.env(), check=True, timeout=60)

    def reports() -> dict[int, int]:
        with session_scope(settings) as session:
            rows = session.scalars(select(models.Report.document_id))
            counts: dict[int, int] = {}
            for document_id in rows:
                counts[document_id] = counts.get(document_id, 0) + 1
            return counts

    wait_for(lambda: len(reports()) == len(stored), 180, "a report of every emitted document")
    print(f"\nburst of {len(stored)} events drained in {time.monotonic() - emitted:.1f} s")
    assert reports() == {document_id: 1 for document_id, _, _ in stored}

    def burst_runs() -> list[tuple[str, int]]:
        runs = [r for r in ingest_task_runs(prefect_server, "COMPLETED") if r["id"] not in earlier]
        return [(r["name"], int(r["name"].rsplit("(", 1)[1].rstrip(")"))) for r in runs]

    runs = wait_for(lambda: sum(n for _, n in burst_runs()) >= len(stored) and burst_runs(), 120, "task runs")
    print(f"task runs: {sorted(name for name, _ in runs)}")
    # Batches, not a run per event (the relay's one-minute backfill may add the previous test's event).
    assert sum(n for _, n in runs) >= len(stored) and len(runs) < len(stored) / 4


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("object_store_config", ["local"], indirect=True)
def test_failed_flow_run_is_notified_by_the_automation(
    prefect_server: PrefectServer, served: Any, webhook: Any
) -> None:
    deployment = next(d for d in api_post(prefect_server, "/deployments/filter", {}) if d["name"] == "ingest")
    api_post(
        prefect_server,
        f"/deployments/{deployment['id']}/create_flow_run",
        {"parameters": {"document_id": 987654}},
    )

    received = wait_for(lambda: list(webhook.received), 120, "the Automation's notification")

    assert received[0]["title"].startswith("[nianbao] flow run ")
    assert received[0]["title"].endswith("entered Failed")
    assert "Flow: ingest" in received[0]["message"]


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("object_store_config", ["local"], indirect=True)
def test_crawl_emits_one_event_per_new_document(
    prefect_server: PrefectServer, settings: Settings, tmp_path: Path
) -> None:
    from flows.demo.portal import start_portal, write_demo_registry

    with start_portal() as portal:
        registry = write_demo_registry(portal, tmp_path / "sources" / "demo.yaml")
        env = {
            **prefect_server.env(),
            "NIANBAO_SOURCES_DIR": str(registry.parent),
            "NIANBAO_CRAWL_DOWNLOAD_DELAY": "0",
        }
        crawl = subprocess.run(
            [
                str(Path(sys.executable).parent / "nianbao"),
                "crawl",
                "--source",
                "demo-yinchuan-hanweb",
                "--json",
            ],
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )
    assert crawl.returncode == 0, crawl.stderr[-2000:]
    new = json.loads(crawl.stdout.splitlines()[-1])["documents_new"]
    with session_scope(settings) as session:
        stored = {d.id: d for d in session.query(models.Document)}

    def events() -> list[dict[str, Any]] | None:
        """The crawl's events once all have arrived; None while the server is still busy taking them in."""
        query = {"filter": {"event": {"name": ["nianbao.document.stored"]}}, "limit": 50}
        try:
            found = api_post(prefect_server, "/events/filter", query, timeout=30)
        except httpx.TimeoutException:
            return None
        ours = [e for e in found["events"] if e["payload"]["source_id"] == "demo-yinchuan-hanweb"]
        return ours if len(ours) >= new else None

    received = wait_for(events, 120, f"{new} events")
    assert len(received) == new == len(stored)
    for event in received:
        document = stored[event["payload"]["document_id"]]
        assert event["resource"]["prefect.resource.id"] == f"nianbao.document.{document.id}"
        assert (event["payload"]["url"], event["payload"]["sha256"]) == (document.url, document.sha256)
