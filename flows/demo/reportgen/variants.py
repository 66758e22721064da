"""Variants and defects: reports that differ from a plain `make_spec` report on purpose.

Each kind has its own part of this module:
- broken figures: `break_identity` changes printed cells so that exactly one rule breaks;
- bad inputs: `bad_inputs` gives files a crawler meets that are not (readable) reports;
- table layouts: `render_layout` prints a report in a layout real reports use.
"""

from __future__ import annotations

import html
import io
import random
import re
import zipfile
from collections.abc import Iterable
from dataclasses import replace

from flows.demo.reportgen.as_docx import render_docx
from flows.demo.reportgen.as_html import html_paragraphs, render_html
from flows.demo.reportgen.as_pdf import render_encrypted_pdf, render_pdf
from flows.demo.reportgen.as_scan import render_scanned_pdf
from flows.demo.reportgen.layout import CORNER_TEXT
from flows.demo.reportgen.prose import write_sections
from flows.demo.reportgen.spec import ReportSpec, make_spec
from parsers import templates
from parsers.model import Cell, Finding

# ---------------------------------------------------------------------------------------------
# Broken figures

BREAKABLE_RULES: tuple[str, ...] = (
    "requests.balance",
    "requests.total_sum",
    "requests.row_total",
    "review_litigation.block_total",
    "report.text_mismatch",
)


def _set_value(
    cells: list[Cell], table: str, row: str, col: str, delta: int
) -> tuple[list[Cell], tuple[str, str, str, str, str]]:
    out: list[Cell] = []
    change: tuple[str, str, str, str, str] | None = None
    for cell in cells:
        if cell.table == table and cell.row == row and cell.col == col:
            if not isinstance(cell.value, int):
                raise ValueError(f"cannot change blank cell {table}/{row}/{col}")
            new = cell.value + delta
            out.append(replace(cell, value=new, raw=str(new)))
            change = (table, row, col, cell.raw, str(new))
        else:
            out.append(cell)
    if not change:
        raise ValueError(f"no cell {table}/{row}/{col}")
    return out, change


def _requests_sum(spec: ReportSpec, rows: Iterable[str], col: str) -> int | float:
    return sum(spec.number("requests", r, col) for r in rows)


def break_identity(spec: ReportSpec, rule: str) -> ReportSpec:
    """A copy of `spec` whose printed cells break exactly `rule` and no other rule.

    `changes` lists every changed cell (table, row, col, old raw, new raw) and
    `expected_findings` the findings a checker should report (one per broken column/row/block):
    - requests.balance: 二 of one applicant column and of 总计 +d (row totals still hold);
      breaks the balance of that column and of 总计.
    - requests.total_sum: （七） and 一 of one applicant column and of 总计 +d (balance and row
      totals hold); breaks Σ results = （七） in that column and in 总计.
    - requests.row_total: 总计 of one result row +d and of another −d (column sums hold);
      breaks the row total of both rows.
    - review_litigation.block_total: one block's 总计 +d.
    - report.text_mismatch: the count quoted in 一、总体情况 (共受理政府信息公开申请N件) +d.
    Section texts are rewritten from the new printed numbers, so only the named rule breaks.
    """
    if rule not in BREAKABLE_RULES:
        raise ValueError(f"unknown rule {rule!r}, expected one of {', '.join(BREAKABLE_RULES)}")
    if spec.format == "stat2014" and rule != "report.text_mismatch":
        raise ValueError(f"{rule} does not apply to stat2014 reports")
    rng = random.Random(f"{spec.seed}:{rule}")
    delta = rng.randint(1, 5)
    cells = list(spec.cells)
    changes: list[tuple[str, str, str, str, str]] = []
    findings: list[Finding] = []
    override: dict[str, int] = {}

    def change(table: str, row: str, col: str, d: int) -> None:
        nonlocal cells
        cells, record = _set_value(cells, table, row, col, d)
        changes.append(record)

    applicant = rng.choice(templates.APPLICANT_COLUMNS)
    results = templates.table_template(spec.format, None).result_rows
    if rule == "requests.balance":
        for col in (applicant, "total"):
            change("requests", "carried_over", col, delta)
    elif rule == "requests.total_sum":
        for col in (applicant, "total"):
            change("requests", "total", col, delta)
            change("requests", "new", col, delta)
    elif rule == "requests.row_total":
        usable = [r for r in results if spec.number("requests", r, "total") > delta]
        up, down = rng.sample(usable, 2)
        change("requests", up, "total", delta)
        change("requests", down, "total", -delta)
    elif rule == "review_litigation.block_total":
        block = rng.choice([b for b, _ in templates.REVIEW_BLOCKS])
        change("review_litigation", block, "total", delta)
    else:
        table_new = (
            spec.number("statistics", "3.1", "value")
            if spec.format == "stat2014"
            else spec.number("requests", "new", "total")
        )
        override["new"] = int(table_new) + delta
        findings.append(
            Finding(
                rule,
                "warning",
                "sections/overview",
                f"一、总体情况 quotes 共受理政府信息公开申请{override['new']}件, the table says {table_new}",
                expected=table_new,
                actual=override["new"],
            )
        )
    broken = replace(
        spec,
        cells=cells,
        changes=[*spec.changes, *changes],
        text_override={**spec.text_override, **override},
    )
    broken.sections = write_sections(broken)
    if rule != "report.text_mismatch":
        findings = [f for f in identity_findings(broken) if f.rule == rule]
    broken.expected_findings = [*spec.expected_findings, *findings]
    return broken


def identity_findings(spec: ReportSpec) -> list[Finding]:
    """The table identities of DOMAIN.md evaluated on the printed cells (None counts as 0).

    Independent of the parsers; used to document what `break_identity` breaks.
    """
    if spec.format == "stat2014":
        return []
    findings: list[Finding] = []

    def compare(rule: str, where: str, message: str, expected: int | float, actual: int | float) -> None:
        if expected != actual:
            findings.append(Finding(rule, "error", where, message, expected, actual))

    rows = [r.key for r in templates.table_template(spec.format, None).request_rows]
    results = templates.table_template(spec.format, None).result_rows
    for col, _label in templates.REQUEST_COLUMNS:
        left = spec.number("requests", "new", col) + spec.number("requests", "carried_over", col)
        right = spec.number("requests", "total", col) + spec.number("requests", "carried_forward", col)
        compare("requests.balance", f"requests/*/{col}", "一+二 ≠ （七）+四", right, left)
        printed = spec.number("requests", "total", col)
        compare(
            "requests.total_sum",
            f"requests/total/{col}",
            "Σ results ≠ （七）总计",
            _requests_sum(spec, results, col),
            printed,
        )
    for row in rows:
        summed = sum(spec.number("requests", row, c) for c in templates.APPLICANT_COLUMNS)
        compare(
            "requests.row_total",
            f"requests/{row}/total",
            "Σ applicants ≠ 总计",
            summed,
            spec.number("requests", row, "total"),
        )
    for block, _label in templates.REVIEW_BLOCKS:
        summed = sum(spec.number("review_litigation", block, p) for p in templates.REVIEW_PARTS)
        printed = spec.number("review_litigation", block, "total")
        compare(
            "review_litigation.block_total",
            f"review_litigation/{block}/total",
            "Σ parts ≠ 总计",
            summed,
            printed,
        )
    return findings


# ---------------------------------------------------------------------------------------------
# Bad inputs


def _article(title: str, paragraphs: list[str], published: str) -> bytes:
    body = "\n".join(html_paragraphs(paragraphs))
    page = f"""<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<meta name="ArticleTitle" content="{html.escape(title)}">
<meta name="PubDate" content="{published}">
<meta name="ColumnName" content="通知公告">
</head><body>
<div class="article"><h1 class="title">{html.escape(title)}</h1>
<div class="TRS_Editor">
{body}
</div></div></body></html>
"""
    return page.encode("utf-8")


def notice_html(year: int = 2024) -> bytes:
    """An HTML notice (关于开展…的通知) from a report column: not a report."""
    return _article(
        f"关于开展{year}年度政府信息公开工作年度报告编制发布工作的通知",
        [
            "各乡镇人民政府、街道办事处，区政府各部门：",
            "根据《中华人民共和国政府信息公开条例》规定，"
            f"现就做好{year - 1}年度政府信息公开工作年度报告编制发布工作通知如下：",
            "一、各部门应于1月31日前在区政府门户网站公布本部门上一年度政府信息公开工作年度报告。",
            "二、年度报告应严格按照国办公开办函〔2021〕30号文件规定的格式编制，确保数据准确、勾稽关系正确。",
            "三、请各单位于发布后3个工作日内将报告链接报送区政务公开办公室。",
        ],
        f"{year}-01-05",
    )


def news_html(year: int = 2024) -> bytes:
    """A news item about disclosure work: mentions 年度报告 but is not one."""
    return _article(
        "区政务公开办召开政府信息公开工作年度报告编制培训会",
        [
            f"{year}年1月10日，区政务公开办召开政府信息公开工作年度报告编制培训会，各部门政务公开工作人员共60余人参加。",
            "会议解读了年度报告格式要求，通报了上一年度年度报告评估中发现的数据不准确、勾稽关系错误等问题。",
            "会议要求，各部门要高度重视年度报告编制工作，按时保质完成发布任务。",
        ],
        f"{year}-01-10",
    )


ERROR_404 = (
    b"<html>\r\n<head><title>404 Not Found</title></head>\r\n<body>\r\n"
    b"<center><h1>404 Not Found</h1></center>\r\n"
    b"<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
)


def bad_inputs() -> dict[str, tuple[bytes, str]]:
    """Inputs the pipeline must reject with a clear status: name → (bytes, filename)."""
    spec = make_spec(101, "gov2021")
    pdf = render_pdf(spec)
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("年度报告.docx", render_docx(spec))
        zf.writestr("说明.txt", "附件为年度报告。".encode())
    return {
        "empty": (b"", "P020240125000000000000.pdf"),
        "truncated_pdf": (pdf[: len(pdf) // 3], "P020240125000000000001.pdf"),
        "encrypted_pdf": (render_encrypted_pdf(spec), "P020240125000000000002.pdf"),
        "html_error_as_pdf": (ERROR_404, "P020240125000000000003.pdf"),
        "zip": (archive.getvalue(), "年度报告.zip"),
        "scanned_pdf": (render_scanned_pdf(spec), "P020240125000000000004.pdf"),
        "notice": (notice_html(), "t20240105_100001.html"),
        "news": (news_html(), "t20240110_100002.html"),
    }


# ---------------------------------------------------------------------------------------------
# Table layouts real reports use (the parser's layout corpus is tests/parsers/layouts/)

LAYOUT_VARIANTS: tuple[str, ...] = ("merged_empty_td", "nested_layout", "note_cell")
_REQUESTS_TD = re.compile(r'<td colspan="2" (valign="center"><p[^>]*><span>[^<]*</span></p></td>)')


def _requests_table_span(page: str) -> tuple[int, int]:
    start = page.index(html.escape(CORNER_TEXT))
    return page.rindex("<table", 0, start), page.index("</table>", start)


def render_layout(spec: ReportSpec, layout: str) -> tuple[bytes, ReportSpec]:
    """The report as an HTML page in one of `LAYOUT_VARIANTS`, and the spec its cells must parse to.

    merged_empty_td: table 3's （一）（二）（七）… labels sit beside an empty cell instead of spanning the
    sub-label column; nested_layout: the page laid out with <table>s, the report two tables deep;
    note_cell: 本年制发件数 of 行政规范性文件 printed with a note, "N（其中修订M件）"."""
    if layout == "note_cell":
        note = [
            replace(c, raw=f"{c.raw}（其中修订{c.value}件）")
            if (c.table, c.row, c.col) == ("proactive", "normative_documents", _NOTE_COL[spec.format])
            and isinstance(c.value, int)
            else c
            for c in spec.cells
        ]
        spec = replace(spec, cells=note)
        return render_html(spec), spec
    page = render_html(spec).decode()
    if layout == "merged_empty_td":
        start, end = _requests_table_span(page)
        table = _REQUESTS_TD.sub(r'<td \1<td valign="center">&nbsp;</td>', page[start:end])
        return (page[:start] + table + page[end:]).encode(), spec
    if layout == "nested_layout":
        head, rest = page.split("<body>", 1)
        body, tail = rest.split("</body>", 1)
        links = "".join(f"<tr><td><a href='/l{i}/'>政府信息公开指南第{i}部分</a></td></tr>" for i in range(6))
        wrapped = (
            '<body><table width="1000"><tr><td><a href="/">首页</a></td><td><a href="/zwgk/">政务公开</a>'
            '</td></tr></table><table width="1000"><tr><td width="200" valign="top">'
            f'<table>{links}</table></td><td valign="top"><table width="780"><tr><td>{body}</td></tr>'
            "</table></td></tr></table></body>"
        )
        return (head + wrapped + tail).encode(), spec
    raise ValueError(f"unknown layout variant {layout!r}")


_NOTE_COL = {"gov2021": "issued", "gov2019": "produced"}
