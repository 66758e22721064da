"""The relay's batching and its sweep after a burst, on a real database: ids in, the batches it submits
out (the submitting itself, `ingest_stored_task.delay` against a real Prefect server, is test_serve's)."""

from __future__ import annotations

import asyncio
import hashlib
import itertools

import pytest

from flows.eventpath import SWEEP_AFTER, RecentIds, _send_batches
from storage import repository
from storage.db import session_scope
from storage.settings import Settings

NUMBERS = itertools.count()


def record(settings: Settings, count: int) -> list[int]:
    """`count` stored documents (rows only: nothing here fetches them), their ids."""
    ids = []
    with session_scope(settings) as session:
        for n in (next(NUMBERS) for _ in range(count)):
            sha = hashlib.sha256(str(n).encode()).hexdigest()
            document, _ = repository.record_document(
                session, url=f"http://relay.example/{n}.pdf", sha256=sha, object_key=f"sha256/{sha}"
            )
            session.flush()
            ids.append(document.id)
    return ids


async def relay_batches(settings: Settings, events: list[list[int]], pause: float) -> list[list[int]]:
    """Feed the relay's queue `events` in rounds `pause` seconds apart; the batches it submitted."""
    submitted: list[list[int]] = []
    queue: asyncio.Queue[int] = asyncio.Queue()
    sender = asyncio.create_task(_send_batches(settings, queue, submitted.append))
    try:
        for round_ in events:
            for document_id in round_:
                queue.put_nowait(document_id)
            await asyncio.sleep(pause)
    finally:
        sender.cancel()
    return submitted


@pytest.mark.parametrize("object_store_config", ["local"], indirect=True)
def test_a_burst_whose_events_were_dropped_is_swept_once_each(settings: Settings) -> None:
    relay_settings = settings.model_copy(update={"ingest_batch_size": 10})
    older = record(settings, 3)  # stored before the burst, never tried: ingest-pending's, not the sweep's
    burst = record(settings, 60)
    dropped = burst[40:50]
    arrived = [i for i in burst if i not in dropped]

    batches = asyncio.run(
        relay_batches(
            relay_settings,
            # the burst minus what the server dropped; then a late and a replayed event; then a new one
            [arrived, [dropped[4], burst[6]], [*record(settings, 1)]],
            SWEEP_AFTER + 1.5,
        )
    )

    assert older == [1, 2, 3] and burst[0] == 4
    assert batches == [
        burst[0:10],
        burst[10:20],
        burst[20:30],
        burst[30:40],
        burst[50:60],
        dropped,  # the sweep, SWEEP_AFTER seconds after the burst
        [64],
    ]


@pytest.mark.parametrize("object_store_config", ["local"], indirect=True)
def test_single_events_are_not_swept(settings: Settings) -> None:
    """Events that come one at a time never fill a batch: no sweep races the ingest-pending schedule."""
    relay_settings = settings.model_copy(update={"ingest_batch_size": 10})
    first, unannounced, second = record(settings, 3)

    batches = asyncio.run(relay_batches(relay_settings, [[first], [second]], SWEEP_AFTER + 0.5))

    assert batches == [[first], [second]]
    with session_scope(settings) as session:
        assert unannounced in repository.newly_stored_ids(session, from_id=0, limit=10)


def test_recent_ids_forget_the_oldest_beyond_their_size() -> None:
    recent = RecentIds(size=3)
    recent.add([1, 2, 3])
    recent.add([1, 4])

    assert [i in recent for i in (1, 2, 3, 4)] == [True, False, True, True]
