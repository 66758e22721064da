"""`nianbao findings`, `reports` and `show` as subprocesses on a real database, and reviews that hold.

A dismissed finding leaves `--open`, keeps its decision after re-ingest, and is not alerted again when
the same report is published once more as another file (a loopback webhook counts the alerts).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from lxml import html as lxml_html
from rich.cells import cell_len

from flows.demo.reportgen import break_identity, make_spec, render_html, render_pdf
from storage import repository
from storage.db import session_scope
from storage.objectstore import open_store
from storage.settings import Settings, get_settings

AGENCY = "银川市西夏区科学技术和工业信息化局"
NIANBAO = str(Path(sys.executable).parent / "nianbao")
pytestmark = pytest.mark.usefixtures("prefect_api")


def nianbao(
    *args: str, cwd: Path | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [NIANBAO, *args], cwd=cwd, env=env or dict(os.environ), capture_output=True, text=True, timeout=120
    )


def ok(*args: str, env: dict[str, str] | None = None) -> str:
    result = nianbao(*args, env=env)
    assert result.returncode == 0, f"nianbao {' '.join(args)}:\n{result.stderr[-2000:]}"
    return result.stdout


def store_document(settings: Settings, data: bytes, url: str, content_type: str) -> int:
    info = open_store(settings).put(data, {"source_url": url}, content_type=content_type)
    with session_scope(settings) as session:
        document, _ = repository.record_document(
            session,
            url=url,
            sha256=info.sha256,
            object_key=info.key,
            content_type=content_type,
            size=info.size,
            title=f"{AGENCY}2023年政府信息公开工作年度报告",
        )
        return document.id


@pytest.fixture
def unbalanced(settings: Settings, webhook: Any, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """One 2023 report whose table 3 breaks requests.balance in one applicant column and in 总计, ingested
    with alerts going to the loopback webhook."""
    from flows.flows import ingest_flow

    monkeypatch.setenv("NIANBAO_ALERT_URLS", webhook.apprise_url)
    get_settings.cache_clear()
    with session_scope(settings) as session:
        repository.sync_agencies(session, [{"name": AGENCY, "kind": "department", "region_code": "640105"}])
    spec = break_identity(make_spec(41, "gov2021", agency=AGENCY, year=2023), "requests.balance")
    document_id = store_document(
        settings, render_pdf(spec), "http://xixia.example/P0241.pdf", "application/pdf"
    )
    outcome = ingest_flow(document_id)
    return {"spec": spec, "document_id": document_id, "report_id": outcome.report_id}


@pytest.mark.parametrize(
    "db_url", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True
)
@pytest.mark.parametrize("object_store_config", ["local"], indirect=True)
def test_dismissed_finding_leaves_open_survives_reingest_and_is_not_alerted_again(
    settings: Settings, unbalanced: dict[str, Any], webhook: Any
) -> None:
    from flows.flows import ingest_flow

    spec = unbalanced["spec"]
    expected = sorted((f.rule, f.where) for f in spec.expected_findings)
    assert len(expected) == 2
    assert len(webhook.received) == 2

    listed = json.loads(ok("findings", "--severity", "error", "--json"))
    assert sorted((f["rule"], f["where"]) for f in listed) == expected
    assert {(f["agency"], f["year"], f["report_id"], f["review"]) for f in listed} == {
        (AGENCY, 2023, unbalanced["report_id"], None)
    }
    changed = {(table, row, col): new for table, row, col, _, new in spec.changes}
    for finding in listed:
        evidence = {(c["table"], c["row"], c["col"]): c["raw"] for c in finding["cells"]}
        column = finding["where"].rsplit("/", 1)[1]
        assert set(evidence) == {
            ("requests", row, column) for row in ("new", "carried_over", "total", "carried_forward")
        }
        assert evidence[("requests", "carried_over", column)] == changed[("requests", "carried_over", column)]
        assert finding["url"] == "http://xixia.example/P0241.pdf"
        assert finding["original"].startswith("file://")

    dismissed, kept = sorted(listed, key=lambda f: f["where"])
    env = {**os.environ, "NIANBAO_REVIEWER": "王审核"}
    note = "known: the agency corrected 上年结转 in its errata"
    out = ok("findings", "dismiss", str(dismissed["id"]), "--note", note, env=env)
    assert out.splitlines()[0].startswith(f"finding {dismissed['id']} ({AGENCY} 2023 requests.balance at ")
    assert ok("findings", "confirm", str(kept["id"]), "--note", "checked against the PDF") != ""

    def decisions(*extra: str) -> dict[str, tuple[str, str, str] | None]:
        rows = json.loads(ok("findings", "--rule", "requests", "--json", *extra))
        return {
            f["where"]: (f["review"]["decision"], f["review"]["reviewer"], f["review"]["note"])
            if f["review"]
            else None
            for f in rows
        }

    reviewer = os.environ.get("NIANBAO_REVIEWER") or __import__("getpass").getuser()
    assert decisions() == {
        dismissed["where"]: ("dismissed", "王审核", note),
        kept["where"]: ("confirmed", reviewer, "checked against the PDF"),
    }
    assert decisions("--open") == {}

    # Re-ingest replaces the report with its finding rows; the decisions stay with the fingerprints.
    assert ingest_flow(unbalanced["document_id"]).status == "parsed"
    after = json.loads(ok("findings", "--severity", "error", "--json"))
    assert {f["fingerprint"]: f["review"]["decision"] for f in after} == {
        dismissed["fingerprint"]: "dismissed",
        kept["fingerprint"]: "confirmed",
    }
    assert "王审核" in ok("findings", "--severity", "error")

    # The same report published again as an HTML page: new bytes, same printed cells. Neither judged
    # finding is alerted; a third, unjudged one would be (the HTML page alerts its own findings).
    page_id = store_document(settings, render_html(spec), "http://xixia.example/t0241.html", "text/html")
    outcome = ingest_flow(page_id)
    assert sorted((f["rule"], f["where"]) for f in outcome.findings if f["severity"] == "error") == expected
    time.sleep(0.5)
    assert len(webhook.received) == 2
    assert decisions("--open") == {}


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("object_store_config", ["local"], indirect=True)
def test_an_unjudged_finding_in_a_new_file_is_alerted(
    settings: Settings, unbalanced: dict[str, Any], webhook: Any
) -> None:
    """The control of the test above: without a decision, the republished report alerts its findings."""
    from flows.flows import ingest_flow

    page_id = store_document(
        settings, render_html(unbalanced["spec"]), "http://xixia.example/t.html", "text/html"
    )
    ingest_flow(page_id)
    time.sleep(0.5)
    assert len(webhook.received) == 4


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("object_store_config", ["local"], indirect=True)
def test_reports_and_show_print_the_official_layout_with_flagged_cells(
    settings: Settings, unbalanced: dict[str, Any], tmp_path: Path
) -> None:
    report_id = unbalanced["report_id"]
    listed = json.loads(ok("reports", "--json", "--region", "640105", "--year", "2023"))
    assert [
        (r["id"], r["agency"], r["year"], r["format"], r["status"], r["findings"].get("error"))
        for r in listed
    ] == [(report_id, AGENCY, 2023, "gov2021", "parsed", 2)]
    assert json.loads(ok("reports", "--json", "--region", "640104")) == []
    assert json.loads(ok("reports", "--json", "--agency", "西夏区科学技术")) == listed
    table = ok("reports").splitlines()
    assert table[1].split()[:6] == [str(report_id), AGENCY, "2023", "gov2021", "parsed", "e2(2)"]
    assert cell_len(table[0].split("page")[0]) == cell_len(table[1].split("http")[0])

    findings = json.loads(ok("findings", "--report", str(report_id), "--json"))
    errors = [f for f in findings if f["severity"] == "error"]
    flagged = {(c["row"], c["col"]): f["id"] for f in errors for c in f["cells"]}

    text = ok("show", str(report_id))
    lines = text.splitlines()
    # Table 3 as printed: every data row of the grid has the same display width (CJK counted double).
    start = lines.index("表三 收到和处理政府信息公开申请情况")
    grid = lines[start + 1 : lines.index("", start)]
    body = [line for line in grid[3:] if " | " in line]
    assert [line for line in grid[3:] if " | " not in line] == [
        "三、本年度办理结果",
        "（三）不予公开",
        "（四）无法提供",
        "（五）不予处理",
        "（六）其他处理",
    ]
    assert len(body) == 25
    assert len({cell_len(line) for line in body}) == 1
    assert any(
        line.startswith("1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请 ") for line in body
    )
    new_row = next(line for line in body if line.startswith("一、本年新收政府信息公开申请数量"))
    for (row, col), finding_id in flagged.items():
        if row == "new":
            cell = next(c for f in errors for c in f["cells"] if (c["row"], c["col"]) == (row, col))
            assert f"{cell['raw']} [#{finding_id}]" in new_row
    assert f"#{errors[0]['id']} error requests.balance — {AGENCY} 2023年 — {errors[0]['where']}" in text

    page = tmp_path / "report.html"
    ok("show", str(report_id), "--format", "html", "--output", str(page))
    tree = lxml_html.fromstring(page.read_text(encoding="utf-8"))
    marked = {
        (td.get("data-row"), td.get("data-col")): int(td.get("data-findings"))
        for td in tree.xpath('//table[@data-table="requests"]//td[contains(@class, "flagged")]')
    }
    assert marked == flagged
    assert tree.xpath("//h1/@data-report-id") == [str(report_id)]

    shown = json.loads(ok("show", str(report_id), "--format", "json"))
    assert (shown["id"], shown["agency"], shown["year"], shown["format"]) == (
        report_id,
        AGENCY,
        2023,
        "gov2021",
    )
    assert shown["findings"] == findings
    assert len(shown["cells"]) == len(unbalanced["spec"].cells)


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("object_store_config", ["local"], indirect=True)
def test_expected_failures_are_one_line_exit_2(settings: Settings, tmp_path: Path) -> None:
    cases = [
        (("show", "9999"), "nianbao: no report 9999: see `nianbao reports`"),
        (("findings", "dismiss", "9999", "--note", "x"), "nianbao: no finding 9999: see `nianbao findings`"),
        (("findings", "confirm", "1"), "nianbao: confirm needs --note saying why"),
        (
            ("findings", "--severity", "fatal"),
            "nianbao: --severity 'fatal': expected one of error, warning, info",
        ),
    ]
    started = flow_run_count()
    for args, message in cases:
        result = nianbao(*args)
        assert (result.returncode, result.stderr.splitlines(), result.stdout) == (2, [message], "")
    assert flow_run_count() == started  # refused before any flow ran


def flow_run_count() -> int:
    """Flow runs the Prefect API (the session's test harness) knows of."""
    from prefect.client.orchestration import get_client

    with get_client(sync_client=True) as client:
        return client.count_flow_runs()


def test_reading_commands_refuse_a_database_that_does_not_exist(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NIANBAO_")}
    for args in (("findings",), ("reports",), ("show", "1")):
        result = nianbao(*args, cwd=tmp_path, env=env)
        assert (result.returncode, result.stderr.splitlines()) == (
            2,
            [
                "nianbao: no database at var/nianbao.db: run `nianbao demo` or `nianbao run` first,"
                " or set NIANBAO_DATABASE_URL"
            ],
        )
    assert not (tmp_path / "var").exists()


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("object_store_config", ["local"], indirect=True)
def test_ingest_artifact_links_the_report_page(settings: Settings, unbalanced: dict[str, Any]) -> None:
    """The Prefect UI tells the same story: the ingest artifact links `nianbao show`'s HTML of the report."""
    import re
    from urllib.parse import unquote, urlsplit

    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey

    key = f"ingest-document-{unbalanced['document_id']}"
    with get_client(sync_client=True) as client:
        artifacts = client.read_artifacts(artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=[key])))
    markdown = str(max(artifacts, key=lambda a: str(a.created)).data)
    report_id = unbalanced["report_id"]
    assert f"`nianbao show {report_id}`" in markdown
    (link,) = re.findall(r"\[report page\]\((file://[^)]+)\)", markdown)
    page = Path(unquote(urlsplit(link).path)).read_text(encoding="utf-8")
    assert page == ok("show", str(report_id), "--format", "html")
    assert page.count('class="value flagged"') == 8
