"""Screenshot the Prefect UI after a demo run against a real Prefect server.

Starts `prefect server start` on a free loopback port, runs `nianbao demo` with PREFECT_API_URL pointing
at it (so every flow run, task run and artifact lands in that server), then takes headless Chromium
screenshots of the runs page, the timeliness table artifact and the ingest artifact of a batch in
which a report has an error finding. Usage:

    .venv/bin/python scripts/prefect_ui_screenshot.py [OUTDIR]     # default: docs/
"""

from __future__ import annotations

import json
import os
import re
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
    "--run-all-compositor-stages-before-draw",
    "--virtual-time-budget=30000",
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


def find_artifacts(api_url: str, body: dict[str, object]) -> list[dict[str, object]]:
    request = urllib.request.Request(
        f"{api_url}/artifacts/filter",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        found: list[dict[str, object]] = json.load(response)
        return found


def chromium_env(work: Path) -> dict[str, str]:
    """Chromium's environment: with a CJK font (tests/fixtures/scanfont.py, taken out of Debian's
    package into `work`, never installed) added through a fontconfig file of its own, so that agency
    names show as characters, not boxes; without one when the font cannot be had."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from tests.fixtures.scanfont import extract_scan_font

    font = extract_scan_font(work / "font")
    if font is None:
        print("no CJK font to hand Chromium: Chinese text shows as boxes")
        return dict(os.environ)
    config = work / "fonts.conf"
    config.write_text(
        '<?xml version="1.0"?><!DOCTYPE fontconfig SYSTEM "fonts.dtd"><fontconfig>'
        '<include ignore_missing="yes">/etc/fonts/fonts.conf</include>'
        f"<dir>{font.parent}</dir><cachedir>{work / 'fontconfig-cache'}</cachedir></fontconfig>"
    )
    return {**os.environ, "FONTCONFIG_FILE": str(config)}


def screenshot(chromium: str, url: str, out: Path, profile: Path, env: dict[str, str]) -> None:
    subprocess.run(
        [chromium, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", f"--screenshot={out}", url],
        check=True,
        timeout=120,
        capture_output=True,
        env=env,
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
        browser_env = chromium_env(work)
        screenshot(chromium, f"{base}/runs", outdir / "prefect-ui-runs.png", work / "chrome", browser_env)
        table = find_artifacts(api_url, {"artifacts": {"key": {"any_": ["timeliness-2023"]}}})[0]
        screenshot(
            chromium,
            f"{base}/artifacts/artifact/{table['id']}",
            outdir / "prefect-ui-timeliness.png",
            work / "chrome",
            browser_env,
        )
        markdown = find_artifacts(api_url, {"artifacts": {"type": {"any_": ["markdown"]}}, "limit": 200})
        # A batch artifact (a table of the batch's reports) in which a report has an error finding.
        flagged = next(a for a in markdown if re.search(r"\d+ error \(", str(a.get("data") or "")))
        screenshot(
            chromium,
            f"{base}/artifacts/artifact/{flagged['id']}",
            outdir / "prefect-ui-ingest.png",
            work / "chrome",
            browser_env,
        )
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
