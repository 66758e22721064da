"""Screenshot the Prefect UI's runs page after a demo run against a real Prefect server.

Starts `prefect server start` on a free loopback port, runs `nianbao demo` with PREFECT_API_URL pointing
at it (so every flow run, task run and artifact lands in that server), then takes a headless Chromium
screenshot of the runs page and of the artifacts page. Usage:

    .venv/bin/python scripts/prefect_ui_screenshot.py [OUTDIR]     # default: docs/
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--hide-scrollbars",
    "--window-size=1600,1000",
    "--virtual-time-budget=20000",
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_healthy(api_url: str, process: subprocess.Popen[bytes], timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit("prefect server exited during start-up")
        try:
            with urllib.request.urlopen(f"{api_url}/health", timeout=2):
                return
        except OSError:
            time.sleep(0.5)
    raise SystemExit(f"prefect server at {api_url} did not answer in {timeout:.0f}s")


def screenshot(chromium: str, url: str, out: Path, profile: Path) -> None:
    subprocess.run(
        [chromium, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", f"--screenshot={out}", url],
        check=True,
        timeout=120,
        capture_output=True,
    )
    print(f"saved {out}")


def main() -> None:
    outdir = Path(sys.argv[1] if len(sys.argv) > 1 else "docs").resolve()
    outdir.mkdir(parents=True, exist_ok=True)
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        raise SystemExit("chromium not found: apt-get install -y chromium")
    bindir = Path(sys.executable).parent
    work = Path(tempfile.mkdtemp(prefix="nianbao-ui-"))
    port = free_port()
    api_url = f"http://127.0.0.1:{port}/api"
    env = {
        **os.environ,
        "PREFECT_HOME": str(work / "prefect"),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_UI_API_URL": api_url,
    }
    env.pop("PREFECT_API_URL", None)
    server = subprocess.Popen(
        [str(bindir / "prefect"), "server", "start", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        wait_healthy(api_url, server)
        demo_env = {**env, "PREFECT_API_URL": api_url}
        subprocess.run([str(bindir / "nianbao"), "demo"], cwd=work, env=demo_env, check=True)
        base = f"http://127.0.0.1:{port}"
        screenshot(chromium, f"{base}/runs", outdir / "prefect-ui-runs.png", work / "chrome")
        screenshot(chromium, f"{base}/artifacts", outdir / "prefect-ui-artifacts.png", work / "chrome")
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
