"""End-to-end crawls of the pattern sites (flows.demo.patterns): each crawl stores exactly the site's
documents, requests nothing off-host or disallowed, and a second crawl fetches list pages only."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from sqlalchemy import select

from crawler.registry import load_registry
from crawler.run import CrawlSummary, crawl_all, crawl_source
from flows.demo.patterns import SCRIPT_ITEMS, Hit, PatternPortal, pattern_portal
from storage.db import get_engine, session_scope
from storage.models import Document
from storage.settings import Settings
from tests.browser import require_chromium

pytestmark = [
    pytest.mark.parametrize("db_url", ["sqlite"], indirect=True),
    pytest.mark.parametrize("object_store_config", ["local"], indirect=True),
]


@pytest.fixture
def patterns() -> Iterator[PatternPortal]:
    with pattern_portal() as running:
        yield running


@pytest.fixture
def registry(patterns: PatternPortal, tmp_path: Path) -> Path:
    path = tmp_path / "registry" / "patterns.yaml"
    path.parent.mkdir(parents=True)
    path.write_text(yaml.safe_dump(patterns.registry(), allow_unicode=True), encoding="utf-8")
    return path


def stored_urls(settings: Settings) -> list[str]:
    with session_scope(get_engine(settings)) as session:
        return [d.url for d in session.scalars(select(Document).order_by(Document.id))]


def crawl(name: str, patterns: PatternPortal, registry: Path, settings: Settings) -> CrawlSummary:
    return crawl_source(patterns.sites[name].source_id, registry_path=registry, settings=settings)


def assert_first_crawl(
    name: str, patterns: PatternPortal, registry: Path, settings: Settings
) -> CrawlSummary:
    """The crawl stores exactly the site's documents; nothing is requested off-host or under /private/."""
    result = crawl(name, patterns, registry, settings)
    site = patterns.sites[name]
    assert (result.status, result.health) == ("ok", "ok"), result.reason
    assert result.stats["health"] == "ok"
    assert sorted(stored_urls(settings)) == sorted(patterns.url(name, p) for p in site.documents)
    hits = patterns.hits()
    assert {h.host for h in hits} == {f"127.0.0.1:{patterns.servers[name].server_address[1]}"}
    assert not [h for h in hits if h.path.startswith("/private/")]
    assert {h.site for h in hits} == {name}
    return result


def assert_second_crawl(name: str, patterns: PatternPortal, registry: Path, settings: Settings) -> list[str]:
    """A second crawl stores nothing and fetches list pages only; returns the paths it requested."""
    before = stored_urls(settings)
    patterns.clear()
    again = crawl(name, patterns, registry, settings)
    assert again.status == "ok", again.reason
    assert again.documents_new == 0
    assert again.stats["detail_downloads"] + again.stats["attachment_downloads"] == 0
    assert stored_urls(settings) == before
    paths = [h.path for h in patterns.hits()]
    assert set(paths) <= patterns.sites[name].list_paths
    return paths


def test_home_page_start_finds_the_column_and_its_year_folders(
    settings: Settings, patterns: PatternPortal, registry: Path
) -> None:
    result = assert_first_crawl("home", patterns, registry, settings)
    paths = [h.path for h in patterns.hits()]
    assert sorted(paths) == sorted(
        [
            "/robots.txt",
            "/index.html",
            "/zwgk/index.html",
            "/zwgk/ndbg/index.html",
            "/zwgk/ndbg/2024/index.html",
            "/zwgk/ndbg/2024/index_1.html",
            "/zwgk/ndbg/2023/",
            "/zwgk/ndbg/2022/index.html",
            *sorted(patterns.sites["home"].documents),
        ]
    )
    assert result.stats["robots_disallowed"] == [patterns.url("home", "/private/ndbg/index.html")]
    assert result.stats["state"]["columns"] == {
        patterns.start_url("home"): patterns.url("home", "/zwgk/ndbg/index.html")
    }
    assert result.links_found == 4

    # The next crawl starts at the column it found: its year folders answer 304, nothing is downloaded.
    second = assert_second_crawl("home", patterns, registry, settings)
    assert sorted(second) == sorted(
        [
            "/robots.txt",
            "/zwgk/ndbg/index.html",
            "/zwgk/ndbg/2024/index.html",
            "/zwgk/ndbg/2023/",
            "/zwgk/ndbg/2022/index.html",
        ]
    )
    assert {h.status for h in patterns.hits() if h.path != "/robots.txt"} == {304}


@pytest.mark.parametrize("change", ["gone", "emptied"])
def test_a_remembered_column_that_stops_answering_or_listing_is_discovered_again(
    settings: Settings, patterns: PatternPortal, registry: Path, change: str
) -> None:
    crawl("home", patterns, registry, settings)
    site = patterns.sites["home"]
    column = site.pages.pop("/zwgk/ndbg/index.html")
    assert isinstance(column, bytes)
    if change == "emptied":
        site.pages["/zwgk/ndbg/index.html"] = "<html><body><p>暂无信息</p></body></html>".encode()
    site.pages["/zwgk/ndbg2/index.html"] = column.replace(b'href="./', b'href="/zwgk/ndbg/')
    menu = site.pages["/zwgk/index.html"]
    assert isinstance(menu, bytes)
    site.pages["/zwgk/index.html"] = menu.replace(b"/zwgk/ndbg/index.html", b"/zwgk/ndbg2/index.html")
    patterns.clear()
    result = crawl("home", patterns, registry, settings)
    assert result.status == "ok", result.reason
    assert result.documents_new == 0
    hits = [(h.path, h.status) for h in patterns.hits()]
    assert hits[:5] == [
        ("/robots.txt", 200),
        ("/zwgk/ndbg/index.html", 404 if change == "gone" else 200),
        ("/index.html", 200),
        ("/zwgk/index.html", 200),
        ("/zwgk/ndbg2/index.html", 200),
    ]
    years = [
        ("/zwgk/ndbg/2022/index.html", 304),
        ("/zwgk/ndbg/2023/", 304),
        ("/zwgk/ndbg/2024/index.html", 304),
    ]
    assert sorted(hits[5:]) == years
    assert result.stats["state"]["columns"] == {
        patterns.start_url("home"): patterns.url("home", "/zwgk/ndbg2/index.html")
    }


def test_the_hop_budget_bounds_the_walk(settings: Settings, patterns: PatternPortal, tmp_path: Path) -> None:
    data = patterns.registry(("home",))
    data["sources"][0]["discover_hops"] = 1
    path = tmp_path / "hops.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    result = crawl_source("pattern-home", registry_path=path, settings=settings)
    assert (result.status, result.health, result.links_found) == ("empty", "empty", 0)
    assert [h.path for h in patterns.hits()] == ["/robots.txt", "/index.html", "/zwgk/index.html"]
    assert stored_urls(settings) == []


def test_list_in_an_iframe_paginated_by_go_page(
    settings: Settings, patterns: PatternPortal, registry: Path
) -> None:
    result = assert_first_crawl("frame", patterns, registry, settings)
    assert len(patterns.hits()) == 1 + 4 + len(patterns.sites["frame"].documents)
    lists = [
        (h.path, h.query) for h in patterns.hits() if h.path.startswith("/xxgk/nb/") and "art" not in h.path
    ]
    assert sorted(lists) == [
        ("/xxgk/nb/index.html", ""),
        ("/xxgk/nb/list.jsp", "channelId=12"),
        ("/xxgk/nb/list.jsp", "channelId=12&page=2"),
        ("/xxgk/nb/list.jsp", "channelId=12&page=3"),
    ]
    assert result.stats["offsite"] == [f"{patterns.offsite_base}ad/banner.html"]
    assert result.links_found == 7
    assert assert_second_crawl("frame", patterns, registry, settings) == [
        "/robots.txt",
        "/xxgk/nb/index.html",
        "/xxgk/nb/list.jsp",
    ]


def test_onclick_downloads_and_off_host_links(
    settings: Settings, patterns: PatternPortal, registry: Path
) -> None:
    result = assert_first_crawl("onclick", patterns, registry, settings)
    assert sorted((h.path, h.query, h.status) for h in patterns.hits()) == [
        ("/attach/download.jsp", "fileId=a101", 200),
        ("/attach/get.jsp", "id=b202", 200),
        ("/gk/ndbg/1.html", "", 200),
        ("/gk/ndbg/2.html", "", 200),
        ("/gk/ndbg/go3.html", "", 302),
        ("/gk/ndbg/index.html", "", 200),
        ("/robots.txt", "", 200),
    ]
    base = patterns.offsite_base
    assert sorted(result.stats["offsite"]) == sorted(
        [f"{base}gk/ndbg/3.html", f"{base}gk/ndbg/4.html", f"{base}mirror/a101.pdf"]
    )
    with session_scope(get_engine(settings)) as session:
        files = {
            d.url: (d.content_type, d.parent_id is not None)
            for d in session.scalars(select(Document).where(Document.parent_id.is_not(None)))
        }
    assert files == {
        patterns.url("onclick", "/attach/download.jsp?fileId=a101"): ("application/pdf", True),
        patterns.url("onclick", "/attach/get.jsp?id=b202"): ("application/pdf", True),
    }
    assert assert_second_crawl("onclick", patterns, registry, settings) == [
        "/robots.txt",
        "/gk/ndbg/index.html",
    ]


def test_post_only_hanweb_dataproxy(settings: Settings, patterns: PatternPortal, registry: Path) -> None:
    result = assert_first_crawl("post", patterns, registry, settings)
    assert sorted(h.path for h in patterns.hits() if not h.path.startswith("/art/")) == [
        "/col/col555/index.html",
        *["/module/web/jpage/dataproxy.jsp"] * 3,
        "/robots.txt",
    ]
    assert sorted(h.path for h in patterns.hits() if h.path.startswith("/art/")) == sorted(
        patterns.sites["post"].documents
    )
    proxy = [(h.method, h.status) for h in patterns.hits() if h.path.endswith("dataproxy.jsp")]
    assert proxy == [("GET", 405), ("POST", 200), ("POST", 200)]
    assert result.errors == 0
    assert result.stats["state"]["methods"] == {
        patterns.url("post", "/module/web/jpage/dataproxy.jsp"): "POST"
    }
    second = assert_second_crawl("post", patterns, registry, settings)
    assert second == ["/robots.txt", "/col/col555/index.html", "/module/web/jpage/dataproxy.jsp"]
    assert [h.method for h in patterns.hits() if h.path.endswith("dataproxy.jsp")] == ["POST"]


def test_http_200_challenge_blocks_the_run(
    settings: Settings, patterns: PatternPortal, registry: Path
) -> None:
    result = crawl("challenge", patterns, registry, settings)
    assert (result.status, result.health) == ("blocked", "blocked")
    assert result.reason == (
        f"anti-bot challenge (cookie fssbbil1ugzbn7n80s, HTTP 200) at {patterns.start_url('challenge')}"
    )
    assert stored_urls(settings) == []
    assert [(h.path, h.status) for h in patterns.hits()] == [
        ("/robots.txt", 200),
        ("/xxgk/ndbg/index.html", 200),
    ]


def browser_made(hit: Hit) -> bool:
    """Chromium's requests carry its client hints (Sec-CH-UA); Scrapy's never do."""
    return "Sec-Ch-Ua" in hit.headers


def write_registry(patterns: PatternPortal, name: str, tmp_path: Path, **options: object) -> Path:
    """A registry of the one pattern site `name`, its source's options replaced by `options`."""
    data = patterns.registry((name,))
    data["sources"][0].pop("render", None)
    data["sources"][0].update(options)
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def test_script_built_list_is_rendered_in_chromium(
    settings: Settings, patterns: PatternPortal, registry: Path
) -> None:
    require_chromium()
    result = assert_first_crawl("script", patterns, registry, settings)
    site = patterns.sites["script"]
    # Only the list pages and what their scripts fetch went through the browser; reports and the
    # attachment were fetched by Scrapy. No image, stylesheet, off-host script or /private/ counter.
    assert sorted((h.path, h.query, h.status, browser_made(h)) for h in patterns.hits()) == sorted(
        [
            ("/robots.txt", "", 200, False),
            ("/xxgk/ndbg", "", 302, True),
            ("/xxgk/ndbg/index.html", "", 200, True),
            ("/js/ndbg.js", "", 200, True),
            ("/xxgk/ndbg/index_1.html", "", 200, True),
            ("/js/ndbg.js", "", 200, True),
            ("/xxgk/ndbg/list.json", "page=2", 200, True),
            *[(path, "", 200, False) for path in site.documents],
        ]
    )
    assert result.stats["offsite"] == [f"{patterns.offsite_base}js/tongji.js"]
    assert result.stats["robots_disallowed"] == [patterns.url("script", "/private/count.jsp?id=ndbg")]
    assert (result.links_found, result.stats["detail_downloads"], result.stats["attachment_downloads"]) == (
        5,
        5,
        1,
    )
    with session_scope(get_engine(settings)) as session:
        listed = {
            d.url: (d.title, d.list_date.isoformat() if d.list_date else None)
            for d in session.scalars(select(Document).where(Document.parent_id.is_(None)))
        }
    assert listed == {
        patterns.url("script", f"/xxgk/ndbg/2025/t{i}.html"): (title, day)
        for i, (title, day) in enumerate(SCRIPT_ITEMS, start=1)
    }

    # Rendered list pages are never conditional; the first one's links are all known, so the walk
    # stops there and nothing else is fetched.
    second = assert_second_crawl("script", patterns, registry, settings)
    assert sorted(second) == ["/js/ndbg.js", "/robots.txt", "/xxgk/ndbg", "/xxgk/ndbg/index.html"]


def test_without_render_the_script_built_list_shows_nothing(
    settings: Settings, patterns: PatternPortal, tmp_path: Path
) -> None:
    path = write_registry(patterns, "script", tmp_path)
    result = crawl_source("pattern-script", registry_path=path, settings=settings)
    assert (result.status, result.health, result.links_found) == ("empty", "empty", 0)
    assert [(h.path, h.status, browser_made(h)) for h in patterns.hits()] == [
        ("/robots.txt", 200, False),
        ("/xxgk/ndbg", 302, False),
        ("/xxgk/ndbg/index.html", 200, False),
    ]
    assert stored_urls(settings) == []


@pytest.mark.parametrize("missing", ["setting", "path"])
def test_render_without_chromium_ends_the_run_with_one_line(
    settings: Settings,
    patterns: PatternPortal,
    registry: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    missing: str,
) -> None:
    if missing == "setting":
        monkeypatch.setenv("NIANBAO_CHROMIUM", "/nonexistent/chromium")
        reason = (
            "render: true needs Chromium: NIANBAO_CHROMIUM=/nonexistent/chromium is not an executable file"
        )
    else:
        monkeypatch.delenv("NIANBAO_CHROMIUM", raising=False)
        monkeypatch.setenv("PATH", str(tmp_path))
        reason = "render: true needs Chromium: no chromium on PATH (apt-get install chromium, or set NIANBAO_CHROMIUM)"
    result = crawl("script", patterns, registry, settings)
    assert (result.status, result.reason, result.health) == ("failed", reason, "")
    assert patterns.hits() == []
    assert stored_urls(settings) == []


def test_a_rendered_challenge_is_blocked_before_its_scripts_run(
    settings: Settings, patterns: PatternPortal, tmp_path: Path
) -> None:
    require_chromium()
    path = write_registry(patterns, "challenge", tmp_path, render=True)
    result = crawl_source("pattern-challenge", registry_path=path, settings=settings)
    assert (result.status, result.health) == ("blocked", "blocked")
    assert result.reason == (
        f"anti-bot challenge (cookie fssbbil1ugzbn7n80s, HTTP 200) at {patterns.start_url('challenge')}"
    )
    # The challenge's own script (/4QbVtADbnLVIc/….js) was never fetched: the page never ran.
    assert [(h.path, h.status, browser_made(h)) for h in patterns.hits()] == [
        ("/robots.txt", 200, False),
        ("/xxgk/ndbg/index.html", 200, True),
    ]
    assert stored_urls(settings) == []


def test_a_rendering_source_in_a_batch_crawl(
    settings: Settings, patterns: PatternPortal, registry: Path
) -> None:
    """`crawl_all` puts the rendering source in a batch of its own; both crawls store exactly their site's
    documents and nothing is asked of another host."""
    require_chromium()
    results = crawl_all(["pattern-script", "pattern-frame"], registry_path=registry, settings=settings)
    assert [(r.source_id, r.status, r.health) for r in results] == [
        ("pattern-script", "ok", "ok"),
        ("pattern-frame", "ok", "ok"),
    ]
    assert sorted(stored_urls(settings)) == sorted(
        patterns.url(name, path) for name in ("script", "frame") for path in patterns.sites[name].documents
    )
    ports = {name: f"127.0.0.1:{patterns.servers[name].server_address[1]}" for name in ("script", "frame")}
    assert {(h.site, h.host) for h in patterns.hits()} == {(name, host) for name, host in ports.items()}
    assert {h.site for h in patterns.hits() if browser_made(h)} == {"script"}


def process_tree(pid: int) -> dict[int, str]:
    """The live descendants of `pid` and their command names (from /proc)."""
    found: dict[int, str] = {}
    todo = [pid]
    while todo:
        children: list[str] = []
        for task in Path(f"/proc/{todo.pop()}/task").glob("*/children"):
            try:
                children += task.read_text().split()
            except OSError:
                continue
        for child in map(int, children):
            try:
                found[child] = Path(f"/proc/{child}/comm").read_text().strip()
            except OSError:
                continue
            todo.append(child)
    return found


def is_running(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def test_a_killed_rendering_crawl_leaves_no_browser_behind(
    settings: Settings, patterns: PatternPortal, registry: Path
) -> None:
    """`kill -9` of the Scrapy child while Chromium renders: its Playwright driver and every Chromium
    process go with it, and the next crawl stores exactly the site's documents."""
    require_chromium()
    victims: dict[int, str] = {}

    def kill_when_rendering(child: subprocess.Popen[bytes]) -> None:
        def watch() -> None:
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline and child.poll() is None:
                tree = process_tree(child.pid)
                if "chromium" in tree.values():
                    victims.update(tree)
                    os.kill(child.pid, signal.SIGKILL)
                    return
                time.sleep(0.05)

        threading.Thread(target=watch, daemon=True).start()

    killed = crawl_source(
        "pattern-script", registry_path=registry, settings=settings, on_start=kill_when_rendering
    )
    assert (killed.status, killed.reason) == ("failed", "crawler process was killed by SIGKILL")
    assert "chromium" in victims.values() and any(name.startswith("node") for name in victims.values())
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and any(is_running(pid) for pid in victims):
        time.sleep(0.1)
    assert {pid: name for pid, name in victims.items() if is_running(pid)} == {}

    patterns.clear()
    again = crawl("script", patterns, registry, settings)
    assert again.status == "ok", again.reason
    site = patterns.sites["script"]
    assert sorted(stored_urls(settings)) == sorted(patterns.url("script", p) for p in site.documents)
    assert {h.host for h in patterns.hits()} == {f"127.0.0.1:{patterns.servers['script'].server_address[1]}"}


NIANBAO = str(Path(sys.executable).parent / "nianbao")


def discover(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [NIANBAO, "sources", "discover", *args], capture_output=True, text=True, timeout=120
    )


def test_sources_discover_prints_a_registry_entry(
    settings: Settings, patterns: PatternPortal, registry: Path, tmp_path: Path
) -> None:
    result = discover(patterns.start_url("home"), "--json")
    assert result.returncode == 0, result.stderr
    column = patterns.url("home", "/zwgk/ndbg/index.html")
    assert json.loads(result.stdout) == {
        "start_url": patterns.start_url("home"),
        "column_url": column,
        "path": [patterns.start_url("home"), patterns.url("home", "/zwgk/index.html"), column],
        "pagination": "next_link",
        "reports_seen": 3,
        "agencies": [
            {"name": "某某县人民政府", "kind": "government"},
            {"name": "某某县教育局", "kind": "department"},
        ],
        "source": {
            "id": "127-0-0-1",
            "name": "某某县人民政府",
            "start_urls": [column],
            "pagination": "next_link",
            "verified": False,
        },
    }
    assert not [h for h in patterns.hits() if h.path.startswith("/private/")]

    # The YAML form pastes into a registry file that loads and crawls the column.
    text = discover(patterns.start_url("frame"), "--id", "frame-site", "--region", "640000")
    assert text.returncode == 0, text.stderr
    block = yaml.safe_load(text.stdout)
    assert block["sources"][0]["pagination"] == "go_page"
    assert [a["name"] for a in block["agencies"]][:2] == ["某某区人民政府", "某某区发展和改革局"]
    pasted = tmp_path / "pasted.yaml"
    pasted.write_text(
        yaml.safe_dump({"region": "640000", "name": "宁夏", **block}, allow_unicode=True), "utf-8"
    )
    assert [s.id for s in load_registry(pasted).sources] == ["frame-site"]
    assert {h.host for h in patterns.hits()} <= {
        f"127.0.0.1:{patterns.servers[name].server_address[1]}" for name in ("home", "frame")
    }


def test_sources_discover_fails_on_a_challenge_and_without_a_column(
    settings: Settings, patterns: PatternPortal
) -> None:
    blocked = discover(patterns.start_url("challenge"))
    assert (blocked.returncode, blocked.stdout) == (1, "")
    assert "anti-bot challenge (cookie fssbbil1ugzbn7n80s, HTTP 200)" in blocked.stderr
    nothing = discover(patterns.start_url("home"), "--hops", "1")
    assert nothing.returncode == 1
    assert (
        nothing.stderr.strip()
        == f"nianbao: no 年报 column within 1 navigation links of {patterns.start_url('home')}"
    )


def test_sources_discover_reads_a_post_only_hanweb_column(
    settings: Settings, patterns: PatternPortal
) -> None:
    result = discover(patterns.start_url("post"), "--json")
    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout)
    assert (found["column_url"], found["pagination"], found["reports_seen"]) == (
        patterns.start_url("post"),
        "hanweb",
        2,
    )
    assert found["agencies"] == [
        {"name": "某某州人民政府", "kind": "government"},
        {"name": "某某州商务局", "kind": "department"},
    ]
    proxy = [(h.method, h.status) for h in patterns.hits() if h.path.endswith("dataproxy.jsp")]
    assert proxy == [("GET", 405), ("POST", 200)]
