"""Layout descriptions: the table layouts real reports use, each a few lines of HTML, Markdown, a DOCX
built with python-docx or a PDF drawn with reportlab, with the exact cells and findings it must give.

Every layout carries the same small consistent table 3 (or table 2, or a pre-2014 statistics table),
so a wrong cell is a layout bug. `LAYOUTS` maps a name to a builder returning a `Layout`; the tests
(tests/parsers/test_layouts.py) and the score script (tests/bench/layout_score.py) use them.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass, field

from parsers import templates as t
from parsers.numbers import parse_value

AGENCY = "某某县教育局"
CellKey = tuple[str, str, str]
Expected = dict[CellKey, tuple[float | int | None, str]]
SECTIONS = (
    "一、总体情况",
    "二、主动公开政府信息情况",
    "三、收到和处理政府信息公开申请情况",
    "四、政府信息公开行政复议、行政诉讼情况",
    "五、存在的主要问题及改进情况",
    "六、其他需要报告的事项",
)
# Table 3 of a small consistent report: 一+二 = （七）+四 per column, rows add up to （七）.
REQUESTS: dict[str, str] = {
    "new": "5 2 0 0 0 0 7",
    "carried_over": "1 0 0 0 0 0 1",
    "granted": "3 1 0 0 0 0 4",
    "partly_granted": "1 0 0 0 0 0 1",
    "unavailable_not_held": "1 0 0 0 0 0 1",
    "other": "0 1 0 0 0 0 1",
    "total": "5 2 0 0 0 0 7",
    "carried_forward": "1 0 0 0 0 0 1",
}
ZEROS = "0 0 0 0 0 0 0"


@dataclass
class Layout:
    """One layout: the bytes, the file name, and what parsing must give."""

    data: bytes
    filename: str
    year: int
    format: str
    cells: Expected
    findings: list[tuple[str, str, str]] = field(default_factory=list)
    agency: str | None = AGENCY
    statistics: dict[str, dict[str, object]] = field(default_factory=dict)


def request_values(fmt: str, blank_rows: tuple[str, ...] = ()) -> dict[str, list[str]]:
    """The printed cells of table 3 per row key (blank rows: seven empty cells)."""
    return {
        row.key: ([""] * 7 if row.key in blank_rows else REQUESTS.get(row.key, ZEROS).split())
        for row in t.table_template(fmt, None).request_rows
    }


def expected_requests(values: dict[str, list[str]]) -> Expected:
    cols = [key for key, _ in t.REQUEST_COLUMNS]
    return {
        ("requests", row, col): (parse_value(raw), raw)
        for row, raws in values.items()
        for col, raw in zip(cols, raws, strict=True)
    }


def missing_tables(*tables: str) -> list[tuple[str, str, str]]:
    return [("report.missing_table", "warning", table) for table in tables]


def title(year: int) -> str:
    return f"{AGENCY}{year}年政府信息公开工作年度报告"


# --------------------------------------------------------------------------------------------- HTML


def _label_cells(fmt: str, merged: str) -> dict[str, str]:
    """The <td>s before the values of each table 3 row. `merged`: "colspan" (the label spans the label
    and sub-label columns) or "empty_td" (a separate empty cell beside it, as borderless Word tables
    export)."""
    rows = t.table_template(fmt, None).request_rows
    results = [r for r in rows if r.group]
    out: dict[str, str] = {}
    seen: set[str] = set()
    for row in rows:
        cells = ""
        if row is results[0]:
            cells += f'<td rowspan="{len(results)}">{row.group}</td>'
        if not row.group:
            cells += f'<td colspan="3">{row.label}</td>'
        elif row.group == results[0].group:
            if merged == "colspan":
                cells += f'<td colspan="2">{row.label}</td>'
            else:
                cells += f"<td>{row.label}</td><td>&nbsp;</td>"
        else:
            if row.group not in seen:
                span = sum(1 for r in rows if r.group == row.group)
                cells += f'<td rowspan="{span}">{row.group}</td>'
                seen.add(row.group)
            cells += f"<td>{row.label}</td>"
        out[row.key] = cells
    return out


def requests_html(fmt: str, values: dict[str, list[str]], merged: str = "colspan") -> str:
    labels = _label_cells(fmt, merged)
    head = (
        '<tr><td rowspan="3" colspan="3">（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）</td>'
        '<td colspan="7">申请人情况</td></tr><tr><td rowspan="2">自然人</td>'
        '<td colspan="5">法人或其他组织</td><td rowspan="2">总计</td></tr>'
        "<tr><td>商业企业</td><td>科研机构</td><td>社会公益组织</td><td>法律服务机构</td><td>其他</td></tr>"
    )
    body = "".join(
        "<tr>" + labels[key] + "".join(f"<td>{v or '&nbsp;'}</td>" for v in raws) + "</tr>"
        for key, raws in values.items()
    )
    return f'<table border="1">{head}{body}</table>'


def article(year: int, tables: dict[int, str], *, prose: str = "") -> str:
    """Six section headings with the given tables after heading N (1-based), as paragraphs."""
    parts = [f"<p>{title(year)}</p>", f"<p>{prose or '本报告依据条例编制。'}</p>"]
    for i, heading in enumerate(SECTIONS, 1):
        parts.append(f"<p>{heading}</p><p>本节情况如下。</p>")
        parts.append(tables.get(i, ""))
    return "\n".join(parts)


def page(body: str, year: int, charset: str = "utf-8") -> bytes:
    return (
        f'<html><head><meta charset="{charset}"><title>{title(year)}</title></head><body>{body}</body></html>'
    ).encode(charset)


def html_merged_colspan() -> Layout:
    """(a) gov2019 table 3, （一）（二）（六）（七） merged across label and sub-label columns by colspan."""
    values = request_values("gov2019")
    body = article(2020, {3: requests_html("gov2019", values, "colspan")})
    return Layout(
        page(body, 2020),
        "merged.html",
        2020,
        "gov2019",
        expected_requests(values),
        missing_tables("proactive", "review_litigation"),
    )


def html_merged_empty_td() -> Layout:
    """(a) gov2021 table 3 where （一）（二）（七） sit beside an empty &nbsp; cell instead of a colspan."""
    values = request_values("gov2021")
    body = article(2022, {3: requests_html("gov2021", values, "empty_td")})
    return Layout(
        page(body, 2022),
        "empty_td.html",
        2022,
        "gov2021",
        expected_requests(values),
        missing_tables("proactive", "review_litigation"),
    )


def html_blank_rows() -> Layout:
    """(b) rows whose cells are all &nbsp;: kept, every cell null with raw ""."""
    blank = ("withheld_inquiry", "rejected_confirmation", "other")
    values = request_values("gov2019", blank)
    body = article(2019, {3: requests_html("gov2019", values, "empty_td")})
    return Layout(
        page(body, 2019),
        "blank.html",
        2019,
        "gov2019",
        expected_requests(values),
        missing_tables("proactive", "review_litigation"),
    )


def _note_table() -> str:
    return (
        '<table border="1"><tr><td colspan="4">第二十条第（一）项</td></tr>'
        "<tr><td>信息内容</td><td>本年制发件数</td><td>本年废止件数</td><td>现行有效件数</td></tr>"
        "<tr><td>规章</td><td>0</td><td>0</td><td>0</td></tr>"
        "<tr><td>行政规范性文件</td><td>22（其中修订16件）</td><td>3</td><td>41</td></tr>"
        '<tr><td colspan="4">第二十条第（五）项</td></tr>'
        '<tr><td>信息内容</td><td colspan="3">本年处理决定数量</td></tr>'
        '<tr><td>行政许可</td><td colspan="3">1 204</td></tr></table>'
    )


def html_note_cell() -> Layout:
    """(f) a number cell with a note, 22（其中修订16件）: value 22, the note stays in raw."""
    body = article(2021, {2: _note_table()})
    cells: Expected = {
        ("proactive", "regulations", "issued"): (0, "0"),
        ("proactive", "regulations", "repealed"): (0, "0"),
        ("proactive", "regulations", "in_force"): (0, "0"),
        ("proactive", "normative_documents", "issued"): (22, "22（其中修订16件）"),
        ("proactive", "normative_documents", "repealed"): (3, "3"),
        ("proactive", "normative_documents", "in_force"): (41, "41"),
        ("proactive", "licensing", "decisions"): (1204, "1204"),
    }
    findings = [
        ("report.missing_row", "warning", "proactive/penalty"),
        ("report.missing_row", "warning", "proactive/coercion"),
        ("report.missing_row", "warning", "proactive/fees"),
        *missing_tables("requests", "review_litigation"),
    ]
    return Layout(page(body, 2021), "note.html", 2021, "gov2021", cells, findings)


NAV = "".join(
    f"<td><a href='/c{i}/'>{w}</a></td>"
    for i, w in enumerate(
        ["首页", "政务公开", "政务服务", "互动交流", "走进本县", "专题专栏", "办事指南", "公众参与"]
    )
)
FOOTER = (
    '<table width="1000" align="center"><tr><td>主办单位：某某县人民政府办公室 承办单位：某某县大数据中心'
    "</td></tr><tr><td>网站标识码：5101230001 蜀ICP备05000000号 地址：某某县人民路1号 联系电话：028-12345678"
    "</td></tr></table>"
)


def html_nested_layout() -> Layout:
    """(c) an old site laying out the whole page with <table>: banner, nav and footer tables, the report
    table nested two tables deep beside a left column of links."""
    values = request_values("gov2019")
    links = "".join(f"<tr><td><a href='/l{i}/'>政府信息公开指南{i}</a></td></tr>" for i in range(8))
    report = article(2020, {3: requests_html("gov2019", values)})
    body = (
        f'<table width="1000"><tr><td><img src="/banner.jpg" alt="某某县人民政府"></td></tr></table>'
        f'<table width="1000"><tr>{NAV}</tr></table>'
        '<table width="1000"><tr><td width="200" valign="top">'
        f'<table class="left">{links}</table></td><td valign="top">'
        f'<table width="780"><tr><td class="title">{title(2020)}</td></tr>'
        "<tr><td>发布时间：2021-01-25 来源：某某县教育局 浏览次数：128</td></tr>"
        f"<tr><td>{report}</td></tr></table></td></tr></table>{FOOTER}"
    )
    return Layout(
        page(body, 2020),
        "nested.html",
        2020,
        "gov2019",
        expected_requests(values),
        missing_tables("proactive", "review_litigation"),
    )


def html_trs_chrome() -> Layout:
    """(c) a TRS detail page with full site chrome (header, nav, related links, footer tables) around
    div.TRS_Editor."""
    values = request_values("gov2021")
    related = "".join(
        f"<li><a href='/r{i}/'>某某县2021年第{i}次政务公开工作会议召开</a></li>" for i in range(12)
    )
    body = (
        f'<div class="header"><table><tr>{NAV}</tr></table></div>'
        '<div class="position">当前位置：首页 &gt; 政府信息公开 &gt; 政府信息公开年报</div>'
        f'<div class="article"><h1>{title(2022)}</h1>'
        '<div class="TRS_Editor"><div class="TRS_Editor">'
        f"{article(2022, {3: requests_html('gov2021', values, 'empty_td')})}</div></div></div>"
        f'<div class="related"><p>相关阅读</p><ul>{related}</ul></div>{FOOTER}'
    )
    data = (
        '<html><head><meta charset="utf-8"><meta name="ArticleTitle" '
        f'content="{title(2022)}"><title>{title(2022)}_某某县人民政府</title></head>'
        f"<body>{body}</body></html>"
    ).encode()
    return Layout(
        data,
        "t20230120_1.html",
        2022,
        "gov2021",
        expected_requests(values),
        missing_tables("proactive", "review_litigation"),
    )


# Pre-2014 statistics table: 指标名称 | 计量单位 | 2013年度 | 历年累计.
STAT_ROWS: tuple[tuple[str, str, str, str], ...] = (
    ("一、主动公开情况", "", "", ""),
    ("（一）主动公开政府信息数", "条", "1 250", "9 870"),
    ("其中：主动公开规范性文件数", "条", "12", "86"),
    ("二、依申请公开情况", "", "", ""),
    ("（一）收到申请数", "件", "22（其中网上申请16件）", "140"),
    ("（二）申请答复数", "件", "22", "140"),
    ("三、行政复议数量", "件", "0", "—"),
    ("四、依申请公开信息收取的费用", "万元", "0.15", "1.20"),
)


def _stat_expected() -> tuple[Expected, dict[str, dict[str, object]]]:
    """Every row is an indicator (the 一、二、 headings with their empty cells too), keyed by number path;
    `value` is the 2013年度 column, `values` maps both headers."""
    paths = ("1", "1.1", "1.1.a", "2", "2.1", "2.2", "3", "4")
    cells: Expected = {}
    stats: dict[str, dict[str, object]] = {}
    for path, (label, unit, year, total) in zip(paths, STAT_ROWS, strict=True):
        year_raw, total_raw = year.replace(" ", ""), total.replace(" ", "")
        cells[("statistics", path, "value")] = (parse_value(year_raw), year_raw)
        cells[("statistics", path, "历年累计")] = (parse_value(total_raw), total_raw)
        stats[path] = {
            "label": label,
            "unit": unit,
            "value": parse_value(year_raw),
            "values": {"2013年度": parse_value(year_raw), "历年累计": parse_value(total_raw)},
        }
    return cells, stats


def _stat_body(table: str) -> str:
    return (
        f"<p>{title(2013)}</p><p>本报告依据条例编制。</p><p>附件：</p>"
        f"<p>{AGENCY}2013年政府信息公开情况统计表</p>{table}"
    )


def html_stat_pre2014() -> Layout:
    """(d) a pre-2014 statistics table headed 指标名称 / 计量单位 / 2013年度 / 历年累计."""
    rows = "".join(
        f"<tr><td>{label}</td><td>{unit}</td><td>{year}</td><td>{total}</td></tr>"
        for label, unit, year, total in STAT_ROWS
    )
    table = (
        '<table border="1"><tr><td>指标名称</td><td>计量单位</td><td>2013年度</td><td>历年累计</td></tr>'
        f"{rows}</table>"
    )
    cells, stats = _stat_expected()
    return Layout(
        page(_stat_body(table), 2013), "stat2013.html", 2013, "stat2014", cells, [], statistics=stats
    )


def _word_cell(text: str) -> str:
    """A cell as Word's "save as web page" writes it: MsoNormal paragraph, mso- styles, EN-US runs for
    digits and Latin, <o:p> placeholders."""
    runs = []
    for part in _runs(text):
        if part.isascii():
            runs.append(f"<span lang=EN-US style='font-size:10.5pt;mso-bidi-font-size:11.0pt'>{part}</span>")
        else:
            runs.append(
                f"<span style='font-size:10.5pt;font-family:宋体;mso-ascii-font-family:\"Times New Roman\"'>{part}</span>"
            )
    inner = "".join(runs) or "<span lang=EN-US><o:p>&nbsp;</o:p></span>"
    return (
        "<td width=142 valign=top style='width:106.5pt;border:solid windowtext 1.0pt;mso-border-alt:"
        f"solid windowtext .5pt;padding:0cm 5.4pt 0cm 5.4pt'><p class=MsoNormal align=center "
        f"style='text-align:center'>{inner}<span lang=EN-US><o:p></o:p></span></p></td>"
    )


def _runs(text: str) -> list[str]:
    out: list[str] = []
    for ch in text:
        if out and out[-1][-1:].isascii() == ch.isascii():
            out[-1] += ch
        else:
            out.append(ch)
    return out


def html_stat_word() -> Layout:
    """(d) the same pre-2014 table as Word-exported HTML (MsoNormalTable, <o:p>, mso- styles,
    <span lang=EN-US>), GB2312."""
    head = ("指标名称", "计量单位", "2013年度", "历年累计")
    rows = "".join(
        "<tr style='mso-yfti-irow:1'>" + "".join(_word_cell(c) for c in row) + "</tr>"
        for row in (head, *STAT_ROWS)
    )
    table = (
        "<div class=WordSection1><table class=MsoNormalTable border=1 cellspacing=0 cellpadding=0 "
        "style='border-collapse:collapse;border:none;mso-border-alt:solid windowtext .5pt;"
        f"mso-yfti-tbllook:1184'>{rows}</table></div>"
    )
    body = _stat_body(table).replace("<p>", "<p class=MsoNormal>")
    data = (
        '<html xmlns:o="urn:schemas-microsoft-com:office:office"><head>'
        '<meta http-equiv=Content-Type content="text/html; charset=gb2312">'
        '<meta name=Generator content="Microsoft Word 12 (filtered)">'
        f"<title>{title(2013)}</title><!--[if gte mso 9]><xml><o:DocumentProperties>"
        "<o:Author>admin</o:Author></o:DocumentProperties></xml><![endif]--></head>"
        f"<body lang=ZH-CN style='tab-interval:21.0pt'>{body}</body></html>"
    ).encode("gbk")
    cells, stats = _stat_expected()
    return Layout(data, "stat2013_word.htm", 2013, "stat2014", cells, [], statistics=stats)


# ------------------------------------------------------------------------------------------- Markdown


def _md_row(cells: list[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def markdown_split() -> Layout:
    """(e) table 3 as Markdown pipe tables (OCR / PDF-to-Markdown output): no merges (the merged label
    repeated or left empty), split into two pipe tables by a page footer `- 3 -`, the （二） label
    broken over two rows, an all-blank row."""
    values = request_values("gov2021", ("withheld_inquiry",))
    rows = t.GOV2021.request_rows
    head = [
        _md_row(
            [
                "（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）",
                "",
                "",
                "申请人情况",
                "",
                "",
                "",
                "",
                "",
                "",
            ]
        ),
        _md_row(["---"] * 10),
        _md_row(["", "", "", "自然人", "法人或其他组织", "", "", "", "", "总计"]),
        _md_row(["", "", "", "", "商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他", ""]),
    ]
    lines = [f"# {title(2022)}", "", "本报告依据条例编制。", ""]
    for heading in SECTIONS[:3]:
        lines += [f"## {heading}", "", "本节情况如下。", ""]
    lines += head
    for row in rows:
        raws = values[row.key]
        if row.key == "partly_granted":
            lines.append(
                _md_row(["三、本年度办理结果", "（二）部分公开（区分处理的，只计这一情形，", "", *[""] * 7])
            )
            lines.append(_md_row(["", "不计其他情形）", "", *raws]))
            continue
        if not row.group:
            labels = [row.label, "", ""]
        elif row.group == rows[2].group:
            labels = ["三、本年度办理结果", row.label, ""]
        else:
            labels = ["", row.group, row.label]
        lines.append(_md_row([*labels, *raws]))
        if row.key == "rejected_petition":
            lines += ["", "- 3 -", "", head[2], _md_row(["---"] * 10)]
    for heading in SECTIONS[3:]:
        lines += ["", f"## {heading}", "", "本节情况如下。"]
    return Layout(
        "\n".join(lines).encode(),
        "report.md",
        2022,
        "gov2021",
        expected_requests(values),
        missing_tables("proactive", "review_litigation"),
    )


# --------------------------------------------------------------------------------------------- DOCX


def _docx_requests(fmt: str, values: dict[str, list[str]], merge: str) -> bytes:
    """Table 3 in a DOCX: merged labels by gridSpan/vMerge (python-docx `merge`), or by the legacy
    `<w:hMerge>` that Word 97 and WPS write (`merge="hmerge"`)."""
    import docx
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    document = docx.Document()
    document.add_paragraph(title(2020 if fmt == "gov2019" else 2022))
    rows = t.table_template(fmt, None).request_rows
    for i, heading in enumerate(SECTIONS, 1):
        document.add_paragraph(heading)
        document.add_paragraph("本节情况如下。")
        if i != 3:
            continue
        table = document.add_table(rows=3 + len(rows), cols=10)
        table.cell(0, 0).merge(
            table.cell(2, 2)
        ).text = "（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）"
        table.cell(0, 3).merge(table.cell(0, 9)).text = "申请人情况"
        table.cell(1, 3).merge(table.cell(2, 3)).text = "自然人"
        table.cell(1, 4).merge(table.cell(1, 8)).text = "法人或其他组织"
        table.cell(1, 9).merge(table.cell(2, 9)).text = "总计"
        for j, (_key, label) in enumerate(t.REQUEST_COLUMNS[1:-1]):
            table.cell(2, 4 + j).text = label
        results = [r for r in rows if r.group]
        first = 3 + rows.index(results[0])
        table.cell(first, 0).merge(table.cell(first + len(results) - 1, 0)).text = results[0].group
        r = 3
        while r - 3 < len(rows):
            row = rows[r - 3]
            if not row.group:
                table.cell(r, 0).merge(table.cell(r, 2)).text = row.label
            elif row.group == results[0].group:
                if merge == "hmerge":
                    left, right = table.cell(r, 1), table.cell(r, 2)
                    left.text = row.label
                    for tc, val in ((left._tc, "restart"), (right._tc, None)):
                        mark = OxmlElement("w:hMerge")
                        if val:
                            mark.set(qn("w:val"), val)
                        tc.get_or_add_tcPr().append(mark)
                else:
                    table.cell(r, 1).merge(table.cell(r, 2)).text = row.label
            else:
                span = sum(1 for x in rows if x.group == row.group)
                table.cell(r, 1).merge(table.cell(r + span - 1, 1)).text = row.group
                for k in range(span):
                    table.cell(r + k, 2).text = rows[r - 3 + k].label
                    for j, raw in enumerate(values[rows[r - 3 + k].key]):
                        table.cell(r + k, 3 + j).text = raw
                r += span
                continue
            for j, raw in enumerate(values[row.key]):
                table.cell(r, 3 + j).text = raw
            r += 1
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def docx_merged_gridspan() -> Layout:
    """(a) DOCX table 3 with labels merged by gridSpan and vMerge, one all-blank row."""
    values = request_values("gov2019", ("rejected_duplicate",))
    return Layout(
        _docx_requests("gov2019", values, "gridspan"),
        "merged.docx",
        2020,
        "gov2019",
        expected_requests(values),
        missing_tables("proactive", "review_litigation"),
    )


def docx_merged_hmerge() -> Layout:
    """(a) DOCX table 3 with （一）（二）（七） merged by legacy <w:hMerge> (separate empty cells)."""
    values = request_values("gov2021")
    return Layout(
        _docx_requests("gov2021", values, "hmerge"),
        "hmerge.docx",
        2022,
        "gov2021",
        expected_requests(values),
        missing_tables("proactive", "review_litigation"),
    )


# ---------------------------------------------------------------------------------------------- PDF


def _pdf_requests(fmt: str, values: dict[str, list[str]], merged: bool) -> bytes:
    """Table 3 drawn with reportlab in the built-in CID font STSong-Light; with `merged` the labels
    span the label and sub-label columns, without it each label sits beside an empty ruled cell."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Table, TableStyle

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    body = ParagraphStyle("body", fontName="STSong-Light", fontSize=10.5, leading=15, wordWrap="CJK")
    cell = ParagraphStyle("cell", fontName="STSong-Light", fontSize=7, leading=9, wordWrap="CJK")
    rows = t.table_template(fmt, None).request_rows
    results = [r for r in rows if r.group]
    data: list[list[object]] = [
        [
            Paragraph("（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）", cell),
            "",
            "",
            "申请人情况",
            *[""] * 6,
        ],
        ["", "", "", "自然人", "法人或其他组织", "", "", "", "", "总计"],
        ["", "", "", "", *[Paragraph(label, cell) for _k, label in t.REQUEST_COLUMNS[1:-1]], ""],
    ]
    spans = [((0, 0), (2, 2)), ((3, 0), (9, 0)), ((3, 1), (3, 2)), ((4, 1), (8, 1)), ((9, 1), (9, 2))]
    seen: set[str] = set()
    for i, row in enumerate(rows):
        r = 3 + i
        label = Paragraph(row.label, cell)
        if not row.group:
            line: list[object] = [label, "", ""]
            spans.append(((0, r), (2, r)))
        elif row.group == results[0].group:
            line = ["", label, ""]
            if merged:
                spans.append(((1, r), (2, r)))
        else:
            line = ["", "", label]
            if row.group not in seen:
                seen.add(row.group)
                span = sum(1 for x in rows if x.group == row.group)
                line[1] = Paragraph(row.group, cell)
                spans.append(((1, r), (1, r + span - 1)))
        if row is results[0]:
            line[0] = Paragraph(row.group, cell)
            spans.append(((0, r), (0, r + len(results) - 1)))
        data.append([*line, *values[row.key]])
    style: list[tuple[object, ...]] = [
        ("GRID", (0, 0), (-1, -1), 0.5, "black"),
        ("FONT", (0, 0), (-1, -1), "STSong-Light", 7),
    ]
    style += [("SPAN", a, b) for a, b in spans]
    table = Table(data, colWidths=[40, 55, 150, *[36] * 7], style=TableStyle(style))
    year = 2020 if fmt == "gov2019" else 2022
    story: list[object] = [Paragraph(title(year), body)]
    for i, heading in enumerate(SECTIONS, 1):
        story += [Paragraph(heading, body), Paragraph("本节情况如下。", body)]
        if i == 3:
            story.append(table)
    out = io.BytesIO()
    SimpleDocTemplate(out, pagesize=A4, leftMargin=30, rightMargin=30, invariant=1).build(story)
    return out.getvalue()


def pdf_merged() -> Layout:
    """(a) a PDF grid with （一）（二）（六）（七） spanning the label and sub-label columns."""
    values = request_values("gov2019")
    return Layout(
        _pdf_requests("gov2019", values, merged=True),
        "merged.pdf",
        2020,
        "gov2019",
        expected_requests(values),
        missing_tables("proactive", "review_litigation"),
    )


def pdf_empty_cells() -> Layout:
    """(a)+(b) a PDF grid where each such label sits beside an empty ruled cell, and two rows are
    printed with every cell empty."""
    values = request_values("gov2021", ("withheld_enforcement_file", "rejected_excessive"))
    return Layout(
        _pdf_requests("gov2021", values, merged=False),
        "empty.pdf",
        2022,
        "gov2021",
        expected_requests(values),
        missing_tables("proactive", "review_litigation"),
    )


LAYOUTS: dict[str, Callable[[], Layout]] = {
    "html_merged_colspan": html_merged_colspan,
    "html_merged_empty_td": html_merged_empty_td,
    "html_blank_rows": html_blank_rows,
    "html_note_cell": html_note_cell,
    "html_nested_layout": html_nested_layout,
    "html_trs_chrome": html_trs_chrome,
    "html_stat_pre2014": html_stat_pre2014,
    "html_stat_word": html_stat_word,
    "markdown_split": markdown_split,
    "docx_merged_gridspan": docx_merged_gridspan,
    "docx_merged_hmerge": docx_merged_hmerge,
    "pdf_merged": pdf_merged,
    "pdf_empty_cells": pdf_empty_cells,
}
