"""Downloader middlewares: exponential backoff before each retry; redirects off the allowed hosts stop."""

from __future__ import annotations

import asyncio
import logging
from urllib.parse import urljoin, urlsplit

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response

logger = logging.getLogger(__name__)


def backoff_seconds(retry_times: int, base: float, cap: float) -> float:
    """Seconds to wait before retry number `retry_times` (1, 2, 3…): base, 2·base, 4·base… ≤ cap."""
    if retry_times <= 0:
        return 0.0
    return float(min(cap, base * 2 ** (retry_times - 1)))


class RetryBackoffMiddleware:
    """Delays requests that Scrapy's RetryMiddleware re-scheduled (meta `retry_times` > 0)."""

    def __init__(self, base: float, cap: float) -> None:
        self.base = base
        self.cap = cap

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RetryBackoffMiddleware:
        return cls(
            base=crawler.settings.getfloat("NIANBAO_RETRY_BACKOFF_BASE", 0.5),
            cap=crawler.settings.getfloat("NIANBAO_RETRY_BACKOFF_MAX", 60.0),
        )

    async def process_request(self, request: Request) -> None:
        delay = backoff_seconds(int(request.meta.get("retry_times", 0)), self.base, self.cap)
        if delay > 0:
            logger.info(
                "backing off %.2fs before retry %s of %s", delay, request.meta["retry_times"], request.url
            )
            await asyncio.sleep(delay)


REDIRECT_STATUSES = (301, 302, 303, 307, 308)
OFFSITE_REDIRECT = "offsite redirect"


def allowed_host(url: str, domains: list[str] | tuple[str, ...]) -> bool:
    """True when the URL's host is one of `domains` or below one (another name for the machine is not)."""
    host = (urlsplit(url).hostname or "").lower()
    return any(host == d or host.endswith("." + d) for d in domains)


class OffsiteRedirectMiddleware:
    """Stops a redirect to a host outside the source's allowed domains before it is followed.

    The target is recorded in the run's `offsite` list and the request ends with an IgnoreRequest
    ("offsite redirect"); Scrapy's own offsite filter drops such redirects without telling the spider.
    Runs before RedirectMiddleware (a higher number sees the response first).
    """

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> OffsiteRedirectMiddleware:
        return cls(crawler)

    def process_response(self, request: Request, response: Response) -> Response:
        location = response.headers.get("Location")
        if response.status not in REDIRECT_STATUSES or not location:
            return response
        target = urljoin(request.url, location.decode("latin-1").strip())
        spider = self.crawler.spider
        domains = list(getattr(spider, "allowed_domains", None) or [])
        if not domains or allowed_host(target, domains):
            return response
        offsite: list[str] = spider.ctx.offsite  # type: ignore[union-attr]
        if target not in offsite:
            offsite.append(target)
        logger.info("not following the redirect of %s to %s (off the allowed hosts)", request.url, target)
        raise IgnoreRequest(f"{OFFSITE_REDIRECT} to {target}")
