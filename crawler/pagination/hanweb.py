"""Hanweb (大汉) columns: the column page names a `dataproxy.jsp` that serves the list in record ranges.

The column page's parameters (columnid, unitid, webid, perpage; the registry's `hanweb:` overrides
them) are kept in the crawl state, so an unchanged column page (304) still resumes the dataproxy walk.
A dataproxy that answers 405 to GET is asked once more by POST, and the crawl state remembers that it
takes POST (as `hanweb: {method: POST}` in the registry says from the start).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

from crawler.discovery import hanweb_dataproxy_url, looks_like_hanweb, parse_dataproxy, parse_hanweb_params
from crawler.pagination.base import ListPage, Pagination, Walk
from crawler.pagination.next_link import NextLink, next_link_requests

if TYPE_CHECKING:
    from scrapy import Request

    from crawler.registry import SourceConfig

DEFAULT_HANWEB_PERPAGE = 15


class Hanweb(Pagination):
    name = "hanweb"

    def detect(self, page: ListPage, source: SourceConfig) -> bool:
        return source.hanweb is not None or looks_like_hanweb(page.text)

    def list_page(self, walk: Walk, page: ListPage) -> Iterator[Request]:
        """The column page: its inline records, then the dataproxy walk (a 下一页 walk without a column id)."""
        if page.page_no != 1:
            yield from super().list_page(walk, page)
            return
        params = self._params(walk.source, page)
        if not params.get("columnid"):
            yield from NextLink().list_page(walk, page)
            return
        walk.ctx.hanweb[page.url] = params
        inline, _ = parse_dataproxy(page.text, page.url)
        _, _, requests = walk.follow(inline)
        yield from requests
        yield self._dataproxy_request(walk, page.entry, params, 1, 1)

    def next_requests(self, walk: Walk, page: ListPage) -> Iterable[Request]:
        return next_link_requests(walk, page, self.name)

    def not_modified(self, walk: Walk, page: ListPage) -> Iterable[Request]:
        """An unchanged column page: walk the dataproxy again with the parameters kept last time."""
        params = walk.ctx.previous.hanweb.get(page.url)
        if not params:
            return []
        walk.ctx.hanweb[page.url] = params
        return [self._dataproxy_request(walk, page.entry, params, 1, 1)]

    def api_page(self, walk: Walk, page: ListPage) -> Iterator[Request]:
        """One dataproxy range: its records, then the next range while the total says there is one."""
        links, total = parse_dataproxy(page.text, page.url)
        all_known, reports, requests = walk.follow(links)
        yield from requests
        params: dict[str, str] = dict(page.meta["params"])
        perpage = int(params.get("perpage") or DEFAULT_HANWEB_PERPAGE)
        start = int(page.meta["start"]) + perpage
        more = start <= total if total is not None else len(links) >= perpage
        if not more or walk.may_stop(all_known, reports, page.url) or page.page_no >= walk.source.max_pages:
            return
        yield self._dataproxy_request(walk, page.entry, params, start, page.page_no + 1)

    def _params(self, source: SourceConfig, page: ListPage) -> dict[str, str]:
        params = parse_hanweb_params(page.text, page.url)
        config = source.hanweb
        if config is not None:
            for key in ("columnid", "unitid", "webid"):
                if getattr(config, key):
                    params[key] = getattr(config, key)
            if config.perpage:
                params["perpage"] = str(config.perpage)
        params.setdefault("perpage", str(DEFAULT_HANWEB_PERPAGE))
        return params

    def retry_as_post(self, walk: Walk, meta: Mapping[str, Any]) -> Request:
        params = dict(meta["params"])
        return self._dataproxy_request(
            walk, str(meta["entry"]), params, int(meta["start"]), int(meta["page_no"]), post=True
        )

    def _dataproxy_request(
        self, walk: Walk, entry: str, params: dict[str, str], start: int, page_no: int, *, post: bool = False
    ) -> Request:
        perpage = int(params.get("perpage") or DEFAULT_HANWEB_PERPAGE)
        end = start + perpage - 1
        url = hanweb_dataproxy_url(entry, params, start, end)
        meta = {"role": "list", "style": self.name, "entry": entry, "page_no": page_no}
        meta.update(params=params, start=start, handle_httpstatus_list=[304])
        config = walk.source.hanweb
        base = url.partition("?")[0]
        remembered = walk.ctx.methods.get(base) or walk.ctx.previous.methods.get(base)
        if post or remembered == "POST" or (config is not None and config.method == "POST"):
            base, _, _ = url.partition("?")
            query = f"startrecord={start}&endrecord={end}&perpage={perpage}"
            form = {k: v for k, v in params.items() if k in ("columnid", "unitid", "webid")}
            return walk.api_request(f"{base}?{query}", meta=meta, priority=0, formdata=form)
        return walk.api_request(url, meta=meta, priority=10 - page_no)
