"""`nianbao sources discover`: from a site's home page to its 年报 column and a ready-to-paste source entry.

The same rules as the spider's column walk (crawler/navigation.py), run without Scrapy and without
storing anything: plain GETs on the start URL's host only, robots.txt obeyed, at most `hops`
navigation links. The column's list (its frame, its year folders) is read to detect the pagination
style and the agencies named in report titles (`parsers.metadata.named_agency`, kind guessed by
`storage.domain.guess_agency_kind`).
"""

from __future__ import annotations

import re
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit
from urllib.robotparser import RobotFileParser

from crawler.discovery import (
    decode_html,
    extract_list_links,
    hanweb_dataproxy_url,
    is_report_title,
    looks_like_hanweb,
    page_title,
    parse_dataproxy,
    parse_hanweb_params,
)
from crawler.middlewares import allowed_host
from crawler.navigation import frame_sources, is_navigation_text, navigation_links, year_folders
from crawler.pagination import ListPage, pagination_style
from crawler.pagination.auto import Auto
from crawler.registry import DEFAULT_DISCOVER_HOPS, SourceConfig
from crawler.scripts import challenge_reason
from parsers.metadata import named_agency
from storage.domain import guess_agency_kind

MAX_PAGES = 40


class DiscoveryError(Exception):
    """The column could not be found; the message says why (one line)."""


@dataclass
class ColumnFound:
    """What discovery found: the column, the way there, its pagination and the agencies it lists."""

    start_url: str
    column_url: str
    path: list[str]
    pagination: str
    site_name: str
    reports: list[str] = field(default_factory=list)
    agencies: list[tuple[str, str]] = field(default_factory=list)

    def source_entry(self, source_id: str | None = None) -> dict[str, Any]:
        """The registry entry (crawler/sources/*.yaml `sources:` item) for this column."""
        host = urlsplit(self.column_url).hostname or "site"
        return {
            "id": source_id or re.sub(r"[^a-z0-9]+", "-", host.lower()).strip("-"),
            "name": self.site_name or host,
            "start_urls": [self.column_url],
            "pagination": self.pagination,
            "verified": False,
        }

    def as_dict(self, source_id: str | None = None) -> dict[str, Any]:
        return {
            "start_url": self.start_url,
            "column_url": self.column_url,
            "path": self.path,
            "pagination": self.pagination,
            "reports_seen": len(self.reports),
            "agencies": [{"name": name, "kind": kind} for name, kind in self.agencies],
            "source": self.source_entry(source_id),
        }


class _SameHostRedirects(urllib.request.HTTPRedirectHandler):
    """Follows a redirect on the same host only; another host (or another name for it) is an error."""

    def __init__(self, host: str) -> None:
        self.host = host

    def redirect_request(
        self, req: urllib.request.Request, fp: Any, code: int, msg: str, headers: Any, newurl: str
    ) -> urllib.request.Request | None:
        if not allowed_host(newurl, (self.host,)):
            raise urllib.error.HTTPError(newurl, code, f"off-host redirect to {newurl}", headers, fp)
        return super().redirect_request(req, fp, code, msg, headers, newurl)


class _Fetcher:
    """Plain GETs on one host, robots.txt obeyed, every URL at most once."""

    def __init__(self, start_url: str, user_agent: str, timeout: float) -> None:
        self.host = (urlsplit(start_url).hostname or "").lower()
        self.user_agent = user_agent
        self.timeout = timeout
        parts = urlsplit(start_url)
        robots_url = f"{parts.scheme}://{parts.netloc}/robots.txt"
        self.robots = RobotFileParser(robots_url)
        self.opener = urllib.request.build_opener(_SameHostRedirects(self.host))
        try:
            with self._open(robots_url) as answer:
                self.robots.parse(answer.read().decode("utf-8", "replace").splitlines())
        except (urllib.error.URLError, OSError):
            self.robots.parse([])
        self.fetched: list[str] = []

    def _open(self, url: str, form: bytes | None = None) -> Any:
        request = urllib.request.Request(url, data=form, headers={"User-Agent": self.user_agent})
        return self.opener.open(request, timeout=self.timeout)

    def records(self, column_url: str, html: str) -> list[str]:
        """Report titles of a Hanweb column's first dataproxy range (GET, else POST after a 405)."""
        params = parse_hanweb_params(html, column_url)
        if not params.get("columnid"):
            return []
        url = hanweb_dataproxy_url(column_url, params, 1, int(params.get("perpage") or 15))
        if not self.robots.can_fetch(self.user_agent, url) or not allowed_host(url, (self.host,)):
            return []
        form = urllib.parse.urlencode(
            {k: v for k, v in params.items() if k in ("columnid", "unitid", "webid")}
        )
        for body in (None, form.encode()):
            try:
                with self._open(url, body) as answer:
                    text, _ = decode_html(answer.read(), answer.headers.get("Content-Type"))
            except urllib.error.HTTPError as exc:
                if exc.code == 405 and body is None:
                    continue
                return []
            except (urllib.error.URLError, OSError, ValueError):
                return []
            links, _ = parse_dataproxy(text, column_url)
            return [k.title for k in links if is_report_title(k.title)]
        return []

    def get(self, url: str) -> tuple[str, str] | None:
        """(final URL, decoded HTML), or None when off-host, disallowed, already fetched or failing."""
        if url in self.fetched or len(self.fetched) >= MAX_PAGES or not allowed_host(url, (self.host,)):
            return None
        if not self.robots.can_fetch(self.user_agent, url):
            return None
        self.fetched.append(url)
        try:
            with self._open(url) as answer:
                final = answer.geturl()
                if not allowed_host(final, (self.host,)):
                    return None
                cookies = tuple(answer.headers.get_all("Set-Cookie") or ())
                html, _ = decode_html(answer.read(), answer.headers.get("Content-Type"))
        except (urllib.error.URLError, OSError, ValueError):
            return None
        reason = challenge_reason(html, cookies)
        if reason:
            raise DiscoveryError(f"{reason} at {url}: the site blocks crawlers")
        return final, html


def _report_titles(html: str, url: str) -> list[str]:
    return [
        k.title
        for k in extract_list_links(html, url)
        if is_report_title(k.title) and not is_navigation_text(k.title)
    ]


def discover_column(
    start_url: str, *, hops: int = DEFAULT_DISCOVER_HOPS, user_agent: str = "nianbao", timeout: float = 20.0
) -> ColumnFound:
    """Walk from `start_url` to the first page that lists reports (or year folders, a list frame, a
    Hanweb list) within `hops` navigation links, breadth first; raises DiscoveryError when none does."""
    fetcher = _Fetcher(start_url, user_agent, timeout)
    queue: list[tuple[str, list[str]]] = [(start_url, [])]
    site_name = ""
    while queue:
        url, path = queue.pop(0)
        got = fetcher.get(url)
        if got is None:
            continue
        url, html = got
        site_name = site_name or page_title(html)
        lists = _column_lists(fetcher, url, html)
        if lists is not None:
            records = fetcher.records(url, html) if looks_like_hanweb(html) else []
            return _found(start_url, url, [*path, url], site_name, lists, records)
        if len(path) < hops:
            candidates = navigation_links(html, url)
            chosen = [k.url for k in candidates if k.strong] or [k.url for k in candidates]
            queue.extend((target, [*path, url]) for target in chosen)
    raise DiscoveryError(f"no 年报 column within {hops} navigation links of {start_url}")


def _column_lists(fetcher: _Fetcher, url: str, html: str) -> list[tuple[str, str]] | None:
    """The list pages (URL, HTML) a column page stands for, or None when it is no column."""
    if looks_like_hanweb(html) or _report_titles(html, url):
        return [(url, html)]
    children = [y.url for y in year_folders(html, url)] + frame_sources(html, url)
    lists = [got for got in (fetcher.get(child) for child in children) if got is not None]
    return lists or None


def _found(
    start_url: str,
    column: str,
    path: list[str],
    site_name: str,
    lists: list[tuple[str, str]],
    records: list[str],
) -> ColumnFound:
    source = SourceConfig(
        id="discover", name="discover", region_code="000000", start_urls=(column,), allowed_domains=()
    )
    auto = pagination_style("auto")
    assert isinstance(auto, Auto)
    listed = next(((u, h) for u, h in lists if _report_titles(h, u) or looks_like_hanweb(h)), lists[0])
    style = auto.resolve(ListPage(listed[0], listed[1], listed[0], 1), source).name
    reports = [title for u, h in lists for title in _report_titles(h, u)] + records
    agencies: dict[str, str] = {}
    for title in reports:
        name = named_agency(title)
        if name:
            agencies.setdefault(name, guess_agency_kind(name))
    return ColumnFound(start_url, column, path, style, site_name, reports, sorted(agencies.items()))
