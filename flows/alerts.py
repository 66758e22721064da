"""Alerts to people: apprise URLs from settings, de-duplicated through the `alerts` table.

Every alert has a condition key (e.g. ``finding:<sha256>:requests.balance:requests/total``); the first
time a key is seen the alert is recorded and sent, later times nothing happens. With no
``NIANBAO_ALERT_URLS`` configured, alerts are still recorded (the operator can read them from the
database) but nothing is sent.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from storage import repository
from storage.settings import Settings

if TYPE_CHECKING:
    from crawler.run import CrawlSummary
    from flows.timeliness.status import StatusRow

log = logging.getLogger(__name__)


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
    """Record the alert once per condition key and send it.

    The alert row and its delivery result join the caller's transaction; the caller commits.
    """
    alert = repository.record_alert(
        session, key=message.key, kind=message.kind, title=message.title, body=message.body
    )
    if alert is None:
        return AlertOutcome(message.key, recorded=False, sent=False)
    error = notify(settings.alert_urls, message.title, message.body)
    sent = bool(settings.alert_urls) and not error
    if settings.alert_urls:
        repository.mark_alert_sent(session, alert.id, error=error)
    if error:
        log.warning("alert %s not delivered: %s", message.key, error)
    return AlertOutcome(message.key, recorded=True, sent=sent, error=error)


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


def alert_crawl_trouble(settings: Settings, summary: CrawlSummary) -> AlertOutcome | None:
    """Alert a person about a crawl that failed, came back empty or was blocked (None: nothing to say).

    Both `nianbao crawl` and the `crawl source` flow call this, so every crawl path alerts the same way.
    An empty column out of the publishing season is no trouble.
    """
    if summary.status not in CRAWL_TROUBLE or summary.health == "out_of_season":
        return None
    from storage.db import session_scope

    with session_scope(settings) as session:
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
