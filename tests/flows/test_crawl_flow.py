"""The crawl flow: one `crawl batch` flow run per batch of sources, one crawl run per source; a
blocked site alerts once."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import yaml

from flows.demo.portal import start_portal, write_demo_registry
from storage.settings import Settings, get_settings

pytestmark = [
    pytest.mark.usefixtures("prefect_api"),
    pytest.mark.parametrize("db_url", ["sqlite"], indirect=True),
    pytest.mark.parametrize("object_store_config", ["local"], indirect=True),
]
CHALLENGE = b"<html><script>document.cookie='wzwsconfirm=1';location.reload()</script></html>"


@pytest.fixture
def anti_bot_site() -> Iterator[str]:
    """A site that answers every page with a 412 JS-cookie challenge (robots.txt: none)."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path == "/robots.txt":
                self.send_response(404)
                self.end_headers()
                return
            self.send_response(412)
            self.send_header("Set-Cookie", "wzws_cid=abc; path=/")
            self.send_header("Content-Type", "text/html")
            self.end_headers()
            self.wfile.write(CHALLENGE)

        def log_message(self, format: str, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/xxgk/ndbg/index.html"
    finally:
        server.shutdown()
        server.server_close()


def flow_run_names(flow_name: str) -> list[str]:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowFilter, FlowFilterName

    with get_client(sync_client=True) as client:
        runs = client.read_flow_runs(flow_filter=FlowFilter(name=FlowFilterName(any_=[flow_name])))
    return sorted(run.name for run in runs)


def crawl_runs(settings: Settings) -> list[tuple[str, str]]:
    """(source, status) of every crawl run."""
    from sqlalchemy import select

    from storage.db import session_scope
    from storage.models import CrawlRun

    with session_scope(settings) as session:
        return sorted((run.source_id, run.status) for run in session.scalars(select(CrawlRun)))


def test_every_batch_gets_its_own_flow_run_and_a_blocked_site_alerts_once(
    settings: Settings, webhook: Any, anti_bot_site: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from flows.flows import crawl_flow

    sources = tmp_path / "sources"
    blocked = {
        "region": "640000",
        "name": "test",
        "sources": [
            {"id": "anti-bot", "name": "某区人民政府", "region_code": "640105", "start_urls": [anti_bot_site]}
        ],
    }
    (sources / "blocked.yaml").parent.mkdir(parents=True)
    (sources / "blocked.yaml").write_text(yaml.safe_dump(blocked, allow_unicode=True), encoding="utf-8")
    monkeypatch.setenv("NIANBAO_SOURCES_DIR", str(sources))
    monkeypatch.setenv("NIANBAO_CRAWL_DOWNLOAD_DELAY", "0")
    monkeypatch.setenv("NIANBAO_ALERT_URLS", webhook.apprise_url)
    get_settings.cache_clear()

    with start_portal() as portal:
        write_demo_registry(portal, sources / "demo.yaml")
        expected_new = len(portal.expected.documents)
        first = crawl_flow()
        again = crawl_flow(["anti-bot"])

    statuses = {s["source_id"]: s["status"] for s in first}
    assert statuses == {"demo-xixia-trs": "ok", "demo-yinchuan-hanweb": "ok", "anti-bot": "blocked"}
    assert sum(s["documents_new"] for s in first) == expected_new
    assert [s["status"] for s in again] == ["blocked"]
    assert flow_run_names("crawl batch") == [
        "crawl batch 1/1: anti-bot (1 source)",
        "crawl batch 1/1: anti-bot … demo-yinchuan-hanweb (3 sources)",
    ]
    assert crawl_runs(settings) == [
        ("anti-bot", "blocked"),
        ("anti-bot", "blocked"),
        ("demo-xixia-trs", "ok"),
        ("demo-yinchuan-hanweb", "ok"),
    ]
    assert [alert["title"] for alert in webhook.received] == ["[nianbao] crawl blocked: 某区人民政府"]
    assert "anti-bot challenge (wzws, HTTP 412)" in webhook.received[0]["message"]


def test_nianbao_crawl_alerts_a_blocked_site_like_the_flow(
    settings: Settings, webhook: Any, anti_bot_site: str, tmp_path: Path
) -> None:
    import json
    import os
    import subprocess
    import sys

    sources = tmp_path / "sources"
    sources.mkdir()
    blocked = {
        "region": "640000",
        "name": "test",
        "sources": [
            {"id": "anti-bot", "name": "某区人民政府", "region_code": "640105", "start_urls": [anti_bot_site]}
        ],
    }
    (sources / "blocked.yaml").write_text(yaml.safe_dump(blocked, allow_unicode=True), encoding="utf-8")
    env = {
        **os.environ,
        "NIANBAO_SOURCES_DIR": str(sources),
        "NIANBAO_CRAWL_DOWNLOAD_DELAY": "0",
        "NIANBAO_ALERT_URLS": webhook.apprise_url,
    }
    nianbao = str(Path(sys.executable).parent / "nianbao")

    runs = [
        subprocess.run([nianbao, "crawl", "--json"], env=env, capture_output=True, text=True, timeout=300)
        for _ in range(2)
    ]

    assert [r.returncode for r in runs] == [0, 0], runs[0].stderr[-2000:]
    assert [json.loads(r.stdout.splitlines()[-1])["statuses"] for r in runs] == [{"blocked": 1}] * 2
    assert [alert["title"] for alert in webhook.received] == ["[nianbao] crawl blocked: 某区人民政府"]
