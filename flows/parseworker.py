"""Parse in a worker process: an address-space limit (RLIMIT_AS) and a wall-clock limit per document.

The parsers are pure and know nothing of processes; this runner spawns one child that parses document
after document, answers each with the Report or the ParseError, and is killed and replaced when a
parse runs past its time or the child dies (out of memory, a crash in a C library). Both end as a
ParseError (ParseTimeout or ResourceLimit) of the document, never as a dead ingest.
"""

from __future__ import annotations

import os
import pickle
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

from crawler.lifeline import die_with_parent
from parsers.errors import ParseError, ParseTimeout, ResourceLimit
from parsers.model import Report
from parsers.settings import ParseSettings


@dataclass(frozen=True)
class WorkerLimits:
    """`memory_mb` is the child's address space (0: unlimited), `seconds` the wall clock of one parse."""

    memory_mb: int = 2048
    seconds: float = 180.0


def entry_point(name: str) -> Callable[..., Report]:
    """The parse function named "module:function" (`parsers:parse` by default)."""
    import importlib

    module, _, function = name.partition(":")
    entry: Callable[..., Report] = getattr(importlib.import_module(module), function)
    return entry


def _serve(conn: Connection, memory_mb: int, parent: int) -> None:
    """The child's loop: parse each request, answer ("ok", report) or ("error", ParseError)."""
    import resource

    die_with_parent(parent)
    if memory_mb:
        limit = memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    while True:
        try:
            request = conn.recv()
        except EOFError:
            return
        data, filename, content_type, settings, entry = request
        try:
            answer: tuple[str, Any] = (
                "ok",
                entry_point(entry)(data, filename=filename, content_type=content_type, settings=settings),
            )
        except ParseError as exc:
            answer = ("error", exc)
        except MemoryError:
            answer = ("error", ResourceLimit("the parse needed more memory than the worker is allowed"))
        except Exception as exc:  # an entry's own failure (conversion): the caller decides
            answer = ("error", exc)
        del data
        try:
            conn.send(answer)
        except (pickle.PicklingError, TypeError, AttributeError):
            conn.send(("error", RuntimeError(f"{type(answer[1]).__name__}: {answer[1]}")))


class ParseWorker:
    """One spawned parsing process, started on first use and replaced after a timeout or a death."""

    def __init__(self, limits: WorkerLimits) -> None:
        self.limits = limits
        self._lock = threading.Lock()
        self._process: subprocess.Popen[bytes] | None = None
        self._conn: Connection | None = None

    def _start(self) -> Connection:
        """The running child's connection; a fresh `python -m flows.parseworker` child if none."""
        if self._conn is not None and self._process is not None and self._process.poll() is None:
            return self._conn
        self.close()
        ours, theirs = socket.socketpair()
        args = [str(theirs.fileno()), str(self.limits.memory_mb), str(os.getpid())]
        # Started from one long-lived thread: the child's parent-death signal fires when the *thread*
        # that forked it ends, and a batch's pool threads end with the batch.
        self._process = _SPAWNER.submit(
            subprocess.Popen,
            [sys.executable, "-m", "flows.parseworker", *args],
            pass_fds=(theirs.fileno(),),
            stdin=subprocess.DEVNULL,
        ).result()
        theirs.close()
        self._conn = Connection(ours.detach())
        return self._conn

    @property
    def pid(self) -> int | None:
        """The worker's process id (None before the first parse)."""
        return self._process.pid if self._process is not None else None

    def parse(
        self,
        data: bytes,
        *,
        filename: str = "",
        content_type: str = "",
        settings: ParseSettings | None = None,
        entry: str = "parsers:parse",
    ) -> Report:
        """`entry` ("module:function", taking parse's arguments) in the worker; ParseTimeout past the wall
        clock, ResourceLimit when the worker dies."""
        with self._lock:
            conn = self._start()
            try:
                conn.send((data, filename, content_type, settings or ParseSettings(), entry))
                if not conn.poll(self.limits.seconds):
                    self.close()
                    raise ParseTimeout(f"parse exceeded the wall-clock limit of {self.limits.seconds:g} s")
                kind, value = conn.recv()
            except (EOFError, BrokenPipeError, ConnectionResetError) as exc:
                code = self._process.wait(5) if self._process is not None else None
                self.close()
                raise ResourceLimit(f"the parser process died ({_describe(code)})") from exc
        if kind == "error":
            raise value
        report: Report = value
        return report

    def close(self) -> None:
        """Stop the worker (killed: it may be stuck in C code)."""
        if self._conn is not None:
            self._conn.close()
            self._conn = None
        if self._process is not None:
            if self._process.poll() is None:
                self._process.kill()
            self._process.wait(5)
            self._process = None


def _describe(exitcode: int | None) -> str:
    if exitcode is None:
        return "no exit code"
    if exitcode < 0:
        return f"killed by {signal.Signals(-exitcode).name}"
    return f"exit code {exitcode}"


_SPAWNER = ThreadPoolExecutor(1, thread_name_prefix="nianbao-parse-spawner")
_WORKERS: dict[tuple[WorkerLimits, int], ParseWorker] = {}
_WORKERS_LOCK = threading.Lock()


def worker_for(limits: WorkerLimits, slot: int = 0) -> ParseWorker:
    """The process-wide worker for these limits in `slot` (one child per limits and slot, reused across
    documents); a batch ingest parses side by side in slots 0..n-1."""
    with _WORKERS_LOCK:
        worker = _WORKERS.get((limits, slot))
        if worker is None:
            worker = _WORKERS[(limits, slot)] = ParseWorker(limits)
        return worker


if __name__ == "__main__":
    _serve(Connection(int(sys.argv[1])), int(sys.argv[2]), int(sys.argv[3]))
