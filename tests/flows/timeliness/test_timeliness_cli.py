"""`nianbao timeliness` on a migrated database: formats, --output, --json summary, one-line errors."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from storage.db import session_scope
from storage.models import Agency, CrawlRun, Document, Report, Source, Timeliness

pytestmark = [
    pytest.mark.parametrize("db_url", ["sqlite"], indirect=True),
    pytest.mark.parametrize("object_store_config", ["local"], indirect=True),
]


def invoke(*args: str) -> Any:
    from flows.cli import COMMAND_MODULES, app

    for name in COMMAND_MODULES:
        __import__(f"flows.cli.{name}")
    return CliRunner().invoke(app, ["timeliness", *args])


@pytest.fixture
def loaded(settings: Any) -> Any:
    """Three departments of 西夏区 (on time, late, never) and one 兴庆区 department, report year 2023; their
    sites were crawled successfully on 15 Feb 2024, so what was not found there is missing."""
    with session_scope(settings) as session:
        for source_id in ("xixia", "xingqing"):
            session.add(Source(id=source_id, name=source_id, region_code="6401"))
            session.flush()
            crawled = datetime(2024, 2, 15, 1, 0, tzinfo=UTC)
            session.add(CrawlRun(source_id=source_id, status="ok", started_at=crawled, finished_at=crawled))
        department = {"kind": "department", "region_code": "640105", "source_id": "xixia"}
        on_time = Agency(name="银川市西夏区教育局", **department)
        late = Agency(name="银川市西夏区财政局", **department)
        session.add_all([on_time, late])
        session.add(Agency(name="银川市西夏区民政局", **department))
        session.add(
            Agency(name="银川市兴庆区教育局", kind="department", region_code="640104", source_id="xingqing")
        )
        session.flush()
        for n, (agency, published) in enumerate(
            [
                (on_time, datetime(2024, 1, 31, 15, 30, tzinfo=UTC)),
                (late, datetime(2024, 2, 3, 1, 0, tzinfo=UTC)),
            ]
        ):
            document = Document(
                url=f"http://127.0.0.1/{n}.html",
                sha256=f"{n:064d}",
                object_key=f"k{n}",
                page_pub_date=published,
            )
            session.add(document)
            session.flush()
            session.add(Report(document_id=document.id, agency_id=agency.id, year=2023, format="gov2021"))
    return settings


def test_table_with_json_summary_last_line(loaded: Any) -> None:
    result = invoke("--year", "2023", "--region", "640105", "--today", "2024-03-01", "--json")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert json.loads(lines[-1]) == {
        "timeliness": {"on_time": 1, "late": 1, "missing": 1, "pending": 0, "changed": 0, "unchecked": 0},
        "unmatched": 0,
    }
    statuses = {line.split()[0]: tuple(line.split()[2:4]) for line in lines[1:4]}
    assert statuses == {
        "银川市西夏区教育局": ("按时", "on_time"),
        "银川市西夏区财政局": ("逾期", "late"),
        "银川市西夏区民政局": ("未发布", "missing"),
    }
    with session_scope(loaded) as session:
        assert session.query(Timeliness).count() == 0  # --today is a what-if
    assert invoke("--year", "2023", "--region", "640105").exit_code == 0
    with session_scope(loaded) as session:
        stored = {(t.agency_id, t.status) for t in session.query(Timeliness)}
        assert sorted(status for _, status in stored) == ["late", "missing", "on_time"]


def test_csv_and_html_to_files(loaded: Any, tmp_path: Path) -> None:
    out = tmp_path / "t.csv"
    result = invoke("--year", "2023", "--today", "2024-03-01", "--format", "csv", "--output", str(out))
    assert result.exit_code == 0, result.output
    assert result.output == ""
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert [(r["agency"], r["status"], r["days_late"], r["previous_status"]) for r in rows] == [
        ("银川市兴庆区教育局", "missing", "", ""),
        ("银川市西夏区教育局", "on_time", "0", ""),
        ("银川市西夏区民政局", "missing", "", ""),
        ("银川市西夏区财政局", "late", "3", ""),
    ]
    page = tmp_path / "t.html"
    result = invoke("--year", "2022-2023", "--today", "2024-03-01", "--format", "html", "--output", str(page))
    assert result.exit_code == 0, result.output
    text = page.read_text(encoding="utf-8")
    assert 'data-agency="银川市西夏区财政局" data-year="2023" data-status="late"' in text
    assert 'data-agency="银川市西夏区财政局" data-year="2022" data-status="missing"' in text


def test_json_format_reports_previous_status(loaded: Any) -> None:
    """The stored statuses (as the daily flow leaves them) are the previous ones; a what-if keeps them."""
    from datetime import date

    from flows.timeliness import refresh_timeliness

    with session_scope(loaded) as session:
        refresh_timeliness(session, 2023, today=date(2024, 1, 31))
    result = invoke("--year", "2023", "--today", "2024-03-01", "--format", "json", "--region", "640105")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert [(r["agency"], r["previous_status"], r["status"]) for r in data["rows"]] == [
        ("银川市西夏区教育局", "on_time", "on_time"),
        ("银川市西夏区民政局", "pending", "missing"),
        ("银川市西夏区财政局", "pending", "late"),
    ]
    with session_scope(loaded) as session:
        assert sorted(t.status for t in session.query(Timeliness)) == [
            "on_time",
            "pending",
            "pending",
            "pending",
        ]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--year", "23"], "--year '23': expected YYYY or YYYY-YYYY"),
        (["--year", "2023", "--today", "tomorrow"], "--today 'tomorrow': expected YYYY-MM-DD"),
        (["--year", "2023", "--format", "xml"], "--format 'xml': expected one of table, csv, json, html"),
    ],
)
def test_bad_options_are_one_line_errors(loaded: Any, args: list[str], message: str) -> None:
    result = invoke(*args)
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [f"nianbao: {message}"]
