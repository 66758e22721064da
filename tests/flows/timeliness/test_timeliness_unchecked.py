"""`unchecked` end to end: real crawls of a blocked site and an unreachable one, then the timeliness
monitor as a subprocess. Nothing was found on either, and neither is claimed `missing`."""

from __future__ import annotations

import http.server
import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from storage.db import session_scope
from storage.models import Timeliness
from storage.settings import Settings
from tests.processes import free_ports

NIANBAO = str(Path(sys.executable).parent / "nianbao")
WZWS = b"<html><script>var wzwstemplate='x';document.cookie='wzwsconfirm=1';</script></html>"


class _Challenge(http.server.BaseHTTPRequestHandler):
    """A site behind an anti-bot wall: every page is a wzws HTTP 412 challenge."""

    def do_GET(self) -> None:
        if self.path == "/robots.txt":
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self.send_response(412)
        self.send_header("Set-Cookie", "wzws_cid=abc; path=/")
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(WZWS)))
        self.end_headers()
        self.wfile.write(WZWS)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def walled_site() -> Iterator[int]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Challenge)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


def nianbao(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([NIANBAO, *args], env=dict(os.environ), capture_output=True, text=True, timeout=300)


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("object_store_config", ["local"], indirect=True)
def test_blocked_and_unreachable_sources_are_unchecked_not_missing(
    settings: Settings, walled_site: int, tmp_path: Path
) -> None:
    closed = free_ports(1)[0]
    registry = tmp_path / "sources" / "xixia.yaml"
    registry.parent.mkdir()
    source = {"region_code": "640105", "politeness": {"download_delay": 0.0, "concurrency_per_domain": 1}}
    registry.write_text(
        yaml.safe_dump(
            {
                "region": "640000",
                "name": "test",
                "sources": [
                    {
                        "id": "walled",
                        "name": "walled",
                        "start_urls": [f"http://127.0.0.1:{walled_site}/xxgk/"],
                        **source,
                    },
                    {
                        "id": "down",
                        "name": "down",
                        "start_urls": [f"http://127.0.0.1:{closed}/xxgk/"],
                        **source,
                    },
                ],
                "agencies": [
                    {
                        "name": "银川市西夏区财政局",
                        "kind": "department",
                        "region_code": "640105",
                        "source": "walled",
                    },
                    {
                        "name": "银川市西夏区审计局",
                        "kind": "department",
                        "region_code": "640105",
                        "source": "down",
                    },
                    {"name": "银川市西夏区档案局", "kind": "department", "region_code": "640105"},
                ],
            },
            allow_unicode=True,
        ),
        encoding="utf-8",
    )
    crawled = nianbao("crawl", "--registry", str(registry.parent), "--json")
    statuses = {s["source_id"]: s["status"] for s in json.loads(crawled.stdout.splitlines()[-1])["sources"]}
    assert statuses == {"walled": "blocked", "down": "failed"}, crawled.stderr

    shown = nianbao("timeliness", "--year", "2023", "--format", "json")
    assert shown.returncode == 0, shown.stderr
    rows = {r["agency"]: (r["status"], r["unchecked_reason"]) for r in json.loads(shown.stdout)["rows"]}
    assert rows["银川市西夏区财政局"][0] == "unchecked"
    assert rows["银川市西夏区财政局"][1].startswith(
        "no successful crawl of source walled after 2024-01-31 (last crawl blocked: anti-bot challenge"
    )
    assert rows["银川市西夏区审计局"][0] == "unchecked"
    assert rows["银川市西夏区审计局"][1].startswith(
        "no successful crawl of source down after 2024-01-31 (last crawl failed: "
    )
    assert rows["银川市西夏区档案局"] == ("unchecked", "no source configured for this agency")
    with session_scope(settings) as session:
        assert sorted(t.status for t in session.query(Timeliness)) == ["unchecked"] * 3

    table = nianbao("timeliness", "--year", "2023", "--today", "2024-01-15").stdout.splitlines()
    assert [line.split()[2:4] for line in table[1:4]] == [["未到期", "pending"]] * 3
    with session_scope(settings) as session:
        assert sorted(t.status for t in session.query(Timeliness)) == ["unchecked"] * 3
