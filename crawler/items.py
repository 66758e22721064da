"""The item the spider hands to the pipeline: one fetched original and what the page said about it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any


@dataclass
class DocumentItem:
    """A detail page (`kind="page"`) or an attachment (`kind="attachment"`, linked by `parent_url`)."""

    kind: str
    url: str
    body: bytes
    content_type: str
    fetched_at: datetime
    title: str = ""
    list_date: date | None = None
    page_pub_date: datetime | None = None
    meta: dict[str, Any] = field(default_factory=dict)
    etag: str = ""
    last_modified: str = ""
    parent_url: str | None = None
