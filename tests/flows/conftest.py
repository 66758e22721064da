"""Fixtures of the flow tests: one Prefect test harness per session and a webhook receiver on loopback."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from tests.processes import free_ports, stop_process


@pytest.fixture(scope="session")
def prefect_api() -> Iterator[None]:
    """A real Prefect API (the test harness's temporary server), shared by the whole session."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=60):
        yield


@dataclass
class WebhookReceiver:
    """Collects the JSON bodies POSTed to it (apprise `json://` URLs point here)."""

    server: ThreadingHTTPServer
    received: list[dict[str, Any]] = field(default_factory=list)

    @property
    def apprise_url(self) -> str:
        return f"json://127.0.0.1:{self.server.server_port}/alerts"


@pytest.fixture
def webhook() -> Iterator[WebhookReceiver]:
    received: list[dict[str, Any]] = []
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length)
            with lock:
                received.append(json.loads(body or b"{}"))
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"{}")

        def log_message(self, format: str, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield WebhookReceiver(server, received)
    finally:
        server.shutdown()
        server.server_close()


@dataclass
class PrefectServer:
    """A `prefect server start` process on loopback with its own PREFECT_HOME."""

    process: Any
    api_url: str
    home: str

    def env(self) -> dict[str, str]:
        import os

        return {
            **os.environ,
            "PREFECT_API_URL": self.api_url,
            "PREFECT_HOME": self.home,
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        }


@pytest.fixture(scope="module")
def prefect_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrefectServer]:
    """`prefect server start` on a free loopback port (a real, separate API process)."""
    import os
    import subprocess
    import sys
    import time
    import urllib.request
    from pathlib import Path

    home = tmp_path_factory.mktemp("prefect-home")
    port = free_ports(1)[0]
    prefect = str(Path(sys.executable).parent / "prefect")
    env = {**os.environ, "PREFECT_HOME": str(home), "PREFECT_SERVER_ANALYTICS_ENABLED": "false"}
    env.pop("PREFECT_API_URL", None)
    log = (home / "server.log").open("wb")
    process = subprocess.Popen(
        [prefect, "server", "start", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    api_url = f"http://127.0.0.1:{port}/api"
    deadline = time.monotonic() + 90
    while True:
        try:
            with urllib.request.urlopen(f"{api_url}/health", timeout=2) as response:
                if response.status == 200:
                    break
        except OSError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            stop_process(process)
            tail = (home / "server.log").read_text(errors="replace")[-2000:]
            pytest.fail(f"prefect server did not start on {api_url}:\n{tail}", pytrace=False)
        time.sleep(0.5)
    try:
        yield PrefectServer(process, api_url, str(home))
    finally:
        stop_process(process)
        log.close()
