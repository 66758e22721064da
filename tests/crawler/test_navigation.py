"""Unit tests of crawler.navigation and crawler.scripts on the HTML snippets each rule was written for."""

from __future__ import annotations

import pytest

from crawler.discovery import AttachmentLink, anti_bot_reason, parse_hanweb_params
from crawler.navigation import (
    NavLink,
    frame_sources,
    is_navigation_text,
    is_report_column_text,
    navigation_links,
    year_folders,
)
from crawler.scripts import GoPaging, challenge_reason, parse_go_page, script_attachment_links

BASE = "http://www.x.gov.cn/zwgk/index.html"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("政府信息公开年报", True),
        ("信息公开年报", True),
        ("年度报告", True),
        ("政府信息公开工作年度报告", True),
        ("2023年政府信息公开工作年度报告", False),
        ("二〇二三年度报告", False),
        ("政府信息公开", False),
        ("某某县教育局关于印发政府信息公开工作年度报告编制要求的说明文件", False),
    ],
)
def test_report_column_text(text: str, expected: bool) -> None:
    assert is_report_column_text(text) is expected


def test_year_folder_texts_are_navigation_not_reports() -> None:
    assert [
        is_navigation_text(t) for t in ("2024年度", "2023年", "2022年度报告", "2022", "某县2022年度报告")
    ] == [
        True,
        True,
        True,
        True,
        False,
    ]


def test_navigation_prefers_the_column_over_sections() -> None:
    html = """
    <ul class="nav"><li><a href="/">首页</a></li><li><a href="/zwgk/">政府信息公开</a></li>
    <li><a href="/hdjl/">互动交流</a></li></ul>
    <div class="side"><a href="/zwgk/zn/">政府信息公开指南</a><a href="ndbg/index.html">政府信息公开年报</a></div>
    <div class="block"><h3>信息公开年报</h3><a href="/zwgk/ndbg2/">更多</a></div>
    <div class="block"><h3>工作动态</h3><a href="/gzdt/">更多</a></div>
    <a href="javascript:void(0)">年度报告</a>
    """
    assert navigation_links(html, BASE) == [
        NavLink("http://www.x.gov.cn/zwgk/ndbg/index.html", "政府信息公开年报", True),
        NavLink("http://www.x.gov.cn/zwgk/ndbg2/", "更多", True),
        NavLink("http://www.x.gov.cn/zwgk/", "政府信息公开", False),
    ]


def test_navigation_from_a_home_page_without_the_column() -> None:
    html = '<a href="/">首页</a><a href="/zwgk/index.html">政务公开</a><a href="/news/">新闻</a>'
    assert navigation_links(html, "http://www.x.gov.cn/") == [
        NavLink("http://www.x.gov.cn/zwgk/index.html", "政务公开", False)
    ]


def test_year_folders() -> None:
    html = """<ul><li><a href="./2024/index.html">2024年度</a></li><li><a href="./2023/">2023年</a></li>
    <li><a href="/ndbg/2022/">2022年度报告</a></li><li><a href="./t1.html">某县2023年政府信息公开工作年度报告</a></li></ul>"""
    assert [(f.url, f.text) for f in year_folders(html, "http://www.x.gov.cn/ndbg/index.html")] == [
        ("http://www.x.gov.cn/ndbg/2024/index.html", "2024年度"),
        ("http://www.x.gov.cn/ndbg/2023/", "2023年"),
        ("http://www.x.gov.cn/ndbg/2022/", "2022年度报告"),
    ]


def test_frame_sources() -> None:
    html = """<iframe src="list.jsp?channelId=12" width="100%"></iframe><frameset><frame src="/left.html">
    <frame src="http://other.example.cn/ad.html"></frameset><iframe src="javascript:''"></iframe>"""
    assert frame_sources(html, "http://www.x.gov.cn/xxgk/nb/index.html") == [
        "http://www.x.gov.cn/xxgk/nb/list.jsp?channelId=12",
        "http://www.x.gov.cn/left.html",
        "http://other.example.cn/ad.html",
    ]


def test_go_page_from_the_page_script() -> None:
    html = """<a href="javascript:goPage(1)">首页</a> <a href="#" onclick="goPage(2)">下一页</a>
    <a href="javascript:goPage(5)">尾页</a>
    <script>function goPage(n){ window.location.href = "list.jsp?channelId=12&page=" + n; }</script>"""
    paging = parse_go_page(html, "http://www.x.gov.cn/xxgk/nb/list.jsp?channelId=12")
    assert paging == GoPaging(
        "http://www.x.gov.cn/xxgk/nb/list.jsp?channelId=12&page={page}", 5, "goPage", (1, 2, 5)
    )
    assert paging is not None and paging.url(3) == "http://www.x.gov.cn/xxgk/nb/list.jsp?channelId=12&page=3"


def test_go_page_from_a_form_and_a_printed_page_count() -> None:
    html = """<form id="pageForm" action="/col/list.do" method="get"><input type="hidden" name="colId" value="88">
    <input type="hidden" name="pageNo" value="1"></form><span>共4页</span> <a href="javascript:turnPage(2)">下一页</a>
    <script>function turnPage(p){ var f = document.getElementById('pageForm'); f.pageNo.value = p; f.submit(); }</script>"""
    assert parse_go_page(html, "http://www.x.gov.cn/col/list.do") == GoPaging(
        "http://www.x.gov.cn/col/list.do?colId=88&pageNo={page}", 4, "turnPage", (2,)
    )


def test_go_page_without_a_readable_url_is_not_guessed() -> None:
    html = '<a onclick="goPage(2)">下一页</a><script>function goPage(n){ load(n); }</script>'
    assert parse_go_page(html, BASE) is None
    assert parse_go_page("<a href='index_1.html'>下一页</a>", BASE) is None


def test_download_buttons_use_the_page_template() -> None:
    html = """<a href="javascript:void(0)" onclick="downloadFile('8f3a')">2023年年报.pdf</a>
    <a href="javascript:download('8f3b')">附件</a> <a onclick="downloadFile('8f3a')">再次下载.pdf</a>
    <a onclick="exportExcel('1')">导出</a>
    <script>function downloadFile(id){ window.open("/attach/download.jsp?fileId=" + id); }
    function download(id){ location.href = "/attach/get?id=" + id; }</script>"""
    assert script_attachment_links(html, BASE) == [
        AttachmentLink("http://www.x.gov.cn/attach/download.jsp?fileId=8f3a", "2023年年报.pdf", True),
        AttachmentLink("http://www.x.gov.cn/attach/get?id=8f3b", "附件", False),
    ]


def test_download_button_without_a_template_is_skipped() -> None:
    assert script_attachment_links("<a onclick=\"downloadFile('1')\">附件.pdf</a>", BASE) == []


RUISHU = (
    '<html><head><meta id="9DhefwqGPrzGxEp9hPaoag" content="Xq3nM0cJ5a"><script>$_ts=window[\'$_ts\'];'
    '</script><script src="/4QbVtADbnLVIc/c.FxJzG50F.d2ce7f9.js"></script></head><body></body></html>'
)


def test_challenge_reasons() -> None:
    assert challenge_reason("<html><body>ok</body></html>", ("FSSBBIl1UgzbN7N80S=abc; Path=/",)) == (
        "anti-bot challenge (cookie fssbbil1ugzbn7n80s, HTTP 200)"
    )
    assert challenge_reason(RUISHU) == "anti-bot challenge (瑞数 $_ts script, HTTP 200)"
    scripts_only = f"<html><head><script>var a='{'x' * 300}';eval(a)</script></head><body></body></html>"
    assert (
        challenge_reason(scripts_only)
        == "anti-bot challenge (a page of scripts with no links or text, HTTP 200)"
    )


@pytest.mark.parametrize(
    "html",
    [
        "<html><head><script>location.href='/index.html'</script></head><body></body></html>",
        "<html><head><script>var x=1;</script></head><body><a href='/a'>年报</a></body></html>",
        "<html><body><p>暂无信息</p></body></html>",
    ],
)
def test_not_challenges(html: str) -> None:
    assert challenge_reason(html) is None


def test_wzws_cookie_still_blocks_any_status() -> None:
    assert (
        anti_bot_reason(200, ["wzws_cid=1"], b"", "http://x/")
        == "anti-bot challenge (wzws, HTTP 200) at http://x/"
    )


@pytest.mark.parametrize(
    "html",
    [
        "<script>var param = {col: 1, webid: '9', columnid: '555', unitid: '7788'}; var perpage = 2;\n"
        "$.post('/module/web/jpage/dataproxy.jsp?startrecord=1&endrecord=' + perpage, param);</script>",
        '<script>$.ajax({url: "/module/web/jpage/dataproxy.jsp?columnid=555&unitid=7788&webid=9&perpage=2"});</script>',
        '<script>var cfg = {"webid":"9","columnid":"555","unitid":"7788","perpage":"2"};</script>',
    ],
)
def test_hanweb_params_in_inline_scripts(html: str) -> None:
    assert parse_hanweb_params(html) == {"columnid": "555", "unitid": "7788", "webid": "9", "perpage": "2"}
