"""JSON list APIs: `json_api.url_template` with {page}, the records at the dotted path `items`."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING

from crawler.discovery import json_get, json_list_links
from crawler.pagination.base import ListPage, Pagination, Walk

if TYPE_CHECKING:
    from scrapy import Request


class JsonApi(Pagination):
    name = "json_api"
    needs = "json_api"
    needs_hint = "{url_template, items}"

    def start_requests(self, walk: Walk, entry: str) -> Iterable[Request]:
        """The API's first page instead of the start URL's HTML."""
        assert walk.source.json_api is not None
        return [self._request(walk, entry, walk.source.json_api.first_page, 1)]

    def next_requests(self, walk: Walk, page: ListPage) -> Iterable[Request]:
        return []

    def api_page(self, walk: Walk, page: ListPage) -> Iterator[Request]:
        """One API page: its records, then the next page until an empty one or `total_pages`."""
        api = walk.source.json_api
        assert api is not None
        try:
            data = json.loads(page.text)
        except ValueError as exc:
            walk.ctx.fail(page.url, f"list API answered invalid JSON: {exc}", page.status)
            return
        links = json_list_links(data, page.url, api.items, api.title, api.url, api.date)
        all_known, reports, requests = walk.follow(links)
        yield from requests
        total = json_get(data, api.total_pages) if api.total_pages else None
        last = int(total) if isinstance(total, int | str) and str(total).isdigit() else None
        number = int(page.meta["page"])
        more = bool(links) and (last is None or number < last)
        if more and not walk.may_stop(all_known, reports, page.url) and page.page_no < walk.source.max_pages:
            yield self._request(walk, page.entry, number + 1, page.page_no + 1)

    def _request(self, walk: Walk, entry: str, number: int, page_no: int) -> Request:
        assert walk.source.json_api is not None
        url = walk.source.json_api.url_template.replace("{page}", str(number))
        meta = {"role": "list", "style": self.name, "entry": entry, "page": number, "page_no": page_no}
        return walk.api_request(url, meta=meta, priority=10 - page_no)
