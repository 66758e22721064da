"""Who is ingesting a document right now: a claim names its claimant and when it was made.

An ingest claims a document (counts the attempt, marks it `failed`/retryable) before the parse, so
that a run killed mid-parse leaves it to the next run. Two runs can want the same document at once
— `ingest --pending` and the event path's task workers, two ingest workers — and without more the
second took a document the first was still parsing: double work, a duplicate-report error, a false
alert. So a claim also records its claimant (host, process and its start, thread) and its time, and
another run leaves a document alone while the claim is live:

- a claim older than the lease (`claim_lease_seconds`) has lapsed, whoever made it;
- a claim by a process of this host that no longer runs (killed, crashed) has lapsed at once, so a
  re-run after a kill picks up where it stopped without waiting for the lease;
- a claim by this very thread is its own (a re-run in the same process after an outage);
- any other claim is live: a thread of this process, a running process, another host.
"""

from __future__ import annotations

import os
import socket
import threading
from datetime import UTC, datetime, timedelta
from functools import cache

DEFAULT_LEASE_SECONDS = 900.0
"""The default of `claim_lease_seconds`: three times the default parse limit (`parse_seconds`)."""


@cache
def _host() -> str:
    return socket.gethostname()


def _process_start(pid: int) -> str:
    """The process's start time in clock ticks since boot (/proc/PID/stat field 22), "" when it does
    not run (or the system has no /proc): with the pid it names one process, not a later one that
    was given the same pid."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            fields = stat.read().rsplit(b")", 1)[1].split()
    except OSError:
        return ""
    return fields[19].decode() if len(fields) > 19 else ""


def claimant() -> str:
    """This thread as a claimant: host:pid:process start:thread id."""
    pid = os.getpid()
    return f"{_host()}:{pid}:{_process_start(pid)}:{threading.get_ident()}"


def claim_is_live(claimed_by: str, claimed_at: datetime | None, lease_seconds: float) -> bool:
    """Whether another run holds the claim (see the module docstring)."""
    if not claimed_by or claimed_at is None:
        return False
    if claimed_at.tzinfo is None:  # SQLite keeps no time zone; claims are written in UTC
        claimed_at = claimed_at.replace(tzinfo=UTC)
    if datetime.now(UTC) - claimed_at >= timedelta(seconds=lease_seconds):
        return False
    if claimed_by == claimant():
        return False
    host, pid, started, *_ = [*claimed_by.split(":"), "", ""]
    if host != _host() or not pid.isdigit():
        return True
    return bool(started) and _process_start(int(pid)) == started
