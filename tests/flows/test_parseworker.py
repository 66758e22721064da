"""The parse worker: the Report or the ParseError of each document; a parse past its time, over its
memory or killed is a ParseError of that document, and the next document gets a fresh worker (as it
does, without an error, when the worker died while it had no document)."""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Iterator

import pytest

from crawler.lifeline import pid_alive
from flows.demo.reportgen import make_spec, render_pdf
from flows.parseworker import ParseWorker, WorkerLimits
from parsers.errors import ParseTimeout, ResourceLimit
from tests.parsers import hostile

PAGE = b"<html><head><meta charset=utf-8><title>t</title></head><body><p>x</p></body></html>"


def test_worker_parses_and_reports_parse_errors() -> None:
    worker = ParseWorker(WorkerLimits(memory_mb=1024, seconds=60))
    try:
        report = worker.parse(render_pdf(make_spec(71, "gov2021")), filename="r.pdf")
        assert (report.status, report.parser.source_kind, len(report.cells) > 100) == ("parsed", "pdf", True)
        with pytest.raises(ResourceLimit, match=r"^DOCX table cell spans 1000000000 columns \(limit 64\)$"):
            worker.parse(hostile.docx_giant_span(), filename="r.docx")
    finally:
        worker.close()


def slow_parse(data: bytes, **_: object) -> object:
    """A parse that takes a minute (killed long before it ends)."""
    time.sleep(60)
    raise AssertionError("the worker was not killed")


@pytest.fixture
def running() -> Iterator[tuple[ParseWorker, int]]:
    """A worker that has parsed one document, and its pid."""
    worker = ParseWorker(WorkerLimits(memory_mb=1024, seconds=60))
    try:
        worker.parse(PAGE, filename="a.html")
        assert worker.pid is not None
        yield worker, worker.pid
    finally:
        worker.close()


def test_worker_killed_during_a_parse_is_the_documents_error_and_is_replaced(
    running: tuple[ParseWorker, int],
) -> None:
    worker, first = running
    # Killed while it parses: the document it was given is the one that failed.
    killer = threading.Timer(1.0, os.kill, (first, signal.SIGKILL))
    killer.start()
    with pytest.raises(ResourceLimit, match=r"^the parser process died \(killed by SIGKILL\)$"):
        worker.parse(PAGE, filename="a.html", entry="tests.flows.test_parseworker:slow_parse")
    killer.join()
    assert worker.parse(PAGE, filename="a.html").status == "not_a_report"
    assert worker.pid not in (None, first)


def test_worker_that_died_between_documents_is_replaced_without_failing_the_next(
    running: tuple[ParseWorker, int],
) -> None:
    worker, first = running
    os.kill(first, signal.SIGKILL)
    deadline = time.monotonic() + 10
    while pid_alive(first) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert worker.parse(PAGE, filename="a.html").status == "not_a_report"
    assert worker.pid not in (None, first)


def test_wall_clock_limit_kills_the_parse() -> None:
    worker = ParseWorker(WorkerLimits(memory_mb=1024, seconds=0.2))
    try:
        with pytest.raises(ParseTimeout, match=r"^parse exceeded the wall-clock limit of 0.2 s$"):
            worker.parse(render_pdf(make_spec(72, "gov2021")), filename="r.pdf")
        assert worker.pid is None
    finally:
        worker.close()


def greedy_parse(data: bytes, **_: object) -> object:
    """A parse that needs 1 GB (the worker calls it by name, as it calls `parsers:parse`)."""
    return bytearray(1024 * 1024 * 1024)


def test_address_space_limit_ends_a_parse_that_needs_more() -> None:
    worker = ParseWorker(WorkerLimits(memory_mb=512, seconds=60))
    try:
        with pytest.raises(ResourceLimit, match=r"^the parse needed more memory than the worker is allowed$"):
            worker.parse(PAGE, filename="a.html", entry="tests.flows.test_parseworker:greedy_parse")
        assert worker.parse(PAGE, filename="a.html").status == "not_a_report"
    finally:
        worker.close()
