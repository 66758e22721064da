"""Benchmark: how batch ingest grows with ingest workers on a work pool, as deploy/ runs it.

Run: .venv/bin/python -m tests.bench.bench_scale [N] [WORKERS] [PARSE_WORKERS]   (N documents, default
200; WORKERS the worker counts to compare, default `1,2`; PARSE_WORKERS per worker, default 1)

For each worker count K, in the same run and on the same N generated 6-page PDF reports (CJK font
embedded, as bench_ingest makes them): a fresh `prefect server` on its own PostgreSQL database, the
`nianbao` process work pool and `prefect deploy --all` from deploy/prefect.yaml as they are, a fresh
nianbao PostgreSQL database with the documents stored (local object directory), K `prefect worker
start --pool nianbao --work-queue ingest --limit 1` processes, and one `ingest-pending` deployment
run, which dispatches the backlog as `ingest-batch` runs of NIANBAO_INGEST_BATCH_SIZE (default 25
here) for the workers to share. Timed from that run's creation until every document has its report.

Each worker is given PARSE_WORKERS parse processes (NIANBAO_PARSE_WORKERS): with the default 1, a worker
stands for a worker host of one core, so on a 2-core machine two workers show how throughput grows when
hosts are added (a second worker with every core of the same machine would only share them). Printed
per K: documents/s, batch runs per worker, the ratio to the first K, and the peak RSS of a worker's
process tree. Asserts nothing: timings are not tests.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import func, select

from storage import models
from storage.db import session_scope
from storage.settings import Settings
from tests.bench.bench_ingest import documents, prepare
from tests.bench.scratch import create_scratch_database, drop_scratch_database
from tests.processes import PrefectServer, running_prefect_server, stop_process

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
PREFECT = str(BIN / "prefect")
BATCH_SIZE = "25"
WORKER = [PREFECT, "worker", "start", "--pool", "nianbao", "--work-queue", "ingest", "--limit", "1"]


def prefect(server: PrefectServer, env: dict[str, str], *args: str) -> None:
    """A `prefect` CLI command against the server; its output on failure."""
    done = subprocess.run([PREFECT, *args], env=env, cwd=ROOT, capture_output=True, text=True, timeout=300)
    if done.returncode != 0:
        raise SystemExit(f"prefect {' '.join(args[:3])} failed:\n{done.stdout[-2000:]}{done.stderr[-2000:]}")


def loaded(settings: Settings) -> int:
    with session_scope(settings) as session:
        return session.scalar(select(func.count(func.distinct(models.Report.document_id)))) or 0


def run_round(workers: int, parse_workers: int, reports: list[bytes], home: Path) -> tuple[float, list[int]]:
    """Seconds from the `ingest-pending` run until every report loaded, and batch runs per worker."""
    settings = prepare("postgresql", home / "nianbao", reports)
    prefect_db = create_scratch_database("postgresql", home, migrate=False)
    from sqlalchemy.engine import make_url

    server_db = (
        make_url(prefect_db).set(drivername="postgresql+asyncpg").render_as_string(hide_password=False)
    )
    (home / "prefect").mkdir()
    started: list[subprocess.Popen[bytes]] = []
    try:
        with running_prefect_server(
            home / "prefect", {"PREFECT_API_DATABASE_CONNECTION_URL": server_db}
        ) as server:
            env = {
                **server.env(),
                "NIANBAO_INGEST_BATCH_SIZE": os.environ.get("NIANBAO_INGEST_BATCH_SIZE", BATCH_SIZE),
                "NIANBAO_PARSE_WORKERS": str(parse_workers),
                "PREFECT_WORKER_QUERY_SECONDS": "1",
                "PREFECT_LOGGING_LEVEL": "INFO",
            }
            prefect(server, env, "work-pool", "create", "nianbao", "--type", "process")
            prefect(
                server,
                env,
                "--no-prompt",
                "deploy",
                "--all",
                "--prefect-file",
                str(ROOT / "deploy" / "prefect.yaml"),
            )
            logs = [home / f"worker-{n}.log" for n in range(workers)]
            for n, log in enumerate(logs):
                started.append(
                    subprocess.Popen(
                        [*WORKER, "--name", f"ingest-{n}"],
                        env=env,
                        stdout=log.open("wb"),
                        stderr=subprocess.STDOUT,
                        start_new_session=True,
                        cwd="/tmp",
                    )
                )
            time.sleep(3)  # the workers' first poll
            began = time.perf_counter()
            prefect(server, env, "deployment", "run", "ingest pending/ingest-pending")
            while loaded(settings) < len(reports):
                if any(process.poll() is not None for process in started):
                    raise SystemExit(f"a worker exited; see {home}")
                time.sleep(0.25)
            seconds = time.perf_counter() - began
            took = [log.read_text(errors="replace").count("submitting flow run") for log in logs]
    finally:
        for process in started:
            stop_process(process)
        drop_scratch_database(settings.resolved_database_url)
        drop_scratch_database(prefect_db)
    return seconds, took


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    counts = [int(k) for k in (sys.argv[2] if len(sys.argv) > 2 else "1,2").split(",")]
    parse_workers = int(sys.argv[3]) if len(sys.argv) > 3 else 1
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    print(f"rendering {count} 6-page reports, CJK font embedded …", flush=True)
    reports = documents(count)
    print(
        f"batch size {os.environ.get('NIANBAO_INGEST_BATCH_SIZE', BATCH_SIZE)}, {parse_workers} parse "
        f"worker(s) per ingest worker, {os.cpu_count()} cores, PostgreSQL, local object directory"
    )
    first: float | None = None
    with tempfile.TemporaryDirectory() as tmp:
        for workers in counts:
            seconds, took = run_round(workers, parse_workers, reports, Path(tmp) / f"k{workers}")
            rate = count / seconds
            first = first or rate
            peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
            print(
                f"{workers} worker(s): {count} loaded in {seconds:6.1f} s — {rate:5.2f} documents/s, "
                f"{rate / first:.2f}× the first; batch runs per worker {took}; peak RSS of a child so far "
                f"{peak:.0f} MB",
                flush=True,
            )


if __name__ == "__main__":
    main()
