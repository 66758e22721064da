"""The two demo sites as maps from URL path to response bytes, plus the dynamic Hanweb list proxy.

`build_site(key)` renders every page of one site up front (attachments on first use or by the background
`Site.warm()`, memoised per process); `Site.respond()` answers one request
(conditional GETs, the flaky page, the Hanweb `dataproxy.jsp`). No sockets here: the server lives in
`flows.demo.portal`.
"""

from __future__ import annotations

import hashlib
import html
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime, parsedate_to_datetime
from functools import lru_cache, partial
from pathlib import Path
from urllib.parse import quote

from flows.demo import content
from flows.demo.catalog import SITES, Article, Attachment, SiteInfo, SiteKey, articles

PER_PAGE = 15
TRS_COLUMN = "/xxgk/zfxxgknb/"
TRS_PRIVATE = "/private/zfxxgknb/"
HANWEB_COLUMN_ID = "1229565788"
HANWEB_UNIT_ID = "4584"
HANWEB_WEB_ID = "1"
HANWEB_COLUMN = f"/col/col{HANWEB_COLUMN_ID}/index.html"
HANWEB_PROXY = "/module/web/jpage/dataproxy.jsp"
DOWNFILE = "/module/download/downfile.jsp"
_BEIJING = timedelta(hours=8)
_SITE_EPOCH = datetime(2019, 1, 1, tzinfo=UTC)

PDF = "application/pdf"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XML = "text/xml; charset=UTF-8"
TEXT = "text/plain; charset=utf-8"


def html_type(encoding: str) -> str:
    return "text/html; charset=GBK" if encoding == "gbk" else "text/html; charset=UTF-8"


@dataclass(frozen=True)
class Resource:
    """One fixed response: bytes, type, Last-Modified (UTC) and extra headers."""

    body: bytes
    content_type: str
    last_modified: datetime
    headers: tuple[tuple[str, str], ...] = ()

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.body).hexdigest()

    @property
    def etag(self) -> str:
        return f'"{self.sha256[:16]}-{len(self.body):x}"'


@dataclass(frozen=True)
class Response:
    """What the server sends back."""

    status: int
    body: bytes = b""
    headers: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Link:
    """A URL the site serves, with the article and attachment it belongs to (for the ground truth)."""

    path: str
    article: Article
    attachment: Attachment | None = None


@dataclass
class Site:
    """One running demo site: its resources, its links and its per-instance state (the flaky page)."""

    info: SiteInfo
    items: tuple[Article, ...]
    resources: dict[str, Resource]
    links: list[Link]
    list_paths: tuple[str, ...]
    pending: dict[str, Callable[[], Resource]] = field(default_factory=dict)
    flaky: dict[str, int] = field(default_factory=dict)
    dataproxy: Callable[[Mapping[str, str]], Response | None] | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)
    render_lock: threading.Lock = field(default_factory=threading.Lock)
    stopped: threading.Event = field(default_factory=threading.Event)

    def resource(self, key: str) -> Resource | None:
        """The resource at `key`, rendering a pending attachment on first use."""
        res = self.resources.get(key)
        if res is not None or key not in self.pending:
            return res
        with self.render_lock:
            res = self.resources.get(key)
            if res is None:
                res = self.pending[key]()
                with self.lock:
                    self.resources.setdefault(key, res)
                    res = self.resources[key]
        return res

    def warm(self) -> None:
        """Render every pending attachment (run in a background thread after start) until stopped."""
        for key in list(self.pending):
            if self.stopped.is_set():
                return
            self.resource(key)

    def serves(self, key: str) -> bool:
        return key in self.resources or key in self.pending

    def respond(
        self, method: str, path: str, params: Mapping[str, str], headers: Mapping[str, str]
    ) -> Response:
        """Answer one request; `params` merges the query string and a POSTed form."""
        if path == HANWEB_PROXY and self.dataproxy is not None:
            answer = self.dataproxy(params)
            if answer is None:
                return _error(400, "bad dataproxy parameters")
            if method != "GET":
                return answer
            newest = utc(max(a.published for a in self.items))
            listing = Resource(answer.body, XML, newest)
            return _conditional(listing, headers, method) or _ok(listing, method)
        key = resource_key(path, params)
        if not self.serves(key):
            return _error(404, "Not Found")
        with self.lock:
            if method == "GET" and self.flaky.get(key, 0) > 0:
                self.flaky[key] -= 1
                return _error(503, "Service Temporarily Unavailable")
        res = self.resource(key)
        if res is None:
            return _error(404, "Not Found")
        if method == "POST":
            return _error(405, "Method Not Allowed")
        return _conditional(res, headers, method) or _ok(res, method)

    def replace(self, path: str, res: Resource) -> None:
        with self.lock:
            self.resources[path] = res


def resource_key(path: str, params: Mapping[str, str]) -> str:
    """The key of `resources` a request path (and its `id` parameter, for downfile.jsp) names."""
    if path == DOWNFILE:
        return f"{DOWNFILE}?id={params.get('id', '')}"
    if path.endswith("/"):
        return path + "index.html"
    return path


def _ok(res: Resource, method: str) -> Response:
    headers = (
        ("Content-Type", res.content_type),
        ("ETag", res.etag),
        ("Last-Modified", format_datetime(res.last_modified, usegmt=True)),
        *res.headers,
    )
    return Response(200, b"" if method == "HEAD" else res.body, headers)


def _error(status: int, text: str) -> Response:
    page = f"<html><head><title>{status}</title></head><body><h1>{status} {text}</h1></body></html>"
    return Response(status, page.encode(), (("Content-Type", "text/html; charset=UTF-8"),))


def _conditional(res: Resource, headers: Mapping[str, str], method: str) -> Response | None:
    """304 when If-None-Match names the ETag, or (without it) If-Modified-Since is not older."""
    if method not in ("GET", "HEAD"):
        return None
    not_modified = Response(
        304, b"", (("ETag", res.etag), ("Last-Modified", format_datetime(res.last_modified, usegmt=True)))
    )
    inm = headers.get("If-None-Match")
    if inm is not None:
        tags = {t.strip().removeprefix("W/") for t in inm.split(",")}
        return not_modified if res.etag in tags or "*" in tags else None
    ims = headers.get("If-Modified-Since")
    if ims:
        try:
            since = parsedate_to_datetime(ims)
        except (TypeError, ValueError):
            return None
        if since.tzinfo is None:
            since = since.replace(tzinfo=UTC)
        if res.last_modified.replace(microsecond=0) <= since:
            return not_modified
    return None


def utc(local: datetime) -> datetime:
    """A Beijing wall-clock time as an aware UTC datetime."""
    return (local - _BEIJING).replace(tzinfo=UTC)


def _esc(text: str) -> str:
    return html.escape(text, quote=True)


def _meta_tags(info: SiteInfo, article: Article | None) -> str:
    tags = [
        ("SiteName", info.name),
        ("SiteDomain", info.domain),
        ("SiteIDCode", info.site_id_code),
        ("ColumnName", info.column_name),
        ("ColumnDescription", f"{info.name}及所属部门政府信息公开工作年度报告"),
        ("ColumnKeywords", "政府信息公开年报,年度报告,政府信息公开"),
        ("ColumnType", "政府信息公开年报"),
    ]
    if article is not None:
        tags += [
            ("ArticleTitle", article.title),
            ("PubDate", article.pubdate_text),
            ("ContentSource", article.agency),
            ("Keywords", article.title),
            ("Description", article.title),
        ]
    return "\n".join(f'<meta name="{k}" content="{_esc(v)}">' for k, v in tags)


def _head(info: SiteInfo, title: str, article: Article | None, extra: str = "") -> str:
    charset = "gbk" if info.encoding == "gbk" else "utf-8"
    return (
        "<!DOCTYPE html>\n<html>\n<head>\n"
        f'<meta charset="{charset}">\n'
        f'<meta http-equiv="Content-Type" content="text/html; charset={charset}">\n'
        f"<title>{_esc(title)}</title>\n{_meta_tags(info, article)}\n{extra}</head>\n"
    )


def _chrome_top(info: SiteInfo, home: str, column: str) -> str:
    return (
        f'<div class="header"><a href="{home}">{_esc(info.name)}</a>'
        f'<ul class="nav"><li><a href="{home}">首页</a></li><li><a href="{column}">政府信息公开年报</a></li>'
        '<li><a href="/hdjl/">互动交流</a></li></ul></div>\n'
    )


_FOOTER = (
    '<div class="footer"><p>主办单位：{name}办公室 网站标识码：{code}</p>'
    "<p>宁ICP备05001234号 宁公网安备 64010502000123号</p></div>\n</body>\n</html>\n"
)


def _encode(info: SiteInfo, page: str) -> bytes:
    return page.encode(info.encoding, errors="xmlcharrefreplace")


def _article_body(article: Article, variant: int = 0) -> str:
    if article.body == "report":
        return content.report_body_html(article, variant=variant)
    if article.body == "seed":
        assert article.seed_file is not None
        body = content.seed_body_html(article.seed_file)
        return body if variant == 0 else body + f"<p>（{variant}次更新）</p>"
    if article.body == "note":
        return content.note_body_html(article) + ("" if variant == 0 else f"<p>（{variant}次更新）</p>")
    return content.prose_body_html(article)


# --- TRS -----------------------------------------------------------------------------------------------


def trs_detail_path(article: Article) -> str:
    base = TRS_PRIVATE if article.robots_decoy else TRS_COLUMN
    return f"{base}{article.published:%Y%m}/t{article.published:%Y%m%d}_{article.number}.html"


def trs_attachment_name(article: Article, index: int, attachment: Attachment) -> str:
    ext = "docx" if attachment.fmt == "docx" else "pdf"
    return f"P0{article.published:%Y%m%d}{(article.number * 100 + 37 * index + 11) % 10**12:012d}.{ext}"


def _trs_list_name(page: int) -> str:
    return "index.html" if page == 0 else f"index_{page}.html"


_CREATE_PAGE_JS = """<script type="text/javascript">
function createPageHTML(_nPageCount, _nCurrIndex, _sPageName, _sPageExt){
  if(_nPageCount == null || _nPageCount <= 1){ return; }
  var nCurrIndex = _nCurrIndex || 0;
  if(nCurrIndex == 0) document.write("<span>首页</span>&nbsp;");
  else document.write("<a href=\\"" + _sPageName + "." + _sPageExt + "\\">首页</a>&nbsp;");
  for(var i = 1; i < _nPageCount; i++){
    if(nCurrIndex == i) document.write("<span>" + (i + 1) + "</span>&nbsp;");
    else document.write("<a href=\\"" + _sPageName + "_" + i + "." + _sPageExt + "\\">" + (i + 1) + "</a>&nbsp;");
  }
}
</script>
"""


def _trs_list_page(info: SiteInfo, items: tuple[Article, ...], page: int, pages: int) -> str:
    lis = []
    for a in items:
        path = trs_detail_path(a)
        href = path if a.robots_decoy else "./" + path.removeprefix(TRS_COLUMN)
        lis.append(
            f'<li><a href="{href}" target="_blank" title="{_esc(a.title)}">{_esc(a.title)}</a>'
            f"<span>{a.pub_date:%Y-%m-%d}</span></li>"
        )
    body = (
        "<body>\n"
        + _chrome_top(info, "/", f"{TRS_COLUMN}index.html")
        + '<div class="position">当前位置：<a href="/">首页</a> &gt; <a href="/xxgk/">政府信息公开</a>'
        f" &gt; {_esc(info.column_name)}</div>\n"
        '<div class="list"><ul>\n' + "\n".join(lis) + "\n</ul></div>\n"
        '<div class="page">\n<script type="text/javascript">\n'
        f'createPageHTML({pages}, {page}, "index", "html");\n</script>\n</div>\n'
        + _FOOTER.format(name=_esc(info.name), code=info.site_id_code)
    )
    return _head(info, f"{info.column_name}_{info.name}", None, _CREATE_PAGE_JS) + body


def _trs_detail_page(info: SiteInfo, article: Article, variant: int = 0) -> str:
    links = "".join(
        f'<p>附件：<a href="./{trs_attachment_name(article, i, att)}" target="_blank">{_esc(att.label)}</a></p>'
        for i, att in enumerate(article.attachments)
    )
    body = (
        "<body>\n"
        + _chrome_top(info, "/", f"{TRS_COLUMN}index.html")
        + '<div class="position">当前位置：<a href="/">首页</a> &gt; '
        f'<a href="{TRS_COLUMN}index.html">{_esc(info.column_name)}</a> &gt; 正文</div>\n'
        f'<div class="article"><h1>{_esc(article.title)}</h1>\n'
        f'<div class="info">发布时间：{article.pub_date:%Y-%m-%d} 来源：{_esc(article.agency)}</div>\n'
        f'<div class="view TRS_UEDITOR trs_paper_default"><div class="TRS_Editor">\n'
        f"{_article_body(article, variant)}\n{links}</div></div>\n</div>\n"
        + _FOOTER.format(name=_esc(info.name), code=info.site_id_code)
    )
    return _head(info, f"{article.title}_{info.name}", article) + body


def _home_page(info: SiteInfo, column: str) -> str:
    body = (
        "<body>\n"
        + _chrome_top(info, "/", column)
        + f'<div class="main"><h2><a href="{column}">{_esc(info.column_name)}</a></h2></div>\n'
        + _FOOTER.format(name=_esc(info.name), code=info.site_id_code)
    )
    return _head(info, info.name, None) + body


@lru_cache(maxsize=256)
def _rendered(article: Article, attachment: Attachment, variant: int) -> bytes:
    """Attachment bytes, shared by every portal of the process (they are a pure function of the article)."""
    return content.attachment_bytes(article, attachment, variant=variant)


def _attachment_resource(
    article: Article, attachment: Attachment, variant: int = 0, data: bytes | None = None
) -> Resource:
    if data is None:
        data = _rendered(article, attachment, variant)
    ctype = DOCX if attachment.fmt == "docx" else PDF
    headers: tuple[tuple[str, str], ...] = ()
    if attachment.style == "downfile":
        disposition = f"attachment; filename=\"download.pdf\"; filename*=UTF-8''{quote(attachment.label)}"
        headers = (("Content-Disposition", disposition),)
    return Resource(data, ctype, utc(article.published), headers)


def _cached_attachment(article: Article, attachment: Attachment, cache: Path | None) -> Resource:
    """An attachment's resource, its bytes read from / written to the cache directory when there is one."""
    if cache is None:
        return _attachment_resource(article, attachment)
    path = cache / f"{article.site}-{article.number}-{article.attachments.index(attachment)}.bin"
    if path.is_file():
        return _attachment_resource(article, attachment, data=path.read_bytes())
    res = _attachment_resource(article, attachment)
    cache.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".{threading.get_ident()}.tmp")
    tmp.write_bytes(res.body)
    tmp.replace(path)
    return res


def build_trs(info: SiteInfo, cache: Path | None, items: tuple[Article, ...] | None = None) -> Site:
    """A TRS site of `info` listing `items` (default: every TRS article of the catalog)."""
    items = articles("trs") if items is None else items
    pages = (len(items) + PER_PAGE - 1) // PER_PAGE
    newest = utc(max(a.published for a in items))
    resources: dict[str, Resource] = {}
    links: list[Link] = []
    pending: dict[str, Callable[[], Resource]] = {}
    list_paths = []
    for page in range(pages):
        chunk = items[page * PER_PAGE : (page + 1) * PER_PAGE]
        path = TRS_COLUMN + _trs_list_name(page)
        list_paths.append(path)
        resources[path] = Resource(
            _encode(info, _trs_list_page(info, chunk, page, pages)), html_type("gbk"), newest
        )
    for a in items:
        path = trs_detail_path(a)
        resources[path] = Resource(
            _encode(info, _trs_detail_page(info, a)), html_type("gbk"), utc(a.published)
        )
        links.append(Link(path, a))
        folder = path.rsplit("/", 1)[0] + "/"
        for i, att in enumerate(a.attachments):
            apath = folder + trs_attachment_name(a, i, att)
            links.append(Link(apath, a, att))
            if not att.missing:
                pending[apath] = partial(_cached_attachment, a, att, cache)
    resources["/index.html"] = Resource(
        _encode(info, _home_page(info, TRS_COLUMN + "index.html")), html_type("gbk"), newest
    )
    robots = "User-agent: *\nDisallow: /private/\nDisallow: /admin/\n"
    resources["/robots.txt"] = Resource(robots.encode(), TEXT, _SITE_EPOCH)
    flaky = {trs_detail_path(a): 2 for a in items if a.flaky}
    return Site(info, items, resources, links, tuple(list_paths), pending=pending, flaky=flaky)


# --- Hanweb --------------------------------------------------------------------------------------------


def hanweb_detail_path(article: Article) -> str:
    p = article.published
    return f"/art/{p.year}/{p.month}/{p.day}/art_{HANWEB_UNIT_ID}_{article.number}.html"


def hanweb_attachment_path(article: Article, index: int, attachment: Attachment) -> str:
    if attachment.style == "downfile":
        return f"{DOWNFILE}?id={article.number * 10 + index}"
    ext = "docx" if attachment.fmt == "docx" else "pdf"
    digest = hashlib.md5(f"{article.number}-{index}".encode()).hexdigest()[:20]
    return f"/attach/0/{digest}.{ext}"


def _hanweb_record(article: Article) -> str:
    title = article.title
    shown = title if len(title) <= 30 else title[:29] + "…"
    return (
        f'<li><a href="{hanweb_detail_path(article)}" title="{_esc(title)}" target="_blank">{_esc(shown)}</a>'
        f"<span>{article.pub_date:%Y-%m-%d}</span></li>"
    )


def _hanweb_column_page(info: SiteInfo) -> str:
    config = (
        '<script type="text/javascript" src="/module/jslib/jquery/jquery.js"></script>\n'
        '<script type="text/javascript" src="/module/web/jpage/jpage.js"></script>\n'
    )
    body = (
        "<body>\n"
        + _chrome_top(info, "/", HANWEB_COLUMN)
        + f'<div class="position">当前位置：<a href="/">首页</a> &gt; {_esc(info.column_name)}</div>\n'
        f'<div class="list-right"><div id="{HANWEB_UNIT_ID}"></div>\n'
        '<script type="text/javascript">\n'
        "$(function(){\n"
        f"  $('#{HANWEB_UNIT_ID}').jpage({{\n"
        f'    proxyUrl: "{HANWEB_PROXY}",\n'
        f"    perPage: {PER_PAGE},\n"
        "    groupSize: 3,\n"
        "    dataBefore: '<ul class=\"list\">',\n"
        "    dataAfter: '</ul>',\n"
        f"    ajaxParam: {{col: 1, appid: 1, webid: {HANWEB_WEB_ID}, path: '/', columnid: {HANWEB_COLUMN_ID}, "
        f"sourceContentType: 1, unitid: '{HANWEB_UNIT_ID}', webname: '{info.name}', permissiontype: 0}}\n"
        "  });\n});\n</script>\n</div>\n" + _FOOTER.format(name=_esc(info.name), code=info.site_id_code)
    )
    return _head(info, f"{info.column_name} {info.name}", None, config) + body


def _hanweb_detail_page(info: SiteInfo, article: Article, variant: int = 0) -> str:
    links = "".join(
        f'<p><a href="{_esc(hanweb_attachment_path(article, i, att))}" target="_blank">{_esc(att.label)}</a></p>'
        for i, att in enumerate(article.attachments)
    )
    fujian = f'<div class="fujian"><p>附件：</p>{links}</div>\n' if links else ""
    body = (
        "<body>\n"
        + _chrome_top(info, "/", HANWEB_COLUMN)
        + f'<div class="position">当前位置：<a href="/">首页</a> &gt; <a href="{HANWEB_COLUMN}">'
        f"{_esc(info.column_name)}</a></div>\n"
        f'<div class="article"><h1 class="title">{_esc(article.title)}</h1>\n'
        f'<div class="info"><span>发布日期：{article.pub_date:%Y-%m-%d}</span>'
        f"<span>信息来源：{_esc(article.agency)}</span></div>\n"
        f'<div id="zoom">\n{_article_body(article, variant)}\n</div>\n{fujian}</div>\n'
        + _FOOTER.format(name=_esc(info.name), code=info.site_id_code)
    )
    return _head(info, f"{article.title} {info.name}", article) + body


def _dataproxy(items: tuple[Article, ...], info: SiteInfo) -> Callable[[Mapping[str, str]], Response | None]:
    def answer(params: Mapping[str, str]) -> Response | None:
        try:
            perpage = int(params.get("perpage", PER_PAGE))
            start = int(params.get("startrecord", 1))
            end = int(params.get("endrecord", start + 3 * perpage - 1))
        except ValueError:
            return None
        if start < 1 or end < start or perpage < 1:
            return None
        known = (
            params.get("columnid") == HANWEB_COLUMN_ID
            and params.get("unitid", HANWEB_UNIT_ID) == HANWEB_UNIT_ID
        )
        chosen = items[start - 1 : end] if known else ()
        total = len(items) if known else 0
        records = "\n".join(f"<record><![CDATA[\n{_hanweb_record(a)}\n]]></record>" for a in chosen)
        nextgroup = (
            f'<a href="{HANWEB_PROXY}?page=1&amp;appid=1&amp;webid={HANWEB_WEB_ID}&amp;path=/&amp;'
            f"columnid={HANWEB_COLUMN_ID}&amp;unitid={HANWEB_UNIT_ID}&amp;webname={quote(info.name)}"
            '&amp;permissiontype=0"></a>'
        )
        xml = (
            '<?xml version="1.0" encoding="UTF-8"?>\n<datastore>\n'
            f"<nextgroup><![CDATA[{nextgroup}]]></nextgroup>\n"
            f"<recordset>\n{records}\n</recordset>\n"
            f"<totalrecord>{total}</totalrecord>\n</datastore>\n"
        )
        return Response(200, xml.encode("utf-8"), (("Content-Type", XML),))

    return answer


def _build_hanweb(info: SiteInfo, cache: Path | None) -> Site:
    items = articles("hanweb")
    newest = utc(max(a.published for a in items))
    resources: dict[str, Resource] = {
        HANWEB_COLUMN: Resource(_encode(info, _hanweb_column_page(info)), html_type("utf-8"), newest),
        "/index.html": Resource(_encode(info, _home_page(info, HANWEB_COLUMN)), html_type("utf-8"), newest),
        "/robots.txt": Resource(b"User-agent: *\nDisallow: /admin/\n", TEXT, _SITE_EPOCH),
    }
    links: list[Link] = []
    pending: dict[str, Callable[[], Resource]] = {}
    for a in items:
        path = hanweb_detail_path(a)
        resources[path] = Resource(
            _encode(info, _hanweb_detail_page(info, a)), html_type("utf-8"), utc(a.published)
        )
        links.append(Link(path, a))
        for i, att in enumerate(a.attachments):
            apath = hanweb_attachment_path(a, i, att)
            links.append(Link(apath, a, att))
            if not att.missing:
                pending[apath] = partial(_cached_attachment, a, att, cache)
    flaky = {hanweb_detail_path(a): 2 for a in items if a.flaky}
    return Site(
        info,
        items,
        resources,
        links,
        (HANWEB_COLUMN,),
        pending=pending,
        flaky=flaky,
        dataproxy=_dataproxy(items, info),
    )


def build_site(key: SiteKey, cache: Path | None = None) -> Site:
    """Render every page of one site; attachments render on first use (cached under `cache` if given)."""
    info = SITES[key]
    return build_trs(info, cache) if key == "trs" else _build_hanweb(info, cache)


def rerender(site: Site, link: Link, variant: int, now: datetime) -> Resource:
    """New bytes for a page or file (a replaced report), Last-Modified `now`."""
    old = site.resource(link.path)
    if old is None:
        raise KeyError(link.path)
    if link.attachment is not None:
        res = _attachment_resource(link.article, link.attachment, variant=variant)
    elif site.info.key == "trs":
        res = Resource(
            _encode(site.info, _trs_detail_page(site.info, link.article, variant)), old.content_type, now
        )
    else:
        res = Resource(
            _encode(site.info, _hanweb_detail_page(site.info, link.article, variant)), old.content_type, now
        )
    last = max(now.replace(microsecond=0), old.last_modified + timedelta(seconds=1))
    return replace(res, last_modified=last)
