"""Item pipeline: original bytes → object store → documents row (status `stored`) → event.

Order matters for crash safety: the object is written first (content-addressed, so writing it
again is a no-op), then the row is committed (same URL and bytes → the existing row, so a re-run
duplicates nothing), and only then is the event emitted. A crash before the commit leaves at most
an unreferenced object; the next run stores the row. The row is the outbox for ingest.
"""

from __future__ import annotations

import logging
from typing import Any

from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem
from sqlalchemy import Engine

from crawler.discovery import ascii_url
from crawler.events import emit_document_stored
from crawler.items import DocumentItem
from crawler.state import RunContext
from storage.db import session_scope
from storage.errors import StorageError
from storage.objectstore import ObjectStore
from storage.repository import latest_document, record_document

logger = logging.getLogger(__name__)
STORING_FAILED = "storing failed"


def object_metadata(item: DocumentItem, source_id: str) -> dict[str, str]:
    """The object metadata of DESIGN.md: source URL (ASCII), fetch time, source id.

    The content type is the object's own Content-Type (a `content-type` metadata key would clash
    with that header on S3).
    """
    return {
        "source-url": ascii_url(item.url),
        "fetched-at": item.fetched_at.isoformat(),
        "source-id": source_id,
    }


class ArchivePipeline:
    """Archives each `DocumentItem` and records it; counts new and unchanged documents."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ArchivePipeline:
        return cls(crawler)

    def open_spider(self) -> None:
        spider: Any = self.crawler.spider
        self.ctx: RunContext = spider.ctx
        self.store: ObjectStore = spider.store
        self.engine: Engine = spider.engine

    def process_item(self, item: Any) -> Any:
        if not isinstance(item, DocumentItem):
            return item
        source_id = self.ctx.source.id
        try:
            info = self.store.put(
                item.body, metadata=object_metadata(item, source_id), content_type=item.content_type
            )
            with session_scope(self.engine) as session:
                parent = latest_document(session, item.parent_url) if item.parent_url else None
                document, created = record_document(
                    session,
                    url=item.url,
                    sha256=info.sha256,
                    object_key=info.key,
                    content_type=item.content_type,
                    size=info.size,
                    source_id=source_id,
                    crawl_run_id=self.ctx.run_id,
                    parent_id=parent.id if parent is not None else None,
                    title=item.title,
                    list_date=item.list_date,
                    page_pub_date=item.page_pub_date,
                    meta=item.meta,
                    etag=item.etag,
                    last_modified=item.last_modified,
                )
                document_id = document.id
        except StorageError as exc:
            self.ctx.fail(item.url, f"{STORING_FAILED}: {exc}")
            raise DropItem(f"storing {item.url} failed: {exc}") from None
        if created:
            self.ctx.documents_new += 1
            logger.info("stored %s %s (document %s)", item.kind, item.url, document_id)
            if emit_document_stored(document_id, source_id, item.url, info.sha256, item.content_type):
                self.ctx.events_emitted += 1
        else:
            self.ctx.documents_unchanged += 1
        return {"document_id": document_id, "url": item.url, "created": created}
