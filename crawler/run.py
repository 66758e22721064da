"""Crawl sources in child processes and record each source's crawl run, even when a child dies.

`crawl_source`: the parent syncs the registry into the database, creates the `crawl_runs` row, starts
`python -m crawler.runner` (the Twisted reactor cannot restart, so one process per source), reads the
child's JSON summary and finishes the row with status ok | empty | blocked | failed.
`crawl_batch`: the same for a batch of sources crawled by one `python -m crawler.batch` process (one
Scrapy crawler per source), which pays the interpreter, import and registry start-up once per batch
instead of once per source; each source's row is finished as soon as its result line arrives, and the
sources a dying batch process had not finished are recorded failed with the reason. `crawl_all` plans
batches (`plan_batches`) and runs them one after another.
Each run also gets the site's health (`site_health`): ok | blocked | unreachable | empty |
layout_changed | out_of_season, recorded in the run's stats and shown wherever the run is reported.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy.orm import Session

from crawler.batch import politeness_hosts
from crawler.lifeline import PARENT_PID_ENV, pid_alive
from crawler.registry import Registry, SourceConfig, load_registry
from storage.settings import Settings, get_settings

T = TypeVar("T")
PROJECT_ROOT = Path(__file__).resolve().parent.parent
LOG_TAIL_LINES = 5
SITE_HEALTH: tuple[str, ...] = ("ok", "blocked", "unreachable", "empty", "layout_changed", "out_of_season")
STALE_RUN = timedelta(hours=12)
"""A `running` crawl run of another host (or of no recorded process) older than this was interrupted."""
FINISH_RETRY_DELAYS = (0.5, 1, 2, 4, 8, 8, 8, 8, 8, 8)
"""Seconds between attempts to record a run's end across a database blip (about a minute in all)."""
PUBLISHING_MONTHS = range(1, 6)
"""January to May: reports are due by 31 January and 31 March; later months see few new ones."""


@dataclass(frozen=True)
class CrawlSummary:
    """How one crawl of one source ended."""

    source_id: str
    run_id: int
    status: str
    reason: str = ""
    pages: int = 0
    links_found: int = 0
    documents_new: int = 0
    documents_unchanged: int = 0
    errors: int = 0
    health: str = ""
    stats: dict[str, Any] = field(default_factory=dict)

    def as_dict(self, with_stats: bool = False) -> dict[str, Any]:
        data = asdict(self)
        if not with_stats:
            data.pop("stats")
        return data


def sync_registry(session: Session, registry: Registry) -> None:
    """Upsert every source and agency of the registry (agency deadlines resolved per region)."""
    from storage.repository import sync_agencies

    sync_sources(session, registry.sources)
    sync_agencies(
        session,
        [
            {
                "name": agency.name,
                "aliases": list(agency.aliases),
                "kind": agency.kind,
                "region_code": agency.region_code,
                "deadline_override": registry.deadline_override_for(agency),
                "source_id": agency.source,
            }
            for agency in registry.agencies
        ],
    )


def settings_env(settings: Settings) -> dict[str, str]:
    """NIANBAO_* variables that reproduce `settings` in a child process."""
    env: dict[str, str] = {}
    for name, value in settings.model_dump().items():
        if isinstance(value, bool):
            text = "true" if value else "false"
        elif isinstance(value, list | tuple):
            text = ",".join(str(v) for v in value)
        else:
            text = str(value)
        env[f"NIANBAO_{name.upper()}"] = text
    return env


def child_env(settings: Settings) -> dict[str, str]:
    env = {**os.environ, **settings_env(settings)}
    paths = [str(PROJECT_ROOT), *[p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]]
    env["PYTHONPATH"] = os.pathsep.join(dict.fromkeys(paths))
    env.setdefault("PYTHONIOENCODING", "utf-8")
    env[PARENT_PID_ENV] = str(os.getpid())  # the runner dies with this process (crawler.lifeline)
    return env


OnFinish = Callable[[Session, "CrawlSummary"], None]
"""Called in the transaction that finishes a crawl run (the outbox: its alert commits with it)."""


def run_owner() -> dict[str, Any]:
    """The host and pid of this process, recorded on the runs it starts."""
    return {"host": socket.gethostname(), "pid": os.getpid()}


def is_interrupted(stats: Mapping[str, Any] | None, started_at: datetime, now: datetime) -> bool:
    """Whether a `running` run's process is gone: its pid is dead on this host, or (another host, no
    owner recorded) it started more than STALE_RUN ago."""
    owner = (stats or {}).get("owner") or {}
    if owner.get("host") == socket.gethostname() and owner.get("pid"):
        return not pid_alive(int(owner["pid"]))
    started = started_at if started_at.tzinfo else started_at.replace(tzinfo=UTC)
    return now - started > STALE_RUN


def reap_interrupted_runs(session: Session, source_id: str, on_finish: OnFinish | None = None) -> list[int]:
    """Close the source's runs left `running` by a dead process as `failed` ("interrupted"), each
    with `on_finish` in the same transaction; returns their ids."""
    from storage.repository import finish_crawl_run, running_crawl_runs

    reaped = []
    now = datetime.now(UTC)
    for run in running_crawl_runs(session, source_id):
        if not is_interrupted(run.stats, run.started_at, now):
            continue
        owner = (run.stats or {}).get("owner") or {}
        reason = (
            f"interrupted: the crawling process ({owner.get('host', '?')} pid {owner.get('pid', '?')}) died"
        )
        finish_crawl_run(session, run.id, status="failed", reason=reason, stats=dict(run.stats or {}))
        if on_finish is not None:
            on_finish(
                session, CrawlSummary(source_id=source_id, run_id=run.id, status="failed", reason=reason)
            )
        reaped.append(run.id)
    return reaped


def retry_database(action: Callable[[], T], delays: tuple[float, ...] = FINISH_RETRY_DELAYS) -> T:
    """Run `action` (one transaction), again after each delay while the database is unreachable."""
    from sqlalchemy.exc import InterfaceError, OperationalError

    from storage.errors import DatabaseError

    for delay in delays:
        try:
            return action()
        except (OperationalError, InterfaceError, DatabaseError):
            time.sleep(delay)
    return action()


def runner_command(source_id: str, run_id: int, summary: Path, registry_path: str | Path | None) -> list[str]:
    command = [sys.executable, "-m", "crawler.runner", "--source", source_id, "--run-id", str(run_id)]
    command += ["--summary", str(summary)]
    if registry_path:
        command += ["--registry", str(registry_path)]
    return command


def describe_exit(returncode: int | None) -> str:
    if returncode is None:
        return "timed out"
    if returncode < 0:
        try:
            name = signal.Signals(-returncode).name
        except ValueError:
            name = str(-returncode)
        return f"was killed by {name}"
    return f"exited with code {returncode}"


def decide_status(
    summary: Mapping[str, Any] | None, returncode: int | None, log_tail: str = ""
) -> tuple[str, str]:
    """(status, reason) of a crawl from the child's summary and exit code."""
    if summary is None or returncode is None or (returncode != 0 and not summary.get("fatal")):
        tail = f": {log_tail}" if log_tail else ""
        return "failed", f"crawler process {describe_exit(returncode)}{tail}"
    if summary.get("fatal"):
        return "failed", str(summary["fatal"])
    if summary.get("blocked"):
        return "blocked", str(summary["blocked"])
    storing = [
        f for f in summary.get("failures") or [] if str(f.get("reason", "")).startswith("storing failed")
    ]
    if storing:
        return "failed", f"{storing[0]['reason']} ({storing[0]['url']})"
    if not summary.get("pages"):
        failures = summary.get("failures") or []
        first = f": {failures[0]['url']} {failures[0]['reason']}" if failures else ""
        return "failed", f"no list page could be fetched{first}"
    if not summary.get("links_found") and not summary.get("not_modified"):
        before = summary.get("previous_links_found")
        if before:
            return "empty", f"no report links found (the previous crawl found {before})"
        return "empty", "no report links found on the list pages"
    return "ok", ""


def site_health(status: str, summary: Mapping[str, Any] | None, today: date | None = None) -> str:
    """The site's health after a run (SITE_HEALTH), or "" when the crawler itself failed.

    blocked: an anti-bot challenge; unreachable: no list page answered; layout_changed: list pages
    offered links (or a configured item selector matched none) and no report link where a previous
    crawl found some; out_of_season: a column with no link at all that never listed a report, crawled
    outside January–May (nothing published yet); empty: any other run without report links; ok otherwise.
    """
    if status == "blocked":
        return "blocked"
    data = summary or {}
    if status == "failed":
        return "unreachable" if data and not data.get("fatal") and not data.get("pages") else ""
    if status != "empty":
        return "ok"
    before = int(data.get("previous_links_found") or 0)
    if before and (data.get("list_links") or data.get("item_selector")):
        return "layout_changed"
    if not before and not data.get("list_links") and (today or date.today()).month not in PUBLISHING_MONTHS:
        return "out_of_season"
    return "empty"


def _log_tail(path: Path) -> str:
    try:
        lines = [
            line for line in path.read_text(encoding="utf-8", errors="replace").splitlines() if line.strip()
        ]
    except OSError:
        return ""
    return " | ".join(
        line.strip()[-200:] for line in lines[-LOG_TAIL_LINES:] if "ERROR" in line or "Error" in line
    )


def crawl_source(
    source_id: str,
    *,
    registry_path: str | Path | None = None,
    settings: Settings | None = None,
    timeout: float | None = None,
    on_start: Callable[[subprocess.Popen[bytes]], None] | None = None,
    on_finish: OnFinish | None = None,
) -> CrawlSummary:
    """Crawl one source in a child process; the crawl_runs row is always finished.

    Raises `RegistryError` for an unknown source or a bad registry and `StorageError` when the
    database is unusable; every crawl outcome (including the child dying) is a `CrawlSummary`.
    `on_start` receives the child process (tests use it to kill the child midway); `on_finish` runs in
    the transaction that finishes this run and any earlier run of the source a dead process left
    `running` (closed as failed, "interrupted"). Finishing the row is retried across a database blip.
    """
    from storage.db import get_engine, session_scope
    from storage.repository import start_crawl_run

    settings = settings or get_settings()
    registry_path = registry_path or settings.sources_dir or None
    registry = load_registry(registry_path)
    registry.source(source_id)
    engine = get_engine(settings)
    with session_scope(engine) as session:
        sync_registry(session, registry)
        reap_interrupted_runs(session, source_id, on_finish)
        run_id = start_crawl_run(session, source_id, owner=run_owner()).id
    log_dir = Path(settings.home) / "logs"
    log_dir.mkdir(parents=True, exist_ok=True)
    log_path = log_dir / f"crawl-{source_id}-{run_id}.log"
    with tempfile.TemporaryDirectory(prefix="nianbao-crawl-") as tmp:
        summary_path = Path(tmp) / "summary.json"
        command = runner_command(source_id, run_id, summary_path, registry_path)
        returncode: int | None
        with open(log_path, "wb") as log:
            child = subprocess.Popen(
                command,
                env=child_env(settings),
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
            try:
                if on_start is not None:
                    on_start(child)
                returncode = child.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
                returncode = None
            except BaseException:
                child.kill()
                child.wait()
                raise
        summary: dict[str, Any] | None = None
        if summary_path.exists():
            try:
                summary = json.loads(summary_path.read_text(encoding="utf-8"))
            except ValueError:
                summary = None
    status, reason = decide_status(summary, returncode, _log_tail(log_path))
    stats = dict(summary or {})
    if summary is not None:
        stats["item_selector"] = registry.source(source_id).list_item_selector or ""
    health = site_health(status, stats if summary is not None else None)
    stats["health"] = health
    stats["log"] = str(log_path)
    stats["returncode"] = returncode
    return retry_database(
        lambda: _finish(engine, source_id, run_id, status, reason, summary, stats, on_finish)
    )


def _finish(
    engine: Any,
    source_id: str,
    run_id: int,
    status: str,
    reason: str,
    summary: dict[str, Any] | None,
    stats: dict[str, Any],
    on_finish: OnFinish | None,
) -> CrawlSummary:
    """Finish the run row (and run `on_finish`) in one transaction."""
    from storage.db import session_scope
    from storage.repository import documents_of_crawl_run, finish_crawl_run

    health = str(stats.get("health") or "")
    with session_scope(engine) as session:
        counts = {"documents_new": documents_of_crawl_run(session, run_id)} if summary is None else {}
        result = CrawlSummary(
            source_id=source_id,
            run_id=run_id,
            status=status,
            reason=reason,
            pages=int(stats.get("pages") or 0),
            links_found=int(stats.get("links_found") or 0),
            documents_new=int(counts.get("documents_new", stats.get("documents_new") or 0)),
            documents_unchanged=int(stats.get("documents_unchanged") or 0),
            errors=int(stats.get("errors") or 0),
            health=health,
            stats=stats,
        )
        finish_crawl_run(
            session,
            run_id,
            status=result.status,
            reason=result.reason,
            pages=result.pages,
            links_found=result.links_found,
            documents_new=result.documents_new,
            documents_unchanged=result.documents_unchanged,
            errors=result.errors,
            stats=stats,
        )
        if on_finish is not None:
            on_finish(session, result)
    return result


def sync_sources(session: Session, sources: Iterable[SourceConfig]) -> None:
    """Upsert these sources only (a batch's; `sync_registry` syncs every source and agency once)."""
    from storage.repository import upsert_source

    for source in sources:
        upsert_source(
            session,
            id=source.id,
            name=source.name,
            region_code=source.region_code,
            start_urls=list(source.start_urls),
            config=source.as_config(),
        )


RENDER_BATCH_CONCURRENCY = 2
"""Sources of a rendering batch crawled at once (each crawler launches its own browser)."""


def plan_batches(sources: Sequence[SourceConfig], size: int) -> list[list[SourceConfig]]:
    """Split sources into batches of about `size`, in registry order: sources whose start URLs share a
    host stay in one batch (its process crawls them one at a time, so two batch processes never crawl
    one host at once), and sources that render list pages in a browser get batches of their own (the
    browser handler is loaded only there)."""
    root = list(range(len(sources)))

    def find(index: int) -> int:
        while root[index] != index:
            root[index] = root[root[index]]
            index = root[index]
        return index

    first_on_host: dict[str, int] = {}
    for index, source in enumerate(sources):
        for host in sorted(politeness_hosts(source)):
            other = first_on_host.setdefault(host, index)
            low, high = sorted((find(index), find(other)))
            root[high] = low
    groups: dict[int, list[SourceConfig]] = {}
    for index, source in enumerate(sources):
        groups.setdefault(find(index), []).append(source)
    batches: list[list[SourceConfig]] = []
    for render in (False, True):
        current: list[SourceConfig] = []
        for _, group in sorted(groups.items()):
            if any(source.render for source in group) != render:
                continue
            if current and len(current) + len(group) > size:
                batches.append(current)
                current = []
            current.extend(group)
        if current:
            batches.append(current)
    return batches


def batch_command(jobs: Path, results: Path, concurrency: int) -> list[str]:
    command = [sys.executable, "-m", "crawler.batch", "--jobs", str(jobs), "--results", str(results)]
    return [*command, "--concurrency", str(concurrency)]


class ResultLines:
    """Reads the complete JSON lines a batch process has appended to its results file so far."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.offset = 0

    def new(self) -> list[dict[str, Any]]:
        try:
            with open(self.path, "rb") as results:
                results.seek(self.offset)
                data = results.read()
        except OSError:
            return []
        complete = data[: data.rfind(b"\n") + 1]
        self.offset += len(complete)
        found = []
        for line in complete.splitlines():
            try:
                found.append(json.loads(line))
            except ValueError:
                continue
        return found


BATCH_POLL_SECONDS = 0.2


def crawl_batch(
    source_ids: Sequence[str],
    *,
    registry: Registry | None = None,
    registry_path: str | Path | None = None,
    settings: Settings | None = None,
    concurrency: int | None = None,
    timeout: float | None = None,
    on_start: Callable[[subprocess.Popen[bytes]], None] | None = None,
    on_finish: OnFinish | None = None,
    on_done: Callable[[CrawlSummary], None] | None = None,
) -> list[CrawlSummary]:
    """Crawl several sources in one child process (`crawler.batch`); every source's crawl_runs row is
    always finished, with the same statuses, stats, health and `on_finish` as `crawl_source`.

    Upserts the batch's sources only (callers sync the whole registry once, see `crawl_all`). Each
    source's row is finished as soon as the child reports it, then `on_done` is called; when the child
    dies or `timeout` (seconds, the whole batch) passes, the sources it had not finished are failed
    ("crawler process was killed by SIGKILL before this source finished …") and their next crawl walks
    every list page again. Returns the summaries in `source_ids` order.
    """
    from crawler.batch import BatchJob, write_jobs
    from storage.db import get_engine, session_scope
    from storage.repository import start_crawl_run

    settings = settings or get_settings()
    registry = registry or load_registry(registry_path or settings.sources_dir or None)
    sources = [registry.source(source_id) for source_id in dict.fromkeys(source_ids)]
    if not sources:
        return []
    if concurrency is None:
        concurrency = settings.crawl_batch_concurrency
        if any(source.render for source in sources):
            concurrency = min(concurrency, RENDER_BATCH_CONCURRENCY)
    engine = get_engine(settings)
    with session_scope(engine) as session:
        sync_sources(session, sources)
        for source in sources:
            reap_interrupted_runs(session, source.id, on_finish)
        jobs = [
            BatchJob(source, start_crawl_run(session, source.id, owner=run_owner()).id) for source in sources
        ]
    log_dir = Path(settings.home) / "logs"
    log_dir.mkdir(parents=True, exist_ok=True)
    log_path = log_dir / f"crawl-batch-{jobs[0].run_id}.log"
    results: dict[str, CrawlSummary] = {}

    by_id = {job.source.id: job for job in jobs}

    def finish_reported(summary: dict[str, Any]) -> None:
        job = by_id.get(str(summary.get("source_id")))
        if job is None or job.source.id in results:
            return
        result = _finish_reported(engine, job.source, job.run_id, summary, 0, "", log_path, on_finish)
        results[job.source.id] = result
        if on_done is not None:
            on_done(result)

    with tempfile.TemporaryDirectory(prefix="nianbao-crawl-") as tmp:
        jobs_path, results_path = Path(tmp) / "jobs.pickle", Path(tmp) / "results.jsonl"
        write_jobs(jobs_path, jobs)
        lines = ResultLines(results_path)
        returncode: int | None
        with open(log_path, "wb") as log:
            child = subprocess.Popen(
                batch_command(jobs_path, results_path, concurrency),
                env=child_env(settings),
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
            deadline = None if timeout is None else time.monotonic() + timeout
            try:
                if on_start is not None:
                    on_start(child)
                while True:
                    try:
                        returncode = child.wait(timeout=BATCH_POLL_SECONDS)
                        break
                    except subprocess.TimeoutExpired:
                        for summary in lines.new():
                            finish_reported(summary)
                        if deadline is not None and time.monotonic() > deadline:
                            child.kill()
                            child.wait()
                            returncode = None
                            break
            except BaseException:
                child.kill()
                child.wait()
                raise
        for summary in lines.new():
            finish_reported(summary)
    tail = _log_tail(log_path)
    done = len(results)
    for job in jobs:
        if job.source.id in results:
            continue
        reason = (
            f"crawler process {describe_exit(returncode)} before this source finished "
            f"({done} of the batch's {len(jobs)} sources had)"
        )
        result = _finish_reported(
            engine, job.source, job.run_id, None, returncode, reason, log_path, on_finish, tail
        )
        results[job.source.id] = result
        if on_done is not None:
            on_done(result)
    return [results[source.id] for source in sources]


def _finish_reported(
    engine: Any,
    source: SourceConfig,
    run_id: int,
    summary: dict[str, Any] | None,
    returncode: int | None,
    reason: str,
    log_path: Path,
    on_finish: OnFinish | None,
    log_tail: str = "",
) -> CrawlSummary:
    """Finish one source's run of a batch from its result line (None: the batch process died first)."""
    if summary is None:
        status, why = "failed", f"{reason}: {log_tail}" if log_tail else reason
    else:
        status, why = decide_status(summary, 0)
    stats = dict(summary or {})
    if summary is not None:
        stats["item_selector"] = source.list_item_selector or ""
    stats["health"] = site_health(status, stats if summary is not None else None)
    stats["log"] = str(log_path)
    stats["returncode"] = 0 if summary is not None else returncode
    return retry_database(lambda: _finish(engine, source.id, run_id, status, why, summary, stats, on_finish))


def crawl_all(
    source_ids: list[str] | None = None,
    *,
    registry_path: str | Path | None = None,
    settings: Settings | None = None,
    on_done: Callable[[CrawlSummary], None] | None = None,
    on_finish: OnFinish | None = None,
) -> list[CrawlSummary]:
    """Crawl the given sources (default: every source of the registry): the registry is synced once,
    then batches of `crawl_batch_size` sources (`plan_batches`), one child process each, in order."""
    from storage.db import get_engine, session_scope

    settings = settings or get_settings()
    registry = load_registry(registry_path or settings.sources_dir or None)
    ids = source_ids or [source.id for source in registry.sources]
    wanted = [registry.source(source_id) for source_id in dict.fromkeys(ids)]
    with session_scope(get_engine(settings)) as session:
        sync_registry(session, registry)
    results = []
    for batch in plan_batches(wanted, settings.crawl_batch_size):
        results += crawl_batch(
            [source.id for source in batch],
            registry=registry,
            settings=settings,
            on_finish=on_finish,
            on_done=on_done,
        )
    order = {source.id: index for index, source in enumerate(wanted)}
    return sorted(results, key=lambda r: order[r.source_id])
