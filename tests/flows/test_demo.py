"""`nianbao demo` as a newcomer runs it: a fresh directory, the embedded defaults, twice.

Then the timeliness monitor on what the demo loaded must agree exactly with the portal's ground truth.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from lxml import html as lxml_html

from flows.demo.portal import Expected, start_portal
from storage.domain import shanghai_date
from tests.browser import dump_dom
from tests.flows.conftest import DemoRuns, nianbao

REPORT_YEAR = 2023


@pytest.fixture(scope="module")
def truth() -> Expected:
    with start_portal() as portal:
        return portal.expected


def test_first_demo_stores_and_loads_every_document(demo_runs: DemoRuns, truth: Expected) -> None:
    documents = truth.documents
    cover_pages = [d for d in documents if d.kind == "page" and not d.report_in_body]
    assert demo_runs.first["documents_new"] == demo_runs.first["documents_seen"] == len(documents)
    assert demo_runs.first["crawls"] == {"demo-xixia-trs": "ok", "demo-yinchuan-hanweb": "ok"}
    assert demo_runs.first["failed"] == 0
    assert demo_runs.first["not_reports"] == len(cover_pages)
    assert demo_runs.first["reports_loaded"] == len(documents) - len(cover_pages)
    assert (demo_runs.home / "var" / "nianbao.db").is_file()
    assert any((demo_runs.home / "var" / "objects").rglob("*"))


def test_demo_error_findings_are_exactly_the_portals_defects(demo_runs: DemoRuns, truth: Expected) -> None:
    import sqlite3

    with sqlite3.connect(demo_runs.home / "var" / "nianbao.db") as db:
        errors = db.execute(
            "SELECT r.agency_name, r.year, f.rule, f.location FROM findings f "
            "JOIN reports r ON r.id = f.report_id WHERE f.severity = 'error'"
        ).fetchall()
        alerts = db.execute("SELECT count(*) FROM alerts WHERE kind = 'finding'").fetchone()[0]

    assert sorted(errors) == sorted(truth.defect_findings)
    assert alerts == len(truth.defect_findings)


def test_second_demo_stores_nothing_new(demo_runs: DemoRuns) -> None:
    assert demo_runs.second["documents_new"] == 0
    assert demo_runs.second["reports_loaded"] == 0
    assert demo_runs.second["failed"] == 0


def shanghai_today() -> date:
    """The calendar day in Shanghai, as `nianbao timeliness` counts it: after 16:00 UTC it is already the
    next day there, and a crawl of that day is not "on or before" the UTC date."""
    return shanghai_date(datetime.now(UTC))


def expected_statuses(truth: Expected, today: date) -> dict[str, tuple[str, str]]:
    result = {}
    for agency in truth.agencies:
        status, days_late = truth.status(agency.name, REPORT_YEAR, today)
        result[agency.name] = (status, str(days_late) if status == "late" else "")
    return result


def test_timeliness_after_demo_matches_the_portal(demo_runs: DemoRuns, truth: Expected) -> None:
    today = shanghai_today()
    args = ["timeliness", "--year", str(REPORT_YEAR), "--today", today.isoformat()]
    as_csv = nianbao([*args, "--format", "csv"], demo_runs.home, demo_runs.env).stdout
    as_json = json.loads(nianbao([*args, "--format", "json"], demo_runs.home, demo_runs.env).stdout)

    rows = list(csv.DictReader(io.StringIO(as_csv)))
    got = {r["agency"]: (r["status"], r["days_late"] if r["status"] == "late" else "") for r in rows}
    assert got == expected_statuses(truth, today)
    assert {"on_time", "late", "missing"} <= {status for status, _ in got.values()}
    json_rows = [{k: "" if v is None else str(v) for k, v in r.items()} for r in as_json["rows"]]
    assert [{k: r[k] for k in ("agency", "status", "deadline")} for r in json_rows] == [
        {k: r[k] for k in ("agency", "status", "deadline")} for r in rows
    ]


def test_timeliness_page_after_demo_renders_in_chromium(
    demo_runs: DemoRuns, truth: Expected, tmp_path: Path
) -> None:
    today = shanghai_today()
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
        demo_runs.home,
        demo_runs.env,
    )

    tree = lxml_html.fromstring(dump_dom(page.as_uri(), tmp_path / "profile"))

    cells = tree.xpath(f'//td[@data-agency][@data-year="{REPORT_YEAR}"]')
    shown = {c.get("data-agency"): c.get("data-status") for c in cells}
    assert shown == {name: status for name, (status, _) in expected_statuses(truth, today).items()}


def test_demo_closing_summary_names_what_needs_a_person(demo_runs: DemoRuns, truth: Expected) -> None:
    """The terminal shows progress bars and the summary; Prefect's log goes to var/logs/prefect.log."""
    assert demo_runs.first_run is not None
    out = demo_runs.first_run.stdout.splitlines()
    errors = sorted(truth.defect_findings)
    assert f"open error findings: {len(errors)}" in out
    listed = out[out.index(f"open error findings: {len(errors)}") + 1 :][: len(errors)]
    assert sorted(line.split()[1:4] for line in listed) == sorted(
        [agency, str(year), rule] for agency, year, rule, _ in errors
    )
    statuses = expected_statuses(truth, shanghai_today())
    for status, label in (("late", "逾期 late"), ("missing", "未发布 missing")):
        line = next(line for line in out if line.startswith(f"{REPORT_YEAR} {label}: "))
        names = {n.split(" (+")[0] for n in line.split(" — ", 1)[1].split(", ")}
        assert names == {name for name, (s, _) in statuses.items() if s == status}
    assert f"{REPORT_YEAR} 未核查 unchecked: 0" in out
    assert out[-2].startswith("next: nianbao findings --severity error")
    assert (demo_runs.home / "var" / "logs" / "prefect.log").stat().st_size > 0
    assert "Flow run" not in demo_runs.first_run.stderr
    assert "crawl      " in demo_runs.first_run.stderr


def test_demo_findings_command_lists_the_defects_with_evidence(demo_runs: DemoRuns, truth: Expected) -> None:
    listed = json.loads(
        nianbao(["findings", "--severity", "error", "--json"], demo_runs.home, demo_runs.env).stdout
    )
    assert sorted((f["agency"], f["year"], f["rule"], f["where"]) for f in listed) == sorted(
        truth.defect_findings
    )
    for finding in listed:
        assert finding["review"] is None
        assert finding["original"].startswith("file://")
        assert finding["url"].startswith("http://127.0.0.1:")
        own = [c for c in finding["cells"] if c["year"] in (None, finding["year"])]
        assert own and all(c["raw"] for c in own)
        assert finding["actual"] != finding["expected"]


def test_demo_dismissed_finding_survives_reingest(demo_runs: DemoRuns, tmp_path: Path) -> None:
    """On a copy of the demo directory: it changes the data (a decision, a re-ingested document)."""
    home, env = demo_runs.copy(tmp_path / "newcomer")
    listed = json.loads(nianbao(["findings", "--severity", "error", "--json"], home, env).stdout)
    target = next(f for f in listed if f["rule"] == "requests.balance")
    nianbao(["findings", "dismiss", str(target["id"]), "--note", "demo defect, known"], home, env)
    still_open = json.loads(nianbao(["findings", "--open", "--json"], home, env).stdout)
    assert target["fingerprint"] not in {f["fingerprint"] for f in still_open}
    assert {f["fingerprint"] for f in listed} - {target["fingerprint"]} <= {
        f["fingerprint"] for f in still_open
    }

    nianbao(["ingest", str(target["document_id"])], home, env)
    after = json.loads(nianbao(["findings", "--severity", "error", "--json"], home, env).stdout)
    reviews = {f["fingerprint"]: f["review"] for f in after}
    assert set(reviews) == {f["fingerprint"] for f in listed}
    assert reviews[target["fingerprint"]]["decision"] == "dismissed"
    assert reviews[target["fingerprint"]]["note"] == "demo defect, known"
    again = next(f for f in after if f["fingerprint"] == target["fingerprint"])
    shown = nianbao(["show", str(again["report_id"])], home, env).stdout
    assert f"[#{again['id']}]" in shown
    assert f"review: dismissed by {again['review']['reviewer']} at " in shown
