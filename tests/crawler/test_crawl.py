"""End-to-end crawls of the demo portal on loopback, each in its own child process."""

from __future__ import annotations

import http.server
import json
import os
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import yaml
from sqlalchemy import select

from crawler.run import crawl_source
from flows.demo.catalog import PUBDATE_FORMATS, articles
from flows.demo.portal import Portal, start_portal, write_demo_registry
from storage.db import get_engine, session_scope
from storage.models import CrawlRun, Document
from storage.settings import Settings

TRS = "demo-xixia-trs"
HANWEB = "demo-yinchuan-hanweb"


def expected_pub_date(site: str, title: str) -> datetime:
    """The instant the page's PubDate states (in its own precision), from the portal's catalog."""
    article = next(a for a in articles(site) if a.title == title)  # type: ignore[arg-type]
    spelling = PUBDATE_FORMATS[article.date_format].replace("\u2236", ":")
    local = datetime.strptime(article.published.strftime(spelling), spelling)
    return local.replace(tzinfo=ZoneInfo("Asia/Shanghai")).astimezone(UTC)


@pytest.fixture(scope="session")
def portal_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Rendered attachments are cached across portal instances of the session."""
    return tmp_path_factory.mktemp("portal-cache")


@pytest.fixture
def portal(portal_cache: Path) -> Iterator[Portal]:
    with start_portal(state_dir=portal_cache) as running:
        yield running


@pytest.fixture
def registry(portal: Portal, tmp_path: Path) -> Path:
    return write_demo_registry(portal, tmp_path / "registry" / "demo.yaml")


def edit_registry(path: Path, **fields: Any) -> Path:
    """Set fields on every source of a registry file (e.g. recheck_days, politeness)."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    for source in data["sources"]:
        source.update(fields)
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def stored(settings: Settings) -> dict[str, Document]:
    """The latest stored version of every URL, detached from the session."""
    with session_scope(get_engine(settings)) as session:
        documents = list(session.scalars(select(Document).order_by(Document.id)))
        session.expunge_all()
    return {d.url: d for d in documents}


def all_rows(settings: Settings) -> list[Document]:
    with session_scope(get_engine(settings)) as session:
        documents = list(session.scalars(select(Document).order_by(Document.id)))
        session.expunge_all()
    return documents


def path_of(url: str) -> str:
    return "/" + url.split("/", 3)[3].split("?")[0]


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("object_store_config", ["local"], indirect=True)
def test_first_crawl_stores_exactly_the_expected_documents(
    settings: Settings, portal: Portal, registry: Path
) -> None:
    results = [crawl_source(source, registry_path=registry, settings=settings) for source in (TRS, HANWEB)]
    expected = portal.expected
    documents = stored(settings)
    assert set(documents) == {d.url for d in expected.documents}
    assert not set(documents) & {d.url for d in expected.decoys}
    assert [r.status for r in results] == ["ok", "ok"]
    assert sum(r.documents_new for r in results) == len(expected.documents)
    assert len(all_rows(settings)) == len(expected.documents)

    # robots.txt obeyed: the disallowed decoy is never requested; the 404 attachment is an error.
    requests = portal.requests
    robots_decoys = [d for d in expected.decoys if d.reason == "robots_disallowed"]
    assert robots_decoys
    assert not {path_of(d.url) for d in robots_decoys} & {r.path for r in requests}
    title_decoys = {path_of(d.url) for d in expected.decoys if d.reason == "title_excluded"}
    assert not title_decoys & {r.path for r in requests}
    broken = [d.url for d in expected.broken]
    trs = results[0]
    assert trs.errors == len(broken) == 1
    assert [f["url"] for f in trs.stats["failures"]] == broken
    assert trs.stats["failures"][0]["status"] == 404

    # The flaky page answered 503 twice and was stored after the retries.
    statuses: dict[str, list[int]] = {}
    for record in requests:
        statuses.setdefault(record.path, []).append(record.status)
    flaky = [path for path, codes in statuses.items() if 503 in codes]
    assert len(flaky) == 1
    assert statuses[flaky[0]] == [503, 503, 200]
    assert any(path_of(url) == flaky[0] for url in documents)

    # Every detail page and attachment was downloaded exactly once.
    for document in expected.documents:
        assert statuses[path_of(document.url)] in ([200], [503, 503, 200]), document.url
    assert all(r.headers.get("User-Agent") == settings.user_agent for r in requests)

    # Metadata: titles (GBK site too), PubDate as UTC, content types, attachments linked to pages.
    for document in expected.documents:
        row = documents[document.url]
        assert row.status == "stored"
        assert row.source_id == (TRS if document.site == "trs" else HANWEB)
        if document.kind == "page":
            assert row.title == document.title
            assert row.meta["ArticleTitle"] == document.title
            assert row.parent_id is None
            assert row.page_pub_date is not None
            pub = row.page_pub_date if row.page_pub_date.tzinfo else row.page_pub_date.replace(tzinfo=UTC)
            assert pub == expected_pub_date(document.site, document.title)
            assert row.list_date == document.pub_date
            assert row.content_type.lower() == document.content_type.lower()
            assert row.meta["SiteIDCode"] in ("6401050001", "6401000001")
        else:
            assert row.parent_id is not None
            parent = next(d for d in all_rows(settings) if d.id == row.parent_id)
            assert parent.title == document.title
            assert row.content_type == document.content_type
    gbk_pages = [d for d in expected.documents if d.site == "trs" and d.kind == "page"]
    assert gbk_pages and all("年度报告" in documents[d.url].title for d in gbk_pages)

    with session_scope(get_engine(settings)) as session:
        runs = list(session.scalars(select(CrawlRun).order_by(CrawlRun.id)))
        assert [(r.source_id, r.status, r.documents_new) for r in runs] == [
            (TRS, "ok", results[0].documents_new),
            (HANWEB, "ok", results[1].documents_new),
        ]
        assert all(r.finished_at is not None and r.pages > 0 and r.links_found > 0 for r in runs)


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("object_store_config", ["local"], indirect=True)
def test_second_crawl_requests_list_pages_only(settings: Settings, portal: Portal, registry: Path) -> None:
    for source in (TRS, HANWEB):
        crawl_source(source, registry_path=registry, settings=settings)
    before = all_rows(settings)
    list_paths = {"/robots.txt", "/xxgk/zfxxgknb/index.html", "/col/col1229565788/index.html"}
    list_paths |= {"/module/web/jpage/dataproxy.jsp"}
    portal.clear_requests()
    results = [crawl_source(source, registry_path=registry, settings=settings) for source in (TRS, HANWEB)]
    requests = portal.requests
    assert {r.path for r in requests} <= list_paths
    assert [r.status for r in requests if r.path == "/xxgk/zfxxgknb/index.html"] == [304]
    assert all(r.headers.get("If-None-Match") for r in requests if r.path.endswith("index.html"))
    assert [r.status for r in results] == ["ok", "ok"]
    assert [r.documents_new for r in results] == [0, 0]
    assert [r.stats["detail_downloads"] + r.stats["attachment_downloads"] for r in results] == [0, 0]
    assert [(d.id, d.sha256) for d in all_rows(settings)] == [(d.id, d.sha256) for d in before]


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("object_store_config", ["local"], indirect=True)
def test_replaced_report_is_a_new_version(settings: Settings, portal: Portal, registry: Path) -> None:
    crawl_source(HANWEB, registry_path=registry, settings=settings)
    page = next(d for d in portal.expected.documents if d.site == "hanweb" and d.kind == "page")
    old = stored(settings)[page.url]
    new_sha = portal.replace_report(page.url)
    assert new_sha != old.sha256

    # Default recheck_days (7): the next crawl does not look at known pages, so it cannot notice.
    unchanged = crawl_source(HANWEB, registry_path=registry, settings=settings)
    assert unchanged.documents_new == 0

    # recheck_days 0: conditional GETs of every known document; only the replaced one answers 200.
    edit_registry(registry, recheck_days=0)
    portal.clear_requests()
    result = crawl_source(HANWEB, registry_path=registry, settings=settings)
    assert result.status == "ok"
    assert result.documents_new == 1
    versions = [d for d in all_rows(settings) if d.url == page.url]
    assert [d.sha256 for d in versions] == [old.sha256, new_sha]
    assert versions[1].previous_version_id == versions[0].id
    assert versions[1].crawl_run_id == result.run_id
    detail_statuses = [
        r.status for r in portal.requests if r.path.startswith(("/art/", "/attach/", "/module/down"))
    ]
    assert detail_statuses.count(200) == 1
    assert set(detail_statuses) == {200, 304}


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("object_store_config", ["local"], indirect=True)
def test_killed_crawl_resumes_to_the_same_stored_set(
    settings: Settings, portal: Portal, registry: Path
) -> None:
    slow = edit_registry(
        registry,
        politeness={"download_delay": 0.3, "concurrency_per_domain": 1},
    )

    def kill_midway(child: subprocess.Popen[bytes]) -> None:
        def watch() -> None:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and child.poll() is None:
                if len(all_rows(settings)) >= 5:
                    os.kill(child.pid, signal.SIGKILL)
                    return
                time.sleep(0.05)

        threading.Thread(target=watch, daemon=True).start()

    killed = crawl_source(TRS, registry_path=slow, settings=settings, on_start=kill_midway)
    assert killed.status == "failed"
    assert killed.reason.startswith("crawler process was killed by SIGKILL")
    partial = len(all_rows(settings))
    expected = {d.url for d in portal.expected.documents if d.site == "trs"}
    assert 5 <= partial < len(expected)

    edit_registry(registry, politeness={"download_delay": 0.0, "concurrency_per_domain": 2})
    resumed = crawl_source(TRS, registry_path=registry, settings=settings)
    assert resumed.status == "ok"
    rows = all_rows(settings)
    assert {d.url for d in rows} == expected
    assert len(rows) == len(expected)
    assert resumed.documents_new == len(expected) - partial
    with session_scope(get_engine(settings)) as session:
        statuses = [r.status for r in session.scalars(select(CrawlRun).order_by(CrawlRun.id))]
    assert statuses == ["failed", "ok"]


class _Handler(http.server.BaseHTTPRequestHandler):
    """A site that answers every request with `self.server.answer` (status, headers, body)."""

    def do_GET(self) -> None:
        status, headers, body = self.server.answer(self.path)  # type: ignore[attr-defined]
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def tiny_site() -> Iterator[http.server.ThreadingHTTPServer]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()
    server.server_close()


def tiny_registry(tmp_path: Path, server: http.server.ThreadingHTTPServer) -> Path:
    port = server.server_address[1]
    data = {
        "region": "640000",
        "name": "test",
        "sources": [
            {
                "id": "tiny",
                "name": "tiny",
                "region_code": "640105",
                "start_urls": [f"http://127.0.0.1:{port}/list/index.html"],
            }
        ],
    }
    path = tmp_path / "tiny.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("object_store_config", ["local"], indirect=True)
def test_anti_bot_412_marks_the_run_blocked(
    settings: Settings, tiny_site: http.server.ThreadingHTTPServer, tmp_path: Path
) -> None:
    def answer(path: str) -> tuple[int, dict[str, str], bytes]:
        if path == "/robots.txt":
            return 404, {}, b""
        challenge = b"<html><script>var wzwstemplate='x';document.cookie='wzwsconfirm=1';</script></html>"
        return 412, {"Set-Cookie": "wzws_cid=abc; path=/", "Content-Type": "text/html"}, challenge

    tiny_site.answer = answer  # type: ignore[attr-defined]
    result = crawl_source("tiny", registry_path=tiny_registry(tmp_path, tiny_site), settings=settings)
    assert result.status == "blocked"
    assert result.reason.startswith("anti-bot challenge (wzws, HTTP 412)")
    assert result.documents_new == 0
    with session_scope(get_engine(settings)) as session:
        run = session.scalars(select(CrawlRun)).one()
        assert (run.status, run.reason) == ("blocked", result.reason)


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("object_store_config", ["local"], indirect=True)
def test_zero_report_links_after_some_is_empty(
    settings: Settings, tiny_site: http.server.ThreadingHTTPServer, tmp_path: Path
) -> None:
    listing = {
        "html": '<ul><li><a href="/a/1.html">2023年政府信息公开工作年度报告</a><span>2024-01-20</span></li></ul>'
    }

    def answer(path: str) -> tuple[int, dict[str, str], bytes]:
        if path == "/list/index.html":
            return 200, {"Content-Type": "text/html; charset=utf-8"}, listing["html"].encode()
        if path == "/a/1.html":
            page = '<html><head><meta name="PubDate" content="2024-01-20 10:00"></head><h1>2023年年度报告</h1></html>'
            return 200, {"Content-Type": "text/html; charset=utf-8"}, page.encode()
        return 404, {}, b"not found"

    tiny_site.answer = answer  # type: ignore[attr-defined]
    path = tiny_registry(tmp_path, tiny_site)
    first = crawl_source("tiny", registry_path=path, settings=settings)
    assert (first.status, first.links_found, first.documents_new) == ("ok", 1, 1)
    listing["html"] = "<ul><li><a href='/b.html'>网站维护中</a></li></ul>"
    second = crawl_source("tiny", registry_path=path, settings=settings)
    assert second.status == "empty"
    assert second.reason == "no report links found (the previous crawl found 1)"
    assert second.health == "layout_changed"  # the list answers with a link, none of them a report


@pytest.mark.postgres
@pytest.mark.s3
@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
@pytest.mark.parametrize("object_store_config", ["s3"], indirect=True)
def test_crawl_into_postgresql_and_s3(
    settings: Settings, portal: Portal, registry: Path, object_store: Any
) -> None:
    result = crawl_source(HANWEB, registry_path=registry, settings=settings)
    expected = [d for d in portal.expected.documents if d.site == "hanweb"]
    documents = stored(settings)
    assert result.status == "ok"
    assert set(documents) == {d.url for d in expected}
    for document in expected:
        row = documents[document.url]
        info = object_store.stat(row.object_key)
        assert info.sha256 == row.sha256 == portal.sha256(document.url)
        assert info.metadata["source-url"] == document.url
        assert info.metadata["source-id"] == HANWEB
        if document.kind == "page":
            assert row.page_pub_date is not None and row.page_pub_date.tzinfo is not None


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("object_store_config", ["local"], indirect=True)
def test_json_api_pages_until_total_pages(
    settings: Settings, tiny_site: http.server.ThreadingHTTPServer, tmp_path: Path
) -> None:
    pages = {
        "1": {
            "data": {"pages": 2, "list": [{"title": "2023年政府信息公开工作年度报告", "url": "/a/1.html"}]}
        },
        "2": {
            "data": {"pages": 2, "list": [{"title": "2022年政府信息公开工作年度报告", "url": "/a/2.html"}]}
        },
        "3": {
            "data": {"pages": 2, "list": [{"title": "2021年政府信息公开工作年度报告", "url": "/a/3.html"}]}
        },
    }
    requested: list[str] = []

    def answer(path: str) -> tuple[int, dict[str, str], bytes]:
        requested.append(path)
        if path.startswith("/api?page="):
            body = json.dumps(pages[path.removeprefix("/api?page=")], ensure_ascii=False)
            return 200, {"Content-Type": "application/json; charset=utf-8"}, body.encode()
        if path.startswith("/a/"):
            page = (
                "<html><head><meta name='PubDate' content='2024-01-20 10:00'></head><h1>年度报告</h1></html>"
            )
            return 200, {"Content-Type": "text/html; charset=utf-8"}, page.encode()
        return 404, {}, b"not found"

    tiny_site.answer = answer  # type: ignore[attr-defined]
    path = tiny_registry(tmp_path, tiny_site)
    port = tiny_site.server_address[1]
    edit_registry(
        path,
        pagination="json_api",
        json_api={"url_template": f"http://127.0.0.1:{port}/api?page={{page}}", "items": "data.list"}
        | {"total_pages": "data.pages"},
    )
    result = crawl_source("tiny", registry_path=path, settings=settings)
    assert (result.status, result.pages, result.links_found, result.documents_new) == ("ok", 2, 2, 2)
    assert sorted(p for p in requested if p != "/robots.txt") == [
        "/a/1.html",
        "/a/2.html",
        "/api?page=1",
        "/api?page=2",
    ]
    assert set(stored(settings)) == {f"http://127.0.0.1:{port}/a/1.html", f"http://127.0.0.1:{port}/a/2.html"}
