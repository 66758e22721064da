"""`nianbao crawl` and `nianbao sources check` as a person runs them, against the demo portal."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from flows.demo.portal import start_portal, write_demo_registry
from storage.settings import Settings

NIANBAO = str(Path(sys.executable).parent / "nianbao")
pytestmark = [
    pytest.mark.parametrize("db_url", ["sqlite"], indirect=True),
    pytest.mark.parametrize("object_store_config", ["local"], indirect=True),
]


def run(args: list[str], env_extra: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    import os

    env = {**os.environ, "NIANBAO_CRAWL_DOWNLOAD_DELAY": "0", **(env_extra or {})}
    return subprocess.run([NIANBAO, *args], capture_output=True, text=True, timeout=600, env=env)


def test_crawl_one_source_prints_counts_and_json(settings: Settings, tmp_path: Path) -> None:
    with start_portal() as portal:
        registry = write_demo_registry(portal, tmp_path / "sources" / "demo.yaml")
        hanweb = [d for d in portal.expected.documents if d.site == "hanweb"]

        result = run(
            ["crawl", "--source", "demo-yinchuan-hanweb", "--json"],
            {"NIANBAO_SOURCES_DIR": str(registry.parent)},
        )
        again = run(
            ["crawl", "--source", "demo-yinchuan-hanweb", "--json"],
            {"NIANBAO_SOURCES_DIR": str(registry.parent)},
        )

    assert result.returncode == 0, result.stderr[-2000:]
    summary = json.loads(result.stdout.splitlines()[-1])
    assert [s["source_id"] for s in summary["sources"]] == ["demo-yinchuan-hanweb"]
    assert (summary["statuses"], summary["documents_new"], summary["errors"]) == ({"ok": 1}, len(hanweb), 0)
    assert "crawl demo-yinchuan-hanweb: ok [site ok]; pages=" in result.stderr
    assert summary["sources"][0]["health"] == "ok"
    second = json.loads(again.stdout.splitlines()[-1])
    assert (second["documents_new"], second["statuses"]) == (0, {"ok": 1})


def test_sources_check_lists_the_registry_and_rejects_a_bad_one(settings: Settings, tmp_path: Path) -> None:
    shipped = run(["sources", "check"])
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "region: '640000'\nname: x\nsources:\n  - id: a\n    name: A\n    region_code: '640105'\n"
        "    start_urls: ['http://a.example/']\n    pagination: sideways\n",
        encoding="utf-8",
    )
    rejected = run(["sources", "check", "--path", str(bad)])

    assert shipped.returncode == 0, shipped.stderr
    assert "source yinchuan-xixia\t640105\t银川市西夏区人民政府" in shipped.stdout
    assert rejected.returncode == 1
    assert len(rejected.stderr.strip().splitlines()) == 1
    assert "sideways" in rejected.stderr


def test_sources_check_warns_when_a_rendering_source_cannot_render(
    settings: Settings, tmp_path: Path
) -> None:
    path = tmp_path / "render.yaml"
    path.write_text(
        "region: '640000'\nname: x\nsources:\n  - id: a\n    name: A\n    start_urls: ['http://a.example/']\n"
        "    render: true\n  - id: b\n    name: B\n    start_urls: ['http://b.example/']\n",
        encoding="utf-8",
    )
    result = run(["sources", "check", "--path", str(path)], {"NIANBAO_CHROMIUM": "/nonexistent/chromium"})

    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[:5] == [
        "source a\t640000\tA\tauto\tunverified\trender",
        "  start http://a.example/",
        "  warning: render: true needs Chromium: NIANBAO_CHROMIUM=/nonexistent/chromium is not an executable file",
        "source b\t640000\tB\tauto\tunverified",
        "  start http://b.example/",
    ]
