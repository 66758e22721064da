"""Small hand-made inputs: detection, decoding, numbers, headings, metadata and every check rule."""

from __future__ import annotations

import pytest

from parsers import parse
from parsers import templates as t
from parsers.checks import table_findings
from parsers.decode import decode_bytes
from parsers.detect import detect_kind
from parsers.errors import WrongKind
from parsers.metadata import find_agency, find_title
from parsers.model import Cell
from parsers.numbers import is_footer, parse_value
from parsers.sections import split_sections

REPORT_HTML = """<html><head><meta http-equiv="Content-Type" content="text/html; charset=gb2312">
<meta name="ArticleTitle" content="某某县教育局2021年政府信息公开工作年度报告"><title>某某县人民政府</title></head>
<body><div class="nav">首页 | 政务公开 | 政府信息公开年报 | 联系我们 | 网站地图</div>
<div class="TRS_Editor"><p>某某县教育局2021年政府信息公开工作年度报告</p><p>一、总体情况</p>
<p>全年共受理政府信息公开申请3件。</p><p>二、主动公开政府信息情况</p>
<table><tr><td colspan="4">第二十条第（一）项</td></tr>
<tr><td>信息内容</td><td>本年制发件数</td><td>本年废止件数</td><td>现行有效件数</td></tr>
<tr><td>规章</td><td>0</td><td>0</td><td>0</td></tr>
<tr><td>行政规范性文件</td><td>4</td><td>1</td><td>20</td></tr>
<tr><td>行政许可</td><td colspan="3">251000元</td></tr></table>
<p>三、收到和处理政府信息公开申请情况</p><p>四、政府信息公开行政复议、行政诉讼情况</p>
<p>五、存在的主要问题及改进情况</p><p>无。</p><p>六、其他需要报告的事项</p><p>无。</p></div>
<div class="footer">版权所有：某某县人民政府 主办单位 技术支持 备案号 网站标识码</div></body></html>"""


def test_detect_kinds() -> None:
    assert detect_kind(b"%PDF-1.7\n...") == "pdf"
    assert detect_kind(b"<!DOCTYPE html><html><body>x</body></html>", filename="a.htm") == "html"
    assert detect_kind("二〇二一年政府信息公开工作年度报告".encode()) == "text"
    with pytest.raises(WrongKind, match="not a PDF"):
        detect_kind(b"just some words", filename="report.pdf")


def test_gbk_html_with_rowspan_colspan_and_chrome() -> None:
    report = parse(REPORT_HTML.encode("gbk"), filename="t2021.html")
    assert report.title == "某某县教育局2021年政府信息公开工作年度报告"
    assert report.agency == "某某县教育局"
    assert report.parser.source_kind == "html"
    assert report.tables["proactive"]["normative_documents"] == {"issued": 4, "repealed": 1, "in_force": 20}
    licensing = next(c for c in report.cells if c.row == "licensing")
    assert (licensing.value, licensing.raw) == (251000, "251000元")
    assert "首页" not in "".join(report.sections.values())
    assert set(report.sections) == {
        "overview",
        "proactive",
        "requests",
        "review_litigation",
        "problems",
        "other",
    }


def test_decode_prefers_http_header_then_meta() -> None:
    text = "政府信息公开"
    assert decode_bytes(text.encode("gbk"), "text/html; charset=GBK") == text
    assert decode_bytes(b'<meta charset="gb2312">' + text.encode("gb2312")).endswith(text)
    assert decode_bytes(text.encode("utf-8"), "text/html; charset=gbk") != ""
    assert decode_bytes("\ufeff".encode() + text.encode()) == text


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        ("0", 0),
        ("1,234", 1234),
        ("12.50", 12.5),
        ("251000元", 251000),
        ("-3", -3),
        ("－2", -2),
        ("/", None),
        ("—", None),
        ("", None),
    ],
)
def test_parse_value(raw: str, value: float | None) -> None:
    assert parse_value(raw) == value
    assert type(parse_value(raw)) is type(value)


def test_page_footers() -> None:
    assert is_footer("- 4 -") and is_footer("第 3 页 共 6 页") and not is_footer("4 0 0")


def test_title_broken_over_lines_and_agency_widened() -> None:
    lines = [" 西夏区文化旅游局 2022 年政府信息公开", "工作年度报告", "本报告由银川市西夏区文化旅游局编制。"]
    title, end = find_title(lines)
    assert (title, end) == ("西夏区文化旅游局2022年政府信息公开工作年度报告", 1)
    assert find_agency(title, lines, end, "\n".join(lines)) == "银川市西夏区文化旅游局"


def test_sections_with_bracketed_numbering() -> None:
    lines = ["（一）概述", "a", "（二）主动公开政府信息情况", "b", "（三）收到和处理政府信息公开申请情况", "c",
             "（四）政府信息公开行政复议、行政诉讼情况", "（五）存在的主要问题及改进情况", "（六）其他需要报告的事项"]  # fmt: skip
    assert list(split_sections(lines)) == [
        "overview",
        "proactive",
        "requests",
        "review_litigation",
        "problems",
        "other",
    ]


def _requests(fmt: str, **changes: int) -> list[Cell]:
    """A consistent table 3 (2 of each result per column, new 10+x) with keyword overrides row__col=value."""
    results = t.table_template(fmt, None).result_rows
    base: dict[tuple[str, str], int] = {}
    for col in t.APPLICANT_COLUMNS:
        for row in results:
            base[(row, col)] = 1
        base[("total", col)] = len(results)
        base[("carried_over", col)] = 2
        base[("new", col)] = len(results) + 1
        base[("carried_forward", col)] = 3
    for row in [r.key for r in t.table_template(fmt, None).request_rows]:
        base[(row, "total")] = sum(base[(row, c)] for c in t.APPLICANT_COLUMNS)
    for key, value in changes.items():
        row, col = key.split("__")
        base[(row, col)] = value
    return [Cell("requests", r, c, v, str(v)) for (r, c), v in base.items()]


def _review(**changes: int) -> list[Cell]:
    cells = {(b, c): 1 for b, _ in t.REVIEW_BLOCKS for c in t.REVIEW_PARTS}
    cells |= {(b, "total"): 4 for b, _ in t.REVIEW_BLOCKS}
    for key, value in changes.items():
        block, col = key.split("__")
        cells[(block, col)] = value
    return [Cell("review_litigation", b, c, v, str(v)) for (b, c), v in cells.items()]


@pytest.mark.parametrize("fmt", ["gov2021", "gov2019"])
def test_consistent_tables_have_no_findings(fmt: str) -> None:
    assert table_findings(_requests(fmt) + _review(), fmt) == []


def test_balance_rule() -> None:
    cells = _requests("gov2021", carried_over__research=5, carried_over__total=6 * 2 + 3)
    got = [(f.rule, f.where, f.expected, f.actual) for f in table_findings(cells, "gov2021")]
    assert got == [
        ("requests.balance", "requests/*/research", 24, 27),
        ("requests.balance", "requests/*/total", 144, 147),
    ]


def test_total_sum_rule() -> None:
    cells = _requests("gov2019", total__legal_service=20)
    got = [(f.rule, f.where, f.expected, f.actual) for f in table_findings(cells, "gov2019")]
    assert ("requests.total_sum", "requests/total/legal_service", 19, 20) in got


def test_row_total_rule() -> None:
    cells = _requests("gov2021", granted__total=7)
    got = [(f.rule, f.where, f.expected, f.actual) for f in table_findings(cells, "gov2021")]
    assert ("requests.row_total", "requests/granted/total", 6, 7) in got


def test_block_total_rule() -> None:
    got = [
        (f.rule, f.where, f.expected, f.actual)
        for f in table_findings(_review(suit_direct__total=5), "gov2021")
    ]
    assert got == [("review_litigation.block_total", "review_litigation/suit_direct/total", 4, 5)]


def test_blank_or_absent_cells_skip_the_rule() -> None:
    cells = [c for c in _review() if not (c.row == "review" and c.col == "upheld")]
    assert table_findings(cells, "gov2021") == []
    # A blank is not stated, not 0: the block's three stated parts (3) against its 总计 (4) prove nothing.
    blank = [
        Cell(c.table, c.row, c.col, None, "/") if (c.row, c.col) == ("review", "upheld") else c
        for c in _review()
    ]
    assert table_findings(blank, "gov2021") == []


OUTDATED = """某某局2021年政府信息公开工作年度报告
一、总体情况
本报告统计期限自2020年1月1日起至2020年12月31日止。
二、主动公开政府信息情况
第二十条第（一）项
信息内容 本年新制作数量 本年新公开数量 对外公开总数量
规章 0 0 0
"""


def test_metadata_rules_on_a_small_report() -> None:
    report = parse(OUTDATED.encode(), filename="a.txt")
    rules = [(f.rule, f.severity, f.where) for f in report.findings]
    assert ("report.year_mismatch", "warning", "year") in rules
    assert ("report.format_outdated", "warning", "format") in rules
    assert ("report.missing_section", "warning", "sections/problems") in rules
    assert ("report.missing_table", "warning", "requests") in rules
    assert ("report.missing_row", "warning", "proactive/licensing") in rules
    assert report.format == "gov2019" and report.year == 2021


def test_format_mixed() -> None:
    mixed = (
        OUTDATED + "信息内容 本年制发件数 本年废止件数 现行有效件数\n信息内容 本年收费金额（单位：万元）\n"
    )
    rules = [f.rule for f in parse(mixed.encode()).findings]
    assert "report.format_mixed" in rules
