"""The one generic spider: from a column's start URL to every annual report page and attachment.

Zero-config by default: report links are recognised by their titles, pagination is detected
(TRS `createPageHTML`, Hanweb `dataproxy.jsp`, `goPage(N)` scripts, plain 下一页 links: one module
each in crawler/pagination/) and list dates are read next to the links; the source registry overrides
what detection gets wrong. A start URL that lists no reports (a home page, a 政务公开 page) is walked
toward the 年报 column by its navigation (crawler/navigation.py, at most `discover_hops` hops); a column
of year folders or with its list in a frame is followed into them. See crawler/state.py for how the
walk stays incremental and crash-safe. Nothing off the allowed hosts is ever requested: such links
are recorded in the run's `offsite` list. A source with `render: true` has its list pages rendered in
headless Chromium first (crawler/render.py); everything else is fetched the same way for every source.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterable, Iterator, Mapping
from datetime import UTC, datetime
from typing import Any

from scrapy import Request, Spider
from scrapy.exceptions import CloseSpider, IgnoreRequest
from scrapy.http import FormRequest, Response, TextResponse
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from crawler.discovery import (
    ATTACHMENT_EXTENSIONS,
    ListLink,
    anti_bot_reason,
    decode_html,
    extract_attachment_links,
    extract_list_links,
    extract_meta,
    is_attachment_response,
    is_report_title,
    looks_like_hanweb,
    page_title,
    parse_pub_date,
    url_extension,
)
from crawler.items import DocumentItem
from crawler.middlewares import OFFSITE_REDIRECT, allowed_host
from crawler.navigation import frame_sources, is_navigation_text, navigation_links, year_folders
from crawler.pagination import ListPage, pagination_style
from crawler.render import MAX_REDIRECTS, RENDER_STOP, Renderer, handler_configured, render_unavailable
from crawler.scripts import challenge_reason, script_attachment_links
from crawler.state import KnownDocument, KnownDocuments, RunContext

logger = logging.getLogger(__name__)

NOT_MODIFIED = 304
GONE = (404, 410)
METHOD_NOT_ALLOWED = 405


def _header(response: Response, name: str) -> str:
    value = response.headers.get(name)
    return value.decode("latin-1").strip() if value else ""


def _validators(response: Response) -> dict[str, str]:
    found = {"etag": _header(response, "ETag"), "last_modified": _header(response, "Last-Modified")}
    return {k: v for k, v in found.items() if v}


def _conditional_headers(etag: str, last_modified: str) -> dict[str, str]:
    headers: dict[str, str] = {}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    return headers


class ReportsSpider(Spider):
    """Crawls one registry source; the runner passes the run context and the stores."""

    name = "reports"

    def __init__(
        self,
        ctx: RunContext,
        known: KnownDocuments,
        timezone: str = "Asia/Shanghai",
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.ctx = ctx
        self.known = known
        self.timezone = timezone
        self.source = ctx.source
        self.allowed_domains = list(ctx.source.allowed_domains)
        self.seen: set[str] = set()
        self.renderer: Renderer | None = None

    # -- start ---------------------------------------------------------------------------------

    async def start(self) -> AsyncIterator[Any]:
        if self.source.render and not self._start_rendering():
            return
        for request in self.start_requests_list():
            yield request

    def _start_rendering(self) -> bool:
        """Set up rendering of the list pages, or end the run with a one-line reason (`fatal`)."""
        reason = render_unavailable()
        if reason is None and not handler_configured(self.crawler):
            reason = "render: the crawl was started without the browser download handler"
        if reason is not None:
            self.ctx.fatal = reason
            logger.error("%s", reason)
            return False
        self.renderer = Renderer(self)
        return True

    def start_requests_list(self) -> list[Request]:
        requests: list[Request] = []
        if self.ctx.recheck_due:
            requests.extend(self._recheck_requests())
        style = pagination_style(self.source.pagination)
        for entry in self.source.start_urls:
            column = self.ctx.previous.columns.get(entry)
            if column and self.source.pagination != "json_api":
                extra = {"origin": entry, "hops": 0, "remembered": True}
                requests.append(self.list_request(column, entry=column, page_no=1, style=None, extra=extra))
            else:
                requests.extend(style.start_requests(self, entry))
        return requests

    def _recheck_requests(self) -> Iterator[Request]:
        """Conditional GETs of every stored document, to notice reports replaced at the same URL."""
        for document in self.known.latest_of_source(self.source.id):
            self.seen.add(document.url)
            headers = _conditional_headers(document.etag, document.last_modified)
            meta: dict[str, Any] = {"role": "recheck", "handle_httpstatus_list": [NOT_MODIFIED]}
            if document.is_attachment:
                meta.update(certain=True, title="", parent_url=None, recheck_parent=True)
                yield Request(
                    document.url, self.parse_attachment, errback=self.on_error, headers=headers, meta=meta
                )
            else:
                meta["link"] = None
                yield Request(
                    document.url, self.parse_detail, errback=self.on_error, headers=headers, meta=meta
                )

    # -- list pages (the pagination style decides what follows each one) ---------------------

    def list_request(
        self,
        url: str,
        *,
        entry: str,
        page_no: int,
        style: str | None,
        extra: Mapping[str, Any] | None = None,
    ) -> Request:
        """A list page request, conditional after an `ok` run; `style` None: decided on arrival.

        `extra` carries the column walk: `origin` (the registry's start URL), `hops` (navigation links
        followed so far), `within` (a year folder or frame: no navigation from it), `remembered` (the
        column found last time), `fresh` (never conditional: a re-discovery).
        """
        headers: dict[str, str] = {}
        extra = dict(extra or {})
        if page_no == 1 and "origin" not in extra:
            extra["origin"] = entry
        if self.ctx.incremental and not extra.get("fresh") and self.renderer is None:
            validators = self.ctx.previous.list_validators.get(url) or {}
            headers = _conditional_headers(validators.get("etag", ""), validators.get("last_modified", ""))
        meta = {**extra, "role": "list", "entry": entry, "page_no": page_no, "style": style}
        meta["handle_httpstatus_list"] = [NOT_MODIFIED]
        if self.renderer is not None:
            meta.update(self.renderer.meta())
        return Request(
            url, self.parse_list, errback=self.on_error, headers=headers, meta=meta, priority=10 - page_no
        )

    def api_request(
        self, url: str, *, meta: dict[str, Any], priority: int, formdata: dict[str, str] | None = None
    ) -> Request:
        """A list API request (a form POST when `formdata` is given), parsed by `meta["style"]`."""
        if formdata is not None:
            return FormRequest(
                url, formdata=formdata, callback=self.parse_api, errback=self.on_error, meta=meta
            )
        return Request(url, self.parse_api, errback=self.on_error, meta=meta, priority=priority)

    def _check_challenge(self, response: Response, html: str) -> None:
        """An HTTP 200 page that is an anti-bot challenge blocks the run (never circumvented)."""
        cookies = tuple(c.decode("latin-1") for c in response.headers.getlist("Set-Cookie"))
        reason = challenge_reason(html, cookies)
        if reason:
            self._block(f"{reason} at {response.url}")

    def _check_blocked(self, response: Response, body: bool = True) -> None:
        cookies = [c.decode("latin-1") for c in response.headers.getlist("Set-Cookie")]
        reason = anti_bot_reason(
            response.status, cookies, response.body[:4096] if body else b"", response.url
        )
        if reason:
            self._block(reason)

    def _block(self, reason: str) -> None:
        if self.ctx.blocked is None:
            self.ctx.blocked = reason
            logger.warning("blocked: %s", reason)
        raise CloseSpider("blocked")

    def _remember_validators(self, response: Response) -> None:
        validators = _validators(response)
        if validators:
            self.ctx.list_validators[response.url] = validators

    def _list_page(self, response: Response, text: str) -> ListPage:
        meta = response.meta
        page_no = int(meta["page_no"])
        return ListPage(response.url, text, str(meta["entry"]), page_no, response.status, meta)

    def parse_list(self, response: Response) -> Iterator[Any]:
        if response.meta.get(RENDER_STOP):
            yield from self._render_stopped(response.url, response.meta)
            return
        self._check_blocked(response)
        self.ctx.pages += 1
        style = pagination_style(response.meta.get("style") or self.source.pagination)
        if response.status == NOT_MODIFIED:
            self.ctx.not_modified += 1
            yield from self._replay_followed(response)
            yield from style.not_modified(self, self._list_page(response, ""))
            return
        if "playwright" in response.flags and isinstance(response, TextResponse):
            html = response.text  # the rendered DOM, in the encoding scrapy-playwright gave its bytes
        else:
            self._remember_validators(response)
            html, _ = decode_html(response.body, _header(response, "Content-Type"))
        self._check_challenge(response, html)
        page = self._list_page(response, html)
        if page.page_no == 1 and self.source.pagination != "json_api":
            found = self._column_walk(page)
            if found is not None:
                yield from found
                return
        yield from style.list_page(self, page)

    def _render_stopped(self, url: str, meta: Mapping[str, Any]) -> Iterator[Request]:
        """A list page the browser was not let show (crawler/render.py): a challenge blocks the run; a
        redirect is followed as a new list page (on the allowed hosts, at most MAX_REDIRECTS)."""
        kind, target = meta[RENDER_STOP]
        if kind == "blocked":
            self._block(str(target))
        if not self._allowed(target):
            if target not in self.ctx.offsite:
                self.ctx.offsite.append(target)
            logger.info("not following the redirect of %s to %s (off the allowed hosts)", url, target)
            return
        redirects = int(meta.get("render_redirects") or 0) + 1
        if redirects > MAX_REDIRECTS:
            self.ctx.fail(url, f"more than {MAX_REDIRECTS} redirects")
            return
        extra = {k: meta[k] for k in ("origin", "hops", "within", "remembered", "fresh") if k in meta}
        extra["render_redirects"] = redirects
        style = meta.get("style")
        yield self.list_request(
            str(target), entry=str(meta["entry"]), page_no=int(meta["page_no"]), style=style, extra=extra
        )

    # -- from a start URL to the 年报 column (crawler/navigation.py) ----------------------------

    def _column_walk(self, page: ListPage) -> list[Request] | None:
        """Requests into year folders, frames or toward the column; None: the style walks this page."""
        meta = page.meta
        origin = str(meta.get("origin") or page.entry)
        hops = int(meta.get("hops") or 0)
        source = self.source
        links = extract_list_links(page.text, page.url, source.list_item_selector)
        if looks_like_hanweb(page.text) or any(
            is_report_title(k.title, source.title_include, source.title_exclude)
            and not is_navigation_text(k.title)
            for k in links
        ):
            self._found_column(page, origin, hops)
            return None
        if not meta.get("within"):
            children = [y.url for y in year_folders(page.text, page.url)] + frame_sources(page.text, page.url)
            if children:
                self._found_column(page, origin, hops)
                self.ctx.followed[page.url] = [u for u in children if self._allowed(u)]
                return self._follow_pages(children, {"origin": origin, "hops": hops, "within": True})
            if meta.get("remembered"):
                logger.info("the remembered column %s lists nothing: re-discover from %s", page.url, origin)
                return [self._rediscover(origin)]
        if meta.get("within") or hops >= source.discover_hops:
            return None
        candidates = navigation_links(page.text, page.url)
        chosen = [k.url for k in candidates if k.strong] or [k.url for k in candidates]
        extra = {"origin": origin, "hops": hops + 1, "fresh": bool(meta.get("fresh"))}
        return self._follow_pages(chosen, extra) or None

    def _follow_pages(self, urls: list[str], extra: dict[str, Any]) -> list[Request]:
        """List requests of the allowed `urls`; the others are recorded in `offsite`, never requested."""
        requests = []
        for url in urls:
            if self._allowed(url):
                requests.append(self.list_request(url, entry=url, page_no=1, style=None, extra=extra))
            elif url not in self.ctx.offsite:
                self.ctx.offsite.append(url)
        return requests

    def _found_column(self, page: ListPage, origin: str, hops: int) -> None:
        """Record the column reached by navigation, so the next crawl starts there."""
        if hops > 0 and origin not in self.ctx.columns:
            logger.info("found the 年报 column of %s at %s", origin, page.url)
            self.ctx.columns[origin] = page.url

    def _rediscover(self, origin: str) -> Request:
        self.ctx.forgotten.add(origin)
        extra = {"origin": origin, "hops": 0, "fresh": True}
        return self.list_request(origin, entry=origin, page_no=1, style=None, extra=extra)

    def _replay_followed(self, response: Response) -> Iterator[Request]:
        """An unchanged column page of year folders or frames: fetch those again (conditionally)."""
        children = self.ctx.previous.followed.get(response.url)
        if not children or response.meta.get("page_no") != 1:
            return
        meta = response.meta
        self.ctx.followed[response.url] = list(children)
        extra = {"origin": meta.get("origin") or meta["entry"], "hops": meta.get("hops") or 0, "within": True}
        yield from self._follow_pages(children, extra)

    def parse_api(self, response: Response) -> Iterator[Any]:
        self._check_blocked(response)
        self.ctx.pages += 1
        if response.status == NOT_MODIFIED:
            self.ctx.not_modified += 1
            return
        text, _ = decode_html(response.body, _header(response, "Content-Type"))
        yield from pagination_style(str(response.meta["style"])).api_page(
            self, self._list_page(response, text)
        )

    def may_stop(self, all_known: bool, reports: int, url: str) -> bool:
        """Stop paginating at a list page whose report links are all stored (after an `ok` run only)."""
        if self.ctx.incremental and reports > 0 and all_known:
            logger.info("every report link on %s is known: stop paginating", url)
            return True
        return False

    # -- following report links ----------------------------------------------------------------

    def _allowed(self, url: str) -> bool:
        return allowed_host(url, self.allowed_domains)

    def follow(self, links: Iterable[ListLink]) -> tuple[bool, int, list[Request]]:
        """Requests for unknown report links; (all report links known?, report links, requests).

        A link naming a column or a year folder (政府信息公开年报, 2023年度报告 without an agency) is
        navigation, not a report."""
        source = self.source
        links = list(links)
        self.ctx.list_links += len(links)
        reports = [
            k
            for k in links
            if is_report_title(k.title, source.title_include, source.title_exclude)
            and not is_navigation_text(k.title)
        ]
        all_known = True
        requests: list[Request] = []
        for link in reports:
            if link.url in self.seen:
                continue
            self.seen.add(link.url)
            self.ctx.links_found += 1
            if not self._allowed(link.url):
                self.ctx.offsite.append(link.url)
                continue
            known = self.known.get(link.url)
            if known is None:
                all_known = False
                requests.append(self._detail_request(link))
            else:
                self.ctx.documents_unchanged += 1
                requests.extend(self._missing_attachments(known))
        return all_known, len(reports), requests

    def _detail_request(self, link: ListLink) -> Request:
        meta = {"role": "detail", "link": link}
        return Request(link.url, self.parse_detail, errback=self.on_error, meta=meta, priority=20)

    def _missing_attachments(self, page: KnownDocument) -> Iterator[Request]:
        """Attachments of a stored page that are not stored yet (a crash between page and file)."""
        pending = [(url, True) for url in page.attachments] + [(url, False) for url in page.probes]
        for url, certain in pending:
            if url in self.seen:
                continue
            self.seen.add(url)
            if self.known.get(url) is None:
                yield self._attachment_request(url, "", page.url, certain=certain)

    def _attachment_request(self, url: str, title: str, parent_url: str | None, *, certain: bool) -> Request:
        meta = {"role": "attachment", "title": title, "parent_url": parent_url, "certain": certain}
        return Request(url, self.parse_attachment, errback=self.on_error, meta=meta, priority=30)

    # -- detail pages and attachments ----------------------------------------------------------

    def _is_file(self, response: Response) -> bool:
        content_type = _header(response, "Content-Type").lower()
        if content_type.startswith(("text/html", "application/xhtml")):
            return False
        disposition = _header(response, "Content-Disposition")
        return (
            is_attachment_response(content_type, disposition)
            or url_extension(response.url) in ATTACHMENT_EXTENSIONS
        )

    def parse_detail(self, response: Response) -> Iterator[Any]:
        self._check_blocked(response, body=False)
        link: ListLink | None = response.meta.get("link")
        if response.status == NOT_MODIFIED:
            self.ctx.not_modified += 1
            return
        if self._is_file(response):
            yield from self.parse_attachment(response)
            return
        self._check_blocked(response)
        html, encoding = decode_html(response.body, _header(response, "Content-Type"))
        self._check_challenge(response, html)
        self.ctx.detail_downloads += 1
        meta: dict[str, Any] = extract_meta(html)
        title = page_title(html, meta) or (link.title if link else "")
        attachments = []
        for found in [
            *extract_attachment_links(html, response.url),
            *script_attachment_links(html, response.url),
        ]:
            if self._allowed(found.url):
                attachments.append(found)
            elif found.url not in self.ctx.offsite:
                self.ctx.offsite.append(found.url)
        meta.update(
            kind="page",
            encoding=encoding,
            list_title=link.title if link else "",
            attachments=[a.url for a in attachments if a.certain],
            attachment_probes=[a.url for a in attachments if not a.certain],
        )
        yield DocumentItem(
            kind="page",
            url=response.url,
            body=response.body,
            content_type=_header(response, "Content-Type") or f"text/html; charset={encoding}",
            fetched_at=datetime.now(UTC),
            title=title,
            list_date=link.list_date if link else None,
            page_pub_date=parse_pub_date(meta.get("PubDate"), self.timezone),
            meta=meta,
            etag=_header(response, "ETag"),
            last_modified=_header(response, "Last-Modified"),
        )
        for attachment in attachments:
            if attachment.url in self.seen:
                continue
            self.seen.add(attachment.url)
            if self.known.get(attachment.url) is not None:
                self.ctx.documents_unchanged += 1
                continue
            yield self._attachment_request(
                attachment.url, attachment.title, response.url, certain=attachment.certain
            )

    def parse_attachment(self, response: Response) -> Iterator[Any]:
        self._check_blocked(response, body=False)
        if response.status == NOT_MODIFIED:
            self.ctx.not_modified += 1
            return
        meta = response.meta
        parent_url: str | None = meta.get("parent_url")
        if meta.get("recheck_parent"):
            parent_url = self.known.parent_url_of(response.url)
        content_type = _header(response, "Content-Type")
        disposition = _header(response, "Content-Disposition")
        if not meta.get("certain", True) and not is_attachment_response(content_type, disposition):
            self.ctx.not_attachments.append(response.url)
            if parent_url:
                self.known.note_attachment(parent_url, response.url, "not_attachments")
            return
        self.ctx.attachment_downloads += 1
        link: ListLink | None = meta.get("link")
        title = str(meta.get("title") or (link.title if link else ""))
        yield DocumentItem(
            kind="attachment",
            url=response.url,
            body=response.body,
            content_type=content_type or "application/octet-stream",
            fetched_at=datetime.now(UTC),
            title=title,
            list_date=link.list_date if link else None,
            meta={"kind": "attachment", "link_title": title, "content_disposition": disposition},
            etag=_header(response, "ETag"),
            last_modified=_header(response, "Last-Modified"),
            parent_url=parent_url,
        )

    # -- failures ------------------------------------------------------------------------------

    def on_error(self, failure: Failure) -> Iterator[Request]:
        """Record a failed request; a remembered column that fails is re-discovered, a dataproxy
        answering 405 to GET is asked once by POST (and POST is remembered for it)."""
        request: Request = failure.request  # type: ignore[attr-defined]
        url = request.url
        if request.meta.get(RENDER_STOP):
            yield from self._render_stopped(url, request.meta)
            return
        if failure.check(HttpError):
            response: Response = failure.value.response  # type: ignore[union-attr]
            cookies = [c.decode("latin-1") for c in response.headers.getlist("Set-Cookie")]
            reason = anti_bot_reason(response.status, cookies, response.body[:4096], url)
            if reason:
                self._block(reason)
            if response.status == METHOD_NOT_ALLOWED and request.method == "GET" and "params" in request.meta:
                logger.info("%s answers 405 to GET: asking again by POST", url)
                self.ctx.methods[url.partition("?")[0]] = "POST"
                yield pagination_style(str(request.meta["style"])).retry_as_post(self, request.meta)
                return
            if request.meta.get("remembered"):
                yield self._rediscover(str(request.meta["origin"]))
            self.ctx.fail(url, f"HTTP {response.status}", response.status)
            parent_url = request.meta.get("parent_url")
            if response.status in GONE and request.meta.get("role") == "attachment" and parent_url:
                self.known.note_attachment(parent_url, url, "missing_attachments")
            return
        if failure.check(IgnoreRequest):
            message = str(failure.value)
            if "robots.txt" in message:
                self.ctx.robots_disallowed.append(url)
            elif OFFSITE_REDIRECT not in message and url not in self.ctx.offsite:
                self.ctx.offsite.append(url)
            return
        if request.meta.get("remembered"):
            yield self._rediscover(str(request.meta["origin"]))
        message = (failure.getErrorMessage().strip().splitlines() or [""])[0]
        self.ctx.fail(url, f"{type(failure.value).__name__}: {message}")
