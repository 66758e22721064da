"""`goPage(N)` columns: page N's URL from the page's own script or form, the count from 尾页/末页.

No JavaScript runs: `crawler.scripts.parse_go_page` reads the URL pattern (`location.href = "list.jsp?
page=" + n`, or a GET form with a page field) and the last page number; without a printed last page the
walk goes on while the page calls goPage(next).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from crawler.pagination.base import ListPage, Pagination, Walk
from crawler.scripts import parse_go_page

if TYPE_CHECKING:
    from scrapy import Request

    from crawler.registry import SourceConfig


class GoPage(Pagination):
    name = "go_page"

    def detect(self, page: ListPage, source: SourceConfig) -> bool:
        return parse_go_page(page.text, page.url) is not None

    def next_requests(self, walk: Walk, page: ListPage) -> Iterable[Request]:
        paging = parse_go_page(page.text, page.url)
        if paging is None:
            return []
        number = page.page_no + 1
        if paging.last is not None and number > paging.last:
            return []
        if paging.last is None and number not in paging.called:
            return []
        return [walk.list_request(paging.url(number), entry=page.entry, page_no=number, style=self.name)]
