"""Benchmark: stored-document event → report loaded, through the fast event path.

Run: .venv/bin/python -m tests.bench.bench_events [N] [BURST] [BACKEND] [FONTS]   (N single events,
default 30; a burst of BURST events, default 500 (the issue's burst); BACKEND sqlite (default) or postgresql; FONTS of the
generated PDFs, `embedded` (default, as Word and WPS export reports) or `named`: bench_ingest.FONT_KINDS)

A real `prefect server start` on loopback and a `nianbao worker --relay` process (the relay and one
task worker, what `nianbao serve` runs beside its deployments) on a scratch database and a local object
directory. Then, in the same run:
- N single events, one at a time: each document is stored, its event emitted and flushed from this
  process, and the database polled every 5 ms until its report row exists; prints p50/p95/max latency;
- a burst: BURST documents stored, all their events emitted at once; prints the time until the last
  report is loaded and documents/s (and how many events never arrived), next to batch ingest of the
  same documents in fresh databases: `ingest --pending`
  (`ingest_pending_flow`, against the same server) and `flows.batch.ingest_documents` (the batch code
  without Prefect) in this process, and the ratios;
- the peak RSS of the worker process (VmHWM) and of this one.
Asserts nothing: timings are not tests.
"""

from __future__ import annotations

import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import func, select

from storage import models, repository
from storage.db import session_scope
from storage.settings import Settings
from tests.bench.bench_ingest import documents, prepare, store
from tests.bench.scratch import drop_scratch_database
from tests.processes import running_prefect_server, stop_process


def loaded_count(settings: Settings, ids: list[int]) -> int:
    with session_scope(settings) as session:
        query = select(func.count()).select_from(models.Report).where(models.Report.document_id.in_(ids))
        return int(session.scalar(query) or 0)


def emit(stored: list[tuple[int, str, str]]) -> None:
    from crawler.events import emit_document_stored, flush_events

    for document_id, url, sha256 in stored:
        emit_document_stored(document_id, "bench", url, sha256, "application/pdf")
    flush_events()


def wait_loaded(settings: Settings, ids: list[int], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while loaded_count(settings, ids) < len(ids):
        if time.monotonic() > deadline:
            raise SystemExit(f"timed out: {loaded_count(settings, ids)}/{len(ids)} loaded")
        time.sleep(0.005)


STALL_SECONDS = 30.0
"""A burst has settled when no report loaded for this long."""


def wait_settled(settings: Settings, ids: list[int], stall: float) -> tuple[int, float]:
    """Poll until all of `ids` are loaded or none more for `stall` seconds; returns how many loaded
    and the seconds from the call to the last one loaded."""
    started = last_change = time.perf_counter()
    loaded = 0
    while loaded < len(ids) and time.perf_counter() - last_change < stall:
        time.sleep(0.005)
        now = loaded_count(settings, ids)
        if now > loaded:
            loaded, last_change = now, time.perf_counter()
    return loaded, last_change - started


def vm_hwm_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return -1.0


def event_path(
    tmp: Path,
    backend: str,
    single_reports: list[bytes],
    burst_reports: list[bytes],
    batch_reports: list[bytes],
) -> tuple[float, float]:
    """Single events then a burst through a real Prefect server and `nianbao worker --relay`, then
    `ingest --pending` (`ingest_pending_flow`) on `batch_reports` against the same server with the
    worker stopped; prints the latencies and returns the burst's documents/s and the flow's seconds."""
    with running_prefect_server(tmp) as server:
        os.environ.update(server.env())
        settings = prepare(backend, tmp / "events", [])
        worker_env = {**os.environ, "PREFECT_LOGGING_LEVEL": "WARNING"}
        worker = subprocess.Popen(
            [str(Path(sys.executable).parent / "nianbao"), "worker", "--relay"],
            env=worker_env,
            stdout=(tmp / "worker.log").open("wb"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            # The relay's subscription is live once this first document loads.
            warm = store(settings, single_reports[:1], 0, "events/")
            deadline = time.monotonic() + 120
            while loaded_count(settings, [warm[0][0]]) == 0 and time.monotonic() < deadline:
                emit(warm)
                time.sleep(2)
            wait_loaded(settings, [warm[0][0]], 60)
            latencies = []
            for n, data in enumerate(single_reports[1:], start=1):
                stored = store(settings, [data], n, "events/")
                started = time.perf_counter()
                emit(stored)
                wait_loaded(settings, [stored[0][0]], 60)
                latencies.append(time.perf_counter() - started)
            latencies.sort()
            p95 = latencies[max(0, round(0.95 * len(latencies)) - 1)]
            print(
                f"{backend}: {len(latencies)} single events → report loaded: p50 {statistics.median(latencies):.3f} s, "
                f"p95 {p95:.3f} s, max {latencies[-1]:.3f} s",
                flush=True,
            )
            stored = store(settings, burst_reports, 1000, "events/")
            started = time.perf_counter()
            emit(stored)
            ids = [i for i, _, _ in stored]
            loaded, drained = wait_settled(settings, ids, STALL_SECONDS)
            print(
                f"{backend}: burst of {len(ids)} events: {loaded} loaded in {drained:.1f} s — "
                f"{loaded / drained:.2f} documents/s; peak RSS of the worker {vm_hwm_mb(worker.pid):.0f} MB",
                flush=True,
            )
            burst_rate = loaded / drained
            swept = sum(
                int(line.split("sweep: ", 1)[1].split()[0])
                for line in (tmp / "worker.log").read_text(errors="replace").splitlines()
                if "sweep: " in line
            )
            print(
                f"{backend}: {swept} of them were swept by the relay after the burst: their events never came "
                "(the Prefect server drops a subscriber's events beyond SUBSCRIPTION_BACKLOG, 256, waiting)",
                flush=True,
            )
            if loaded < len(ids):
                print(
                    f"{backend}: {len(ids) - loaded} documents not loaded {STALL_SECONDS:.0f} s after the last "
                    "report: they stay pending for `ingest-pending`",
                    flush=True,
                )
        finally:
            stop_process(worker)
            drop_scratch_database(settings.resolved_database_url)

        from flows.flows import ingest_pending_flow

        pending = prepare(backend, tmp / "flow", batch_reports)
        started = time.perf_counter()
        ingest_pending_flow()
        flow_seconds = time.perf_counter() - started
        drop_scratch_database(pending.resolved_database_url)
    return burst_rate, flow_seconds


def main() -> None:
    singles = int(sys.argv[1]) if len(sys.argv) > 1 else 30
    burst = int(sys.argv[2]) if len(sys.argv) > 2 else 500
    backend = sys.argv[3] if len(sys.argv) > 3 else "sqlite"
    fonts = sys.argv[4] if len(sys.argv) > 4 else "embedded"
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
    print(f"rendering {singles + burst} 6-page reports …", flush=True)
    single_reports = documents(singles, fonts=fonts)
    burst_reports = documents(burst, first=1000, fonts=fonts)
    with tempfile.TemporaryDirectory() as tmp:
        burst_rate, flow_seconds = event_path(
            Path(tmp), backend, single_reports, burst_reports, burst_reports
        )

        from flows.batch import ingest_documents

        plain = prepare(backend, Path(tmp) / "batch", burst_reports)
        with session_scope(plain) as session:
            ids = [d.id for d in repository.pending_documents(session)]
        started = time.perf_counter()
        ingest_documents(plain, ids)
        batch_seconds = time.perf_counter() - started
        drop_scratch_database(plain.resolved_database_url)
        for label, seconds in (
            ("ingest --pending (batch flow runs)", flow_seconds),
            ("flows.batch.ingest_documents (no Prefect)", batch_seconds),
        ):
            print(
                f"{backend}: {label} on the burst's {burst} documents in a fresh database: {seconds:.1f} s — "
                f"{burst / seconds:.2f} documents/s; the burst drained at {burst_rate * seconds / burst:.2f}× that speed"
            )
        print(f"peak RSS here {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
