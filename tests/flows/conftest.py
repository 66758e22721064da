"""Fixtures of the flow tests: one Prefect test harness per session, a webhook receiver on loopback,
`prefect server start` per module and `nianbao demo` run once per session as a newcomer runs it."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from tests.processes import PrefectServer, ServerDidNotStart, running_prefect_server

NIANBAO = str(Path(sys.executable).parent / "nianbao")


@pytest.fixture(scope="session")
def prefect_api() -> Iterator[None]:
    """A real Prefect API (the test harness's temporary server), shared by the whole session. It
    starts in 8–15 s on a quiet machine; on a loaded one (four test workers on two cores, and anything
    else running) its database migrations took over a minute, and every flow test of that worker
    then failed, so it gets three."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=180):
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


@pytest.fixture(scope="module")
def prefect_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrefectServer]:
    """`prefect server start` on its default SQLite database (a real, separate API process)."""
    try:
        with running_prefect_server(tmp_path_factory.mktemp("prefect-home")) as server:
            yield server
    except ServerDidNotStart as exc:
        pytest.fail(str(exc), pytrace=False)


# -- `nianbao demo` ------------------------------------------------------------------------------


@dataclass(frozen=True)
class DemoRuns:
    """Two `nianbao demo --json` runs in one fresh directory: their summaries and the first's output."""

    home: Path
    first: dict[str, Any]
    second: dict[str, Any]
    env: dict[str, str]
    first_run: subprocess.CompletedProcess[str] | None = None

    def copy(self, to: Path) -> tuple[Path, dict[str, str]]:
        """The demo directory copied to `to` and its environment, for a test that changes the data."""
        shutil.copytree(self.home, to, symlinks=True)
        return to, clean_env(to)


def clean_env(tmp: Path) -> dict[str, str]:
    """A newcomer's environment: no NIANBAO_* or PREFECT_* settings (ephemeral mode), a fresh Prefect home."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NIANBAO_", "PREFECT_"))}
    env["PREFECT_HOME"] = str(tmp / ".prefect")
    return env


def nianbao(args: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """`nianbao ARGS` in `cwd`; it must exit 0."""
    result = subprocess.run([NIANBAO, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, f"nianbao {' '.join(args)} failed:\n{result.stderr[-3000:]}"
    return result


@pytest.fixture(scope="session")
def demo_runs(tmp_path_factory: pytest.TempPathFactory) -> DemoRuns:
    """`nianbao demo --json` twice in a fresh directory, once per session: a run takes minutes, and the
    tests that read what it loaded share it (under pytest-xdist their modules run on one worker:
    SHARED_SETUP in tests/conftest.py); a test that changes the demo's data works on `DemoRuns.copy`."""
    home = tmp_path_factory.mktemp("newcomer")
    env = clean_env(home)
    first_run = nianbao(["demo", "--json"], home, env)
    first = json.loads(first_run.stdout.splitlines()[-1])
    second = json.loads(nianbao(["demo", "--json"], home, env).stdout.splitlines()[-1])
    return DemoRuns(home, first, second, env, first_run)
