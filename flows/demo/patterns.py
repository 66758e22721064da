"""Pattern sites: small demo portals built the way real county and city sites hide their reports.

The demo portal (flows.demo.portal) imitates two well-behaved CMSs; these sites add one pattern each,
with the exact ground truth a correct crawl must reach (tests/crawler/test_patterns.py). They are not in
`nianbao demo`'s registry, so the demo's own crawl is unchanged. Each site serves on its own loopback
port; `offsite` links name the same machine as `localhost` (another host name, never to be requested).

- `home`: only the home page is given. 首页 → 政府信息公开 (`/zwgk/`) → side menu 政府信息公开年报
  (`/zwgk/ndbg/`, also a 更多 link, and a robots-disallowed look-alike at `/private/ndbg/`) → year folders
  2024年度 (two 下一页 pages), 2023年, 2022年度报告 (empty).
- `frame`: the column page shows its list in `<iframe src="list.jsp?channelId=12">` (plus an off-host
  frame); the list pages by `javascript:goPage(N)` with `function goPage(n){ window.location.href =
  "list.jsp?channelId=12&page=" + n; }` and a 尾页 link to goPage(3).
- `onclick`: report pages link files by `onclick="downloadFile('id')"` (`window.open("/attach/download.jsp?
  fileId=" + id)`) and `javascript:download('id')` (`location.href = …`); a mirror link to `localhost`,
  a list link to `localhost` and a list link that redirects (302) to `localhost`.
- `post`: a Hanweb column whose dataproxy parameters sit in an inline `var param = {…}` script and whose
  `dataproxy.jsp` answers 405 to GET, records to POST only.
- `challenge`: every page is a 瑞数-style anti-bot challenge served with HTTP 200.
- `script` (a `render: true` source): the column (`/xxgk/ndbg`, redirecting to `index.html`) is an
  empty `<ul>` that `/js/ndbg.js` fills: page 1 from JSON in an inline script, page 2 (`index_1.html`,
  reached by the 下一页 link the script writes) from `list.json?page=2` fetched by `fetch()`. The pages
  also load an off-host analytics script, images on and off the host, a stylesheet and a visit counter
  under the robots-disallowed `/private/`; none of those may be requested.

Pages carry ETags and answer 304 to If-None-Match, so a second crawl can be checked for list pages only.
"""

from __future__ import annotations

import hashlib
import html
import json
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

HTML = "text/html; charset=UTF-8"
PDF = "application/pdf"
SCRIPT = "application/javascript; charset=UTF-8"
JSON = "application/json; charset=UTF-8"
PATTERNS: tuple[str, ...] = ("home", "frame", "onclick", "post", "challenge", "script")
CHALLENGE_COOKIE = "FSSBBIl1UgzbN7N80S=Qp2LZ0vCkqj1yXbAv7m0WwMt3qBzsE9KzR1cMDqE8v3LxlN0ab; Path=/; HttpOnly"


@dataclass(frozen=True)
class Served:
    """One response: status, body and headers."""

    status: int
    body: bytes = b""
    headers: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Hit:
    """One request a pattern site saw; `host` is the Host header (to prove no other name was used)."""

    site: str
    method: str
    path: str
    query: str
    host: str
    status: int
    headers: Mapping[str, str]


Handler = Callable[[str, Mapping[str, str], Mapping[str, str]], Served]
"""A dynamic page: (method, query and form parameters, request headers) → response."""


@dataclass
class PatternSite:
    """One site: responses by path (a fixed page or a handler of method and parameters) and its truth.

    `documents`: the paths a correct crawl stores; `list_paths`: the pages a second crawl may fetch;
    `render`: the source renders its list pages in Chromium (the list is built by a script).
    """

    name: str
    source_id: str
    start_path: str
    pages: dict[str, bytes | Handler] = field(default_factory=dict)
    documents: frozenset[str] = frozenset()
    list_paths: frozenset[str] = frozenset()
    render: bool = False
    robots: str = "User-agent: *\nDisallow: /private/\n"

    def respond(
        self, method: str, path: str, params: Mapping[str, str], headers: Mapping[str, str]
    ) -> Served:
        if path == "/robots.txt":
            return Served(200, self.robots.encode(), (("Content-Type", "text/plain"),))
        if path.endswith("/"):
            path += "index.html"
        page = self.pages.get(path)
        if page is None:
            return _page(404, "<h1>404 Not Found</h1>")
        if callable(page):
            return page(method, params, headers)
        if method not in ("GET", "HEAD"):
            return _page(405, "<h1>405 Method Not Allowed</h1>")
        return _fixed(page, _kind(path), headers)


def _kind(path: str) -> str:
    if path.endswith(".pdf") or "download" in path:
        return PDF
    return {".js": SCRIPT, ".json": JSON, ".css": "text/css", ".png": "image/png"}.get(
        path[path.rfind(".") :], HTML
    )


def _fixed(body: bytes, kind: str, headers: Mapping[str, str]) -> Served:
    etag = f'"{hashlib.sha256(body).hexdigest()[:16]}"'
    if headers.get("If-None-Match") == etag:
        return Served(304, b"", (("ETag", etag),))
    extra: tuple[tuple[str, str], ...] = ()
    if kind == PDF:
        extra = (("Content-Disposition", 'attachment; filename="report.pdf"'),)
    return Served(200, body, (("Content-Type", kind), ("ETag", etag), *extra))


def _page(status: int, body: str) -> Served:
    return Served(status, f"<html><body>{body}</body></html>".encode(), (("Content-Type", HTML),))


def _html(title: str, body: str) -> bytes:
    return (
        f'<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>{html.escape(title)}</title></head>\n'
        f'<body><div class="header"><a href="/">首页</a></div>\n{body}\n'
        '<div class="footer"><a href="https://www.gov.cn/">中国政府网</a> 主办单位：县人民政府办公室</div>\n'
        "</body></html>\n"
    ).encode()


def pdf_bytes(key: str) -> bytes:
    """A small PDF-looking file, distinct per key (the crawler stores bytes; it does not parse them)."""
    return f"%PDF-1.4\n% nianbao pattern site file {key}\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n".encode()


def _report_page(title: str, agency: str, attachments: str = "") -> bytes:
    body = (
        f'<div class="article"><h1>{html.escape(title)}</h1><div class="info">来源：{html.escape(agency)}</div>\n'
        f"<p>根据《中华人民共和国政府信息公开条例》，现公布{html.escape(title)}。</p>\n{attachments}</div>"
    )
    return _html(title, body)


def _list_items(items: list[tuple[str, str, str]]) -> str:
    return "\n".join(
        f'<li><a href="{href}" title="{html.escape(title)}">{html.escape(title)}</a><span>{day}</span></li>'
        for href, title, day in items
    )


# --- home: home page → 政府信息公开 → 年报 column → year folders -----------------------------------------


def _home_site() -> PatternSite:
    site = PatternSite("home", "pattern-home", "/index.html")
    site.pages["/index.html"] = _html(
        "某某县人民政府",
        '<ul class="nav"><li><a href="/">首页</a></li><li><a href="/zwgk/index.html">政府信息公开</a></li>'
        '<li><a href="/hdjl/index.html">互动交流</a></li></ul>\n<div class="news"><h3>要闻动态</h3>'
        '<ul><li><a href="/news/1.html">县长主持召开常务会议</a></li></ul></div>',
    )
    site.pages["/zwgk/index.html"] = _html(
        "政府信息公开",
        '<div class="side"><ul><li><a href="/zwgk/zn/index.html">政府信息公开指南</a></li>'
        '<li><a href="/zwgk/zd/index.html">政府信息公开制度</a></li>'
        '<li><a href="/zwgk/ndbg/index.html">政府信息公开年报</a></li>'
        '<li><a href="/private/ndbg/index.html">信息公开年报（旧版）</a></li></ul></div>\n'
        '<div class="block"><h3>政府信息公开年报</h3><a href="/zwgk/ndbg/index.html">更多</a></div>',
    )
    site.pages["/zwgk/ndbg/index.html"] = _html(
        "政府信息公开年报",
        '<ul class="years"><li><a href="./2024/index.html">2024年度</a></li><li><a href="./2023/">2023年</a></li>'
        '<li><a href="./2022/index.html">2022年度报告</a></li></ul>',
    )
    reports = {
        "2024": [
            ("某某县人民政府2024年政府信息公开工作年度报告", "某某县人民政府", "2025-03-28"),
            ("某某县教育局2024年政府信息公开工作年度报告", "某某县教育局", "2025-01-20"),
            ("某某县卫生健康局2024年政府信息公开工作年度报告", "某某县卫生健康局", "2025-01-18"),
        ],
        "2023": [("某某县人民政府2023年政府信息公开工作年度报告", "某某县人民政府", "2024-03-29")],
    }
    documents: set[str] = set()
    for year, items in reports.items():
        listed = []
        for number, (title, agency, day) in enumerate(items, start=1):
            detail = f"/zwgk/ndbg/{year}/t{day.replace('-', '')}_{number}.html"
            file = detail.replace(".html", ".pdf")
            link = f'<p>附件：<a href="{file.rsplit("/", 1)[1]}">{html.escape(title)}.pdf</a></p>'
            site.pages[detail] = _report_page(title, agency, link)
            site.pages[file] = pdf_bytes(file)
            documents |= {detail, file}
            listed.append(("./" + detail.rsplit("/", 1)[1], title, day))
        if year == "2024":
            site.pages["/zwgk/ndbg/2024/index.html"] = _html(
                "2024年度", f"<ul>{_list_items(listed[:2])}</ul><a href='index_1.html'>下一页</a>"
            )
            site.pages["/zwgk/ndbg/2024/index_1.html"] = _html(
                "2024年度", f"<ul>{_list_items(listed[2:])}</ul>"
            )
        else:
            site.pages[f"/zwgk/ndbg/{year}/index.html"] = _html(
                f"{year}年", f"<ul>{_list_items(listed)}</ul>"
            )
    site.pages["/zwgk/ndbg/2022/index.html"] = _html("2022年度报告", "<p>暂无信息</p>")
    site.pages["/private/ndbg/index.html"] = _html("旧版", _list_items([]))
    site.documents = frozenset(documents)
    site.list_paths = frozenset(
        {"/robots.txt", "/zwgk/ndbg/index.html", "/zwgk/ndbg/2024/index.html", "/zwgk/ndbg/2023/"}
        | {"/zwgk/ndbg/2022/index.html", "/zwgk/ndbg/2024/index_1.html"}
    )
    return site


# --- frame: the list in an iframe, paginated by goPage(N) ----------------------------------------------

_FRAME_ITEMS = [
    (f"某某区{unit}2023年政府信息公开工作年度报告", f"2024-01-{day:02d}")
    for unit, day in (
        ("人民政府", 28),
        ("发展和改革局", 26),
        ("财政局", 25),
        ("民政局", 24),
        ("司法局", 23),
        ("交通运输局", 22),
        ("水务局", 21),
    )
]
FRAME_PER_PAGE = 3


def _frame_list(method: str, params: Mapping[str, str], headers: Mapping[str, str]) -> Served:
    number = int(params.get("page") or 1)
    if params.get("channelId") != "12" or not 1 <= number <= 3:
        return _page(404, "<h1>404</h1>")
    chunk = _FRAME_ITEMS[(number - 1) * FRAME_PER_PAGE : number * FRAME_PER_PAGE]
    items = [
        (f"/xxgk/nb/art/{(number - 1) * FRAME_PER_PAGE + i + 1}.html", t, d) for i, (t, d) in enumerate(chunk)
    ]
    pager = '<a href="javascript:goPage(1)">首页</a>'
    if number < 3:
        pager += f' <a href="javascript:void(0)" onclick="goPage({number + 1})">下一页</a>'
    pager += ' <a href="javascript:goPage(3)">尾页</a>'
    script = (
        '<script type="text/javascript">function goPage(n){ window.location.href = "list.jsp?channelId=12&page=" '
        "+ n; }</script>"
    )
    body = f"<ul>{_list_items(items)}</ul><div class='page'>{pager}</div>{script}"
    return _fixed(_html("信息公开年报", body), HTML, headers)


def _frame_site(offsite_base: str) -> PatternSite:
    site = PatternSite("frame", "pattern-frame", "/xxgk/nb/index.html")
    site.pages["/xxgk/nb/index.html"] = _html(
        "信息公开年报",
        '<iframe src="/xxgk/nb/list.jsp?channelId=12" width="100%" height="600"></iframe>\n'
        f'<iframe src="{offsite_base}ad/banner.html"></iframe>',
    )
    site.pages["/xxgk/nb/list.jsp"] = _frame_list
    documents = set()
    for index, (title, _) in enumerate(_FRAME_ITEMS, start=1):
        path = f"/xxgk/nb/art/{index}.html"
        site.pages[path] = _report_page(title, title.split("2023年")[0])
        documents.add(path)
    site.documents = frozenset(documents)
    site.list_paths = frozenset({"/robots.txt", "/xxgk/nb/index.html", "/xxgk/nb/list.jsp"})
    return site


# --- onclick: download buttons, a localhost mirror, an off-host redirect ------------------------------


def _onclick_site(offsite_base: str) -> PatternSite:
    site = PatternSite("onclick", "pattern-onclick", "/gk/ndbg/index.html")
    script = (
        '<script type="text/javascript">\nfunction downloadFile(id){ window.open("/attach/download.jsp?fileId=" + id); }\n'
        'function download(id){ location.href = "/attach/get.jsp?id=" + id; }\n</script>'
    )
    first = (
        '<p><a href="javascript:void(0)" onclick="downloadFile(\'a101\')">某某市人民政府2023年年报.pdf</a></p>'
        f'<p><a href="{offsite_base}mirror/a101.pdf">镜像下载 2023年年报.pdf</a></p>' + script
    )
    second = "<p><a href=\"javascript:download('b202')\">附件下载</a></p>" + script
    site.pages["/gk/ndbg/1.html"] = _report_page(
        "某某市人民政府2023年政府信息公开工作年度报告", "某某市人民政府", first
    )
    site.pages["/gk/ndbg/2.html"] = _report_page(
        "某某市审计局2023年政府信息公开工作年度报告", "某某市审计局", second
    )
    site.pages["/attach/download.jsp"] = partial(_download, "a101")
    site.pages["/attach/get.jsp"] = partial(_download, "b202")

    def moved(method: str, params: Mapping[str, str], headers: Mapping[str, str]) -> Served:
        return Served(302, b"", (("Location", f"{offsite_base}gk/ndbg/3.html"),))

    site.pages["/gk/ndbg/go3.html"] = moved
    items = [
        ("/gk/ndbg/1.html", "某某市人民政府2023年政府信息公开工作年度报告", "2024-03-20"),
        ("/gk/ndbg/2.html", "某某市审计局2023年政府信息公开工作年度报告", "2024-01-22"),
        ("/gk/ndbg/go3.html", "某某市统计局2023年政府信息公开工作年度报告", "2024-01-21"),
        (f"{offsite_base}gk/ndbg/4.html", "某某市林业局2023年政府信息公开工作年度报告", "2024-01-20"),
    ]
    site.pages["/gk/ndbg/index.html"] = _html("年度报告", f"<ul>{_list_items(items)}</ul>")
    site.documents = frozenset(
        {"/gk/ndbg/1.html", "/gk/ndbg/2.html", "/attach/download.jsp?fileId=a101", "/attach/get.jsp?id=b202"}
    )
    site.list_paths = frozenset({"/robots.txt", "/gk/ndbg/index.html"})
    return site


def _download(key: str, method: str, params: Mapping[str, str], headers: Mapping[str, str]) -> Served:
    if key not in params.values():
        return _page(404, "<h1>404</h1>")
    disposition = f'attachment; filename="{key}.pdf"'
    return Served(200, pdf_bytes(key), (("Content-Type", PDF), ("Content-Disposition", disposition)))


# --- post: Hanweb with parameters in an inline script, POST-only dataproxy ---------------------------

POST_ITEMS = [
    f"某某州{unit}2023年政府信息公开工作年度报告" for unit in ("人民政府", "商务局", "林业和草原局")
]
POST_PER_PAGE = 2


def _post_proxy(method: str, params: Mapping[str, str], headers: Mapping[str, str]) -> Served:
    if method != "POST":
        return _page(405, "<h1>405 Method Not Allowed</h1>")
    if (params.get("columnid"), params.get("unitid"), params.get("webid")) != ("555", "7788", "9"):
        return _page(400, "<h1>400</h1>")
    start, end = int(params["startrecord"]), int(params["endrecord"])
    records = "".join(
        f'<record><![CDATA[<li><a href="/art/2024/1/{i}/art_7788_{i}.html" title="{t}">{t}</a>'
        f"<span>2024-01-{10 + i}</span></li>]]></record>"
        for i, t in enumerate(POST_ITEMS, start=1)
        if start <= i <= end
    )
    xml = (
        f"<datastore><recordset>{records}</recordset><totalrecord>{len(POST_ITEMS)}</totalrecord></datastore>"
    )
    return Served(200, xml.encode(), (("Content-Type", "text/xml; charset=UTF-8"),))


def _post_site() -> PatternSite:
    site = PatternSite("post", "pattern-post", "/col/col555/index.html")
    site.pages["/col/col555/index.html"] = _html(
        "政府信息公开年报",
        '<div id="7788"></div>\n<script type="text/javascript">\n'
        "var param = {col: 1, webid: '9', path: '/', columnid: '555', unitid: '7788', sourceContentType: 1};\n"
        f"var perpage = {POST_PER_PAGE};\n"
        "$.post('/module/web/jpage/dataproxy.jsp?startrecord=1&endrecord=' + perpage, param, show);\n</script>",
    )
    site.pages["/module/web/jpage/dataproxy.jsp"] = _post_proxy
    documents = set()
    for i, title in enumerate(POST_ITEMS, start=1):
        path = f"/art/2024/1/{i}/art_7788_{i}.html"
        site.pages[path] = _report_page(title, title.split("2023年")[0])
        documents.add(path)
    site.documents = frozenset(documents)
    site.list_paths = frozenset({"/robots.txt", "/col/col555/index.html", "/module/web/jpage/dataproxy.jsp"})
    return site


# --- challenge: an HTTP 200 anti-bot page everywhere ------------------------------------------------

CHALLENGE_PAGE = (
    b'<html><head><meta http-equiv="Content-Type" content="text/html; charset=utf-8">'
    b'<meta id="9DhefwqGPrzGxEp9hPaoag" content="Xq3nM0cJ5aTqLw9zE1fR8vB2uK7yH4pD6sG">'
    b"<script type=\"text/javascript\">$_ts=window['$_ts'];if(!$_ts)$_ts={};$_ts.nsd=84937;"
    b'$_ts.cd="qqrErrAlqGqcDqAtrGVmcqAtEqqqcaQpqGqqcG3mrAlrcqqqqqEqcSGmpqqqqqq";'
    b"if($_ts.lcd)$_ts.lcd();</script>"
    b'<script type="text/javascript" charset="utf-8" src="/4QbVtADbnLVIc/c.FxJzG50F.d2ce7f9.js"></script>'
    b"</head><body></body></html>"
)


def _challenge(method: str, params: Mapping[str, str], headers: Mapping[str, str]) -> Served:
    return Served(200, CHALLENGE_PAGE, (("Content-Type", HTML), ("Set-Cookie", CHALLENGE_COOKIE)))


def _challenge_site() -> PatternSite:
    site = PatternSite("challenge", "pattern-challenge", "/xxgk/ndbg/index.html")
    site.pages["/xxgk/ndbg/index.html"] = _challenge
    site.list_paths = frozenset({"/robots.txt", "/xxgk/ndbg/index.html"})
    return site


# --- script: the list is built by JavaScript (inline JSON, then fetch()) ---------------------------

SCRIPT_ITEMS = [
    (f"某某县{unit}2024年政府信息公开工作年度报告", f"2025-01-{day:02d}")
    for unit, day in (
        ("人民政府", 27),
        ("自然资源局", 24),
        ("应急管理局", 23),
        ("市场监督管理局", 22),
        ("医疗保障局", 21),
    )
]
SCRIPT_PER_PAGE = 3
SCRIPT_JS = """(function () {
  function show(data) {
    var list = document.getElementById("ndbg-list");
    list.innerHTML = "";
    data.list.forEach(function (r) {
      var item = document.createElement("li"), link = document.createElement("a"), day = document.createElement("span");
      link.href = r.url; link.title = r.title; link.textContent = r.title; day.textContent = r.date;
      item.appendChild(link); item.appendChild(day); list.appendChild(item);
    });
    if (data.page < data.pages) {
      document.getElementById("pager").innerHTML = '<a href="index_' + data.page + '.html">下一页</a>';
    }
  }
  if (window.ndbgData) { show(window.ndbgData); }
  else { fetch("/xxgk/ndbg/list.json?page=" + window.ndbgPage).then(function (r) { return r.json(); }).then(show); }
  fetch("/private/count.jsp?id=ndbg");
})();
"""


def _script_records(number: int) -> dict[str, Any]:
    chunk = SCRIPT_ITEMS[(number - 1) * SCRIPT_PER_PAGE : number * SCRIPT_PER_PAGE]
    records = [
        {"title": title, "url": f"/xxgk/ndbg/2025/t{(number - 1) * SCRIPT_PER_PAGE + i}.html", "date": day}
        for i, (title, day) in enumerate(chunk, start=1)
    ]
    pages = -(-len(SCRIPT_ITEMS) // SCRIPT_PER_PAGE)
    return {"page": number, "pages": pages, "list": records}


def _script_list_page(offsite_base: str, inline: str) -> bytes:
    return _html(
        "政府信息公开年报",
        '<link rel="stylesheet" href="/css/site.css">\n'
        f'<script src="{offsite_base}js/tongji.js"></script>\n'
        '<h2>政府信息公开年报</h2><ul id="ndbg-list"><li>正在加载……</li></ul><div id="pager"></div>\n'
        "<noscript>请开启浏览器的JavaScript功能</noscript>\n"
        f'<img src="/images/banner.png" alt=""><img src="{offsite_base}images/jiucuo.png" alt="">\n'
        f"<script>{inline}</script>\n"
        '<script src="/js/ndbg.js"></script>',
    )


def _script_json(method: str, params: Mapping[str, str], headers: Mapping[str, str]) -> Served:
    if params.get("page") != "2":
        return _page(404, "<h1>404</h1>")
    body = json.dumps(_script_records(2), ensure_ascii=False).encode()
    return _fixed(body, JSON, headers)


def _script_site(offsite_base: str) -> PatternSite:
    site = PatternSite("script", "pattern-script", "/xxgk/ndbg", render=True)

    def column(method: str, params: Mapping[str, str], headers: Mapping[str, str]) -> Served:
        return Served(302, b"", (("Location", "/xxgk/ndbg/index.html"),))

    site.pages["/xxgk/ndbg"] = column
    first = json.dumps(_script_records(1), ensure_ascii=False)
    site.pages["/xxgk/ndbg/index.html"] = _script_list_page(offsite_base, f"var ndbgData = {first};")
    site.pages["/xxgk/ndbg/index_1.html"] = _script_list_page(offsite_base, "var ndbgPage = 2;")
    site.pages["/xxgk/ndbg/list.json"] = _script_json
    site.pages["/js/ndbg.js"] = SCRIPT_JS.encode()
    site.pages["/css/site.css"] = b"body { font-family: sans-serif; }"
    site.pages["/images/banner.png"] = b"\x89PNG\r\n\x1a\n"
    site.pages["/private/count.jsp"] = b"1"
    documents = set()
    for number in (1, 2):
        for record in _script_records(number)["list"]:
            path = record["url"]
            attachment = ""
            if path.endswith("/t1.html"):
                attachment = (
                    f'<p>附件：<a href="/xxgk/ndbg/2025/P1.pdf">{html.escape(record["title"])}.pdf</a></p>'
                )
                site.pages["/xxgk/ndbg/2025/P1.pdf"] = pdf_bytes("script-1")
                documents.add("/xxgk/ndbg/2025/P1.pdf")
            site.pages[path] = _report_page(record["title"], record["title"].split("2024年")[0], attachment)
            documents.add(path)
    site.documents = frozenset(documents)
    site.list_paths = frozenset(
        {"/robots.txt", "/xxgk/ndbg", "/xxgk/ndbg/index.html", "/js/ndbg.js"}
        | {"/xxgk/ndbg/index_1.html", "/xxgk/ndbg/list.json"}
    )
    return site


# --- serving ----------------------------------------------------------------------------------------


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def __init__(self, site: PatternSite, hits: list[Hit], lock: threading.Lock) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.site, self.hits, self.lock = site, hits, lock


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")

    def log_message(self, format: str, *args: Any) -> None:
        """Silent: requests are recorded as `Hit`s."""

    def _handle(self, method: str) -> None:
        parts = urlsplit(self.path)
        params = dict(parse_qsl(parts.query, keep_blank_values=True))
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            params.update(
                parse_qsl(self.rfile.read(length).decode("utf-8", "replace"), keep_blank_values=True)
            )
        headers = {k.title(): v for k, v in self.headers.items()}
        path = unquote(parts.path) or "/"
        served = self.server.site.respond(method, path, params, headers)
        with self.server.lock:
            self.server.hits.append(
                Hit(
                    self.server.site.name,
                    method,
                    path,
                    parts.query,
                    headers.get("Host", ""),
                    served.status,
                    headers,
                )
            )
        self.send_response(served.status)
        for name, value in served.headers:
            self.send_header(name, value)
        if served.status != 304:
            self.send_header("Content-Length", str(len(served.body)))
        self.end_headers()
        if served.status != 304:
            self.wfile.write(served.body)


@dataclass
class PatternPortal:
    """The running pattern sites, their request log and the off-host base every site links to."""

    sites: dict[str, PatternSite]
    servers: dict[str, _Server]
    offsite_base: str
    _hits: list[Hit]
    _lock: threading.Lock

    def url(self, name: str, path: str = "/") -> str:
        """`path` on site `name`, as the crawler sees it (http://127.0.0.1:PORT/…)."""
        return f"http://127.0.0.1:{self.servers[name].server_address[1]}{path}"

    def start_url(self, name: str) -> str:
        return self.url(name, self.sites[name].start_path)

    def hits(self, name: str | None = None) -> list[Hit]:
        with self._lock:
            return [h for h in self._hits if name is None or h.site == name]

    def clear(self) -> None:
        with self._lock:
            self._hits.clear()

    def registry(self, names: tuple[str, ...] = PATTERNS) -> dict[str, Any]:
        """A registry file (the crawler/sources format) with one source per pattern site, start URL only."""
        sources = [
            {
                "id": self.sites[name].source_id,
                "name": f"pattern site {name}",
                "region_code": "640000",
                "start_urls": [self.start_url(name)],
                "politeness": {"download_delay": 0.0, "concurrency_per_domain": 4},
                **({"render": True} if self.sites[name].render else {}),
            }
            for name in names
        ]
        return {"region": "640000", "name": "宁夏回族自治区", "sources": sources}


@contextmanager
def pattern_portal() -> Iterator[PatternPortal]:
    """Serve every pattern site on 127.0.0.1 (free ports) until the block ends."""
    hits: list[Hit] = []
    lock = threading.Lock()
    placeholder = "http://localhost:1/"
    sites: dict[str, PatternSite] = {
        "home": _home_site(),
        "frame": _frame_site(placeholder),
        "onclick": _onclick_site(placeholder),
        "post": _post_site(),
        "challenge": _challenge_site(),
        "script": _script_site(placeholder),
    }
    servers = {name: _Server(site, hits, lock) for name, site in sites.items()}
    offsite_base = f"http://localhost:{servers['onclick'].server_address[1]}/"
    sites["frame"] = _frame_site(offsite_base)
    sites["onclick"] = _onclick_site(offsite_base)
    sites["script"] = _script_site(offsite_base)
    for name in ("frame", "onclick", "script"):
        servers[name].site = sites[name]
    for name, server in servers.items():
        threading.Thread(
            target=partial(server.serve_forever, poll_interval=0.05), name=f"pattern-{name}", daemon=True
        ).start()
    try:
        yield PatternPortal(sites, servers, offsite_base, hits, lock)
    finally:
        for server in servers.values():
            server.shutdown()
            server.server_close()
