"""The relay's batching and its sweep after a burst, on a real database: stored-document events in, the
batches it submits out (the submitting itself, `ingest_stored_task.delay` against a real Prefect server,
is test_serve's)."""

from __future__ import annotations

import asyncio
import hashlib
import itertools
from collections.abc import Callable

import pytest

from flows.eventpath import SWEEP_AFTER, RecentDocuments, Stored, _send_batches, still_pending
from storage import repository
from storage.db import session_scope
from storage.settings import Settings

NUMBERS = itertools.count()


def record(settings: Settings, count: int) -> list[Stored]:
    """`count` stored documents (rows only: nothing here fetches them), as their events name them."""
    documents = []
    with session_scope(settings) as session:
        for n in (next(NUMBERS) for _ in range(count)):
            sha = hashlib.sha256(str(n).encode()).hexdigest()
            document, _ = repository.record_document(
                session, url=f"http://relay.example/{n}.pdf", sha256=sha, object_key=f"sha256/{sha}"
            )
            documents.append((document.id, sha))
    return documents


async def relay_batches(
    settings: Settings, rounds: list[Callable[[], list[Stored]]], pause: float
) -> list[list[int]]:
    """Feed the relay's queue the events of each round (made when its turn comes), `pause` seconds
    apart; the batches of ids it submitted."""
    submitted: list[list[int]] = []
    queue: asyncio.Queue[Stored] = asyncio.Queue()
    sender = asyncio.create_task(_send_batches(settings, queue, lambda ids, _: submitted.append(ids)))
    try:
        for events in rounds:
            for document in events():
                queue.put_nowait(document)
            await asyncio.sleep(pause)
    finally:
        sender.cancel()
    return submitted


def ids(documents: list[Stored]) -> list[int]:
    return [document_id for document_id, _ in documents]


@pytest.mark.parametrize("object_store_config", ["local"], indirect=True)
def test_a_burst_whose_events_were_dropped_is_swept_once_each(settings: Settings) -> None:
    relay_settings = settings.model_copy(update={"ingest_batch_size": 10})
    older = record(settings, 3)  # stored before the burst, never tried: ingest-pending's, not the sweep's
    burst = record(settings, 60)
    dropped = burst[40:50]
    arrived = [document for document in burst if document not in dropped]
    # Another database's document 5, on the same Prefect server: same id, other bytes.
    elsewhere = (burst[1][0], hashlib.sha256(b"another database").hexdigest())

    batches = asyncio.run(
        relay_batches(
            relay_settings,
            # the burst minus what the server dropped; then a late event, a replayed one and another
            # database's; then a new document
            [lambda: arrived, lambda: [dropped[4], burst[6], elsewhere], lambda: record(settings, 1)],
            SWEEP_AFTER + 1.5,
        )
    )

    assert ids(older) == [1, 2, 3] and burst[0][0] == 4
    assert batches == [
        ids(burst[0:10]),
        ids(burst[10:20]),
        ids(burst[20:30]),
        ids(burst[30:40]),
        ids(burst[50:60]),
        ids(dropped),  # the sweep, SWEEP_AFTER seconds after the burst
        [5],  # another database's event is not a replay of this one's (its task leaves this 5 alone)
        [64],
    ]


@pytest.mark.parametrize("object_store_config", ["local"], indirect=True)
def test_single_events_are_not_swept(settings: Settings) -> None:
    """Events that come one at a time never fill a batch: no sweep races the ingest-pending schedule."""
    relay_settings = settings.model_copy(update={"ingest_batch_size": 10})
    first, unannounced, second = record(settings, 3)

    batches = asyncio.run(
        relay_batches(relay_settings, [lambda: [first], lambda: [second]], SWEEP_AFTER + 0.5)
    )

    assert batches == [[first[0]], [second[0]]]
    with session_scope(settings) as session:
        assert unannounced in repository.newly_stored(session, from_id=0, limit=10)


def test_recent_documents_forget_the_oldest_beyond_their_size() -> None:
    recent = RecentDocuments(size=3)
    recent.add([(1, "a"), (2, "b"), (3, "c")])
    recent.add([(1, "a"), (4, "d")])

    assert [key in recent for key in ((1, "a"), (2, "b"), (3, "c"), (4, "d"), (1, "z"))] == [
        True,
        False,
        True,
        True,
        False,
    ]


@pytest.mark.parametrize("object_store_config", ["local"], indirect=True)
def test_a_task_leaves_another_databases_document_alone(settings: Settings) -> None:
    """An event with this id but other bytes (another installation on the same Prefect server) does not
    ingest this database's document; an event without a hash (older emitters) does."""
    (first, first_sha), (second, second_sha) = record(settings, 2)

    assert still_pending(settings, [first, second], [first_sha, second_sha]) == [first, second]
    assert still_pending(settings, [first, second], [first_sha, "0" * 64]) == [first]
    assert still_pending(settings, [first, second], ["", ""]) == [first, second]
    assert still_pending(settings, [first, second]) == [first, second]
    # one batch with this database's event and another's for the same id: ingested once
    assert still_pending(settings, [second, first, second], ["0" * 64, first_sha, second_sha]) == [
        second,
        first,
    ]
