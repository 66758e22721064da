"""What a crawl knows before it starts and what it counts while it runs.

Incremental crawling rests on three facts kept in the database:

- `documents`: a URL with a stored row is never downloaded again by the list walk (`KnownDocuments`);
  a page row's `meta["attachments"]` lists its attachment URLs, so an attachment missing after a
  crash is fetched on the next run without fetching its page again.
- the `state` entry of the last `ok` crawl run's stats: list-page validators (ETag/Last-Modified) for
  conditional requests, the Hanweb parameters of each column page, and when known documents were
  last re-checked (`rechecked_at`); the 年报 column found from each start URL (`columns`, so the next
  crawl starts there), the year folders and frames each column page led to (`followed`, replayed when
  the column page answers 304) and the dataproxy URLs that answer POST only (`methods`).
- whether the last finished run was `ok`: only then may the walk send conditional requests and stop
  paginating at a list page whose report links are all known. After a failed/killed run the next one
  walks every list page again (still downloading nothing already stored).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine

from crawler.registry import SourceConfig
from storage import repository
from storage.db import session_scope
from storage.models import Document

MAX_RECORDED_FAILURES = 200


@dataclass(frozen=True)
class KnownDocument:
    """The latest stored version of a URL."""

    id: int
    url: str
    sha256: str
    etag: str
    last_modified: str
    is_attachment: bool
    attachments: tuple[str, ...] = ()
    probes: tuple[str, ...] = ()


def _known(document: Document) -> KnownDocument:
    meta = document.meta or {}
    settled = {
        str(u) for u in [*(meta.get("not_attachments") or []), *(meta.get("missing_attachments") or [])]
    }
    return KnownDocument(
        id=document.id,
        url=document.url,
        sha256=document.sha256,
        etag=document.etag or "",
        last_modified=document.last_modified or "",
        is_attachment=document.parent_id is not None or meta.get("kind") == "attachment",
        attachments=tuple(str(u) for u in meta.get("attachments") or [] if str(u) not in settled),
        probes=tuple(str(u) for u in meta.get("attachment_probes") or [] if str(u) not in settled),
    )


class KnownDocuments:
    """Look-ups of stored documents (one short session each, so the pipeline's writes are seen)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def get(self, url: str) -> KnownDocument | None:
        with session_scope(self.engine) as session:
            document = repository.latest_document(session, url)
            return None if document is None else _known(document)

    def parent_url_of(self, url: str) -> str | None:
        """The URL of the page the latest version of `url` was attached to."""
        with session_scope(self.engine) as session:
            document = repository.latest_document(session, url)
            if document is None or document.parent_id is None:
                return None
            parent = repository.find_document(session, document.parent_id)
            return None if parent is None else parent.url

    def note_attachment(self, parent_url: str, url: str, key: str) -> None:
        """Remember on the page row that a linked URL is settled (`not_attachments`, `missing_attachments`)."""
        with session_scope(self.engine) as session:
            repository.note_on_latest_document(session, parent_url, key, url)

    def latest_of_source(self, source_id: str) -> list[KnownDocument]:
        """The newest version of every URL stored for this source, pages before attachments."""
        with session_scope(self.engine) as session:
            documents = [_known(d) for d in repository.latest_versions_of_source(session, source_id)]
        return sorted(documents, key=lambda d: d.is_attachment)


@dataclass
class CrawlState:
    """Persisted between runs in `crawl_runs.stats["state"]`."""

    list_validators: dict[str, dict[str, str]] = field(default_factory=dict)
    hanweb: dict[str, dict[str, str]] = field(default_factory=dict)
    rechecked_at: str | None = None
    columns: dict[str, str] = field(default_factory=dict)
    followed: dict[str, list[str]] = field(default_factory=dict)
    methods: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_stats(cls, stats: dict[str, Any] | None) -> CrawlState:
        state = (stats or {}).get("state") or {}
        return cls(
            list_validators=dict(state.get("list_validators") or {}),
            hanweb=dict(state.get("hanweb") or {}),
            rechecked_at=state.get("rechecked_at"),
            columns=dict(state.get("columns") or {}),
            followed={str(k): [str(u) for u in v] for k, v in (state.get("followed") or {}).items()},
            methods=dict(state.get("methods") or {}),
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "list_validators": self.list_validators,
            "hanweb": self.hanweb,
            "rechecked_at": self.rechecked_at,
            "columns": self.columns,
            "followed": self.followed,
            "methods": self.methods,
        }


@dataclass
class RunContext:
    """One crawl of one source: its inputs and the counters the spider and pipeline update."""

    source: SourceConfig
    run_id: int | None
    previous: CrawlState
    incremental: bool
    previous_links_found: int | None
    recheck_due: bool
    started_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    pages: int = 0
    not_modified: int = 0
    links_found: int = 0
    list_links: int = 0
    """Every link the list pages offered (report or not): links but no report link is a changed layout."""
    documents_new: int = 0
    documents_unchanged: int = 0
    detail_downloads: int = 0
    attachment_downloads: int = 0
    errors: int = 0
    events_emitted: int = 0
    failures: list[dict[str, Any]] = field(default_factory=list)
    robots_disallowed: list[str] = field(default_factory=list)
    offsite: list[str] = field(default_factory=list)
    not_attachments: list[str] = field(default_factory=list)
    blocked: str | None = None
    fatal: str | None = None
    list_validators: dict[str, dict[str, str]] = field(default_factory=dict)
    hanweb: dict[str, dict[str, str]] = field(default_factory=dict)
    columns: dict[str, str] = field(default_factory=dict)
    followed: dict[str, list[str]] = field(default_factory=dict)
    methods: dict[str, str] = field(default_factory=dict)
    forgotten: set[str] = field(default_factory=set)
    """Start URLs whose remembered column stopped answering or listing reports (re-discovered)."""

    def fail(self, url: str, reason: str, status: int | None = None) -> None:
        """Count an error and remember the failing URL (bounded)."""
        self.errors += 1
        if len(self.failures) < MAX_RECORDED_FAILURES:
            self.failures.append({"url": url, "status": status, "reason": reason})

    def next_state(self) -> CrawlState:
        """The state the next run starts from: this run's validators over the previous ones."""
        validators = {**self.previous.list_validators, **self.list_validators}
        hanweb = {**self.previous.hanweb, **self.hanweb}
        rechecked = self.started_at.isoformat() if self.recheck_due else self.previous.rechecked_at
        columns = {k: v for k, v in self.previous.columns.items() if k not in self.forgotten}
        return CrawlState(
            list_validators=validators,
            hanweb=hanweb,
            rechecked_at=rechecked,
            columns={**columns, **self.columns},
            followed={**self.previous.followed, **self.followed},
            methods={**self.previous.methods, **self.methods},
        )

    def summary(self) -> dict[str, Any]:
        """Everything the parent process records in the crawl_runs row."""
        return {
            "source_id": self.source.id,
            "run_id": self.run_id,
            "pages": self.pages,
            "not_modified": self.not_modified,
            "links_found": self.links_found,
            "list_links": self.list_links,
            "documents_new": self.documents_new,
            "documents_unchanged": self.documents_unchanged,
            "detail_downloads": self.detail_downloads,
            "attachment_downloads": self.attachment_downloads,
            "errors": self.errors,
            "events_emitted": self.events_emitted,
            "failures": self.failures,
            "robots_disallowed": self.robots_disallowed,
            "offsite": self.offsite[:MAX_RECORDED_FAILURES],
            "not_attachments": self.not_attachments[:MAX_RECORDED_FAILURES],
            "blocked": self.blocked,
            "fatal": self.fatal,
            "incremental": self.incremental,
            "recheck_due": self.recheck_due,
            "previous_links_found": self.previous_links_found,
            "state": self.next_state().as_dict(),
        }


def load_run_context(
    engine: Engine, source: SourceConfig, run_id: int | None, now: datetime | None = None
) -> RunContext:
    """Read the previous runs of `source` (those before `run_id`) into a fresh context."""
    now = now or datetime.now(UTC)
    with session_scope(engine) as session:
        runs = repository.finished_crawl_runs(session, source.id, before=run_id)
        last = runs[0] if runs else None
        last_ok = next((r for r in runs if r.status == "ok"), None)
        previous = CrawlState.from_stats(last_ok.stats if last_ok else None)
        incremental = last is not None and last.status == "ok"
        with_links = next((r for r in runs if r.status in ("ok", "empty")), None)
        previous_links = with_links.links_found if with_links is not None else None
    if source.recheck_days == 0:
        recheck_due = last_ok is not None
    elif last_ok is None or previous.rechecked_at is None:
        recheck_due = False
    else:
        last_check = datetime.fromisoformat(previous.rechecked_at)
        if last_check.tzinfo is None:
            last_check = last_check.replace(tzinfo=UTC)
        recheck_due = now - last_check >= timedelta(days=source.recheck_days)
    if last_ok is not None and previous.rechecked_at is None:
        started = last_ok.started_at or now
        previous.rechecked_at = (started if started.tzinfo else started.replace(tzinfo=UTC)).isoformat()
    return RunContext(
        source=source,
        run_id=run_id,
        previous=previous,
        incremental=incremental,
        previous_links_found=previous_links,
        recheck_due=recheck_due,
        started_at=now,
    )
