"""The `nianbao.document.stored` event, sent to Prefect after a document row is committed.

The documents row is the outbox: the ingest flow also picks up rows with status `stored`,
so an event that is never sent (no PREFECT_API_URL, Prefect down, a crash) loses nothing.
Prefect is imported lazily and only when PREFECT_API_URL is set.
"""

from __future__ import annotations

import logging
import os
from typing import Any

DOCUMENT_STORED = "nianbao.document.stored"
logger = logging.getLogger(__name__)


def events_enabled() -> bool:
    """True when a Prefect API is configured for this process."""
    return bool(os.environ.get("PREFECT_API_URL", "").strip())


def document_stored_event(
    document_id: int, source_id: str | None, url: str, sha256: str, content_type: str
) -> dict[str, Any]:
    """The keyword arguments of `prefect.events.emit_event` for one stored document."""
    return {
        "event": DOCUMENT_STORED,
        "resource": {"prefect.resource.id": f"nianbao.document.{document_id}"},
        "payload": {
            "document_id": document_id,
            "source_id": source_id,
            "url": url,
            "sha256": sha256,
            "content_type": content_type,
        },
    }


def emit_document_stored(
    document_id: int, source_id: str | None, url: str, sha256: str, content_type: str
) -> bool:
    """Emit the event if Prefect is configured; never raises (the row is the outbox)."""
    if not events_enabled():
        return False
    try:
        from prefect.events import emit_event

        return (
            emit_event(**document_stored_event(document_id, source_id, url, sha256, content_type)) is not None
        )
    except Exception as exc:
        logger.warning("could not emit %s for document %s: %s", DOCUMENT_STORED, document_id, exc)
        return False


def flush_events(timeout: float = 10.0) -> None:
    """Wait (bounded) until queued events are sent; a no-op when Prefect was never used."""
    if not events_enabled():
        return
    try:
        from prefect.events.worker import EventsWorker

        EventsWorker.drain_all(timeout=timeout)
    except Exception as exc:
        logger.warning("could not flush Prefect events: %s", exc)
