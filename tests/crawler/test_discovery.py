"""Unit tests of crawler.discovery on small inline HTML/XML snippets."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from crawler.discovery import (
    ListLink,
    TrsPaging,
    anti_bot_reason,
    ascii_url,
    decode_html,
    extract_attachment_links,
    extract_list_links,
    extract_meta,
    find_next_link,
    hanweb_dataproxy_url,
    is_attachment_response,
    is_report_title,
    json_list_links,
    parse_create_page_html,
    parse_dataproxy,
    parse_hanweb_params,
    parse_list_date,
    parse_pub_date,
    trs_page_url,
)


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("银川市西夏区科学技术和工业信息化局2023年政府信息公开工作年度报告", True),
        ("西夏区教育局 2022 年 政府信息公开 年报", True),
        ("2021年政府信息公开工作年度报告", True),
        ("银川市财政局2023年部门决算公开", False),
        ("银川市2024年市本级政府预算公开", False),
        ("银川市2023年卫生健康统计年报", False),
        ("银川市科学技术局2023年工作总结", False),
        ("关于做好2024年度政府信息公开工作年度报告编制发布工作的通知", False),
        ("关于开展政府信息公开工作年度报告质量评估的通知", False),
        ("关于开展2023年度企业年报工作的通知", False),
        ("西夏区召开安全生产会议", False),
        ("", False),
    ],
)
def test_is_report_title_defaults(title: str, expected: bool) -> None:
    assert is_report_title(title) is expected


def test_source_patterns_override_defaults() -> None:
    assert is_report_title("银川市2023年卫生健康统计年报", include=[r"卫生健康统计年报"]) is True
    assert is_report_title("2021年政府信息公开工作年度报告（解读）", exclude=[r"解读"]) is False
    assert is_report_title("政务公开年度报告", include=[r"政务公开年度报告"], exclude=[r"政务"]) is False


@pytest.mark.parametrize(
    ("text", "local"),
    [
        ("2025-07-14 01:59", datetime(2025, 7, 14, 1, 59)),
        ("2026-03-27 15:02:08", datetime(2026, 3, 27, 15, 2, 8)),
        ("2026-06-13 14\u223606", datetime(2026, 6, 13, 14, 6)),
        ("2026-07-20", datetime(2026, 7, 20)),
        ("2021年1月28日 10：30", datetime(2021, 1, 28, 10, 30)),
        ("2021/01/28 09:05:07", datetime(2021, 1, 28, 9, 5, 7)),
    ],
)
def test_parse_pub_date_formats_to_utc(text: str, local: datetime) -> None:
    parsed = parse_pub_date(text)
    assert parsed is not None
    assert parsed.tzinfo is not None
    assert parsed == local.replace(tzinfo=UTC) - (datetime(2000, 1, 1, 8) - datetime(2000, 1, 1))


@pytest.mark.parametrize("text", ["", "发布时间：未知", "2021-13-45", None])
def test_parse_pub_date_rejects(text: str | None) -> None:
    assert parse_pub_date(text) is None


def test_parse_list_date() -> None:
    assert parse_list_date("[2021-01-28]") == date(2021, 1, 28)
    assert parse_list_date("发布日期：2023年03月09日") == date(2023, 3, 9)
    assert parse_list_date("2023年政府信息公开工作年度报告") is None


def test_extract_list_links_reads_titles_and_dates() -> None:
    html = """<ul>
      <li><a href="./202401/t20240126_1.html" title="西夏区2023年政府信息公开工作年度报告">西夏区2023年…</a>
          <span>2024-01-26</span></li>
      <li><a href="/art/2021/1/28/art_4584_60353.html">银川市2020年政府信息公开工作年度报告</a>[2021-01-28]</li>
      <li><a href="javascript:void(0)">打印</a></li>
      <li><a href="./202401/t20240126_1.html">重复</a></li>
    </ul>"""
    links = extract_list_links(html, "http://x.gov.cn/xxgk/zfxxgknb/index.html")
    assert links == [
        ListLink(
            "http://x.gov.cn/xxgk/zfxxgknb/202401/t20240126_1.html",
            "西夏区2023年政府信息公开工作年度报告",
            date(2024, 1, 26),
        ),
        ListLink(
            "http://x.gov.cn/art/2021/1/28/art_4584_60353.html",
            "银川市2020年政府信息公开工作年度报告",
            date(2021, 1, 28),
        ),
    ]


def test_extract_list_links_with_item_selector() -> None:
    html = """<div class="nav"><a href="/a.html">2023年度报告（导航）</a></div>
      <ul class="list"><li><a href="/b.html">2022年度报告</a><i>2023-01-30</i></li></ul>"""
    links = extract_list_links(html, "http://x.gov.cn/", "ul.list li")
    assert links == [ListLink("http://x.gov.cn/b.html", "2022年度报告", date(2023, 1, 30))]


def test_create_page_html_forms() -> None:
    script = """<script>function createPageHTML(_nPageCount, _nCurrIndex, _sPageName, _sPageExt){}</script>
      <script>createPageHTML(63, 0, "index", "shtml");</script>"""
    assert parse_create_page_html(script) == TrsPaging(total=63, current=0, prefix="index", ext="shtml")
    assert parse_create_page_html("createPageHTML('page_div', 7, 2, 'list', 'html', 20)") == TrsPaging(
        7, 2, "list", "html"
    )
    assert parse_create_page_html("<p>no paging</p>") is None
    assert trs_page_url("http://x.gov.cn/c/index.html", 0) == "http://x.gov.cn/c/index.html"
    assert trs_page_url("http://x.gov.cn/c/", 2, "index", "shtml") == "http://x.gov.cn/c/index_2.shtml"


def test_next_link() -> None:
    html = '<a href="index_1.html">上一页</a><a href="index_3.html">下一页</a><a href="index_9.html">尾页</a>'
    assert find_next_link(html, "http://x.gov.cn/c/index_2.html") == "http://x.gov.cn/c/index_3.html"
    assert find_next_link('<a href="#">下一页</a>', "http://x.gov.cn/c/") is None


def test_hanweb_params_and_dataproxy() -> None:
    column = """<div id="4584"></div><script>$('#4584').jpage({proxyUrl: "/module/web/jpage/dataproxy.jsp",
      perPage: 15, ajaxParam: {col: 1, webid: 1, path: '/', columnid: 1229565788, unitid: '4584'}});</script>"""
    params = parse_hanweb_params(column, "http://y.gov.cn/col/col1229565788/index.html")
    assert params == {"columnid": "1229565788", "unitid": "4584", "webid": "1", "perpage": "15"}
    assert parse_hanweb_params("<p></p>", "http://y.gov.cn/col/col42/index.html") == {"columnid": "42"}
    url = hanweb_dataproxy_url("http://y.gov.cn/col/col1/index.html", params, 16, 30)
    assert url == (
        "http://y.gov.cn/module/web/jpage/dataproxy.jsp?startrecord=16&endrecord=30&perpage=15"
        "&columnid=1229565788&unitid=4584&webid=1"
    )
    xml = """<?xml version="1.0" encoding="utf-8"?><datastore><nextgroup><![CDATA[<a href="x">下一组</a>]]></nextgroup>
      <recordset>
      <record><![CDATA[<li><a href="/art/2021/1/28/art_4584_60353.html" title="银川市2020年政府信息公开工作年度报告">银川市…</a><span>2021-01-28</span></li>]]></record>
      <record><![CDATA[<li><a href="/art/2024/8/22/art_4584_62626.html" title="银川市财政局2023年部门决算公开">决算</a><span>2024-08-22</span></li>]]></record>
      </recordset><totalrecord>38</totalrecord></datastore>"""
    links, total = parse_dataproxy(xml, "http://y.gov.cn/module/web/jpage/dataproxy.jsp?startrecord=1")
    assert total == 38
    assert links == [
        ListLink(
            "http://y.gov.cn/art/2021/1/28/art_4584_60353.html",
            "银川市2020年政府信息公开工作年度报告",
            date(2021, 1, 28),
        ),
        ListLink(
            "http://y.gov.cn/art/2024/8/22/art_4584_62626.html",
            "银川市财政局2023年部门决算公开",
            date(2024, 8, 22),
        ),
    ]


def test_json_list_links() -> None:
    data = {
        "data": {
            "list": [{"t": "2023年年度报告", "u": "/show/3515.html", "d": "2024-01-30 10:00"}, {"t": "x"}]
        }
    }
    links = json_list_links(data, "http://z.gov.cn/api?page=1", "data.list", title="t", url="u", date_key="d")
    assert links == [ListLink("http://z.gov.cn/show/3515.html", "2023年年度报告", date(2024, 1, 30))]


def test_extract_meta_standard_tags() -> None:
    html = """<head><meta name="SiteName" content="银川市西夏区人民政府"><meta name="SiteIDCode" content="6401050001">
      <meta name="ColumnName" content="政府信息公开年报"><meta name="articletitle" content=" 2023年 年度报告 ">
      <meta name="PubDate" content="2026-06-13 14∶06"><meta name="ContentSource" content="西夏区科信局">
      <meta name="viewport" content="width=device-width"></head>"""
    assert extract_meta(html) == {
        "SiteName": "银川市西夏区人民政府",
        "SiteIDCode": "6401050001",
        "ColumnName": "政府信息公开年报",
        "ArticleTitle": "2023年 年度报告",
        "PubDate": "2026-06-13 14∶06",
        "ContentSource": "西夏区科信局",
    }


def test_attachment_links_certain_and_probes() -> None:
    html = """<div class="TRS_Editor"><a href="./P020210128123.pdf">附件1</a><a href="./P0202.DOCX">附件2</a>
      <a href="/module/download/downfile.jsp?id=9">报告.pdf</a><a href="/download?fileid=3">下载</a>
      <a href="./t20210128_2.html">相关</a><a href="./a.ofd">ofd</a></div>"""
    found = extract_attachment_links(html, "http://x.gov.cn/c/202101/t1.html")
    assert [(a.url, a.certain) for a in found] == [
        ("http://x.gov.cn/c/202101/P020210128123.pdf", True),
        ("http://x.gov.cn/c/202101/P0202.DOCX", True),
        ("http://x.gov.cn/module/download/downfile.jsp?id=9", False),
        ("http://x.gov.cn/download?fileid=3", False),
        ("http://x.gov.cn/c/202101/a.ofd", True),
    ]
    assert is_attachment_response("application/pdf", None)
    assert is_attachment_response("application/octet-stream", "")
    assert is_attachment_response("text/plain", "attachment; filename*=UTF-8''a.pdf")
    assert not is_attachment_response("text/html; charset=utf-8", None)


def test_decode_html_header_meta_detection() -> None:
    text = "<html><head><title>西夏区2023年政府信息公开工作年度报告</title></head></html>"
    gbk = text.replace("<head>", '<head><meta charset="gb2312">').encode("gbk")
    assert decode_html(gbk, "text/html; charset=GBK") == (
        text.replace("<head>", '<head><meta charset="gb2312">'),
        "gb18030",
    )
    assert decode_html(gbk, "text/html")[0].endswith("年度报告</title></head></html>")
    undeclared = text.encode("gbk")
    assert decode_html(undeclared, None) == (text, "gb18030")
    assert decode_html(text.encode("utf-8"), "text/html; charset=utf-8") == (text, "utf-8")
    assert decode_html(text.encode("utf-8"), "text/html; charset=iso-8859-1")[1] == "iso8859-1"


def test_anti_bot_reason() -> None:
    assert anti_bot_reason(412, [], b"<script>", "http://x/") == "anti-bot challenge (HTTP 412) at http://x/"
    assert "wzws" in (anti_bot_reason(200, ["wzws_cid=abc; path=/"], b"", "http://x/") or "")
    assert "wzws" in (anti_bot_reason(200, [], b"<script>wzwschallenge='1'</script>", "http://x/") or "")
    assert anti_bot_reason(200, ["JSESSIONID=1"], b"<html>ok</html>", "http://x/") is None
    assert anti_bot_reason(404, [], b"not found", "http://x/") is None


def test_ascii_url() -> None:
    assert ascii_url("http://x.gov.cn/附件 1.pdf?a=b") == "http://x.gov.cn/%E9%99%84%E4%BB%B6%201.pdf?a=b"
