"""Alerts to people: apprise URLs from settings, through the `alerts` table as an outbox.

Every alert has a condition key (e.g. ``finding:<sha256>:requests.balance:requests/total``); the first
time a key is seen the alert is recorded `pending`, in the transaction of the change that causes it
(report loaded, timeliness status changed, crawl run finished), later times nothing happens.
`deliver_pending` — run at the end of every flow and command that raises alerts — sends what is
pending and marks it `sent`, or counts the attempt and retries later with exponential backoff. A kill
at any point loses no alert; only a kill between a delivery and its commit can send one twice. With no
``NIANBAO_ALERT_URLS`` configured, alerts stay pending in the database (the operator can read them
there) and go out once URLs are configured.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from storage import repository
from storage.errors import StorageError
from storage.settings import Settings

if TYPE_CHECKING:
    from crawler.run import CrawlSummary
    from flows.ingest import IngestOutcome
    from flows.timeliness.status import StatusRow

log = logging.getLogger(__name__)

RETRY_BASE_SECONDS = 60.0
RETRY_MAX_SECONDS = 3600.0


@dataclass(frozen=True)
class AlertMessage:
    """What a person reads: a one-line title and a body with everything needed to act."""

    key: str
    kind: str
    title: str
    body: str


@dataclass(frozen=True)
class AlertOutcome:
    key: str
    recorded: bool
    sent: bool
    error: str = ""


def notify(urls: list[str], title: str, body: str) -> str:
    """Send through apprise; returns "" on success or a one-line error."""
    if not urls:
        return ""
    import apprise

    sender = apprise.Apprise()
    bad = [url for url in urls if not sender.add(url)]
    if bad:
        return f"unusable alert URL(s): {', '.join(_redact(url) for url in bad)}"
    ok = sender.notify(title=title, body=body, body_format=apprise.NotifyFormat.TEXT)
    return "" if ok else "apprise could not deliver to every alert URL"


def raise_alert(session: Session, settings: Settings, message: AlertMessage) -> AlertOutcome:
    """Record the alert `pending`, once per condition key, in the caller's transaction (the caller
    commits with the change that causes it); `deliver_pending` sends it."""
    alert = repository.record_alert(
        session, key=message.key, kind=message.kind, title=message.title, body=message.body
    )
    return AlertOutcome(message.key, recorded=alert is not None, sent=False)


def raise_alerts(
    session: Session, settings: Settings, messages: Iterable[AlertMessage]
) -> list[AlertOutcome]:
    """`raise_alert` for many messages in a few statements (a whole registry's timeliness changes)."""
    batch = list(messages)
    fields = [{"key": m.key, "kind": m.kind, "title": m.title, "body": m.body} for m in batch]
    recorded = repository.record_alerts(session, fields)
    outcomes = []
    for message in batch:
        outcomes.append(AlertOutcome(message.key, recorded=message.key in recorded, sent=False))
        recorded.discard(message.key)
    return outcomes


@dataclass(frozen=True)
class Delivery:
    """What one `deliver_pending` did: alerts sent, and failed attempts (retried later)."""

    sent: int = 0
    failed: int = 0


def retry_delay(attempts: int) -> timedelta:
    """Backoff after the `attempts`-th failed delivery: 1, 2, 4 … minutes, at most an hour."""
    return timedelta(seconds=min(RETRY_BASE_SECONDS * 2 ** max(attempts - 1, 0), RETRY_MAX_SECONDS))


def deliver_pending(settings: Settings, *, now: datetime | None = None) -> Delivery:
    """Send every pending alert that is due, each in its own transaction with its row locked, and mark
    it sent (or count the attempt and set the next one). Nothing to do without alert URLs."""
    from storage.db import session_scope
    from storage.models import utcnow

    if not settings.alert_urls:
        return Delivery()
    now = now or utcnow()
    with session_scope(settings) as session:
        due = repository.due_alerts(session, now)
    sent = failed = 0
    for alert_id in due:
        with session_scope(settings) as session:
            alert = repository.lock_pending_alert(session, alert_id)
            if alert is None:
                continue
            error = notify(settings.alert_urls, alert.title, alert.body)
            retry_at = now + retry_delay((alert.attempts or 0) + 1)
            repository.mark_alert_sent(session, alert.id, error=error, retry_at=retry_at)
            if error:
                failed += 1
                log.warning("alert %s not delivered (attempt %d): %s", alert.key, alert.attempts, error)
            else:
                sent += 1
    return Delivery(sent=sent, failed=failed)


def record_finding_alerts(session: Session, settings: Settings, outcome: IngestOutcome) -> int:
    """Record one pending alert per error finding of a loaded report (and of next year's, re-checked
    against it), in the transaction that loads it; a finding a reviewer confirmed or dismissed is
    never alerted again, whatever document it is in. Returns how many were new."""
    from flows.review import UNKNOWN_AGENCY, fingerprint, reviewed

    own = [
        {
            **f,
            "document_id": outcome.document_id,
            "url": outcome.url,
            "sha256": outcome.sha256,
            "year": outcome.year,
        }
        for f in outcome.findings
    ]
    errors = [f for f in [*own, *outcome.followup_findings] if f["severity"] == "error"]
    if not errors:
        return 0
    agency = outcome.agency or UNKNOWN_AGENCY
    prints = [fingerprint(agency, f["year"], f["rule"], f["where"], f.get("cells") or []) for f in errors]
    judged = reviewed(session, prints)
    links = {
        doc_id: original_link(session, settings, doc_id) for doc_id in {f["document_id"] for f in errors}
    }
    raised = 0
    for finding, print_ in zip(errors, prints, strict=True):
        if print_ in judged:
            continue
        message = finding_alert(
            sha256=finding["sha256"],
            agency=agency,
            year=finding["year"],
            rule=finding["rule"],
            where=finding["where"],
            message=finding["message"],
            expected=finding.get("expected"),
            actual=finding.get("actual"),
            url=finding["url"],
            original_link=links[finding["document_id"]],
        )
        raised += raise_alert(session, settings, message).recorded
    return raised


def original_link(session: Session, settings: Settings, document_id: int) -> str:
    """The link an operator opens for a document's original (its object key when none can be made)."""
    from storage.objectstore import open_store

    document = repository.find_document(session, document_id)
    if document is None:
        return ""
    try:
        return open_store(settings).url(document.object_key)
    except StorageError:
        return document.object_key


def _redact(url: str) -> str:
    scheme, _, rest = url.partition("://")
    return f"{scheme}://…" if rest else url


def finding_alert(
    *,
    sha256: str,
    agency: str,
    year: int | None,
    rule: str,
    where: str,
    message: str,
    expected: float | None,
    actual: float | None,
    url: str,
    original_link: str,
) -> AlertMessage:
    """An error finding in a loaded report."""
    title = f"[nianbao] {agency} {year or '?'}年报: {rule}"
    body = "\n".join(
        [
            f"机关 agency: {agency}",
            f"年度 year: {year or 'unknown'}",
            f"规则 rule: {rule} at {where}",
            f"{message}",
            f"expected {_num(expected)}, actual {_num(actual)}",
            f"页面 page: {url}",
            f"原件 original: {original_link}",
        ]
    )
    return AlertMessage(f"finding:{sha256}:{rule}:{where}", "finding", title, body)


def crawl_alert(
    *,
    source_id: str,
    source_name: str,
    run_id: int,
    status: str,
    reason: str,
    last_ok_run_id: int,
    health: str = "",
) -> AlertMessage:
    """A crawl that failed, came back empty or was blocked.

    Keyed by the last good run, so a source that stays blocked alerts once, and again only after
    it has recovered and broken anew.
    """
    title = f"[nianbao] crawl {status}: {source_name}"
    body = f"source: {source_id} ({source_name})\ncrawl run: {run_id}\nstatus: {status}\nreason: {reason}"
    if health:
        body += f"\nsite health: {health}"
    return AlertMessage(f"crawl:{source_id}:{status}:after-{last_ok_run_id}", "crawl", title, body)


CRAWL_TROUBLE = ("failed", "empty", "blocked")


def record_crawl_trouble(session: Session, settings: Settings, summary: CrawlSummary) -> AlertOutcome | None:
    """Record the alert of a crawl that failed, came back empty or was blocked, in the transaction that
    finishes its run (`crawler.run.crawl_source(on_finish=…)`); None: nothing to say (no trouble, or an
    empty column out of the publishing season)."""
    if summary.status not in CRAWL_TROUBLE or summary.health == "out_of_season":
        return None
    source = repository.find_source(session, summary.source_id)
    last_ok = repository.last_crawl_run(session, summary.source_id, status="ok")
    message = crawl_alert(
        source_id=summary.source_id,
        source_name=source.name if source is not None else summary.source_id,
        run_id=summary.run_id,
        status=summary.status,
        reason=summary.reason,
        last_ok_run_id=last_ok.id if last_ok is not None else 0,
        health=summary.health,
    )
    return raise_alert(session, settings, message)


def alert_crawl_trouble(settings: Settings, summary: CrawlSummary) -> AlertOutcome | None:
    """Record (if the run's own transaction did not) and send the alert of a troubled crawl.

    Both `nianbao crawl` and the `crawl source` flow call this, so every crawl path alerts the same way.
    """
    from storage.db import session_scope

    with session_scope(settings) as session:
        outcome = record_crawl_trouble(session, settings, summary)
    deliver_pending(settings)
    return outcome


def crawl_recorder(settings: Settings) -> Callable[[Session, CrawlSummary], None]:
    """The `on_finish` of `crawler.run.crawl_source`: a crawl's alert commits with its run row."""

    def record(session: Session, summary: CrawlSummary) -> None:
        record_crawl_trouble(session, settings, summary)

    return record


def ingest_alert(*, document_id: int, url: str, error: str) -> AlertMessage:
    """An ingest that failed after its retries."""
    title = f"[nianbao] ingest failed: document {document_id}"
    body = f"document: {document_id}\nurl: {url}\nerror: {error}"
    return AlertMessage(f"ingest:{document_id}:{error[:120]}", "ingest", title, body)


def timeliness_alert(row: StatusRow) -> AlertMessage:
    """An agency-year whose publication status became late, missing or changed (once per change)."""
    agency = row.agency.name
    detail = {
        "late": f"published {row.published_at:%Y-%m-%d} ({row.published_at_source}), {row.days_late} day(s) late"
        if row.published_at
        else "late",
        "missing": "no report found",
        "changed": "the published report was replaced after the deadline",
    }[row.status]
    title = f"[nianbao] {agency} {row.year}年报: {row.status}"
    body = "\n".join(
        [
            f"机关 agency: {agency}",
            f"年度 year: {row.year}",
            f"期限 deadline: {row.deadline:%Y-%m-%d}",
            f"状态 status: {row.status} (was {row.previous_status or 'not checked'})",
            detail,
            f"页面 page: {row.url or '—'}",
        ]
    )
    return AlertMessage(f"timeliness:{agency}:{row.year}:{row.status}", "timeliness", title, body)


def _num(value: float | None) -> str:
    if value is None:
        return "—"
    return str(int(value)) if float(value).is_integer() else str(value)
