"""Script-driven pages read without running JavaScript: goPage pagination, download buttons, challenges.

Each rule recognises one pattern seen on real portals from the page's own inline script or form and
turns it into plain URLs; none evaluates code. The HTML each rule was written for is quoted in its
docstring and tested in tests/crawler/test_scripts.py.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlencode, urljoin

from parsel import Selector

from crawler.discovery import ATTACHMENT_EXTENSIONS, AttachmentLink, clean_text

_PAGE_FUNCTION = r"(?:go_?page|goto_?page|to_?page|turn_?page|jump_?page|page_?go)"
_PAGE_CALL = re.compile(rf"\b({_PAGE_FUNCTION})\s*\(\s*['\"]?(\d+)['\"]?\s*\)", re.I)
_DOWNLOAD_FUNCTION = r"(?:download\w*|down_?file\w*|downfile\w*|get_?file\w*|xiazai\w*)"
_DOWNLOAD_CALL = re.compile(rf"\b({_DOWNLOAD_FUNCTION})\s*\(\s*['\"]([^'\"]+)['\"]\s*\)", re.I)
_NAVIGATE = re.compile(
    r"(?:window\.open\s*\(|(?:window\.|document\.)?location(?:\.href)?\s*=(?!=)|location\.(?:assign|replace)\s*\()"
    r"\s*([^;)]+)"
)
_LAST_TEXTS = ("尾页", "末页", "最后一页", "last")
_PAGE_FIELDS = ("page", "pageNo", "pageno", "pageNum", "pagenum", "currentPage", "curPage", "pageIndex", "p")
_TOTAL_PAGES = re.compile(r"共\s*(\d+)\s*页")
MIN_CHALLENGE_SCRIPT = 200
"""Inline script characters below which a link-less page is a plain script redirect, not a challenge."""
CHALLENGE_COOKIES: tuple[str, ...] = ("fssbbil1ugzbn7n80s", "fssbbil1ugzbn7n80t", "wzws_cid", "wzws_sid")


@dataclass(frozen=True)
class GoPaging:
    """`goPage(N)` pagination: `template` holds {page}; `last` is the 尾页/末页 page number, if printed."""

    template: str
    last: int | None
    function: str
    called: tuple[int, ...] = ()
    """Every page number the page's links call (the walk goes on while the next one is among them)."""

    def url(self, number: int) -> str:
        return self.template.replace("{page}", str(number))


def _function_body(text: str, name: str) -> tuple[str, str] | None:
    """(parameter, body) of `function name(param){…}` or `name = function(param){…}` in inline script."""
    pattern = rf"(?:function\s+{name}\s*\(\s*(\w*)[^)]*\)|\b{name}\s*=\s*function\s*\(\s*(\w*)[^)]*\))\s*\{{"
    match = re.search(pattern, text)
    if match is None:
        return None
    param = match.group(1) or match.group(2) or ""
    depth, index = 1, match.end()
    while index < len(text) and depth:
        depth += {"{": 1, "}": -1}.get(text[index], 0)
        index += 1
    return param, text[match.end() : index - 1]


def _template_from_expression(expression: str, param: str) -> str | None:
    """`"list.jsp?page=" + n + "&id=3"` → `list.jsp?page={page}&id=3` (string literals and the parameter only)."""
    parts = [p.strip() for p in re.split(r"\+", expression.strip().rstrip(","))]
    out: list[str] = []
    for part in parts:
        literal = re.fullmatch(r"""(['"])(.*)\1""", part)
        if literal:
            out.append(literal.group(2))
        elif param and part == param:
            out.append("{page}")
        else:
            return None
    return "".join(out) if "{page}" in out else None


def _form_template(page: Selector, base_url: str) -> str | None:
    """A GET form with a page field: `<form action="list.jsp"><input name="pageNo" value="1">…</form>`."""
    for form in page.css("form"):
        if (form.attrib.get("method") or "get").lower() != "get":
            continue
        fields: dict[str, str] = {}
        page_field = None
        for field in form.css("input[name]"):
            name = field.attrib["name"]
            if name in _PAGE_FIELDS and page_field is None:
                page_field = name
                fields[name] = "{page}"
            elif (field.attrib.get("type") or "text").lower() in ("hidden", "text"):
                fields[name] = field.attrib.get("value") or ""
        if page_field is not None:
            query = urlencode(fields).replace("%7Bpage%7D", "{page}")
            return urljoin(base_url, form.attrib.get("action") or base_url) + "?" + query
    return None


def parse_go_page(html: str, base_url: str) -> GoPaging | None:
    """Pagination by `goPage(N)`, from the page's own script or form.

    Written for::

        <a href="javascript:goPage(2)">下一页</a> <a href="#" onclick="goPage(4)">尾页</a>
        <script>function goPage(n){ location.href = "list.jsp?channelId=12&page=" + n; }</script>

    and for a `goPage` that fills and submits `<form action="list.jsp"><input name="pageNo">` (GET).
    The page count comes from the 尾页/末页 link's call or a printed 共N页; None when no call or no
    URL pattern is found (a goPage whose URL cannot be read is not guessed).
    """
    text = html or ""
    calls = _PAGE_CALL.findall(text)
    if not calls:
        return None
    name = calls[0][0]
    page = Selector(text=text)
    template = None
    found = _function_body(text, name)
    if found is not None:
        param, body = found
        for match in _NAVIGATE.finditer(body):
            template = _template_from_expression(match.group(1), param)
            if template:
                template = urljoin(base_url, template)
                break
    if template is None:
        template = _form_template(page, base_url)
    if template is None:
        return None
    last = None
    for anchor in page.css("a"):
        label = clean_text(" ".join(anchor.xpath(".//text()").getall())).lower()
        if label in _LAST_TEXTS:
            call = _PAGE_CALL.search(f"{anchor.attrib.get('href', '')} {anchor.attrib.get('onclick', '')}")
            if call:
                last = int(call.group(2))
                break
    if last is None:
        total = _TOTAL_PAGES.search(
            clean_text(" ".join(page.xpath("//body//text()[not(ancestor::script)]").getall()))
        )
        last = int(total.group(1)) if total else None
    called = tuple(sorted({int(number) for _, number in calls}))
    return GoPaging(template=template, last=last, function=name, called=called)


def script_attachment_links(html: str, base_url: str) -> list[AttachmentLink]:
    """Attachments behind download buttons, with the URL built the way the page's script builds it.

    Written for::

        <a href="javascript:void(0)" onclick="downloadFile('8f3a')">2023年年报.pdf</a>
        <a href="javascript:download('8f3b')">附件</a>
        <script>function downloadFile(id){ window.open("/attach/download.jsp?fileId=" + id); }
                function download(id){ location.href = "/attach/get?id=" + id; }</script>

    A link is `certain` when its text names an attachment extension, else a probe (the response headers
    decide). Calls whose function has no readable URL template are skipped.
    """
    text = html or ""
    page = Selector(text=text)
    templates: dict[str, str | None] = {}
    found: dict[str, AttachmentLink] = {}
    for anchor in page.css("a"):
        handler = f"{anchor.attrib.get('href', '')} {anchor.attrib.get('onclick', '')}"
        call = _DOWNLOAD_CALL.search(handler)
        if call is None:
            continue
        name, argument = call.group(1), call.group(2)
        if name not in templates:
            templates[name] = None
            body = _function_body(text, name)
            if body is not None:
                for match in _NAVIGATE.finditer(body[1]):
                    template = _template_from_expression(match.group(1), body[0])
                    if template:
                        templates[name] = template
                        break
        template = templates[name]
        if template is None:
            continue
        url = urljoin(base_url, template.replace("{page}", argument))
        label = clean_text(" ".join(anchor.xpath(".//text()").getall())) or clean_text(
            anchor.attrib.get("title")
        )
        certain = any(label.lower().endswith(ext) for ext in ATTACHMENT_EXTENSIONS)
        found.setdefault(url, AttachmentLink(url=url, title=label, certain=certain))
    return list(found.values())


def challenge_reason(html: str, set_cookies: tuple[str, ...] = ()) -> str | None:
    """Why an HTTP 200 page is an anti-bot challenge (瑞数-style), or None. Never circumvented.

    Written for::

        Set-Cookie: FSSBBIl1UgzbN7N80S=…
        <html><head><meta id="9DhefwqGPrzGxEp9hPaoag" content="…"><script>$_ts=window['$_ts'];…</script>
        <script src="/4QbVtADbnLVIc/c.FxJzG50F.d2ce7f9.js"></script></head><body></body></html>

    Signs: a challenge cookie name, the `$_ts` bootstrap variable, or a page made of scripts (at least
    MIN_CHALLENGE_SCRIPT characters inline) with no link, frame, form or text at all.
    """
    cookies = " ".join(set_cookies).lower()
    for name in CHALLENGE_COOKIES:
        if name in cookies:
            return f"anti-bot challenge (cookie {name}, HTTP 200)"
    text = html or ""
    if "$_ts" in text:
        return "anti-bot challenge (瑞数 $_ts script, HTTP 200)"
    page = Selector(text=text or "<html></html>")
    scripts = page.css("script")
    if not scripts or page.css("a[href], iframe, frame, form"):
        return None
    visible = clean_text(
        " ".join(page.xpath("//body//text()[not(ancestor::script) and not(ancestor::noscript)]").getall())
    )
    inline = sum(len("".join(s.xpath("./text()").getall())) for s in scripts)
    if not visible and inline >= MIN_CHALLENGE_SCRIPT:
        return "anti-bot challenge (a page of scripts with no links or text, HTTP 200)"
    return None
