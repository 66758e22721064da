"""下一页: follow the page's own "next page" link (the fallback when nothing else is detected)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from crawler.discovery import find_next_link
from crawler.pagination.base import ListPage, Pagination, Walk

if TYPE_CHECKING:
    from scrapy import Request

    from crawler.registry import SourceConfig


def next_link_requests(walk: Walk, page: ListPage, style: str) -> list[Request]:
    """The list page a 下一页 link points at, parsed as `style`."""
    url = find_next_link(page.text, page.url)
    return [walk.list_request(url, entry=page.entry, page_no=page.page_no + 1, style=style)] if url else []


class NextLink(Pagination):
    name = "next_link"

    def detect(self, page: ListPage, source: SourceConfig) -> bool:
        return True

    def next_requests(self, walk: Walk, page: ListPage) -> Iterable[Request]:
        return next_link_requests(walk, page, self.name)
