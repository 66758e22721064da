"""A report as the article page of a TRS-style portal (the report is the page body)."""

from __future__ import annotations

import html
from collections.abc import Callable, Iterable

from flows.demo.reportgen.layout import Grid, appendix_title, body_sections, statistics_grid
from flows.demo.reportgen.prose import preamble
from flows.demo.reportgen.spec import ReportSpec


def site_name(agency: str | None) -> str:
    """The portal publishing an agency's report: its district/county/city government."""
    if not agency:
        return "银川市人民政府"
    for mark in ("区", "县", "市"):
        if mark in agency:
            return agency[: agency.index(mark) + 1] + "人民政府"
    return agency


def _html_table(grid: Grid) -> str:
    rows = []
    for r in range(grid.nrows):
        tds = []
        for c in grid.at(r):
            attrs = ""
            if c.rowspan > 1:
                attrs += f' rowspan="{c.rowspan}"'
            if c.colspan > 1:
                attrs += f' colspan="{c.colspan}"'
            text = html.escape(c.text)
            tds.append(
                f'<td{attrs} valign="center"><p style="text-align:center"><span>{text}</span></p></td>'
            )
        rows.append("<tr>" + "".join(tds) + "</tr>")
    return (
        '<table class="MsoNormalTable" border="1" cellspacing="0" cellpadding="0" width="100%" '
        'style="border-collapse:collapse">\n<tbody>\n' + "\n".join(rows) + "\n</tbody>\n</table>"
    )


def html_paragraphs(paragraphs: Iterable[str]) -> list[str]:
    """Indented <p> elements, one per non-empty paragraph, as a CMS editor saves body text."""
    return [f'<p style="text-indent:2em">{html.escape(p)}</p>' for p in paragraphs if p]


Relayout = Callable[[Grid], Grid]


def _html_body(spec: ReportSpec, relayout: Relayout | None = None) -> str:
    def table(grid: Grid) -> str:
        return _html_table(relayout(grid) if relayout else grid)

    parts = html_paragraphs([preamble(spec)])
    for heading, key, tables in body_sections(spec):
        parts.append(f'<p style="text-indent:2em"><strong>{html.escape(heading)}</strong></p>')
        parts.extend(html_paragraphs(spec.sections[key].split("\n")))
        parts.extend(table(g) for g in tables)
    if spec.format == "stat2014":
        parts.append("<p>附件：</p>")
        parts.append(f'<p style="text-align:center"><strong>{html.escape(appendix_title(spec))}</strong></p>')
        parts.append(table(statistics_grid(spec)))
    return "\n".join(parts)


def render_html(
    spec: ReportSpec, *, encoding: str = "utf-8", chrome: bool = True, relayout: Relayout | None = None
) -> bytes:
    """An article page with the report as its body (div.TRS_Editor); `encoding` "gbk" gives GBK bytes;
    `relayout` re-lays each printed table (a layout variant, flows.demo.reportgen.layouts)."""
    charset = "gbk" if encoding.lower() in ("gbk", "gb2312", "gb18030") else "utf-8"
    meta = (
        f'<meta http-equiv="Content-Type" content="text/html; charset={charset}">'
        if charset == "gbk"
        else '<meta charset="utf-8">'
    )
    title = html.escape(spec.title)
    site = html.escape(site_name(spec.agency))
    source = html.escape(spec.agency or site_name(None))
    body = f'<div class="TRS_Editor">\n{_html_body(spec, relayout)}\n</div>'
    if chrome:
        page = f"""<!DOCTYPE html>
<html lang="zh-CN">
<head>
{meta}
<title>{title}_{site}</title>
<meta name="SiteName" content="{site}">
<meta name="SiteDomain" content="www.example.gov.cn">
<meta name="SiteIDCode" content="6401050001">
<meta name="ColumnName" content="政府信息公开年报">
<meta name="ColumnType" content="政府信息公开年报">
<meta name="ArticleTitle" content="{title}">
<meta name="PubDate" content="{html.escape(spec.published)} 09:30">
<meta name="ContentSource" content="{source}">
<link rel="stylesheet" href="/css/style.css">
</head>
<body>
<div class="header"><div class="logo">{site}</div>
<ul class="nav"><li><a href="/">首页</a></li><li><a href="/zwgk/">政务公开</a></li>
<li><a href="/zwfw/">政务服务</a></li><li><a href="/hdjl/">互动交流</a></li></ul></div>
<div class="position">当前位置：<a href="/">首页</a> &gt; <a href="../">政府信息公开</a> &gt;
<a href="./">政府信息公开年报</a></div>
<div class="article">
<h1 class="title">{title}</h1>
<div class="info"><span>发布时间：{html.escape(spec.published)}</span><span>来源：{source}</span></div>
{body}
</div>
<div class="footer"><p>主办单位：{site}办公室</p><p>网站标识码：6401050001 宁ICP备05000000号</p></div>
</body>
</html>
"""
    else:
        head = f"<head>\n{meta}\n<title>{title}</title>\n</head>"
        page = f"<!DOCTYPE html>\n<html>\n{head}\n<body>\n{body}\n</body>\n</html>\n"
    return page.encode(charset, errors="xmlcharrefreplace")
