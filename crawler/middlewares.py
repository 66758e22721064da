"""Downloader middlewares: exponential backoff before each retry of a failed request."""

from __future__ import annotations

import asyncio
import logging

from scrapy import Request
from scrapy.crawler import Crawler

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
