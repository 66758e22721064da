"""Scrapy settings of a nianbao crawl, derived from `storage.settings.Settings` and the source.

A source with `render: true` adds the browser download handler (crawler/render.py); no other crawl
loads it.

Politeness is not optional: robots.txt is obeyed, AutoThrottle is on, at most
`crawl_concurrency_per_domain` (default 2) requests run per domain, and retries back off. The crawl
settings (user agent, robots, delay, concurrency, timeout) are read in `crawl_settings` only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from crawler.registry import SourceConfig
from crawler.render import render_settings
from storage.settings import Settings

RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408, 429]
RETRY_TIMES = 3
RETRY_BACKOFF_MIN = 0.25
RETRY_BACKOFF_MAX = 60.0


@dataclass(frozen=True)
class CrawlSettings:
    """The politeness of one source's crawl: the global settings with the source's own overrides."""

    user_agent: str
    obey_robots: bool
    download_delay: float
    concurrency_per_domain: int
    timeout: int


def crawl_settings(settings: Settings, source: SourceConfig) -> CrawlSettings:
    """Read every crawl setting here: the source's delay else the global one, its concurrency capped."""
    own_delay = source.politeness.download_delay
    own_concurrency = source.politeness.concurrency_per_domain
    return CrawlSettings(
        user_agent=settings.user_agent,
        obey_robots=settings.crawl_obey_robots,
        download_delay=settings.crawl_download_delay if own_delay is None else own_delay,
        concurrency_per_domain=settings.crawl_concurrency_per_domain
        if own_concurrency is None
        else min(own_concurrency, settings.crawl_concurrency_per_domain),
        timeout=settings.crawl_timeout,
    )


def scrapy_settings(settings: Settings, source: SourceConfig, *, log_level: str = "INFO") -> dict[str, Any]:
    """The Scrapy settings dict for crawling `source`."""
    crawl = crawl_settings(settings, source)
    delay = crawl.download_delay
    rendering = render_settings(crawl.timeout) if source.render else {}
    return {
        "BOT_NAME": "nianbao",
        "SPIDER_MODULES": ["crawler.spiders"],
        "USER_AGENT": crawl.user_agent,
        "ROBOTSTXT_OBEY": crawl.obey_robots,
        "ROBOTSTXT_USER_AGENT": crawl.user_agent,
        "AUTOTHROTTLE_ENABLED": True,
        "AUTOTHROTTLE_START_DELAY": delay,
        "AUTOTHROTTLE_MAX_DELAY": max(60.0, delay),
        "AUTOTHROTTLE_TARGET_CONCURRENCY": 1.0,
        "DOWNLOAD_DELAY": delay,
        "RANDOMIZE_DOWNLOAD_DELAY": delay > 0,
        "CONCURRENT_REQUESTS": 8,
        "CONCURRENT_REQUESTS_PER_DOMAIN": crawl.concurrency_per_domain,
        "DOWNLOAD_TIMEOUT": crawl.timeout,
        "DOWNLOAD_MAXSIZE": 512 * 1024 * 1024,
        "DOWNLOAD_WARNSIZE": 64 * 1024 * 1024,
        "RETRY_ENABLED": True,
        "RETRY_TIMES": RETRY_TIMES,
        "RETRY_HTTP_CODES": RETRY_HTTP_CODES,
        "NIANBAO_RETRY_BACKOFF_BASE": max(delay, RETRY_BACKOFF_MIN),
        "NIANBAO_RETRY_BACKOFF_MAX": RETRY_BACKOFF_MAX,
        "DOWNLOADER_MIDDLEWARES": {
            "crawler.middlewares.RetryBackoffMiddleware": 560,
            "crawler.middlewares.OffsiteRedirectMiddleware": 650,
        },
        "ITEM_PIPELINES": {"crawler.pipelines.ArchivePipeline": 300},
        "COOKIES_ENABLED": False,
        "TELNETCONSOLE_ENABLED": False,
        "REMOTE_CONTROL_ENABLED": False,  # Scrapy's code-execution HTTP server, one per crawler
        "HTTPCACHE_ENABLED": False,
        "LOG_LEVEL": log_level,
        "LOG_FORMAT": "%(asctime)s [%(name)s] %(levelname)s: %(message)s",
        "REQUEST_FINGERPRINTER_IMPLEMENTATION": "2.7",
        **rendering,
    }
