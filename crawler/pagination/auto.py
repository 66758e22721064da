"""`auto` (the default): the first list page decides between Hanweb, TRS and a 下一页 link."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import TYPE_CHECKING

from crawler.pagination.base import ListPage, Pagination, Walk

if TYPE_CHECKING:
    from scrapy import Request

    from crawler.registry import SourceConfig


class Auto(Pagination):
    name = "auto"

    def __init__(self, candidates: Sequence[Pagination]) -> None:
        self.candidates = tuple(candidates)

    def resolve(self, page: ListPage, source: SourceConfig) -> Pagination:
        """The first candidate that recognises the page (the last one is the fallback)."""
        return next((c for c in self.candidates if c.detect(page, source)), self.candidates[-1])

    def list_page(self, walk: Walk, page: ListPage) -> Iterator[Request]:
        yield from self.resolve(page, walk.source).list_page(walk, page)

    def next_requests(self, walk: Walk, page: ListPage) -> Iterable[Request]:
        return self.resolve(page, walk.source).next_requests(walk, page)

    def not_modified(self, walk: Walk, page: ListPage) -> Iterable[Request]:
        return [r for candidate in self.candidates for r in candidate.not_modified(walk, page)]
