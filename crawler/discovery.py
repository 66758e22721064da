"""Pure functions that find reports on CMS pages: titles, list links, pagination, meta tags, dates.

No Scrapy and no I/O here, so every rule is unit-testable on small HTML/XML snippets
(shared/DOMAIN.md, "Where reports live on the web").
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from posixpath import splitext
from typing import Any
from urllib.parse import quote, urlencode, urljoin, urlsplit
from zoneinfo import ZoneInfo

from parsel import Selector

DEFAULT_TITLE_INCLUDE: tuple[str, ...] = (r"年度报告", r"年报", r"政府信息公开工作")
DEFAULT_TITLE_EXCLUDE: tuple[str, ...] = (
    r"决算",
    r"预算",
    r"统计年报",
    r"工作总结",
    r"企业(年报|年度报告)",
    r"年报公示",
    r"^关于.*(通知|通报|意见|函)$",
    r"的通知$",
    r"质量评估",
    # companions of a report (an infographic or explainer, not the report): parsers.metadata.is_companion
    r"图解",
    r"一图(读懂|看懂|了解|速览)",
    r"图说",
    r"解读",
)
STANDARD_META: tuple[str, ...] = (
    "SiteName",
    "SiteDomain",
    "SiteIDCode",
    "ColumnName",
    "ColumnDescription",
    "ColumnKeywords",
    "ColumnType",
    "ArticleTitle",
    "PubDate",
    "ContentSource",
    "Keywords",
    "Description",
    "Url",
)
ATTACHMENT_EXTENSIONS: tuple[str, ...] = (".pdf", ".doc", ".docx", ".wps", ".xls", ".xlsx", ".ofd")
ATTACHMENT_CONTENT_TYPES: tuple[str, ...] = (
    "application/pdf",
    "application/msword",
    "application/vnd.openxmlformats-officedocument",
    "application/vnd.ms-excel",
    "application/vnd.ms-works",
    "application/kswps",
    "application/wps",
    "application/ofd",
    "application/x-ofd",
    "application/octet-stream",
    "application/zip",
)
_DOWNLOAD_HINT = re.compile(r"download|downfile|attach|fileid|getfile|file\.jsp|filedown", re.I)
_DYNAMIC_EXTENSIONS = ("", ".jsp", ".do", ".action", ".php", ".asp", ".aspx", ".ashx", ".cgi")
_NEXT_TEXTS = ("下一页", "下页", "后一页", "next", "next page", "›", "»")
_SPACE = re.compile(r"\s+")
_DATE = re.compile(
    r"(?<!\d)(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})(?!\d)\s*日?"
    r"(?:\s*[T ]?\s*(\d{1,2})\s*[:：∶时]\s*(\d{1,2})(?:\s*[:：∶分]\s*(\d{1,2}))?)?"
)
_ENCODING_ALIASES = {"gb2312": "gb18030", "gbk": "gb18030", "x-gbk": "gb18030", "gb_2312-80": "gb18030"}
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([a-zA-Z0-9_-]+)""", re.I)


@dataclass(frozen=True)
class ListLink:
    """A link found on a list page, with the date printed next to it."""

    url: str
    title: str
    list_date: date | None = None


@dataclass(frozen=True)
class AttachmentLink:
    """A link on a detail page: `certain` when the extension says attachment, else a probe."""

    url: str
    title: str
    certain: bool = True


@dataclass(frozen=True)
class TrsPaging:
    """TRS `createPageHTML(total, current, prefix, ext)`: pages prefix.ext, prefix_1.ext, …"""

    total: int
    current: int
    prefix: str
    ext: str


def clean_text(text: str | None) -> str:
    """Collapse whitespace (incl. U+3000) into single spaces and strip."""
    return _SPACE.sub(" ", (text or "").replace("\u3000", " ")).strip()


def is_report_title(title: str, include: Sequence[str] = (), exclude: Sequence[str] = ()) -> bool:
    """True for an annual-report title.

    A source's own `include` patterns win over the default excludes (so a site can opt in to
    e.g. 统计年报); its own `exclude` patterns always exclude.
    """
    text = clean_text(title).replace(" ", "")
    if not text:
        return False
    if any(re.search(p, text) for p in exclude):
        return False
    if any(re.search(p, text) for p in include):
        return True
    if any(re.search(p, text) for p in DEFAULT_TITLE_EXCLUDE):
        return False
    return any(re.search(p, text) for p in DEFAULT_TITLE_INCLUDE)


def parse_pub_date(text: str | None, tz: str = "Asia/Shanghai") -> datetime | None:
    """Parse a PubDate (`2026-06-13 14∶06`, `2026-03-27 15:02:08`, `2026-07-20`…) into UTC.

    The page states local time in `tz`; the result is timezone-aware UTC so SQLite and
    PostgreSQL store the same instant.
    """
    match = _DATE.search(text or "")
    if match is None:
        return None
    year, month, day, hour, minute, second = (int(g) if g else 0 for g in match.groups())
    try:
        local = datetime(year, month, day, hour, minute, second, tzinfo=ZoneInfo(tz))
    except ValueError:
        return None
    return local.astimezone(UTC)


def parse_list_date(text: str | None) -> date | None:
    """The first full date (`2021-01-28`, `2021年1月28日`, `[2021/01/28]`) in a list item's text."""
    for match in _DATE.finditer(text or ""):
        try:
            return date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
        except ValueError:
            continue
    return None


def _usable_href(href: str | None) -> bool:
    if not href:
        return False
    lowered = href.strip().lower()
    return not lowered.startswith(("javascript:", "mailto:", "tel:", "#", "data:"))


def _item_date(anchor: Selector) -> date | None:
    """The date printed in the anchor's list item (li/tr/dd/p) outside the anchor's own text."""
    for xpath in ("ancestor::li[1]", "ancestor::tr[1]", "ancestor::dd[1]", "ancestor::p[1]", ".."):
        item = anchor.xpath(xpath)
        if item:
            outside = " ".join(item[0].xpath("./descendant::text()[not(ancestor::a)]").getall())
            found = parse_list_date(outside) or parse_list_date(" ".join(item[0].xpath(".//text()").getall()))
            if found is not None:
                return found
    return None


def extract_list_links(html: str, base_url: str, item_selector: str | None = None) -> list[ListLink]:
    """Every link of a list page (or of the items matched by a CSS `item_selector`), de-duplicated."""
    page = Selector(text=html or "<html></html>")
    if item_selector:
        anchors: list[Selector] = []
        for item in page.css(item_selector):
            if getattr(item.root, "tag", None) == "a":
                anchors.append(item)
            else:
                anchors.extend(item.css("a[href]")[:1])
    else:
        anchors = list(page.css("a[href]"))
    links: dict[str, ListLink] = {}
    for anchor in anchors:
        href = anchor.attrib.get("href")
        if not _usable_href(href):
            continue
        url = urljoin(base_url, (href or "").strip()).split("#", 1)[0]
        title = clean_text(anchor.attrib.get("title")) or clean_text(
            " ".join(anchor.xpath(".//text()").getall())
        )
        if url not in links or (not links[url].title and title):
            links[url] = ListLink(url=url, title=title, list_date=_item_date(anchor))
    return list(links.values())


def parse_create_page_html(text: str) -> TrsPaging | None:
    """Read a TRS `createPageHTML(63, 0, "index", "shtml")` call (also the `('page_div', 63, 0, …)` form)."""
    for match in re.finditer(r"createPageHTML\s*\(([^)]*)\)", text or ""):
        args = [a.strip().strip("'\"") for a in match.group(1).split(",")]
        if args and not args[0].isdigit() and len(args) > 2 and args[1].isdigit():
            args = args[1:]
        if len(args) < 2 or not args[0].isdigit() or not args[1].isdigit():
            continue
        prefix = args[2] if len(args) > 2 and args[2] else "index"
        ext = args[3] if len(args) > 3 and args[3] else "html"
        return TrsPaging(total=int(args[0]), current=int(args[1]), prefix=prefix, ext=ext)
    return None


def trs_page_url(list_url: str, index: int, prefix: str = "index", ext: str = "html") -> str:
    """The URL of TRS list page `index` (0 → index.html, 1 → index_1.html) next to `list_url`."""
    name = f"{prefix}.{ext}" if index == 0 else f"{prefix}_{index}.{ext}"
    return urljoin(list_url, name)


def find_next_link(html: str, base_url: str) -> str | None:
    """The target of a 下一页 / next link, if any."""
    page = Selector(text=html or "<html></html>")
    for anchor in page.css("a[href]"):
        text = clean_text(" ".join(anchor.xpath(".//text()").getall())).lower()
        label = clean_text(anchor.attrib.get("title")).lower()
        if (text in _NEXT_TEXTS or label in _NEXT_TEXTS) and _usable_href(anchor.attrib.get("href")):
            target = urljoin(base_url, anchor.attrib["href"].strip())
            if target.split("#", 1)[0] != base_url.split("#", 1)[0]:
                return target
    return None


def looks_like_hanweb(html: str) -> bool:
    """True for a Hanweb (大汉) column page whose list comes from dataproxy.jsp."""
    return "dataproxy.jsp" in (html or "") or bool(re.search(r"jpage|<datastore>", html or "", re.I))


def parse_hanweb_params(html: str, url: str = "") -> dict[str, str]:
    """columnid / unitid / webid / perpage from a Hanweb column page's script or form."""
    params: dict[str, str] = {}
    for name in ("columnid", "unitid", "webid", "perpage"):
        for pattern in (
            rf"""\b{name}["']?\s*[:=]\s*["']?(\d+)""",
            rf"""name=["']{name}["'][^>]*value=["'](\d+)""",
            rf"""value=["'](\d+)["'][^>]*name=["']{name}["']""",
        ):
            match = re.search(pattern, html or "", re.I)
            if match:
                params[name] = match.group(1)
                break
    if "columnid" not in params:
        match = re.search(r"/col/col(\d+)/", url)
        if match:
            params["columnid"] = match.group(1)
    return params


def parse_dataproxy(text: str, base_url: str) -> tuple[list[ListLink], int | None]:
    """The links in Hanweb `<record><![CDATA[<li>…</li>]]></record>` items and the `<totalrecord>`."""
    links: list[ListLink] = []
    seen: set[str] = set()
    for record in re.findall(r"<record>\s*<!\[CDATA\[(.*?)\]\]>\s*</record>", text or "", re.S | re.I):
        for link in extract_list_links(f"<ul>{record}</ul>", base_url):
            if link.url not in seen:
                seen.add(link.url)
                links.append(link)
    total = re.search(r"<totalrecord>\s*(\d+)\s*</totalrecord>", text or "", re.I)
    return links, int(total.group(1)) if total else None


def hanweb_dataproxy_url(base_url: str, params: Mapping[str, str], start: int, end: int) -> str:
    """GET form of a dataproxy.jsp request for records start..end (1-based, inclusive)."""
    query: dict[str, str] = {"startrecord": str(start), "endrecord": str(end)}
    query["perpage"] = params.get("perpage") or str(end - start + 1)
    for key in ("columnid", "unitid", "webid"):
        if params.get(key):
            query[key] = params[key]
    return urljoin(base_url, "/module/web/jpage/dataproxy.jsp") + "?" + urlencode(query)


def json_get(data: Any, dotted: str) -> Any:
    """Follow a dotted path (`data.list`, `result.0.title`) into decoded JSON; None if absent."""
    current = data
    for part in [p for p in dotted.split(".") if p]:
        if isinstance(current, Mapping):
            current = current.get(part)
        elif isinstance(current, list) and part.isdigit() and int(part) < len(current):
            current = current[int(part)]
        else:
            return None
    return current


def json_list_links(
    data: Any, base_url: str, items: str, title: str = "title", url: str = "url", date_key: str = "date"
) -> list[ListLink]:
    """List links from a JSON list API answer."""
    entries = json_get(data, items)
    links: list[ListLink] = []
    if not isinstance(entries, list):
        return links
    for entry in entries:
        href = json_get(entry, url)
        if not isinstance(href, str) or not _usable_href(href):
            continue
        raw_date = json_get(entry, date_key)
        links.append(
            ListLink(
                url=urljoin(base_url, href.strip()),
                title=clean_text(str(json_get(entry, title) or "")),
                list_date=parse_list_date(str(raw_date)) if raw_date is not None else None,
            )
        )
    return links


def extract_meta(html: str) -> dict[str, str]:
    """The standard 集约化 meta tags (SiteName, ArticleTitle, PubDate, …) present on a detail page."""
    page = Selector(text=html or "<html></html>")
    canonical = {name.lower(): name for name in STANDARD_META}
    meta: dict[str, str] = {}
    for tag in page.css("meta[name]"):
        name = canonical.get((tag.attrib.get("name") or "").strip().lower())
        content = clean_text(tag.attrib.get("content"))
        if name and content and name not in meta:
            meta[name] = content
    return meta


def page_title(html: str, meta: Mapping[str, str] | None = None) -> str:
    """ArticleTitle, else the first h1, else <title>."""
    if meta and meta.get("ArticleTitle"):
        return meta["ArticleTitle"]
    page = Selector(text=html or "<html></html>")
    for xpath in ("//h1//text()", "//title//text()"):
        text = clean_text(" ".join(page.xpath(xpath).getall()))
        if text:
            return text
    return ""


def url_extension(url: str) -> str:
    """The lower-case extension of the URL path (`.pdf`), or ''."""
    return splitext(urlsplit(url).path)[1].lower()


def extract_attachment_links(html: str, base_url: str) -> list[AttachmentLink]:
    """Attachment links of a detail page: by extension (certain) or download-like links (probes)."""
    page = Selector(text=html or "<html></html>")
    found: dict[str, AttachmentLink] = {}
    for anchor in page.css("a[href]"):
        href = anchor.attrib.get("href")
        if not _usable_href(href):
            continue
        url = urljoin(base_url, (href or "").strip()).split("#", 1)[0]
        text = clean_text(anchor.attrib.get("title")) or clean_text(
            " ".join(anchor.xpath(".//text()").getall())
        )
        ext = url_extension(url)
        if ext in ATTACHMENT_EXTENSIONS:
            found.setdefault(url, AttachmentLink(url=url, title=text, certain=True))
        elif ext in _DYNAMIC_EXTENSIONS and url not in found:
            named = any(text.lower().endswith(e) for e in ATTACHMENT_EXTENSIONS)
            if named or _DOWNLOAD_HINT.search(url):
                found[url] = AttachmentLink(url=url, title=text, certain=False)
    return list(found.values())


def is_attachment_response(content_type: str | None, content_disposition: str | None) -> bool:
    """True when the headers say the body is a file (Content-Disposition or a document Content-Type)."""
    disposition = (content_disposition or "").lower()
    if "attachment" in disposition or "filename" in disposition:
        return True
    kind = (content_type or "").split(";", 1)[0].strip().lower()
    return any(kind.startswith(t) for t in ATTACHMENT_CONTENT_TYPES)


def anti_bot_reason(
    status: int, set_cookies: Iterable[str] = (), body_head: bytes = b"", url: str = ""
) -> str | None:
    """Why a response is an anti-bot challenge (HTTP 412, wzws, 521 JS cookie), or None."""
    cookies = " ".join(set_cookies).lower()
    head = body_head[:4096].lower()
    if "wzws" in cookies or b"wzws" in head or "wzws" in url.lower():
        return f"anti-bot challenge (wzws, HTTP {status}) at {url}"
    if status == 412:
        return f"anti-bot challenge (HTTP 412) at {url}"
    if status == 521 and (b"document.cookie" in head or "__jsl" in cookies):
        return f"anti-bot challenge (HTTP 521 JS cookie) at {url}"
    return None


def normalise_encoding(name: str | None) -> str | None:
    """A Python codec name for a declared charset (gb2312/gbk → gb18030), or None if unknown."""
    if not name:
        return None
    name = name.strip().strip("'\"").lower()
    name = _ENCODING_ALIASES.get(name, name)
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def charset_from_content_type(content_type: str | None) -> str | None:
    match = re.search(r"charset\s*=\s*[\"']?([^\s;\"']+)", content_type or "", re.I)
    return normalise_encoding(match.group(1)) if match else None


def decode_html(body: bytes, content_type: str | None = None) -> tuple[str, str]:
    """Decode a page by its HTTP header charset, then its meta charset, then detection (GBK!)."""
    candidates: list[str] = []
    if body.startswith(codecs.BOM_UTF8):
        candidates.append("utf-8-sig")
    header = charset_from_content_type(content_type)
    if header:
        candidates.append(header)
    meta = _META_CHARSET.search(body[:4096])
    declared = normalise_encoding(meta.group(1).decode("ascii", "replace")) if meta else None
    if declared:
        candidates.append(declared)
    candidates.extend(["utf-8", "gb18030"])
    for encoding in candidates:
        try:
            return body.decode(encoding), encoding
        except (UnicodeDecodeError, LookupError):
            continue
    from charset_normalizer import from_bytes

    best = from_bytes(body).best()
    encoding = "gb18030"
    if best is not None and best.encoding and not best.encoding.startswith(("gb", "hz")):
        encoding = normalise_encoding(best.encoding) or encoding
    return body.decode(encoding, errors="replace"), encoding


def ascii_url(url: str) -> str:
    """The URL with non-ASCII characters and spaces percent-encoded (for S3 object metadata)."""
    return "".join(c if 32 < ord(c) < 127 else quote(c, safe="") for c in url)
