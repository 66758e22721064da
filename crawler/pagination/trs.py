"""TRS (拓尔思) columns: `createPageHTML(total, current, "index", "html")` and `index_N.html` pages."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from crawler.discovery import parse_create_page_html, trs_page_url
from crawler.pagination.base import ListPage, Pagination, Walk
from crawler.pagination.next_link import next_link_requests

if TYPE_CHECKING:
    from scrapy import Request

    from crawler.registry import SourceConfig


class Trs(Pagination):
    name = "trs"

    def detect(self, page: ListPage, source: SourceConfig) -> bool:
        return parse_create_page_html(page.text) is not None

    def next_requests(self, walk: Walk, page: ListPage) -> Iterable[Request]:
        """`index_N.html` up to the page count the script names; a 下一页 link where it names none."""
        paging = parse_create_page_html(page.text)
        if paging is None:
            return next_link_requests(walk, page, self.name)
        if page.page_no >= paging.total:
            return []
        url = trs_page_url(page.entry, page.page_no, paging.prefix, paging.ext)
        return [walk.list_request(url, entry=page.entry, page_no=page.page_no + 1, style=self.name)]
