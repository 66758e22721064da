"""Sub-flow runs started in the process of their parent run (a batch of `ingest pending`, a document of
`reparse`, a crawl batch of `crawl`) run without a heartbeat of their own.

Prefect gives every flow run a heartbeat thread (`PREFECT_FLOWS_HEARTBEAT_FREQUENCY`, 180 s), which
sleeps in whole seconds and which the run waits for when it ends: half a second on average for each
sub-flow run, a fifth of a 50-document batch once parsing got fast, and half a second per document of a
reparse. A heartbeat tells the server that the process of a run is alive; the parent's heartbeat
already says it for the process that runs the sub-flow runs. Runs started on their own (deployments,
`nianbao` commands) keep theirs.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def without_own_heartbeat() -> Iterator[None]:
    """Flow runs started inside this block send no heartbeat (their parent's covers the process)."""
    from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings

    with temporary_settings({PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}):
        yield
