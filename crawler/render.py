"""JavaScript-built list pages rendered in headless Chromium: a source's `render: true` (opt-in).

Only the list pages of such a source go through the browser — scrapy-playwright's download handler,
launching Debian's `chromium` (`NIANBAO_CHROMIUM`, else `chromium` on PATH; nothing is downloaded at
run time) — and the rendered DOM goes through the same discovery as a fetched page. Detail pages,
attachments and list APIs are fetched by Scrapy as for any source; a crawl of sources that do not
render never loads the handler.

The browser has no network of its own (a dead proxy, loopback included): every request a page makes
is answered by `PageGuard`, one hop at a time, under the crawl's rules:

- only documents, scripts and XHR/fetch are fetched; images, fonts, stylesheets and media never are,
  on any host;
- a request or redirect off the allowed hosts is recorded in the run's `offsite` and never made;
- robots.txt is obeyed (a disallowed URL is recorded in `robots_disallowed`);
- frames are not loaded (the spider follows a same-host frame as a list page), and a script that
  navigates the page elsewhere is stopped;
- the list page itself is checked for an anti-bot challenge before any of its scripts runs (the run is
  blocked, never circumvented), and a redirect of it is handed back to the spider, which requests the
  target as a new list page.

List pages of a rendering source are never conditional: a list a script builds from a JSON endpoint
changes while its page would answer 304 (and Chromium cannot show a 304 to a navigation).
"""

from __future__ import annotations

import logging
import os
import shutil
from contextlib import suppress
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import urljoin

from scrapy import Request

from crawler.discovery import anti_bot_reason, decode_html
from crawler.middlewares import REDIRECT_STATUSES, allowed_host
from crawler.scripts import challenge_reason

if TYPE_CHECKING:
    from playwright.async_api import APIResponse, Page, Route
    from playwright.async_api import Request as BrowserRequest
    from scrapy.crawler import Crawler
    from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware

    from crawler.state import RunContext

logger = logging.getLogger(__name__)

CHROMIUM_ENV = "NIANBAO_CHROMIUM"
HANDLER = "scrapy_playwright.handler.ScrapyPlaywrightDownloadHandler"
CONTEXT = "nianbao-render"
FETCHED_RESOURCES = frozenset({"document", "script", "xhr", "fetch"})
"""What a rendered page may load; everything else (images, fonts, CSS, media, beacons) is refused."""
MAX_REDIRECTS = 5
SETTLE_MS = 5000
"""How long a page may keep fetching after `load` (scripts that build the list from an endpoint)."""
MAX_PAGES = 2
"""Pages open at once in the browser (each is a renderer process)."""
RENDER_STOP = "nianbao_render_stop"
"""Request meta set by the guard when it did not show a list page: ("blocked", reason) or ("redirect", url)."""
CHROMIUM_ARGS = (
    "--proxy-server=http://127.0.0.1:9",
    "--proxy-bypass-list=<-loopback>",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-domain-reliability",
    "--disable-sync",
    "--no-pings",
    "--no-first-run",
    "--disable-gpu",
    "--disable-dev-shm-usage",
)
"""Chromium's own network goes to a dead proxy (loopback too), so only `PageGuard` answers a page."""


def chromium_path() -> str | None:
    """The Chromium executable: NIANBAO_CHROMIUM if it is one, else `chromium` on PATH; None without."""
    given = os.environ.get(CHROMIUM_ENV, "").strip()
    if given:
        return given if os.path.isfile(given) and os.access(given, os.X_OK) else None
    return shutil.which("chromium")


def render_unavailable() -> str | None:
    """Why list pages cannot be rendered here (one line), or None when they can."""
    try:
        import scrapy_playwright  # noqa: F401
    except ImportError:
        return "render: true needs the [render] extra (pip install 'nianbao[render]')"
    if chromium_path() is None:
        given = os.environ.get(CHROMIUM_ENV, "").strip()
        if given:
            return f"render: true needs Chromium: {CHROMIUM_ENV}={given} is not an executable file"
        return f"render: true needs Chromium: no chromium on PATH (apt-get install chromium, or set {CHROMIUM_ENV})"
    return None


def render_settings(timeout: int) -> dict[str, Any]:
    """Scrapy settings that send `playwright` requests through Chromium ({} when it cannot run: the
    spider then ends the run with `render_unavailable`'s reason)."""
    if render_unavailable() is not None:
        return {}
    return {
        "DOWNLOAD_HANDLERS": {"http": HANDLER, "https": HANDLER},
        "PLAYWRIGHT_BROWSER_TYPE": "chromium",
        "PLAYWRIGHT_LAUNCH_OPTIONS": {
            "executable_path": chromium_path(),
            "headless": True,
            "args": list(CHROMIUM_ARGS),
            "timeout": timeout * 1000,
        },
        "PLAYWRIGHT_DEFAULT_NAVIGATION_TIMEOUT": timeout * 1000,
        "PLAYWRIGHT_MAX_PAGES_PER_CONTEXT": MAX_PAGES,
        "PLAYWRIGHT_ABORT_REQUEST": "crawler.render.refuse_unguarded",
    }


def handler_configured(crawler: Crawler) -> bool:
    """Whether this crawl sends `playwright` requests to the browser (else they would go unrendered)."""
    return crawler.settings.getdict("DOWNLOAD_HANDLERS").get("http") == HANDLER


def refuse_unguarded(request: BrowserRequest) -> bool:
    """scrapy-playwright's own route answers only a page `PageGuard` was not installed on: refuse all."""
    logger.warning("render: refusing %s of an unguarded page", request.url)
    return True


async def settle(page: Page) -> None:
    """Let scripts that fetch the list after `load` finish (network idle), for at most SETTLE_MS."""
    from playwright.async_api import TimeoutError as PlaywrightTimeout

    with suppress(PlaywrightTimeout):
        await page.wait_for_load_state("networkidle", timeout=SETTLE_MS)


def _redirect_target(url: str, response: APIResponse) -> str | None:
    location = response.headers.get("location")
    if response.status not in REDIRECT_STATUSES or not location:
        return None
    return urljoin(url, location.strip())


class RenderingSpider(Protocol):
    """What the renderer needs of the spider: its run, allowed hosts and crawler."""

    ctx: RunContext
    allowed_domains: list[str]
    crawler: Crawler


class Renderer:
    """Renders one source's list pages: the request meta that sends them to Chromium, and the rules."""

    def __init__(self, spider: RenderingSpider) -> None:
        self.spider = spider
        settings = spider.crawler.settings
        self.user_agent = str(settings.get("ROBOTSTXT_USER_AGENT") or settings.get("USER_AGENT"))
        self.timeout_ms = settings.getfloat("DOWNLOAD_TIMEOUT", 30) * 1000
        self._robots: RobotsTxtMiddleware | None = None
        self._robots_found = False

    def meta(self) -> dict[str, Any]:
        """Request meta of a list page to render."""
        from scrapy_playwright.page import PageMethod

        return {
            "playwright": True,
            "playwright_context": CONTEXT,
            "playwright_context_kwargs": {
                "user_agent": self.user_agent,
                "service_workers": "block",
                "locale": "zh-CN",
            },
            "playwright_page_init_callback": self.guard,
            "playwright_page_methods": [PageMethod(settle)],
        }

    async def guard(self, page: Page, request: Request) -> None:
        """Answer every request of `page` by the crawl's rules (scrapy-playwright's page init callback;
        a route added later takes precedence over scrapy-playwright's own)."""
        await page.route("**", PageGuard(self, request).handle)

    def allowed(self, url: str) -> bool:
        return allowed_host(url, self.spider.allowed_domains)

    def offsite(self, url: str) -> None:
        if url not in self.spider.ctx.offsite:
            self.spider.ctx.offsite.append(url)
        logger.info("render: not requesting %s (off the allowed hosts)", url)

    async def robots_allow(self, url: str) -> bool:
        """robots.txt of `url`'s host, read through Scrapy's own middleware (fetched once per host)."""
        if not self._robots_found:
            from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware

            engine = self.spider.crawler.engine
            found = [] if engine is None else engine.downloader.middleware.middlewares
            self._robots = next((m for m in found if isinstance(m, RobotsTxtMiddleware)), None)
            self._robots_found = True
        if self._robots is None:
            return True
        parser = await self._robots.robot_parser(Request(url))
        if parser is None or parser.allowed(url, self.user_agent):
            return True
        if url not in self.spider.ctx.robots_disallowed:
            self.spider.ctx.robots_disallowed.append(url)
        logger.info("render: not requesting %s (robots.txt)", url)
        return False


class PageGuard:
    """Answers the requests of one rendered list page: fetched by us, hop by hop, or refused."""

    def __init__(self, renderer: Renderer, request: Request) -> None:
        self.renderer = renderer
        self.request = request
        self.navigated = False

    async def handle(self, route: Route, request: BrowserRequest) -> None:
        from playwright.async_api import Error as PlaywrightError

        try:
            answered = await self._answer(route, request)
        except PlaywrightError as exc:
            logger.info("render: %s of %s failed: %s", request.url, self.request.url, exc.message)
            answered = False
        if not answered:
            with suppress(PlaywrightError):
                await route.abort("blockedbyclient")

    async def _answer(self, route: Route, request: BrowserRequest) -> bool:
        """Fulfil the request (True) or leave it to be aborted (False)."""
        url = request.url
        renderer = self.renderer
        if request.resource_type not in FETCHED_RESOURCES:
            return False
        if not renderer.allowed(url):
            renderer.offsite(url)
            return False
        main = request.is_navigation_request() and request.frame.parent_frame is None
        if request.is_navigation_request() and not main:
            return False
        if main:
            if self.navigated:
                logger.info("render: stopped a script taking %s to %s", self.request.url, url)
                return False
            self.navigated = True
        if not await renderer.robots_allow(url):
            return False
        response = await route.fetch(max_redirects=0, timeout=renderer.timeout_ms)
        if main:
            return await self._list_page(route, url, response)
        for _ in range(MAX_REDIRECTS):
            target = _redirect_target(url, response)
            if target is None:
                break
            if not renderer.allowed(target):
                renderer.offsite(target)
                return False
            if not await renderer.robots_allow(target):
                return False
            method = request.method if response.status in (307, 308) else "GET"
            url = target
            response = await route.fetch(url=url, method=method, max_redirects=0, timeout=renderer.timeout_ms)
        if _redirect_target(url, response) is not None:
            return False
        await route.fulfill(response=response)
        return True

    async def _list_page(self, route: Route, url: str, response: APIResponse) -> bool:
        """The list page: shown unless it is a challenge (checked before its scripts run) or a redirect;
        those are replaced by an empty page, with a note in the request's meta for the spider."""
        cookies = [h["value"] for h in response.headers_array if h["name"].lower() == "set-cookie"]
        body = await response.body()
        reason = anti_bot_reason(response.status, cookies, body[:4096], url)
        if reason is None and response.status == 200:
            html, _ = decode_html(body, response.headers.get("content-type"))
            found = challenge_reason(html, tuple(cookies))
            reason = f"{found} at {url}" if found else None
        target = _redirect_target(url, response)
        if reason is not None:
            self.request.meta[RENDER_STOP] = ("blocked", reason)
        elif target is not None:
            self.request.meta[RENDER_STOP] = ("redirect", target)
        else:
            await route.fulfill(response=response)
            return True
        await route.fulfill(status=200, content_type="text/html", body="<html><body></body></html>")
        return True
