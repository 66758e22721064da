"""When a report was published, and how we know: the page's PubDate, the list date, or first sight.

An attachment (a PDF under a detail page) takes its dates from its parent page; when no date is printed
anywhere the first time the crawler saw the document is an upper bound, and is flagged as one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal, Protocol, cast

from storage.domain import as_utc, start_of_day

PublicationSource = Literal["pubdate", "list", "first_seen"]
PUBLICATION_SOURCES: tuple[str, ...] = ("pubdate", "list", "first_seen")


class DocumentLike(Protocol):
    """The date-bearing columns of a `storage.models.Document`."""

    @property
    def page_pub_date(self) -> datetime | None: ...

    @property
    def list_date(self) -> date | None: ...

    @property
    def first_seen_at(self) -> datetime: ...


@dataclass(frozen=True)
class PublicationDate:
    """A publication moment (aware) with its source; `upper_bound` when it is only when we first saw it."""

    at: datetime
    source: PublicationSource
    upper_bound: bool = False


def publication_date(document: DocumentLike, parent: DocumentLike | None = None) -> PublicationDate:
    """The best publication date of a document: PubDate meta, else list date, else first seen.

    For an attachment pass its parent page: the page's printed dates are the attachment's. A list date
    is a calendar day in Asia/Shanghai and becomes midnight of that day.
    """
    pages = [d for d in (parent, document) if d is not None]
    for page in pages:
        if page.page_pub_date is not None:
            return PublicationDate(as_utc(page.page_pub_date), "pubdate")
    for page in pages:
        if page.list_date is not None:
            return PublicationDate(start_of_day(page.list_date), "list")
    return PublicationDate(as_utc(document.first_seen_at), "first_seen", upper_bound=True)


class ReportLike(Protocol):
    """The publication columns of a `storage.models.Report` (filled by ingest from `publication_date`)."""

    @property
    def published_at(self) -> datetime | None: ...

    @property
    def published_at_source(self) -> str | None: ...


def report_publication(
    report: ReportLike, document: DocumentLike, parent: DocumentLike | None = None
) -> PublicationDate:
    """The publication date stored with a loaded report, else the document's own (`publication_date`)."""
    if report.published_at is None:
        return publication_date(document, parent)
    source = report.published_at_source if report.published_at_source in PUBLICATION_SOURCES else "pubdate"
    kind = cast(PublicationSource, source)
    return PublicationDate(as_utc(report.published_at), kind, kind == "first_seen")
