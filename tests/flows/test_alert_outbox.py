"""Alerts are an outbox: recorded pending with the change that causes them, then delivered, retried
with backoff after a failed delivery, and never sent twice."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from sqlalchemy import select

from flows.demo.reportgen import break_identity, make_spec, render_pdf
from storage import models
from storage.db import session_scope
from storage.settings import Settings
from tests.flows.test_ingest import AGENCY, register_agency, store_document


class Receiver:
    """An alert webhook that answers 500 while `down` is set."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        self.down = False
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if receiver.down:
                    self.send_response(500)
                    self.end_headers()
                    return
                receiver.received.append(json.loads(body or b"{}"))
                self.send_response(200)
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, format: str, *args: Any) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)

    @property
    def url(self) -> str:
        return f"json://127.0.0.1:{self.server.server_port}/alerts"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    receiver = Receiver()
    thread = threading.Thread(target=receiver.server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        receiver.server.shutdown()
        receiver.server.server_close()


def _alerts(settings: Settings) -> list[tuple[str, str, int]]:
    with session_scope(settings) as session:
        rows = session.scalars(select(models.Alert).order_by(models.Alert.id))
        return [(a.kind, a.status, a.attempts) for a in rows]


@pytest.mark.parametrize(
    "db_url", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True
)
@pytest.mark.parametrize("object_store_config", ["local"], indirect=True)
def test_alert_commits_with_the_report_and_is_sent_once_after_a_kill(
    settings: Settings, receiver: Receiver
) -> None:
    """The process dies right after the report is loaded (nothing sent yet): the alerts are in the
    database, pending, and the next run sends each exactly once."""
    from flows.alerts import deliver_pending
    from flows.ingest import load_parsed, locate_original, parse_original
    from storage.models import utcnow

    register_agency(settings)
    broken = break_identity(make_spec(41, "gov2021", agency=AGENCY, year=2023), "requests.balance")
    document_id = store_document(settings, render_pdf(broken), "http://xixia.example/outbox.pdf")
    original = locate_original(settings, document_id)
    outcome = load_parsed(settings, original, parse_original(settings, original))  # then: kill -9

    errors = [f for f in outcome.findings if f["severity"] == "error"]
    assert len(errors) == len(broken.expected_findings) > 0
    assert _alerts(settings) == [("finding", "pending", 0)] * len(errors)

    urls = settings.model_copy(update={"alert_urls": [receiver.url]})
    receiver.down = True
    now = utcnow()
    failed = deliver_pending(urls, now=now)
    assert (failed.sent, failed.failed) == (0, len(errors))
    assert _alerts(settings) == [("finding", "pending", 1)] * len(errors)
    with session_scope(settings) as session:
        retry = {a.next_attempt_at for a in session.scalars(select(models.Alert))}
    assert {r.replace(tzinfo=None) for r in retry if r} == {
        (now + timedelta(seconds=60)).replace(tzinfo=None)
    }

    receiver.down = False
    not_due = deliver_pending(urls, now=now + timedelta(seconds=30))
    assert (not_due.sent, not_due.failed, receiver.received) == (0, 0, [])
    sent = deliver_pending(urls, now=now + timedelta(seconds=61))
    again = deliver_pending(urls, now=now + timedelta(hours=2))
    assert (sent.sent, again.sent) == (len(errors), 0)
    assert len(receiver.received) == len(errors)
    assert {a["title"] for a in receiver.received} == {f"[nianbao] {AGENCY} 2023年报: requests.balance"}
    assert _alerts(settings) == [("finding", "sent", 2)] * len(errors)


def test_retry_delay_doubles_up_to_an_hour() -> None:
    from flows.alerts import retry_delay

    assert [retry_delay(n).total_seconds() for n in (1, 2, 3, 6, 7, 20)] == [60, 120, 240, 1920, 3600, 3600]
