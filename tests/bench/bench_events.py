"""Benchmark: stored-document event → report loaded, through the fast event path.

Run: .venv/bin/python -m tests.bench.bench_events [N] [BURST] [BACKEND] [FONTS]   (N single events,
default 30; a burst of BURST events, default 200; BACKEND sqlite (default) or postgresql; FONTS of the
generated PDFs, `embedded` (default, as Word and WPS export reports) or `named`: bench_ingest.FONT_KINDS)

A real `prefect server start` on loopback and a `nianbao worker --relay` process (the relay and one
task worker, what `nianbao serve` runs beside its deployments) on a scratch database and a local object
directory. Then, in the same run:
- N single events, one at a time: each document is stored, its event emitted and flushed from this
  process, and the database polled every 5 ms until its report row exists; prints p50/p95/max latency;
- a burst: BURST documents stored, all their events emitted at once; prints the time until the last
  report is loaded and documents/s, next to `flows.batch.ingest_documents` (the batch path without
  Prefect) on BURST other documents in this process, and the ratio;
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


def vm_hwm_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return -1.0


def event_path(tmp: Path, backend: str, single_reports: list[bytes], burst_reports: list[bytes]) -> float:
    """Single events then a burst through a real Prefect server and `nianbao worker --relay`; prints the
    latencies and returns the seconds the burst took to drain."""
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
            wait_loaded(settings, [i for i, _, _ in stored], 3600)
            drained = time.perf_counter() - started
            print(
                f"{backend}: burst of {len(burst_reports)} events drained in {drained:.1f} s — "
                f"{len(burst_reports) / drained:.2f} documents/s; "
                f"peak RSS of the worker {vm_hwm_mb(worker.pid):.0f} MB",
                flush=True,
            )
        finally:
            stop_process(worker)
            drop_scratch_database(settings.resolved_database_url)

    return drained


def main() -> None:
    singles = int(sys.argv[1]) if len(sys.argv) > 1 else 30
    burst = int(sys.argv[2]) if len(sys.argv) > 2 else 200
    backend = sys.argv[3] if len(sys.argv) > 3 else "sqlite"
    fonts = sys.argv[4] if len(sys.argv) > 4 else "embedded"
    print(f"rendering {singles + 2 * burst} 6-page reports …", flush=True)
    single_reports = documents(singles, fonts=fonts)
    burst_reports = documents(burst, first=1000, fonts=fonts)
    batch_reports = documents(burst, first=5000, fonts=fonts)
    with tempfile.TemporaryDirectory() as tmp:
        drained = event_path(Path(tmp), backend, single_reports, burst_reports)

        from flows.batch import ingest_documents

        plain = prepare(backend, Path(tmp) / "batch", batch_reports)
        with session_scope(plain) as session:
            ids = [d.id for d in repository.pending_documents(session)]
        started = time.perf_counter()
        ingest_documents(plain, ids)
        batch_seconds = time.perf_counter() - started
        drop_scratch_database(plain.resolved_database_url)
        print(
            f"{backend}: flows.batch.ingest_documents on {burst} documents: {batch_seconds:.1f} s — "
            f"{burst / batch_seconds:.2f} documents/s; the burst drained at "
            f"{batch_seconds / drained:.2f}× that speed; peak RSS here "
            f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB"
        )


if __name__ == "__main__":
    main()
