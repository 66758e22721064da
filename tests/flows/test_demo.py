"""`nianbao demo` as a newcomer runs it: a fresh directory, the embedded defaults, twice.

Then the timeliness monitor on what the demo loaded must agree exactly with the portal's ground truth.
"""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from lxml import html as lxml_html

from flows.demo.portal import Expected, start_portal
from tests.browser import dump_dom

REPORT_YEAR = 2023
NIANBAO = str(Path(sys.executable).parent / "nianbao")


@dataclass(frozen=True)
class DemoRuns:
    home: Path
    first: dict[str, Any]
    second: dict[str, Any]
    env: dict[str, str]


def clean_env(tmp: Path) -> dict[str, str]:
    """A newcomer's environment: no NIANBAO_* or PREFECT_* settings (ephemeral mode), a fresh Prefect home."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NIANBAO_", "PREFECT_"))}
    env["PREFECT_HOME"] = str(tmp / ".prefect")
    return env


def nianbao(args: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    result = subprocess.run([NIANBAO, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, f"nianbao {' '.join(args)} failed:\n{result.stderr[-3000:]}"
    return result


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> DemoRuns:
    home = tmp_path_factory.mktemp("newcomer")
    env = clean_env(home)
    first = json.loads(nianbao(["demo", "--json"], home, env).stdout.splitlines()[-1])
    second = json.loads(nianbao(["demo", "--json"], home, env).stdout.splitlines()[-1])
    return DemoRuns(home, first, second, env)


@pytest.fixture(scope="module")
def truth() -> Expected:
    with start_portal() as portal:
        return portal.expected


def test_first_demo_stores_and_loads_every_document(demo: DemoRuns, truth: Expected) -> None:
    documents = truth.documents
    cover_pages = [d for d in documents if d.kind == "page" and not d.report_in_body]
    assert demo.first["documents_new"] == demo.first["documents_seen"] == len(documents)
    assert demo.first["crawls"] == {"demo-xixia-trs": "ok", "demo-yinchuan-hanweb": "ok"}
    assert demo.first["failed"] == 0
    assert demo.first["not_reports"] == len(cover_pages)
    assert demo.first["reports_loaded"] == len(documents) - len(cover_pages)
    assert (demo.home / "var" / "nianbao.db").is_file()
    assert any((demo.home / "var" / "objects").rglob("*"))


def test_demo_error_findings_are_exactly_the_portals_defects(demo: DemoRuns, truth: Expected) -> None:
    import sqlite3

    with sqlite3.connect(demo.home / "var" / "nianbao.db") as db:
        errors = db.execute(
            "SELECT r.agency_name, r.year, f.rule, f.location FROM findings f "
            "JOIN reports r ON r.id = f.report_id WHERE f.severity = 'error'"
        ).fetchall()
        alerts = db.execute("SELECT count(*) FROM alerts WHERE kind = 'finding'").fetchone()[0]

    assert sorted(errors) == sorted(truth.defect_findings)
    assert alerts == len(truth.defect_findings)


def test_second_demo_stores_nothing_new(demo: DemoRuns) -> None:
    assert demo.second["documents_new"] == 0
    assert demo.second["reports_loaded"] == 0
    assert demo.second["failed"] == 0


def expected_statuses(truth: Expected, today: date) -> dict[str, tuple[str, str]]:
    result = {}
    for agency in truth.agencies:
        status, days_late = truth.status(agency.name, REPORT_YEAR, today)
        result[agency.name] = (status, str(days_late) if status == "late" else "")
    return result


def test_timeliness_after_demo_matches_the_portal(demo: DemoRuns, truth: Expected) -> None:
    today = date.today()
    args = ["timeliness", "--year", str(REPORT_YEAR), "--today", today.isoformat()]
    as_csv = nianbao([*args, "--format", "csv"], demo.home, demo.env).stdout
    as_json = json.loads(nianbao([*args, "--format", "json"], demo.home, demo.env).stdout)

    rows = list(csv.DictReader(io.StringIO(as_csv)))
    got = {r["agency"]: (r["status"], r["days_late"] if r["status"] == "late" else "") for r in rows}
    assert got == expected_statuses(truth, today)
    assert {"on_time", "late", "missing"} <= {status for status, _ in got.values()}
    json_rows = [{k: "" if v is None else str(v) for k, v in r.items()} for r in as_json["rows"]]
    assert [{k: r[k] for k in ("agency", "status", "deadline")} for r in json_rows] == [
        {k: r[k] for k in ("agency", "status", "deadline")} for r in rows
    ]


def test_timeliness_page_after_demo_renders_in_chromium(
    demo: DemoRuns, truth: Expected, tmp_path: Path
) -> None:
    today = date.today()
    page = tmp_path / "timeliness.html"
    nianbao(
        [
            "timeliness",
            "--year",
            str(REPORT_YEAR),
            "--today",
            today.isoformat(),
            "--format",
            "html",
            "--output",
            str(page),
        ],
        demo.home,
        demo.env,
    )

    tree = lxml_html.fromstring(dump_dom(page.as_uri(), tmp_path / "profile"))

    cells = tree.xpath(f'//td[@data-agency][@data-year="{REPORT_YEAR}"]')
    shown = {c.get("data-agency"): c.get("data-status") for c in cells}
    assert shown == {name: status for name, (status, _) in expected_statuses(truth, today).items()}
