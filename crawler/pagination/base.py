"""The one interface every pagination style implements, and what it may ask of the spider.

A style decides three things for a list column: the first request of each start URL, what a fetched
list page yields (its report links are followed by the spider, then the next page while the walk may
go on), and, for styles whose pages come from an API, what one API page yields. `detect` lets the
`auto` style pick a style from the first list page.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

from crawler.discovery import ListLink, extract_list_links

if TYPE_CHECKING:
    from scrapy import Request

    from crawler.registry import SourceConfig
    from crawler.state import RunContext


@dataclass(frozen=True)
class ListPage:
    """A fetched list (or list API) page: its decoded text and where it sits in the walk."""

    url: str
    text: str
    entry: str
    page_no: int
    status: int = 200
    meta: Mapping[str, Any] = field(default_factory=dict)


class Walk(Protocol):
    """What a pagination style may use of the spider walking a source."""

    source: SourceConfig
    ctx: RunContext

    def list_request(
        self,
        url: str,
        *,
        entry: str,
        page_no: int,
        style: str | None,
        extra: Mapping[str, Any] | None = None,
    ) -> Request:
        """A (conditional) request of an HTML list page, parsed by the style named in `style`."""
        ...

    def api_request(
        self, url: str, *, meta: dict[str, Any], priority: int, formdata: dict[str, str] | None = None
    ) -> Request:
        """A request of a list API page, handed to the style named in `meta["style"]`."""
        ...

    def follow(self, links: Iterable[ListLink]) -> tuple[bool, int, list[Request]]:
        """Requests for unknown report links: (all report links known?, report links, requests)."""
        ...

    def may_stop(self, all_known: bool, reports: int, url: str) -> bool:
        """Whether an incremental walk stops paginating after this page."""
        ...


class Pagination(ABC):
    """One way a CMS splits a column into pages, registered by `name` in `crawler.pagination.STYLES`."""

    name: ClassVar[str]
    needs: ClassVar[str] = ""
    """The source registry key this style cannot work without ("" when it needs none)."""
    needs_hint: ClassVar[str] = ""

    def detect(self, page: ListPage, source: SourceConfig) -> bool:
        """Whether a first list page looks paginated this way (for `auto`)."""
        return False

    def start_requests(self, walk: Walk, entry: str) -> Iterable[Request]:
        """The first request of one start URL: its list page, with the style decided when it arrives."""
        return [walk.list_request(entry, entry=entry, page_no=1, style=None)]

    def list_page(self, walk: Walk, page: ListPage) -> Iterator[Request]:
        """Follow the page's report links, then the next page unless the walk stops here."""
        links = extract_list_links(page.text, page.url, walk.source.list_item_selector)
        all_known, reports, requests = walk.follow(links)
        yield from requests
        if walk.may_stop(all_known, reports, page.url) or page.page_no >= walk.source.max_pages:
            return
        yield from self.next_requests(walk, page)

    @abstractmethod
    def next_requests(self, walk: Walk, page: ListPage) -> Iterable[Request]:
        """The request of the list page after this one (none on the last page)."""

    def not_modified(self, walk: Walk, page: ListPage) -> Iterable[Request]:
        """What to fetch when a list page answered 304 Not Modified (`page.text` is empty)."""
        return []

    def api_page(self, walk: Walk, page: ListPage) -> Iterator[Request]:
        """What one list API page yields (only styles that send `api_request`s)."""
        raise NotImplementedError(f"pagination {self.name} has no list API pages")

    def retry_as_post(self, walk: Walk, meta: Mapping[str, Any]) -> Request:
        """The list API request of `meta` sent again by POST (after a 405 to GET)."""
        raise NotImplementedError(f"pagination {self.name} has no POST form of its requests")
