"""SQLAlchemy 2 models: the tables of DESIGN.md ("Storage") plus the stored timeliness status.

The `documents` table is the outbox: a row with status `stored` is work for the ingest flow,
whether or not its event was ever delivered.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

DOCUMENT_STATUSES = ("stored", "parsed", "failed", "not_a_report", "blocked")
CRAWL_STATUSES = ("running", "ok", "empty", "blocked", "failed")
TIMELINESS_STATUSES = ("on_time", "late", "missing", "pending", "changed", "unchecked")
REVIEW_DECISIONS = ("confirmed", "dismissed")


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: DateTime(timezone=True),
        dict[str, Any]: JSON,
        list[Any]: JSON,
    }


class Source(Base):
    """A crawled site (one entry of crawler/sources/*.yaml)."""

    __tablename__ = "sources"

    id: Mapped[str] = mapped_column(String(100), primary_key=True)
    name: Mapped[str] = mapped_column(String(300))
    region_code: Mapped[str] = mapped_column(String(12), default="")
    start_urls: Mapped[list[Any]] = mapped_column(default=list)
    config: Mapped[dict[str, Any]] = mapped_column(default=dict)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Agency(Base):
    """An agency expected to publish a report every year."""

    __tablename__ = "agencies"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(300), unique=True)
    aliases: Mapped[list[Any]] = mapped_column(default=list)
    kind: Mapped[str] = mapped_column(String(20))  # government | department
    region_code: Mapped[str] = mapped_column(String(12), default="", index=True)
    deadline_override: Mapped[str | None] = mapped_column(String(5), default=None)  # "MM-DD"
    source_id: Mapped[str | None] = mapped_column(ForeignKey("sources.id"), default=None)


class CrawlRun(Base):
    __tablename__ = "crawl_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source_id: Mapped[str] = mapped_column(ForeignKey("sources.id"), index=True)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(default=None)
    status: Mapped[str] = mapped_column(String(20), default="running")
    reason: Mapped[str] = mapped_column(Text, default="")
    pages: Mapped[int] = mapped_column(default=0)
    links_found: Mapped[int] = mapped_column(default=0)
    documents_new: Mapped[int] = mapped_column(default=0)
    documents_unchanged: Mapped[int] = mapped_column(default=0)
    errors: Mapped[int] = mapped_column(default=0)
    stats: Mapped[dict[str, Any]] = mapped_column(default=dict)


class Document(Base):
    """One fetched original (a detail page or an attachment), content-addressed in the object store."""

    __tablename__ = "documents"
    __table_args__ = (
        UniqueConstraint("url", "sha256", name="uq_documents_url_sha256"),
        Index("ix_documents_status_id", "status", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    url: Mapped[str] = mapped_column(String(2000), index=True)
    source_id: Mapped[str | None] = mapped_column(ForeignKey("sources.id"), default=None, index=True)
    crawl_run_id: Mapped[int | None] = mapped_column(ForeignKey("crawl_runs.id"), default=None)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id"), default=None, index=True)
    previous_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("documents.id"), default=None, index=True
    )
    title: Mapped[str] = mapped_column(Text, default="")
    list_date: Mapped[date | None] = mapped_column(Date, default=None)
    page_pub_date: Mapped[datetime | None] = mapped_column(default=None)
    meta: Mapped[dict[str, Any]] = mapped_column(default=dict)
    first_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    fetched_at: Mapped[datetime] = mapped_column(default=utcnow)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    object_key: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(200), default="")
    size: Mapped[int] = mapped_column(default=0)
    etag: Mapped[str] = mapped_column(String(200), default="")
    last_modified: Mapped[str] = mapped_column(String(100), default="")
    status: Mapped[str] = mapped_column(String(20), default="stored")
    attempts: Mapped[int] = mapped_column(default=0)
    retryable: Mapped[bool] = mapped_column(default=False)
    last_error: Mapped[str] = mapped_column(Text, default="")
    claimed_by: Mapped[str] = mapped_column(String(200), default="", server_default=text("''"))
    """The run ingesting the document now (storage/claims.py), "" when none."""
    claimed_at: Mapped[datetime | None] = mapped_column(default=None)


class Report(Base):
    """The parsed report of one document; re-ingesting the document replaces it."""

    __tablename__ = "reports"
    __table_args__ = (
        UniqueConstraint("document_id", name="uq_reports_document_id"),
        Index("ix_reports_agency_year", "agency_id", "year"),
        Index("ix_reports_agency_name_year", "agency_name", "year"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"))
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"), default=None)
    agency_name: Mapped[str | None] = mapped_column(String(300), default=None)
    year: Mapped[int | None] = mapped_column(default=None)
    format: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20), default="parsed")
    title: Mapped[str] = mapped_column(Text, default="")
    published_at: Mapped[datetime | None] = mapped_column(default=None)
    published_at_source: Mapped[str] = mapped_column(String(20), default="")  # pubdate|list|first_seen
    parser_version: Mapped[str] = mapped_column(String(40), default="")
    source_kind: Mapped[str] = mapped_column(String(10), default="")
    sections: Mapped[dict[str, Any]] = mapped_column(default=dict)
    statistics: Mapped[dict[str, Any]] = mapped_column(default=dict)
    loaded_at: Mapped[datetime] = mapped_column(default=utcnow)

    cells: Mapped[list[ReportCell]] = relationship(
        back_populates="report", cascade="all, delete-orphan", passive_deletes=True
    )
    findings: Mapped[list[Finding]] = relationship(
        back_populates="report", cascade="all, delete-orphan", passive_deletes=True
    )


class ReportCell(Base):
    __tablename__ = "report_cells"
    __table_args__ = (
        UniqueConstraint("report_id", "table_name", "row_key", "col_key", name="uq_report_cells_address"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"))
    table_name: Mapped[str] = mapped_column(String(40))
    row_key: Mapped[str] = mapped_column(String(60))
    col_key: Mapped[str] = mapped_column(String(60))
    value: Mapped[float | None] = mapped_column(Float, default=None)
    raw: Mapped[str] = mapped_column(Text, default="")
    page: Mapped[int | None] = mapped_column(default=None)

    report: Mapped[Report] = relationship(back_populates="cells")


class Finding(Base):
    __tablename__ = "findings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"), index=True)
    rule: Mapped[str] = mapped_column(String(60), index=True)
    severity: Mapped[str] = mapped_column(String(10))
    location: Mapped[str] = mapped_column(String(200), default="")
    message: Mapped[str] = mapped_column(Text, default="")
    expected: Mapped[float | None] = mapped_column(Float, default=None)
    actual: Mapped[float | None] = mapped_column(Float, default=None)
    # The evidence: [{"table", "row", "col", "raw", "page", "year"}, …] (parsers.model.CellRef).
    cells: Mapped[list[Any]] = mapped_column(default=list, server_default=text("'[]'"))

    report: Mapped[Report] = relationship(back_populates="findings")


class FindingReview(Base):
    """A reviewer's decision on a finding, kept by the finding's fingerprint (agency, year, rule, cells),
    not by `findings.id`: re-ingest and re-parse replace finding rows, the decision stays."""

    __tablename__ = "finding_reviews"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(64), unique=True)
    decision: Mapped[str] = mapped_column(String(10))  # confirmed | dismissed
    note: Mapped[str] = mapped_column(Text, default="")
    reviewer: Mapped[str] = mapped_column(String(200))
    reviewed_at: Mapped[datetime] = mapped_column(default=utcnow)
    # What the fingerprint stands for, readable without the findings it was computed from.
    agency: Mapped[str] = mapped_column(String(300), default="")
    year: Mapped[int | None] = mapped_column(default=None)
    rule: Mapped[str] = mapped_column(String(60), default="")
    location: Mapped[str] = mapped_column(String(200), default="")


class Alert(Base):
    """An alert for one condition (`key` de-duplicates), an outbox row: written `pending` in the
    transaction of the change that causes it, `sent` once delivered; a failed delivery counts an
    attempt and is retried from `next_attempt_at`."""

    __tablename__ = "alerts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(300), unique=True)
    kind: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(default=None)
    error: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(
        String(10), default="pending", server_default=text("'pending'"), index=True
    )
    attempts: Mapped[int] = mapped_column(default=0, server_default=text("0"))
    next_attempt_at: Mapped[datetime | None] = mapped_column(default=None)


class Timeliness(Base):
    """The last computed status of one agency-year, kept so a change of status is detectable."""

    __tablename__ = "timeliness"
    __table_args__ = (UniqueConstraint("agency_id", "year", name="uq_timeliness_agency_year"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))
    year: Mapped[int] = mapped_column()
    status: Mapped[str] = mapped_column(String(20))
    deadline: Mapped[date] = mapped_column(Date)
    published_at: Mapped[datetime | None] = mapped_column(default=None)
    published_at_source: Mapped[str] = mapped_column(String(20), default="")
    days_late: Mapped[int | None] = mapped_column(default=None)
    report_id: Mapped[int | None] = mapped_column(
        ForeignKey("reports.id", ondelete="SET NULL"), default=None, index=True
    )
    checked_at: Mapped[datetime] = mapped_column(default=utcnow)
