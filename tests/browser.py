"""Headless Chromium for tests that look at a page as a person would (Debian's `chromium` package)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--no-first-run",
    "--disable-component-update",
    "--disable-sync",
)


def chromium_binary() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome", "chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


def require_chromium() -> str:
    """The browser, or a skip (a failure when NIANBAO_TEST_REQUIRE_SERVICES is set, as in CI)."""
    binary = chromium_binary()
    if binary is None:
        if os.environ.get("NIANBAO_TEST_REQUIRE_SERVICES", "").strip() not in {"", "0", "false", "no"}:
            pytest.fail(
                "chromium not found (apt-get install -y chromium); NIANBAO_TEST_REQUIRE_SERVICES is set"
            )
        pytest.skip("chromium not found: apt-get install -y chromium to run the browser rendering test")
    return binary


def dump_dom(url: str, profile: Path) -> str:
    """The DOM of `url` after Chromium has rendered it."""
    result = subprocess.run(
        [require_chromium(), *FLAGS, f"--user-data-dir={profile}", "--dump-dom", url],
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr.decode(errors="replace")[-2000:]
    return result.stdout.decode("utf-8")
