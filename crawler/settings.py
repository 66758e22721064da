"""Scrapy settings of a nianbao crawl, derived from `storage.settings.Settings` and the source.

Politeness is not optional: robots.txt is obeyed, AutoThrottle is on, at most
`crawl_concurrency_per_domain` (default 2) requests run per domain, and retries back off.
"""

from __future__ import annotations

from typing import Any

from crawler.registry import SourceConfig
from storage.settings import Settings

RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408, 429]
RETRY_TIMES = 3
RETRY_BACKOFF_MIN = 0.25
RETRY_BACKOFF_MAX = 60.0


def download_delay(settings: Settings, source: SourceConfig) -> float:
    """The source's own delay, else the global one."""
    delay = source.politeness.download_delay
    return settings.crawl_download_delay if delay is None else delay


def concurrency_per_domain(settings: Settings, source: SourceConfig) -> int:
    """The source's own limit, never above the global one."""
    own = source.politeness.concurrency_per_domain
    return (
        settings.crawl_concurrency_per_domain
        if own is None
        else min(own, settings.crawl_concurrency_per_domain)
    )


def scrapy_settings(settings: Settings, source: SourceConfig, *, log_level: str = "INFO") -> dict[str, Any]:
    """The Scrapy settings dict for crawling `source`."""
    delay = download_delay(settings, source)
    return {
        "BOT_NAME": "nianbao",
        "SPIDER_MODULES": ["crawler.spiders"],
        "USER_AGENT": settings.user_agent,
        "ROBOTSTXT_OBEY": settings.crawl_obey_robots,
        "ROBOTSTXT_USER_AGENT": settings.user_agent,
        "AUTOTHROTTLE_ENABLED": True,
        "AUTOTHROTTLE_START_DELAY": delay,
        "AUTOTHROTTLE_MAX_DELAY": max(60.0, delay),
        "AUTOTHROTTLE_TARGET_CONCURRENCY": 1.0,
        "DOWNLOAD_DELAY": delay,
        "RANDOMIZE_DOWNLOAD_DELAY": delay > 0,
        "CONCURRENT_REQUESTS": 8,
        "CONCURRENT_REQUESTS_PER_DOMAIN": concurrency_per_domain(settings, source),
        "DOWNLOAD_TIMEOUT": settings.crawl_timeout,
        "DOWNLOAD_MAXSIZE": 512 * 1024 * 1024,
        "DOWNLOAD_WARNSIZE": 64 * 1024 * 1024,
        "RETRY_ENABLED": True,
        "RETRY_TIMES": RETRY_TIMES,
        "RETRY_HTTP_CODES": RETRY_HTTP_CODES,
        "NIANBAO_RETRY_BACKOFF_BASE": max(delay, RETRY_BACKOFF_MIN),
        "NIANBAO_RETRY_BACKOFF_MAX": RETRY_BACKOFF_MAX,
        "DOWNLOADER_MIDDLEWARES": {"crawler.middlewares.RetryBackoffMiddleware": 560},
        "ITEM_PIPELINES": {"crawler.pipelines.ArchivePipeline": 300},
        "COOKIES_ENABLED": False,
        "TELNETCONSOLE_ENABLED": False,
        "HTTPCACHE_ENABLED": False,
        "LOG_LEVEL": log_level,
        "LOG_FORMAT": "%(asctime)s [%(name)s] %(levelname)s: %(message)s",
        "REQUEST_FINGERPRINTER_IMPLEMENTATION": "2.7",
    }
