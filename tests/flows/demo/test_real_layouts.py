"""The real-layout variants of the report generator (flows.demo.reportgen.layouts) parse back to their
spec: every cell (value and raw), title, year, agency, format, status, and exactly the expected findings."""

from __future__ import annotations

import io
import re
import zipfile

import pytest

from flows.demo import reportgen as g
from flows.demo.reportgen.layouts import CUMULATIVE, companion_title, pre2014_caption
from parsers import parse, templates
from parsers.model import Report

GOV = ["gov2021", "gov2019"]
FILENAMES = {"html": "t20240120_1.html", "pdf": "P020240120.pdf", "docx": "年度报告.docx", "text": "年报.txt"}


def _parsed(data: bytes, filename: str, spec: g.ReportSpec) -> Report:
    """Parse and assert metadata and every cell equal to the spec's; return the report for findings."""
    report = parse(data, filename=filename)
    assert (report.status, report.title, report.year, report.agency, report.format) == (
        "parsed",
        spec.title,
        spec.year,
        spec.agency,
        spec.format,
    )
    assert {(c.table, c.row, c.col): (c.value, c.raw) for c in report.cells} == {
        (c.table, c.row, c.col): (c.value, c.raw) for c in spec.cells
    }
    return report


@pytest.mark.parametrize("fmt", GOV)
@pytest.mark.parametrize("kind", ["html", "pdf", "docx"])
def test_blank_rows_are_kept_as_not_stated(kind: str, fmt: str) -> None:
    """A result row printed with every cell blank: kept, null with raw "", no sum error, no missing row."""
    spec = g.blank_rows(g.make_spec(31, fmt))
    blank = {c.row for c in spec.cells if c.table == "requests" and c.value is None}
    assert len(blank) == 1
    assert [c.raw for c in spec.cells if c.row in blank and c.table == "requests"] == [""] * 7
    assert g.identity_findings(spec) == []
    data = g.render_blank_rows(spec, kind)
    if kind == "html":
        assert data.count(b"<span>&nbsp;</span>") == 7
    report = _parsed(data, FILENAMES[kind], spec)
    assert report.findings == []


@pytest.mark.parametrize("fmt", GOV)
@pytest.mark.parametrize(
    ("kind", "merge"),
    [("docx", "span"), ("docx", "empty_cell"), ("docx", "hmerge"), ("pdf", "span"), ("pdf", "empty_cell")],
)
def test_label_cells_merged_or_beside_an_empty_cell(kind: str, merge: str, fmt: str) -> None:
    """（一）…（七） spanning the label and sub-label columns (gridSpan, SPAN) or beside an empty cell
    (plain or <w:hMerge>): the empty cell is not a value, nothing shifts right."""
    spec = g.make_spec(31, fmt)
    data = g.render_label_cells(spec, kind, merge)
    if kind == "docx":
        with zipfile.ZipFile(io.BytesIO(data)) as docx:
            xml = docx.read("word/document.xml").decode()
        rows = templates.REQUEST_ROWS_2019 if fmt == "gov2019" else templates.REQUEST_ROWS_2021
        results = sum(1 for r in rows if r.group == "三、本年度办理结果")
        assert ("w:hMerge" in xml) == (merge == "hmerge")
        assert xml.count('<w:gridSpan w:val="2"/>') >= (results if merge == "span" else 0)
    report = _parsed(data, FILENAMES[kind], spec)
    assert report.findings == []


@pytest.mark.parametrize("kind", ["html", "word_html"])
def test_pre2014_statistics_table(kind: str) -> None:
    """A 2013 table headed 指标名称 / 计量单位 / 2013年度 / 历年累计, with neither 统计指标 nor
    政府信息公开情况统计表 anywhere: stat2014, both value columns read."""
    spec = g.pre2014(g.make_spec(31, "stat2014"))
    data = g.render_pre2014(spec, kind)
    text = re.sub(r"<[^>]+>", "", data.decode("gbk" if kind == "word_html" else "utf-8"))
    assert "统计指标" not in text and "政府信息公开情况统计表" not in text
    assert "指标名称" in text and pre2014_caption(spec) in text
    assert spec.cell("statistics", "1.1", CUMULATIVE) is not None
    report = _parsed(data, "t2014.htm", spec)
    assert report.statistics == spec.statistics
    assert report.findings == []


@pytest.mark.parametrize("fmt", [*GOV, "stat2014"])
def test_markdown_pipe_tables(fmt: str) -> None:
    """Pipe tables without merges, table 3 cut in two by a page footer, a label split over two rows."""
    spec = g.make_spec(31, fmt)
    data = g.render_markdown(spec)
    lines = data.decode().split("\n")
    if fmt != "stat2014":
        footer = lines.index("- 1 -")
        assert lines[footer - 2].startswith("| ") and lines[footer + 2].startswith("| ")
        assert "|  | （二）部分公开（区分处理的， |  |" in data.decode()
    report = _parsed(data, "report.md", spec)
    assert report.findings == []


@pytest.mark.parametrize("fmt", [*GOV, "stat2014"])
@pytest.mark.parametrize("style", g.TITLE_STYLES)
@pytest.mark.parametrize("kind", ["text", "html"])
def test_title_styles(kind: str, style: str, fmt: str) -> None:
    """Titles beginning with the year, broken over two lines, with 二〇二一年 or （2021）."""
    spec = g.retitle(g.make_spec(31, fmt), style)
    report = _parsed(g.render_titled(spec, style, kind), FILENAMES[kind], spec)
    assert report.findings == []


@pytest.mark.parametrize("fmt", [*GOV, "stat2014"])
@pytest.mark.parametrize("agency", g.AGENCY_NAMES)
def test_agency_suffixes_with_a_byline_of_another_body(agency: str, fmt: str) -> None:
    """Issuers ending in 区/新区/综合实验区/开发区/管委会/办公室, in a year-first title, with a site
    template's 来源：<another body> near the title, which never overrides the title's agency."""
    spec = g.retitle(g.make_spec(5, fmt, agency=agency), "year_first")
    assert spec.title.startswith(f"{spec.year}年{agency}")
    for kind in ("text", "html"):
        data = g.render_with_source(spec, "银川市大数据管理服务局", kind)
        assert "来源：银川市大数据管理服务局" in data.decode()
        report = _parsed(data, FILENAMES[kind], spec)
        assert report.findings == []


@pytest.mark.parametrize("fmt", [*GOV, "stat2014"])
@pytest.mark.parametrize("kind", g.COMPANION_KINDS)
def test_companions_are_not_reports(kind: str, fmt: str) -> None:
    """图解 / 一图读懂 / 政策解读 pages of a report: not_a_report, no cells, no findings."""
    spec = g.make_spec(31, fmt)
    report = parse(g.companion_page(spec, kind), filename="t20240121_2.html")
    assert (report.status, report.format, report.title, report.year, report.agency) == (
        "not_a_report",
        "unknown",
        companion_title(spec, kind),
        spec.year,
        spec.agency,
    )
    assert (report.cells, report.findings) == ([], [])


def test_standard_renderings_are_unchanged_by_the_relayout_option() -> None:
    """`relayout=None` is the standard rendering; a relayout changes only the tables it re-lays."""
    spec = g.make_spec(31, "gov2021")
    assert g.render_html(spec, relayout=None) == g.render_html(spec)
    assert g.render_docx(spec, relayout=None) == g.render_docx(spec)
    assert g.render_label_cells(spec, "docx", "span") == g.render_docx(spec)
