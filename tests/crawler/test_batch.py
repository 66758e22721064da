"""Many sources per Scrapy process (crawler.batch, crawler.run.crawl_batch) on the demo fleet: each
source keeps its own crawl run, state and stored set; a source whose crawler fails and a batch process
killed mid-batch lose nothing of the other sources."""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from crawler.batch import BatchCrawl, BatchJob
from crawler.registry import Politeness, Registry, SourceConfig, load_registry
from crawler.run import crawl_batch, plan_batches
from flows.alerts import crawl_recorder
from flows.demo.fleet import Fleet, start_fleet, write_fleet_registry
from storage.db import get_engine, session_scope
from storage.models import Alert, CrawlRun, Document
from storage.settings import Settings

SITES = 5


@pytest.fixture(scope="module")
def fleet_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fleet-cache")


@pytest.fixture
def fleet(fleet_cache: Path) -> Iterator[Fleet]:
    with start_fleet(SITES, fleet_cache) as running:
        yield running


def fleet_registry(fleet: Fleet, tmp_path: Path, delay: float = 0.0) -> Path:
    return write_fleet_registry(fleet, tmp_path / "registry" / "fleet.yaml", {"download_delay": delay})


def stored_by_source(settings: Settings) -> dict[str, list[str]]:
    """Every stored URL per source, sorted (duplicates would show twice)."""
    with session_scope(get_engine(settings)) as session:
        rows = [(d.source_id, d.url) for d in session.scalars(select(Document))]
    found: dict[str, list[str]] = {}
    for source_id, url in rows:
        found.setdefault(str(source_id), []).append(url)
    return {source_id: sorted(urls) for source_id, urls in found.items()}


def runs(settings: Settings) -> list[CrawlRun]:
    with session_scope(get_engine(settings)) as session:
        found = list(session.scalars(select(CrawlRun).order_by(CrawlRun.id)))
        session.expunge_all()
    return found


def document_runs(settings: Settings) -> dict[str, set[int | None]]:
    """The crawl runs each source's documents were stored by."""
    with session_scope(get_engine(settings)) as session:
        rows = [(d.source_id, d.crawl_run_id) for d in session.scalars(select(Document))]
    found: dict[str, set[int | None]] = {}
    for source_id, run_id in rows:
        found.setdefault(str(source_id), set()).add(run_id)
    return found


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("object_store_config", ["local"], indirect=True)
def test_a_batch_stores_each_sites_documents_under_its_own_run_then_crawls_incrementally(
    settings: Settings, fleet: Fleet, tmp_path: Path
) -> None:
    registry = fleet_registry(fleet, tmp_path)
    ids = [fleet.source_id(i) for i in range(SITES)]

    first = crawl_batch(ids, registry_path=registry, settings=settings, concurrency=3)
    fleet_requests = len(fleet.requests)
    second = crawl_batch(ids, registry_path=registry, settings=settings, concurrency=3)

    expected = {fleet.source_id(i): sorted(fleet.documents(i)) for i in range(SITES)}
    assert [(r.source_id, r.status, r.health, r.documents_new) for r in first] == [
        (source_id, "ok", "ok", 4) for source_id in ids
    ]
    assert stored_by_source(settings) == expected
    assert document_runs(settings) == {r.source_id: {r.run_id} for r in first}
    assert [(r.status, r.documents_new, r.stats["incremental"], r.stats["not_modified"]) for r in second] == [
        ("ok", 0, True, 1)
    ] * SITES
    assert stored_by_source(settings) == expected
    later = fleet.requests[fleet_requests:]
    assert sorted((r.path, r.status) for r in later) == sorted(
        [("/robots.txt", 200), ("/xxgk/zfxxgknb/index.html", 304)] * SITES
    )
    log = Path(first[0].stats["log"])
    assert log.name == f"crawl-batch-{first[0].run_id}.log"
    assert all(
        f"[{source_id}] [scrapy.core.engine] INFO: Spider opened" in log.read_text() for source_id in ids
    )


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("object_store_config", ["local"], indirect=True)
def test_a_source_whose_crawler_fails_fails_alone(settings: Settings, fleet: Fleet, tmp_path: Path) -> None:
    """The second source's crawler cannot be built (a delay that is not a number, which the registry
    would refuse): its run fails with the error and the other sources store exactly their documents."""
    loaded = load_registry(fleet_registry(fleet, tmp_path))
    broken = fleet.source_id(1)
    bad_delay = Politeness(download_delay="soon")  # type: ignore[arg-type]
    sources = tuple(replace(s, politeness=bad_delay) if s.id == broken else s for s in loaded.sources)
    registry = Registry(sources=sources, agencies=loaded.agencies)
    ids = [fleet.source_id(i) for i in range(SITES)]

    results = crawl_batch(
        ids, registry=registry, settings=settings, concurrency=2, on_finish=crawl_recorder(settings)
    )

    assert [(r.source_id, r.status) for r in results] == [
        (source_id, "failed" if source_id == broken else "ok") for source_id in ids
    ]
    failed = results[1]
    assert failed.reason == (
        "the crawl could not start: TypeError: '>' not supported between instances of 'str' and 'float'"
    )
    assert stored_by_source(settings) == {
        fleet.source_id(i): sorted(fleet.documents(i)) for i in range(SITES) if i != 1
    }
    with session_scope(get_engine(settings)) as session:
        alerts = [a.key for a in session.scalars(select(Alert))]
    assert alerts == [f"crawl:{broken}:failed:after-0"]


@pytest.mark.parametrize("db_url", [pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True)
@pytest.mark.parametrize("object_store_config", ["local"], indirect=True)
def test_a_batch_process_killed_mid_batch_keeps_the_finished_sources(
    settings: Settings, fleet: Fleet, tmp_path: Path
) -> None:
    """`kill -9` of the batch process once two sources have finished (one source at a time, 0.2 s
    between requests): those keep their `ok` run and exactly their documents; the others are failed
    with the reason and alerted; the next batch walks them in full and stores exactly the fleet."""
    registry = fleet_registry(fleet, tmp_path, delay=0.2)
    ids = [fleet.source_id(i) for i in range(SITES)]
    killed: list[int] = []

    def kill_after_two(child: Any) -> None:
        def watch() -> None:
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline and child.poll() is None:
                if sum(1 for r in runs(settings) if r.status != "running") >= 2:
                    os.kill(child.pid, signal.SIGKILL)
                    killed.append(child.pid)
                    return
                time.sleep(0.05)

        threading.Thread(target=watch, daemon=True).start()

    first = crawl_batch(
        ids,
        registry_path=registry,
        settings=settings,
        concurrency=1,
        on_start=kill_after_two,
        on_finish=crawl_recorder(settings),
    )

    assert killed
    finished = [r for r in first if r.status == "ok"]
    unfinished = [r for r in first if r.status != "ok"]
    assert len(finished) >= 2 and unfinished
    assert [r.source_id for r in finished] == ids[: len(finished)]  # one at a time, in order
    stored = stored_by_source(settings)
    for result in finished:
        assert stored[result.source_id] == sorted(fleet.documents(ids.index(result.source_id)))
    reason = (
        f"crawler process was killed by SIGKILL before this source finished "
        f"({len(finished)} of the batch's {SITES} sources had)"
    )
    for result in unfinished:
        assert (result.status, result.reason.split(": ")[0]) == ("failed", reason)
        assert set(stored.get(result.source_id, [])) <= fleet.documents(ids.index(result.source_id))
    assert not [r.id for r in runs(settings) if r.status == "running"]
    with session_scope(get_engine(settings)) as session:
        alerts = sorted(a.key for a in session.scalars(select(Alert)))
    assert alerts == sorted(f"crawl:{r.source_id}:failed:after-0" for r in unfinished)

    again = crawl_batch(ids, registry_path=registry, settings=settings, concurrency=2)

    assert [r.status for r in again] == ["ok"] * SITES
    walked_in_full = {r.source_id for r in again if not r.stats["incremental"]}
    assert walked_in_full == {r.source_id for r in unfinished}
    assert stored_by_source(settings) == {
        fleet.source_id(i): sorted(fleet.documents(i)) for i in range(SITES)
    }


def source(source_id: str, *urls: str, render: bool = False) -> SourceConfig:
    hosts = tuple(sorted({url.split("/")[2] for url in urls}))
    return SourceConfig(source_id, source_id, "640000", urls, hosts, render=render)


def test_plan_batches_keeps_a_host_in_one_batch_and_rendering_sources_apart() -> None:
    sources = [
        source("a", "http://one.example/x"),
        source("b", "http://two.example/x"),
        source("c", "http://one.example/y", "http://three.example/y"),
        source("d", "http://four.example/x"),
        source("e", "http://three.example/z"),
        source("f", "http://five.example/x", render=True),
        source("g", "http://six.example/x"),
    ]

    batches = plan_batches(sources, 2)

    assert [[s.id for s in batch] for batch in batches] == [["a", "c", "e"], ["b", "d"], ["g"], ["f"]]


def test_a_batch_never_crawls_two_sources_of_one_host_at_once() -> None:
    started: list[str] = []
    finish: dict[str, Any] = {}
    reported: list[str] = []
    jobs = [
        BatchJob(source("a", "http://one.example/x"), 1),
        BatchJob(source("b", "http://one.example/y"), 2),
        BatchJob(source("c", "http://two.example/x"), 3),
        BatchJob(source("d", "http://three.example/x"), 4),
    ]

    def start(job: BatchJob, done: Any) -> None:
        started.append(job.source.id)
        finish[job.source.id] = done

    batch = BatchCrawl(jobs, start, lambda s: reported.append(s["source_id"]), 2, lambda call: call())
    idle: list[bool] = []
    batch.on_idle = lambda: idle.append(True)

    batch.fill()
    assert started == ["a", "c"]
    finish["c"]({"source_id": "c"})
    assert started == ["a", "c", "d"]
    finish["a"]({"source_id": "a"})
    assert started == ["a", "c", "d", "b"]
    finish["d"]({"source_id": "d"})
    finish["b"]({"source_id": "b"})
    assert (reported, idle) == (["c", "a", "d", "b"], [True])
