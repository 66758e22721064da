"""Rendering: CSV round-trips, JSON, the text table, and the HTML heat map read back by headless Chromium."""

from __future__ import annotations

import csv
import io
import json
import unicodedata
from datetime import UTC, date, datetime
from pathlib import Path

from lxml import html as lxml_html

from flows.timeliness import (
    AgencyRef,
    StatusRow,
    UnmatchedReport,
    artifact_rows,
    render_csv,
    render_html,
    render_json,
    render_markdown,
    render_table,
    summary,
)
from tests.browser import dump_dom

EDU = AgencyRef(1, "银川市西夏区教育局", "department", "640105")
ODD = AgencyRef(2, '某局, "测试" 单位', "department", "640105")
GOV = AgencyRef(3, "银川市西夏区人民政府", "government", "640105")

ROWS = [
    StatusRow(
        EDU,
        2022,
        "on_time",
        date(2023, 1, 31),
        datetime(2023, 1, 20, 2, 0, tzinfo=UTC),
        "pubdate",
        0,
        11,
        "http://127.0.0.1/a.html",
        "pending",
    ),
    StatusRow(
        EDU,
        2023,
        "late",
        date(2024, 1, 31),
        datetime(2024, 1, 31, 16, 30, tzinfo=UTC),
        "pubdate",
        1,
        12,
        "http://127.0.0.1/b.html",
        "missing",
        carry_over_breaks=2,
        near_duplicate=True,
    ),
    StatusRow(ODD, 2023, "missing", date(2024, 1, 31), previous_status=None),
    StatusRow(
        GOV,
        2023,
        "changed",
        date(2024, 3, 31),
        datetime(2024, 3, 1, tzinfo=UTC),
        "list",
        0,
        13,
        "http://127.0.0.1/c.html",
        "on_time",
        replaced_at=datetime(2024, 4, 2, tzinfo=UTC),
    ),
    StatusRow(GOV, 2024, "pending", date(2025, 3, 31)),
]
UNMATCHED = [
    UnmatchedReport(
        21,
        2023,
        "银川市科学技术局",
        "银川市科学技术局2023年报",
        "http://127.0.0.1/x.html",
        datetime(2024, 1, 9, tzinfo=UTC),
        "pubdate",
    )
]


def test_artifact_rows_are_flat_strings() -> None:
    flat = artifact_rows(ROWS)
    assert flat[1] == {
        "agency": "银川市西夏区教育局",
        "kind": "department",
        "region_code": "640105",
        "year": "2023",
        "status": "late",
        "deadline": "2024-01-31",
        "published_at": "2024-02-01T00:30:00+08:00",
        "published_at_source": "pubdate",
        "days_late": "1",
        "report_id": "12",
        "url": "http://127.0.0.1/b.html",
        "previous_status": "missing",
        "carry_over_breaks": "2",
        "near_duplicate": "yes",
        "unchecked_reason": "",
    }
    assert flat[2]["published_at"] == "" and flat[2]["days_late"] == "" and flat[2]["previous_status"] == ""


def test_csv_round_trips() -> None:
    text = render_csv(ROWS)
    back = list(csv.DictReader(io.StringIO(text)))
    assert back == artifact_rows(ROWS)
    assert back[2]["agency"] == '某局, "测试" 单位'
    assert text.splitlines()[0].startswith("agency,kind,region_code,year,status,deadline,published_at")


def test_json_has_rows_unmatched_and_summary() -> None:
    data = json.loads(render_json(ROWS, UNMATCHED))
    assert data["summary"] == {
        "on_time": 1,
        "late": 1,
        "missing": 1,
        "pending": 1,
        "changed": 1,
        "unchecked": 0,
    }
    assert data["rows"][1]["days_late"] == 1 and data["rows"][1]["near_duplicate"] is True
    assert data["rows"][2]["report_id"] is None and data["rows"][2]["previous_status"] is None
    assert data["unmatched"] == [
        {
            "report_id": 21,
            "year": 2023,
            "agency_name": "银川市科学技术局",
            "title": "银川市科学技术局2023年报",
            "url": "http://127.0.0.1/x.html",
            "published_at": "2024-01-09T08:00:00+08:00",
            "published_at_source": "pubdate",
        }
    ]


def test_summary_counts_every_status() -> None:
    assert summary([]) == {
        "on_time": 0,
        "late": 0,
        "missing": 0,
        "pending": 0,
        "changed": 0,
        "unchecked": 0,
    }


def test_text_table_lists_rows_counts_and_unmatched() -> None:
    text = render_table(ROWS, UNMATCHED)
    lines = text.splitlines()
    assert lines[0].split() == [
        "agency",
        "year",
        "status",
        "deadline",
        "published",
        "source",
        "late",
        "carry",
        "dup",
    ]
    assert lines[2].split() == [
        "银川市西夏区教育局",
        "2023",
        "逾期",
        "late",
        "2024-01-31",
        "2024-02-01",
        "00:30",
        "pubdate",
        "1",
        "2",
        "yes",
    ]
    assert "on_time: 1  late: 1  missing: 1  pending: 1  changed: 1  unchecked: 0" in lines
    assert lines[-2:] == ["unmatched reports (1):", "  2023  银川市科学技术局  http://127.0.0.1/x.html"]
    # CJK names count double, so columns line up.
    assert display_width(lines[1][: lines[1].index("2022")]) == lines[0].index("year") == 22


def display_width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _cells(tree: lxml_html.HtmlElement) -> dict[tuple[str, str], dict[str, str]]:
    return {
        (td.get("data-agency"), td.get("data-year")): dict(td.attrib)
        for td in tree.xpath("//table[@id='heatmap']//td[contains(@class,'cell') and @data-status]")
    }


def _assert_heatmap(tree: lxml_html.HtmlElement) -> None:
    cells = _cells(tree)
    assert {key: attrs["data-status"] for key, attrs in cells.items()} == {
        ("银川市西夏区教育局", "2022"): "on_time",
        ("银川市西夏区教育局", "2023"): "late",
        ('某局, "测试" 单位', "2023"): "missing",
        ("银川市西夏区人民政府", "2023"): "changed",
        ("银川市西夏区人民政府", "2024"): "pending",
    }
    late = cells[("银川市西夏区教育局", "2023")]
    assert late["data-days-late"] == "1"
    assert late["data-carry-over-breaks"] == "2"
    assert late["data-near-duplicate"] == "yes"
    assert late["title"] == (
        "银川市西夏区教育局 2023: late; deadline 2024-01-31; published 2024-02-01T00:30:00+08:00 (pubdate); "
        "1 days late; 2 carry-over breaks; near-duplicate of previous year"
    )
    assert "background:#ef6c00" in late["style"]
    # Agencies × years: three rows, years as columns, an empty cell where a year has no row.
    assert [th.text_content() for th in tree.xpath("//table[@id='heatmap']/thead//th")] == [
        "agency",
        "kind",
        "region",
        "2022",
        "2023",
        "2024",
    ]
    assert len(tree.xpath("//table[@id='heatmap']/tbody/tr")) == 3
    assert len(tree.xpath("//table[@id='heatmap']//td[contains(@class,'empty')]")) == 4
    legend = [span.get("data-status") for span in tree.xpath("//p[@id='legend']/span")]
    assert legend == ["on_time", "late", "missing", "pending", "changed", "unchecked"]
    assert [
        tr.get("data-report-id") for tr in tree.xpath("//table[@id='unmatched']//tr[@data-report-id]")
    ] == ["21"]


def test_html_is_self_contained() -> None:
    page = render_html(ROWS, UNMATCHED, generated_at="as of 2024-04-10")
    tree = lxml_html.fromstring(page)
    _assert_heatmap(tree)
    assert not tree.xpath("//script | //link | //img | //*[@src]")
    assert "http://" not in "".join(tree.xpath("//style/text()"))
    assert "as of 2024-04-10" in page


def test_html_renders_in_headless_chromium(tmp_path: Path) -> None:
    page = tmp_path / "timeliness.html"
    page.write_text(render_html(ROWS, UNMATCHED), encoding="utf-8")
    dom = dump_dom(page.as_uri(), tmp_path / "profile")
    tree = lxml_html.fromstring(dom)
    _assert_heatmap(tree)


UNCHECKED = StatusRow(
    AgencyRef(4, "银川市西夏区民政局", "department", "640105"),
    2023,
    "unchecked",
    date(2024, 1, 31),
    unchecked_reason="no successful crawl of source xixia after 2024-01-31 (last crawl blocked: HTTP 403)",
)


def test_unchecked_rows_say_why_in_every_format() -> None:
    rows = [*ROWS, UNCHECKED]
    text = render_table(rows).splitlines()
    assert text[-2] == "未核查 unchecked (1): no report found, but the source was not checked"
    assert text[-1] == (
        "  银川市西夏区民政局 2023: no successful crawl of source xixia after 2024-01-31 (last crawl blocked: HTTP 403)"
    )
    assert text[6].split()[:4] == ["银川市西夏区民政局", "2023", "未核查", "unchecked"]
    assert json.loads(render_json(rows))["rows"][-1]["unchecked_reason"] == UNCHECKED.unchecked_reason
    page = lxml_html.fromstring(render_html(rows))
    (cell,) = page.xpath("//td[@data-agency='银川市西夏区民政局']")
    assert (cell.get("data-status"), cell.text_content()) == ("unchecked", "未核查 unchecked")
    assert cell.get("title").endswith("(last crawl blocked: HTTP 403)")


def test_markdown_heat_map_for_the_prefect_ui() -> None:
    assert render_markdown([*ROWS, UNCHECKED], title="timeliness 2022-2024").splitlines() == [
        "# timeliness 2022-2024",
        "",
        "legend: 🟩 按时 on_time · 🟧 逾期 late · 🟥 未发布 missing · ⬜ 未到期 pending · 🟪 逾期后替换 changed"
        " · ⬛ 未核查 unchecked",
        "",
        "| agency | region | 2022 | 2023 | 2024 |",
        "|---|---|---|---|---|",
        '| 某局, "测试" 单位 | 640105 |  | 🟥 未发布 missing |  |',
        "| 银川市西夏区人民政府 | 640105 |  | 🟪 逾期后替换 changed | ⬜ 未到期 pending |",
        "| 银川市西夏区教育局 | 640105 | 🟩 按时 on_time | 🟧 逾期 late +1d |  |",
        "| 银川市西夏区民政局 | 640105 |  | ⬛ 未核查 unchecked |  |",
        "",
        "按时 on_time: 1, 逾期 late: 1, 未发布 missing: 1, 未到期 pending: 1, 逾期后替换 changed: 1,"
        " 未核查 unchecked: 1",
    ]
