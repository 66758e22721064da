"""Scale-out on Prefect, as deploy/ describes it: a real `prefect server`, a `process` work pool,
`prefect deploy --all` from deploy/prefect.yaml as it is, two ingest workers and two task workers on
PostgreSQL + SeaweedFS. A backlog is dispatched by `ingest-pending` as `ingest-batch` runs that both
workers share; a burst of stored-document events is relayed as background task runs that both task
workers share; every report is loaded exactly once."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from flows.demo.reportgen import make_spec, render_pdf
from storage import models, repository
from storage.db import session_scope
from storage.objectstore import open_store
from storage.settings import Settings
from tests.conftest import PgDatabases
from tests.processes import PrefectServer, running_prefect_server, stop_process

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
AGENCY = "银川市西夏区科学技术和工业信息化局"
BATCH = 3
EMIT_ALL = """
import json, sys
from crawler.events import emit_document_stored, flush_events
for document_id, url, sha256 in json.loads(sys.argv[1]):
    assert emit_document_stored(document_id, "scale", url, sha256, "application/pdf")
flush_events()
"""


def wait_for(condition: Any, timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := condition():
            return value
        time.sleep(0.5)
    pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}", pytrace=False)


def run_prefect(server: PrefectServer, command: list[str], env: dict[str, str]) -> None:
    """Run a `prefect` CLI command against `server`; a failure or a hang fails the test with both logs."""
    try:
        done = subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True, timeout=180)
    except subprocess.TimeoutExpired as exc:
        output = (exc.stdout or b"").decode(errors="replace") if isinstance(exc.stdout, bytes) else exc.stdout
        server_log = (Path(server.home) / "server.log").read_text(errors="replace")[-3000:]
        pytest.fail(f"{command[1:4]} hung for 180 s: {output}\nserver log:\n{server_log}", pytrace=False)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]


def store_reports(settings: Settings, first: int, count: int) -> list[tuple[int, str, str]]:
    store = open_store(settings)
    stored = []
    for n in range(first, first + count):
        url = f"http://scale.example/{n}.pdf"
        info = store.put(
            render_pdf(make_spec(200 + n, "gov2021", agency=AGENCY, year=1990 + n)),
            {"source_url": url},
            content_type="application/pdf",
        )
        with session_scope(settings) as session:
            document, _ = repository.record_document(
                session, url=url, sha256=info.sha256, object_key=info.key, content_type="application/pdf"
            )
            stored.append((document.id, url, info.sha256))
    return stored


def reports_per_document(settings: Settings) -> dict[int, int]:
    with session_scope(settings) as session:
        rows = session.execute(
            select(models.Report.document_id, func.count()).group_by(models.Report.document_id)
        )
        return {document_id: count for document_id, count in rows}


@pytest.fixture
def prefect_server(
    tmp_path_factory: pytest.TempPathFactory, pg_databases: PgDatabases
) -> Iterator[PrefectServer]:
    """`prefect server start` on its own PostgreSQL database, as deploy/docker-compose.yml runs it: on
    SQLite, four workers polling and a relay writing events held the server's write lock so long that
    creating a flow run timed out on a loaded CI machine."""
    from sqlalchemy.engine import make_url

    url = pg_databases.create()
    database = make_url(url).set(drivername="postgresql+asyncpg").render_as_string(hide_password=False)
    try:
        with running_prefect_server(
            tmp_path_factory.mktemp("prefect-home"), {"PREFECT_API_DATABASE_CONNECTION_URL": database}
        ) as server:
            yield server
    finally:
        pg_databases.drop(url)


@pytest.fixture
def processes(tmp_path: Path) -> Iterator[list[tuple[subprocess.Popen[bytes], Path]]]:
    started: list[tuple[subprocess.Popen[bytes], Path]] = []
    yield started
    for process, _ in started:
        stop_process(process)


def start(
    started: list[tuple[subprocess.Popen[bytes], Path]], args: list[str], env: dict[str, str], log: Path
) -> Path:
    process = subprocess.Popen(
        args, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT, start_new_session=True, cwd="/tmp"
    )
    started.append((process, log))
    return log


@pytest.mark.slow
@pytest.mark.parametrize("db_url", [pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True)
@pytest.mark.parametrize("object_store_config", [pytest.param("s3", marks=pytest.mark.s3)], indirect=True)
def test_two_workers_and_two_task_workers_share_the_load_and_load_each_report_once(
    prefect_server: PrefectServer,
    settings: Settings,
    processes: list[tuple[subprocess.Popen[bytes], Path]],
    tmp_path: Path,
) -> None:
    env = {
        **prefect_server.env(),
        "NIANBAO_INGEST_BATCH_SIZE": str(BATCH),
        "NIANBAO_TASK_WORKER_LIMIT": "1",
        "NIANBAO_TASK_RETRY_DELAY": "0.2",
        "NIANBAO_EVENT_BATCH_WINDOW": "0.05",
        "PREFECT_WORKER_QUERY_SECONDS": "1",
    }
    with session_scope(settings) as session:
        repository.sync_agencies(session, [{"name": AGENCY, "kind": "department", "region_code": "640105"}])
    prefect = str(BIN / "prefect")
    run_prefect(prefect_server, [prefect, "work-pool", "create", "nianbao", "--type", "process"], env)
    run_prefect(
        prefect_server,
        [prefect, "--no-prompt", "deploy", "--all", "--prefect-file", str(ROOT / "deploy" / "prefect.yaml")],
        env,
    )
    workers = [
        start(
            processes,
            [
                prefect,
                "worker",
                "start",
                "--pool",
                "nianbao",
                "--work-queue",
                "ingest",
                "--limit",
                "1",
                "--name",
                f"ingest-{name}",
            ],
            env,
            tmp_path / f"worker-{name}.log",
        )
        for name in ("a", "b")
    ]
    task_workers = [
        start(processes, [str(BIN / "nianbao"), "worker", *relay], env, tmp_path / f"task-worker-{n}.log")
        for n, relay in enumerate((["--relay"], []))
    ]

    backlog = store_reports(settings, 0, 4 * BATCH)
    run_prefect(prefect_server, [prefect, "deployment", "run", "ingest pending/ingest-pending"], env)
    wait_for(lambda: len(reports_per_document(settings)) == len(backlog), 300, "the backlog loaded")

    api = prefect_server.api_url

    def finished_batch_runs() -> list[dict[str, Any]]:
        runs: list[dict[str, Any]] = httpx.post(
            f"{api}/flow_runs/filter",
            json={"flow_runs": {"name": {"like_": "ingest 3 document"}}},
            timeout=10,
        ).json()
        return runs if len(runs) == 4 and all(run["state_type"] == "COMPLETED" for run in runs) else []

    # A report is committed before its batch run reports Completed: wait for the runs themselves.
    batch_runs = wait_for(finished_batch_runs, 120, "four completed batch runs")
    took = {
        log.name: sum(run["id"] in log.read_text(errors="replace") for run in batch_runs) for log in workers
    }
    print(f"\nbatch runs per worker: {took}")
    assert all(count >= 1 for count in took.values()) and sum(took.values()) == 4

    burst = store_reports(settings, 100, 4 * BATCH)
    # Emitted once the relay is subscribed: before that it would see only the events already persisted.
    relay_log = tmp_path / "task-worker-0.log"
    wait_for(lambda: "relay subscribed" in relay_log.read_text(errors="replace"), 120, "the relay subscribed")
    subprocess.run([sys.executable, "-c", EMIT_ALL, json.dumps(burst)], env=env, check=True, timeout=60)
    wait_for(
        lambda: len(reports_per_document(settings)) == len(backlog) + len(burst), 300, "the burst loaded"
    )
    received = {log.name: log.read_text(errors="replace").count("Received task run") for log in task_workers}
    print(f"task runs per task worker: {received}")
    assert all(count >= 1 for count in received.values())

    assert reports_per_document(settings) == {document_id: 1 for document_id, _, _ in backlog + burst}
    with session_scope(settings) as session:
        statuses = {d.status for d in session.scalars(select(models.Document))}
    assert statuses == {"parsed"}
