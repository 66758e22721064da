"""No orphans, no stuck rows: a killed `crawl` takes its Scrapy child with it, and the next run closes
the run row it left `running` as failed ("interrupted") with an alert, then crawls to the same set."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from crawler.lifeline import pid_alive
from crawler.run import crawl_source
from flows.alerts import crawl_recorder
from flows.demo.portal import Portal
from storage.db import get_engine, session_scope
from storage.models import Alert, CrawlRun
from storage.settings import Settings
from tests.crawler import test_crawl
from tests.crawler.test_crawl import TRS, all_rows, edit_registry

portal_cache = test_crawl.portal_cache
portal = test_crawl.portal
registry = test_crawl.registry

ROOT = Path(__file__).resolve().parents[2]


def children_of(pid: int) -> list[int]:
    """Pids whose parent is `pid` (from /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def wait_until(check: object, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():  # type: ignore[operator]
            return True
        time.sleep(0.05)
    return False


KILLS = 4


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("object_store_config", ["local"], indirect=True)
def test_crawl_killed_at_random_points_then_rerun_stores_the_same_set(
    settings: Settings, portal: Portal, registry: Path
) -> None:
    """`kill -9` of the crawling parent or of its Scrapy child, in turn, each after a random number of
    new documents: a killed parent takes its child with it, the next run closes the row it left
    `running` as interrupted (one crawl alert), and a last run stores exactly the expected set."""
    import random

    slow = edit_registry(registry, politeness={"download_delay": 0.3, "concurrency_per_domain": 1})
    code = (
        "from crawler.run import crawl_source; from flows.alerts import crawl_recorder; "
        "from storage.settings import get_settings; "
        f"crawl_source({TRS!r}, registry_path={str(slow)!r}, on_finish=crawl_recorder(get_settings()))"
    )
    rng = random.Random(7)
    kills = {"parent": 0, "child": 0}
    leftovers = 0
    last_victim = ""
    for attempt in range(KILLS):
        before = len(all_rows(settings))
        parent = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, env={**os.environ})
        try:
            more = rng.randint(1, 3)
            progressed = wait_until(
                lambda: len(all_rows(settings)) >= before + more or parent.poll() is not None,  # noqa: B023
                90,
            )
            assert progressed, "the crawl stored nothing"
            runners = children_of(parent.pid)
            if parent.poll() is not None or not runners:
                break
            victim = "parent" if attempt % 2 == 0 else "child"
            os.kill(parent.pid if victim == "parent" else runners[0], signal.SIGKILL)
            kills[victim] += 1
            last_victim = victim
            parent.wait(60)
        finally:
            if parent.poll() is None:
                parent.kill()
                parent.wait()
        wait_until(lambda: not any(pid_alive(p) for p in runners), 10)  # noqa: B023
        leftovers += sum(1 for p in runners if pid_alive(p))
    stored_before_last = len(all_rows(settings))
    with session_scope(get_engine(settings)) as session:
        left_running = [r.id for r in session.scalars(select(CrawlRun)) if r.status == "running"]
    assert len(left_running) == (1 if last_victim == "parent" else 0)  # each run closes the one before

    edit_registry(registry, politeness={"download_delay": 0.0, "concurrency_per_domain": 2})
    resumed = crawl_source(TRS, registry_path=registry, settings=settings, on_finish=crawl_recorder(settings))

    assert resumed.status == "ok"
    expected = {d.url for d in portal.expected.documents if d.site == "trs"}
    rows = all_rows(settings)
    with session_scope(get_engine(settings)) as session:
        runs = [(r.status, r.reason) for r in session.scalars(select(CrawlRun).order_by(CrawlRun.id))]
        alerts = [(a.kind, a.key) for a in session.scalars(select(Alert))]
    interrupted = [
        reason for status, reason in runs if reason.startswith("interrupted: the crawling process (")
    ]
    killed_children = [
        reason for status, reason in runs if reason.startswith("crawler process was killed by SIGKILL")
    ]
    lost = len(expected - {d.url for d in rows})
    duplicated = len(rows) - len({d.url for d in rows})
    print(
        f"\ncrawl kill -9: kills {kills}, stored before the last run {stored_before_last} of {len(expected)}, "
        f"lost {lost}, duplicated {duplicated}, leftover processes {leftovers}, "
        f"rows running {sum(1 for status, _ in runs if status == 'running')}"
    )
    assert kills["parent"] >= 1 and kills["child"] >= 1
    assert [status for status, _ in runs] == ["failed"] * (len(runs) - 1) + ["ok"]
    assert (len(interrupted), len(killed_children)) == (kills["parent"], kills["child"])
    assert alerts == [("crawl", f"crawl:{TRS}:failed:after-0")]
    assert (lost, duplicated, leftovers) == (0, 0, 0)
    assert len(rows) == len(expected)


@pytest.mark.parametrize("db_url", [pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True)
@pytest.mark.parametrize("object_store_config", ["local"], indirect=True)
def test_database_unreachable_mid_crawl_leaves_no_running_row(
    db_url: str, settings: Settings, portal: Portal, registry: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """PostgreSQL unreachable for 20 s from the fifth stored document (through a proxy that is
    stopped): the run row is still finished once it is back, and a re-run stores the same set."""
    import threading

    from sqlalchemy.engine import make_url

    from storage.settings import get_settings
    from tests.tcpproxy import TcpProxy

    direct = make_url(db_url)
    proxy = TcpProxy((direct.host or "127.0.0.1", direct.port or 5432)).start()
    proxied = direct.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    monkeypatch.setenv("NIANBAO_DATABASE_URL", proxied)
    get_settings.cache_clear()
    through_proxy = settings.model_copy(update={"database_url": proxied})
    slow = edit_registry(registry, politeness={"download_delay": 0.3, "concurrency_per_domain": 1})
    blips: list[float] = []

    def blip_at_fifth_document(child: subprocess.Popen[bytes]) -> None:
        def watch() -> None:
            if wait_until(lambda: len(all_rows(settings)) >= 5 or child.poll() is not None, 90):
                proxy.stop()
                blips.append(time.monotonic())
                time.sleep(20)
                proxy.start()

        threading.Thread(target=watch, daemon=True).start()

    try:
        first = crawl_source(TRS, registry_path=slow, settings=through_proxy, on_start=blip_at_fifth_document)
        assert blips, "the database never went away"
        waited = time.monotonic() - blips[0]
        edit_registry(registry, politeness={"download_delay": 0.0, "concurrency_per_domain": 2})
        second = crawl_source(TRS, registry_path=registry, settings=through_proxy)
    finally:
        proxy.stop()
    expected = {d.url for d in portal.expected.documents if d.site == "trs"}
    rows = all_rows(settings)
    with session_scope(get_engine(settings)) as session:
        runs = [r.status for r in session.scalars(select(CrawlRun).order_by(CrawlRun.id))]
    lost = len(expected - {d.url for d in rows})
    duplicated = len(rows) - len({d.url for d in rows})
    print(
        f"\nPostgreSQL down 20 s mid-crawl: first run {first.status} ({first.reason[:80]}), re-run "
        f"{second.status}; first run returned {waited:.0f} s after the database went away; lost {lost}, duplicated {duplicated}, runs {runs}"
    )
    assert "running" not in runs and len(runs) == 2
    assert second.status == "ok"
    assert (lost, duplicated) == (0, 0)
