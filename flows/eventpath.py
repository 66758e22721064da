"""The fast event path: a stored document is loaded within a second, with no process start per document.

    crawler ── nianbao.document.stored ──► relay ── ingest_stored_task.delay(ids, sha256s) ──► task workers

The relay (run by `nianbao serve`, or by `nianbao worker --relay`; one per installation) subscribes to
the event stream, gathers documents while their events keep arriving less than `event_batch_window`
seconds apart (at most `ingest_batch_size`, at most a second) and submits them as one background task
run. Task workers (`nianbao worker`, as many as the load needs; `nianbao serve` runs one) are
long-lived processes that take those runs and ingest the documents with `flows.batch.ingest_documents`
— the same per-document guarantees as `ingest --pending` — and each run shows in the Prefect UI as a
task run with its batch artifact.

The database stays the outbox: an event missed while the relay was down, or a task run lost with its
worker, leaves the document pending, and the `ingest-pending` schedule loads it. The Prefect server
drops a subscriber's events beyond a backlog of 256, so a burst (a full batch) is followed, once the
events stop for `SWEEP_AFTER` seconds, by a sweep that submits the never-tried documents from the
burst's first id up that no event brought. The relay submits a document (id and sha256) once
(`RecentDocuments`): a replayed event (the subscriber backfills a minute on reconnect) or a late one
after the sweep does nothing.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from prefect import get_run_logger, task
from prefect.logging import get_logger

from crawler.events import DOCUMENT_STORED
from flows.batch import ingest_documents
from storage import repository
from storage.db import session_scope
from storage.settings import Settings, get_settings

#: Prefect's console handler shows it in `nianbao serve`/`worker` output, beside the task worker's lines.
logger = get_logger("nianbao.eventpath")


def _run_name() -> str:
    from prefect.runtime import task_run

    ids = list(task_run.parameters.get("document_ids") or [])
    return f"ingest stored {ids[0]}–{ids[-1]} ({len(ids)})" if ids else "ingest stored (none)"


@task(name="ingest stored documents", task_run_name=_run_name)
def ingest_stored_task(document_ids: list[int], sha256s: list[str] | None = None) -> list[dict[str, Any]]:
    """Ingest the documents of one or more stored events that are still pending; alert; one artifact.
    With `sha256s` (the events' content hashes, in order; "" for unknown), a document whose bytes
    differ is another database's and is left alone.

    Raises the Outage that stopped the batch (the run fails, its documents stay pending)."""
    from flows.alerts import deliver_pending
    from flows.flows import batch_artifact

    settings = get_settings()
    wanted = still_pending(settings, document_ids, sha256s)
    log = get_run_logger()
    if len(wanted) < len(document_ids):
        log.info(
            "%d of %d document(s) already ingested or not this database's",
            len(document_ids) - len(wanted),
            len(document_ids),
        )
    result = ingest_documents(settings, wanted)
    deliver_pending(settings)
    if result.outcomes:
        batch_artifact(settings, result.outcomes)
    for outcome in result.outcomes:
        log.info("document %s: %s %s", outcome.document_id, outcome.status, outcome.error)
    if result.stopped_by is not None:
        raise result.stopped_by
    return [
        {"document_id": o.document_id, "status": o.status, "report_id": o.report_id, "error": o.error}
        for o in result.outcomes
    ]


def still_pending(settings: Settings, document_ids: list[int], sha256s: list[str] | None = None) -> list[int]:
    """The ids among `document_ids` that `ingest pending` would take, once each, in their order; with
    `sha256s`, only those whose stored bytes have one of the hashes given for the id ("" is unknown)."""
    expected: dict[int, set[str]] = {}
    for document_id, sha256 in zip(document_ids, sha256s or [""] * len(document_ids), strict=True):
        expected.setdefault(document_id, set()).add(sha256)
    with session_scope(settings) as session:
        pending = {
            d.id
            for d in repository.pending_documents(
                session,
                max_attempts=settings.max_ingest_attempts,
                among=list(expected),
                lease_seconds=settings.claim_lease_seconds,
            )
            if expected[d.id] & {"", d.sha256}
        }
    return [i for i in expected if i in pending]


#: A stored document as its event names it: id and sha256. The sha256 tells a document from another
#: database's that has the same id (two installations, or a test after another, on one Prefect server).
Stored = tuple[int, str]


async def relay(settings: Settings, *, ready: asyncio.Event | None = None) -> None:
    """Forward stored-document events to the task workers, gathered into small batches; runs until
    cancelled. `ready` is set once the subscription is live."""
    from prefect.events.clients import get_events_subscriber
    from prefect.events.filters import EventFilter, EventNameFilter

    stored: asyncio.Queue[Stored] = asyncio.Queue()
    sender = asyncio.create_task(_send_batches(settings, stored))
    events = EventFilter(event=EventNameFilter(name=[DOCUMENT_STORED]))
    try:
        async with get_events_subscriber(filter=events, reconnect_on_clean_close=True) as subscriber:
            logger.info("relay subscribed: %s events go to the task workers", DOCUMENT_STORED)
            if ready is not None:
                ready.set()
            async for event in subscriber:
                try:
                    stored.put_nowait(
                        (int(event.payload["document_id"]), str(event.payload.get("sha256", "")))
                    )
                except (KeyError, TypeError, ValueError):
                    logger.warning("event %s without a document id: %s", event.id, event.payload)
    finally:
        sender.cancel()


#: Seconds without an event after a burst before the relay sweeps for documents whose events never came.
SWEEP_AFTER = 2.0


class RecentDocuments:
    """The last `size` documents submitted, so that a replayed, late or swept event is sent once."""

    def __init__(self, size: int = 100_000) -> None:
        self._keys: OrderedDict[Stored, None] = OrderedDict()
        self._size = size

    def __contains__(self, document: object) -> bool:
        return document in self._keys

    def add(self, documents: list[Stored]) -> None:
        for document in documents:
            self._keys[document] = None
            self._keys.move_to_end(document)
        while len(self._keys) > self._size:
            self._keys.popitem(last=False)


#: How the relay submits a batch: `ingest_stored_task.delay(document_ids, sha256s)`.
Submit = Callable[[list[int], list[str]], Any]


async def _send_batches(
    settings: Settings, stored: asyncio.Queue[Stored], submit: Submit | None = None
) -> None:
    """Submit one background task run per burst: the first document, then each next one that arrives
    within `event_batch_window` seconds of the one before, up to `ingest_batch_size` or one second — a
    single event waits 50 ms, a burst of events becomes batches. `SWEEP_AFTER` seconds after a burst
    (a full batch) the never-tried documents from its first id up whose events did not come are
    submitted too: the Prefect server drops a subscriber's events beyond a backlog of 256."""
    send: Submit = submit or ingest_stored_task.delay
    loop = asyncio.get_running_loop()
    submitted = RecentDocuments()
    burst_from: int | None = None
    while True:
        if burst_from is None:
            first = await stored.get()
        else:
            try:
                first = await asyncio.wait_for(stored.get(), SWEEP_AFTER)
            except TimeoutError:
                await _sweep(settings, burst_from, submitted, send)
                burst_from = None
                continue
        gathered = [first]
        give_up_at = loop.time() + max(1.0, settings.event_batch_window)
        while len(gathered) < settings.ingest_batch_size and loop.time() < give_up_at:
            try:
                gathered.append(await asyncio.wait_for(stored.get(), settings.event_batch_window))
            except TimeoutError:
                break
        if len(gathered) >= settings.ingest_batch_size:
            lowest = min(document_id for document_id, _ in gathered)
            burst_from = lowest if burst_from is None else min(burst_from, lowest)
        batch = [document for document in dict.fromkeys(gathered) if document not in submitted]
        if batch:
            await _submit(batch, submitted, send)


async def _submit(batch: list[Stored], submitted: RecentDocuments, send: Submit) -> None:
    try:
        await asyncio.to_thread(send, [i for i, _ in batch], [sha256 for _, sha256 in batch])
    except Exception as exc:  # the API is away: the documents stay pending for ingest-pending
        logger.warning("could not submit documents %s: %s", [i for i, _ in batch], exc)
    else:
        submitted.add(batch)


async def _sweep(settings: Settings, from_id: int, submitted: RecentDocuments, send: Submit) -> None:
    """Submit, in batches, the never-tried documents from `from_id` up that no event brought."""
    try:
        missed = await asyncio.to_thread(unrelayed_documents, settings, from_id, submitted)
    except Exception as exc:  # the database is away: ingest-pending finds them later
        logger.warning("could not sweep for documents stored since %s: %s", from_id, exc)
        return
    if missed:
        logger.warning(
            "sweep: %d stored document(s) from id %s whose events did not come", len(missed), from_id
        )
    size = settings.ingest_batch_size
    for start in range(0, len(missed), size):
        await _submit(missed[start : start + size], submitted, send)


def unrelayed_documents(settings: Settings, from_id: int, submitted: RecentDocuments) -> list[Stored]:
    """The never-tried documents from `from_id` up that are not among those `submitted`."""
    found: list[Stored] = []
    with session_scope(settings) as session:
        while page := repository.newly_stored(session, from_id=from_id, limit=1000):
            found.extend(document for document in page if document not in submitted)
            from_id = page[-1][0] + 1
    return found


async def task_worker(settings: Settings, *, limit: int | None = None) -> None:
    """Serve `ingest_stored_task` until cancelled (`limit` runs at once; default `task_worker_limit`)."""
    from prefect.task_worker import aserve

    await aserve(ingest_stored_task, limit=limit or settings.task_worker_limit)


def run_event_path(settings: Settings, *, relay_events: bool = True, serve_tasks: bool = True) -> None:
    """Run the relay and/or a task worker in this thread until interrupted or sent SIGTERM."""

    async def both() -> None:
        jobs = []
        if relay_events:
            jobs.append(relay(settings))
        if serve_tasks:
            jobs.append(task_worker(settings))
        await asyncio.gather(*jobs)

    from prefect.task_worker import StopTaskWorker

    try:
        asyncio.run(both())
    except StopTaskWorker:  # Prefect's SIGTERM handler raises it out of the event loop: a clean stop
        logger.info("task worker stopped")
