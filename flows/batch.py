"""Ingest many documents in one go: fetch and parse ahead in a pool of parse workers, load in order.

The per-document guarantees of `flows.ingest` stay: an attempt is claimed (and committed) just before a
document's parse starts, each document is loaded in its own transaction with its alerts (the outbox),
I/O is retried with exponential backoff and jitter while a bad file never is, and an outage gives the
attempt back. What changes is the bookkeeping around them: one Prefect flow run per batch instead of a
flow run and four task runs per document, and the parse of the next documents runs in worker processes
(one per core) while this process loads the current one. At most `workers` documents are claimed and
not yet loaded at any time, so a killed batch costs at most that many attempts.
"""

from __future__ import annotations

import logging
import os
import queue
import random
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import suppress
from dataclasses import dataclass, field
from typing import TypeVar

from flows.ingest import (
    IngestOutcome,
    Original,
    Outage,
    give_up,
    is_transient_error,
    load_parsed,
    locate_originals,
    parse_fetched,
    record_failure,
    unreadable_report,
)
from parsers.errors import ParseError
from parsers.model import Report as ParsedReport
from storage import repository
from storage.db import session_scope
from storage.errors import RecordNotFound
from storage.objectstore import open_store
from storage.settings import Settings

log = logging.getLogger(__name__)

T = TypeVar("T")


@dataclass
class BatchResult:
    """The outcomes in document order; `outage_streak` counts the outages in a row at the end (carried
    into the next batch), `stopped_by` is the outage that reached `infra_failure_limit`."""

    outcomes: list[IngestOutcome] = field(default_factory=list)
    outage_streak: int = 0
    stopped_by: Outage | None = None


@dataclass(frozen=True)
class Claim:
    """A document's state before its attempt was claimed, to put it back if the parse goes unused."""

    document_id: int
    status: str
    last_error: str
    retryable: bool


def with_retries(settings: Settings, call: Callable[[], T]) -> T:
    """`call()`, retried on I/O failures `task_retries` times after `task_retry_delay` · 2ⁿ seconds
    (plus up to half again of jitter), the same policy as the Prefect tasks of `flows.flows`."""
    for attempt in range(settings.task_retries + 1):
        try:
            return call()
        except Exception as exc:
            if attempt == settings.task_retries or not is_transient_error(exc):
                raise
            time.sleep(settings.task_retry_delay * 2**attempt * (1 + random.uniform(0, 0.5)))
    raise AssertionError("unreachable")


def parse_workers(settings: Settings) -> int:
    """Parse worker processes of a batch: `parse_workers`, or one per CPU core."""
    return settings.parse_workers or os.cpu_count() or 1


def ingest_documents(
    settings: Settings,
    document_ids: list[int],
    *,
    outage_streak: int = 0,
    on_outcome: Callable[[IngestOutcome], None] | None = None,
) -> BatchResult:
    """Ingest `document_ids` in order; stop (releasing the claims not yet used) once
    `infra_failure_limit` outages come in a row, counting `outage_streak` from the batch before."""
    result = BatchResult(outage_streak=outage_streak)
    originals = with_retries(settings, lambda: locate_originals(settings, document_ids))
    workers = max(1, min(parse_workers(settings), len(document_ids)))
    slots: queue.SimpleQueue[int] = queue.SimpleQueue()
    for slot in range(workers):
        slots.put(slot)
    waiting = iter(document_ids)
    in_flight: deque[tuple[int, Claim | None, Future[ParsedReport]]] = deque()

    with ThreadPoolExecutor(workers, thread_name_prefix="nianbao-parse") as pool:

        def start_next() -> None:
            """Claim the next document and start its fetch and parse in a free worker; a document
            that another run has taken or ingested since it was listed is left out."""
            while (document_id := next(waiting, None)) is not None:
                original = originals.get(document_id)
                claim: Claim | None = None
                future: Future[ParsedReport]
                try:
                    if original is None:
                        raise RecordNotFound(f"document {document_id} not found")
                    claim = with_retries(settings, lambda: _claim(settings, document_id))
                    if claim is None:
                        log.info("document %s left out: another run has taken or ingested it", document_id)
                        continue
                except Exception as exc:
                    future = Future()
                    future.set_exception(exc)
                else:
                    future = pool.submit(_fetch_and_parse, settings, original, slots)
                in_flight.append((document_id, claim, future))
                return

        for _ in range(workers):
            start_next()
        while in_flight:
            document_id, _, future = in_flight.popleft()
            start_next()
            outcome, outage = _finish(settings, originals.get(document_id), document_id, future)
            result.outcomes.append(outcome)
            if on_outcome is not None:
                on_outcome(outcome)
            result.outage_streak = result.outage_streak + 1 if outage is not None else 0
            if outage is not None and result.outage_streak >= settings.infra_failure_limit:
                result.stopped_by = outage
                _release(settings, in_flight)
                break
    return result


def _claim(settings: Settings, document_id: int) -> Claim | None:
    """Count the attempt and commit before the parse starts, remembering the state before; None when
    the document is no longer pending or another live run holds it (storage/claims.py)."""
    with session_scope(settings) as session:
        document = repository.lock_document(session, document_id)
        before = Claim(document_id, document.status, document.last_error or "", bool(document.retryable))
        claimed = repository.claim_ingest_attempt(
            session,
            document_id,
            pending_only=settings.max_ingest_attempts,
            lease_seconds=settings.claim_lease_seconds,
        )
        return before if claimed is not None else None


def _fetch_and_parse(settings: Settings, original: Original, slots: queue.SimpleQueue[int]) -> ParsedReport:
    """In a pool thread: the bytes from the object store (I/O, retried), then the parse in a free worker."""
    data = with_retries(settings, lambda: open_store(settings).get(original.object_key))
    slot = slots.get()
    try:
        return parse_fetched(settings, original, data, slot=slot)
    finally:
        slots.put(slot)


def _finish(
    settings: Settings, original: Original | None, document_id: int, future: Future[ParsedReport]
) -> tuple[IngestOutcome, Outage | None]:
    """Load one parsed document, or record why not; returns the outcome and the outage that ended it."""
    try:
        parsed = future.result()
    except ParseError as exc:
        assert original is not None
        unreadable = unreadable_report(original, exc)
        if unreadable is None:
            error = str(exc)
            with_retries(settings, lambda: record_failure(settings, document_id, error, retryable=False))
            return _failed(original, document_id, error), None
        parsed = unreadable
    except Exception as exc:
        return _failure(settings, original, document_id, exc)
    assert original is not None
    try:
        return with_retries(settings, lambda: load_parsed(settings, original, parsed)), None
    except Exception as exc:
        return _failure(settings, original, document_id, exc)


def _failure(
    settings: Settings, original: Original | None, document_id: int, exc: Exception
) -> tuple[IngestOutcome, Outage | None]:
    """After the retries: an outage refunds the attempt, anything else is recorded and alerted."""
    error = f"{type(exc).__name__}: {exc}".splitlines()[0][:500]
    if original is None:
        return _failed(None, document_id, error), None
    try:
        outage = give_up(settings, original, exc)
    except Exception as recording:  # the database went away while we wrote the failure down
        outage = Outage("database", f"{type(recording).__name__}: {recording}".splitlines()[0])
    if outage is not None:
        return _failed(original, document_id, str(outage)), outage
    return _failed(original, document_id, error), None


def _failed(original: Original | None, document_id: int, error: str) -> IngestOutcome:
    return IngestOutcome(
        document_id,
        "failed",
        url=original.url if original else "",
        sha256=original.sha256 if original else "",
        error=error,
    )


def _release(settings: Settings, in_flight: deque[tuple[int, Claim | None, Future[ParsedReport]]]) -> None:
    """The run stops: documents claimed but not loaded get their state and attempt back."""
    for _, claim, future in in_flight:
        with suppress(Exception):
            future.result()
        if claim is None:
            continue
        with suppress(Exception), session_scope(settings) as session:  # a database outage keeps the claim
            repository.release_ingest_attempt(
                session, claim.document_id, claim.status, claim.last_error, claim.retryable
            )
    in_flight.clear()
