"""The writes and reads the pipeline needs, each idempotent.

Every function takes a `Session` first and never commits: callers wrap a unit of work in
`storage.db.session_scope`. Inserts that can race with another process (documents, alerts) run
in a SAVEPOINT so a concurrent duplicate returns the existing row instead of a second one.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, NamedTuple, cast

from sqlalchemy import Result, Select, Table, and_, case, func, insert, or_, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased

from storage.claims import DEFAULT_LEASE_SECONDS, claim_is_live, claimant
from storage.domain import as_utc
from storage.errors import RecordNotFound, StorageError
from storage.models import (
    CRAWL_STATUSES,
    DOCUMENT_STATUSES,
    REVIEW_DECISIONS,
    Agency,
    Alert,
    CrawlRun,
    Document,
    Finding,
    FindingReview,
    ReportCell,
    Source,
    Timeliness,
    utcnow,
)
from storage.models import Report as ReportRow

if TYPE_CHECKING:
    from parsers.model import Finding as ParsedFinding
    from parsers.model import Report as ParsedReport

AGENCY_FIELDS = ("aliases", "kind", "region_code", "deadline_override", "source_id")


def _get(session: Session, model: type[Any], row_id: Any) -> Any:
    row = session.get(model, row_id)
    if row is None:
        raise RecordNotFound(f"no {model.__tablename__} row with id {row_id!r}")
    return row


# -- sources and agencies ---------------------------------------------------------------------


def upsert_source(
    session: Session, *, id: str, name: str, region_code: str, start_urls: list[str], config: dict[str, Any]
) -> Source:
    """Insert or update one crawled site (from crawler/sources/*.yaml)."""
    source = session.get(Source, id)
    if source is None:
        source = Source(id=id, name=name, region_code=region_code, start_urls=list(start_urls), config=config)
        session.add(source)
    else:
        source.name = name
        source.region_code = region_code
        source.start_urls = list(start_urls)
        source.config = dict(config)
    session.flush()
    return source


def sync_agencies(session: Session, agencies: Iterable[Mapping[str, Any]]) -> int:
    """Upsert agencies by name; returns how many were inserted or changed (0 when already in sync)."""
    written = 0
    for entry in agencies:
        name = str(entry.get("name") or "").strip()
        if not name:
            raise StorageError(f"agency without a name: {dict(entry)!r}")
        values: dict[str, Any] = {
            "aliases": list(entry.get("aliases") or []),
            "kind": str(entry.get("kind") or "department"),
            "region_code": str(entry.get("region_code") or ""),
            "deadline_override": entry.get("deadline_override") or None,
            "source_id": entry.get("source_id") or None,
        }
        agency = session.scalars(select(Agency).where(Agency.name == name)).one_or_none()
        if agency is None:
            session.add(Agency(name=name, **values))
            written += 1
        elif any(getattr(agency, key) != value for key, value in values.items()):
            for key, value in values.items():
                setattr(agency, key, value)
            written += 1
        session.flush()
    return written


def find_source(session: Session, source_id: str) -> Source | None:
    """The crawled site with this id, or None when the registry never named it."""
    source: Source | None = session.get(Source, source_id)
    return source


def source_regions(session: Session) -> dict[str, str]:
    """Every source's division code by source id (\"\" where it has none)."""
    return {s.id: s.region_code or "" for s in session.scalars(select(Source))}


def all_agencies(session: Session) -> list[Agency]:
    """Every agency of the registry, in no particular order (callers sort as they need)."""
    return list(session.scalars(select(Agency)))


def agency_by_name(session: Session, name: str) -> Agency | None:
    """The agency with this name, or one that lists it among its aliases."""
    agency = session.scalars(select(Agency).where(Agency.name == name)).one_or_none()
    if agency is not None:
        return agency
    for candidate in session.scalars(select(Agency).order_by(Agency.id)):
        if name in (candidate.aliases or []):
            return candidate
    return None


# -- crawl runs ---------------------------------------------------------------------------------


def start_crawl_run(session: Session, source_id: str, *, owner: dict[str, Any] | None = None) -> CrawlRun:
    """Record the start of a crawl of one source (status `running`); `owner` (host and pid of the
    crawling process) lets a later run tell a run whose process died from one still going."""
    run = CrawlRun(
        source_id=source_id, status="running", started_at=utcnow(), stats={"owner": owner} if owner else {}
    )
    session.add(run)
    session.flush()
    return run


def running_crawl_runs(session: Session, source_id: str) -> list[CrawlRun]:
    """A source's crawl runs still marked `running`, oldest first."""
    query = select(CrawlRun).where(CrawlRun.source_id == source_id, CrawlRun.status == "running")
    return list(session.scalars(query.order_by(CrawlRun.id)))


def finish_crawl_run(
    session: Session,
    run_id: int,
    *,
    status: str,
    reason: str = "",
    pages: int = 0,
    links_found: int = 0,
    documents_new: int = 0,
    documents_unchanged: int = 0,
    errors: int = 0,
    stats: dict[str, Any] | None = None,
) -> CrawlRun:
    """Record how a crawl ended (`ok`, `empty`, `blocked` or `failed`) with its counts."""
    if status not in CRAWL_STATUSES:
        raise StorageError(f"unknown crawl status {status!r}; expected one of {', '.join(CRAWL_STATUSES)}")
    run: CrawlRun = _get(session, CrawlRun, run_id)
    run.status = status
    run.reason = reason
    run.pages = pages
    run.links_found = links_found
    run.documents_new = documents_new
    run.documents_unchanged = documents_unchanged
    run.errors = errors
    run.stats = dict(stats or {})
    run.finished_at = utcnow()
    session.flush()
    return run


def last_crawl_run(session: Session, source_id: str, status: str | None = None) -> CrawlRun | None:
    """The newest crawl run of a source, optionally only one with this status."""
    query = select(CrawlRun).where(CrawlRun.source_id == source_id)
    if status is not None:
        query = query.where(CrawlRun.status == status)
    return session.scalars(query.order_by(CrawlRun.id.desc()).limit(1)).first()


def finished_crawl_runs(
    session: Session, source_id: str, *, before: int | None = None, limit: int = 50
) -> list[CrawlRun]:
    """A source's crawl runs that have ended (optionally only those before run `before`), newest first."""
    query = select(CrawlRun).where(CrawlRun.source_id == source_id, CrawlRun.status != "running")
    if before is not None:
        query = query.where(CrawlRun.id < before)
    return list(session.scalars(query.order_by(CrawlRun.id.desc()).limit(limit)))


def documents_of_crawl_run(session: Session, run_id: int) -> int:
    """How many documents a crawl run stored (counted when its child process left no summary)."""
    stored = session.scalar(select(func.count()).select_from(Document).where(Document.crawl_run_id == run_id))
    return int(stored or 0)


# -- documents ----------------------------------------------------------------------------------


def latest_document(session: Session, url: str) -> Document | None:
    """The newest version fetched from `url`."""
    query = select(Document).where(Document.url == url).order_by(Document.id.desc()).limit(1)
    return session.scalars(query).first()


def document_by_content(session: Session, url: str, sha256: str) -> Document | None:
    """The row of these exact bytes at this URL."""
    query = select(Document).where(Document.url == url, Document.sha256 == sha256)
    return session.scalars(query).one_or_none()


def find_document(session: Session, document_id: int) -> Document | None:
    """The document with this id, or None."""
    document: Document | None = session.get(Document, document_id)
    return document


def documents_by_id(session: Session, document_ids: Iterable[int]) -> dict[int, Document]:
    """The documents with these ids, by id (unknown ids are absent)."""
    wanted = set(document_ids)
    if not wanted:
        return {}
    return {d.id: d for d in session.scalars(select(Document).where(Document.id.in_(wanted)))}


def recent_documents(session: Session, *, status: str | None = None, limit: int = 50) -> list[Document]:
    """The newest stored documents first, optionally only those with this status."""
    query = select(Document).order_by(Document.id.desc()).limit(limit)
    if status:
        query = query.where(Document.status == status)
    return list(session.scalars(query))


def has_attachments(session: Session, document_id: int) -> bool:
    """Whether any stored document was attached to this one (its page)."""
    query = select(Document.id).where(Document.parent_id == document_id).limit(1)
    return session.scalar(query) is not None


def latest_versions_of_source(session: Session, source_id: str) -> list[Document]:
    """The newest version of every URL stored for a source (no newer version points at it), by id."""
    newer = aliased(Document)
    query = (
        select(Document)
        .where(Document.source_id == source_id)
        .where(~select(newer.id).where(newer.previous_version_id == Document.id).exists())
        .order_by(Document.id)
    )
    return list(session.scalars(query))


def note_on_latest_document(session: Session, url: str, key: str, value: str) -> None:
    """Append `value` to the list `meta[key]` of the newest version of `url` (once; nothing when unknown)."""
    document = latest_document(session, url)
    if document is None:
        return
    meta = dict(document.meta or {})
    noted = list(meta.get(key) or [])
    if value not in noted:
        meta[key] = [*noted, value]
        document.meta = meta
        session.flush()


def get_document(session: Session, document_id: int) -> Document:
    """The document with this id (raises `RecordNotFound`)."""
    document: Document = _get(session, Document, document_id)
    return document


def record_document(
    session: Session,
    *,
    url: str,
    sha256: str,
    object_key: str,
    content_type: str = "",
    size: int = 0,
    source_id: str | None = None,
    crawl_run_id: int | None = None,
    parent_id: int | None = None,
    title: str = "",
    list_date: date | None = None,
    page_pub_date: datetime | None = None,
    meta: dict[str, Any] | None = None,
    etag: str = "",
    last_modified: str = "",
) -> tuple[Document, bool]:
    """Record fetched bytes; returns (document, created).

    The same bytes at the same URL return the existing row (only `fetched_at` moves). New bytes at
    a known URL are a new version pointing at the previous one. A concurrent insert of the same
    (url, sha256) loses inside a SAVEPOINT and returns the winner's row.
    """
    existing = document_by_content(session, url, sha256)
    if existing is not None:
        existing.fetched_at = utcnow()
        session.flush()
        return existing, False
    previous = latest_document(session, url)
    now = utcnow()
    document = Document(
        url=url,
        sha256=sha256,
        object_key=object_key,
        content_type=content_type,
        size=size,
        source_id=source_id,
        crawl_run_id=crawl_run_id,
        parent_id=parent_id,
        previous_version_id=previous.id if previous is not None else None,
        title=title,
        list_date=list_date,
        page_pub_date=page_pub_date,
        meta=dict(meta or {}),
        etag=etag,
        last_modified=last_modified,
        first_seen_at=now,
        fetched_at=now,
        status="stored",
    )
    try:
        with session.begin_nested():
            session.add(document)
    except IntegrityError:
        winner = document_by_content(session, url, sha256)
        if winner is None:
            raise
        winner.fetched_at = utcnow()
        session.flush()
        return winner, False
    return document, True


PENDING_PAGE = 1000
"""Rows `pending_documents` reads at a time while it leaves out the documents other runs hold."""


def _pending(max_attempts: int) -> Any:
    """Newly stored, or failed retryably fewer than `max_attempts` times."""
    return or_(
        Document.status == "stored",
        and_(Document.status == "failed", Document.retryable.is_(True), Document.attempts < max_attempts),
    )


def pending_documents(
    session: Session,
    *,
    max_attempts: int = 3,
    limit: int | None = None,
    among: Sequence[int] | None = None,
    lease_seconds: float = DEFAULT_LEASE_SECONDS,
) -> list[Document]:
    """Documents to ingest: newly stored, or failed retryably fewer than `max_attempts` times, and not
    claimed by another live run (storage/claims.py); only those `among` these ids, when given."""
    query = select(Document).where(_pending(max_attempts)).order_by(Document.id)
    if among is not None:
        query = query.where(Document.id.in_(list(among)))
    pending: list[Document] = []
    after = 0
    while limit is None or len(pending) < limit:
        page = list(session.scalars(query.where(Document.id > after).limit(PENDING_PAGE)))
        pending.extend(d for d in page if not claim_is_live(d.claimed_by, d.claimed_at, lease_seconds))
        if len(page) < PENDING_PAGE:
            break
        after = page[-1].id
    return pending if limit is None else pending[:limit]


def newly_stored(session: Session, *, from_id: int, limit: int) -> list[tuple[int, str]]:
    """(id, sha256) of the documents never yet tried (status `stored`) from `from_id` up, lowest id
    first: what the event relay sweeps after a burst whose events the Prefect server may have dropped."""
    query = (
        select(Document.id, Document.sha256)
        .where(Document.status == "stored", Document.id >= from_id)
        .order_by(Document.id)
        .limit(limit)
    )
    return [(document_id, sha256) for document_id, sha256 in session.execute(query)]


def mark_document(
    session: Session,
    document_id: int,
    status: str,
    *,
    error: str = "",
    retryable: bool = False,
    count_attempt: bool = True,
) -> Document:
    """Set a document's status after an ingest attempt (`error` is kept as `last_error`)."""
    if status not in DOCUMENT_STATUSES:
        raise StorageError(
            f"unknown document status {status!r}; expected one of {', '.join(DOCUMENT_STATUSES)}"
        )
    document = get_document(session, document_id)
    document.status = status
    document.last_error = error
    document.retryable = retryable
    if count_attempt:
        document.attempts = (document.attempts or 0) + 1
    document.claimed_by, document.claimed_at = "", None
    session.flush()
    return document


def lock_document(session: Session, document_id: int) -> Document:
    """The document, its row locked until the transaction ends (PostgreSQL; SQLite's write
    transactions already run one at a time)."""
    document = session.scalars(
        select(Document).where(Document.id == document_id).with_for_update()
    ).one_or_none()
    if document is None:
        raise RecordNotFound(f"document {document_id} not found")
    return document


def claim_ingest_attempt(
    session: Session,
    document_id: int,
    *,
    pending_only: int | None = None,
    lease_seconds: float = DEFAULT_LEASE_SECONDS,
) -> Document | None:
    """Count an ingest attempt before it starts (the caller commits at once): a process killed during
    the parse leaves the document failed, retryable, with the attempt counted, so the queue moves on
    and a document that kills every attempt ends failed once over `max_ingest_attempts`. The claim
    names this thread and the time (storage/claims.py).

    None, and nothing changed, when another live run holds the document, or, with `pending_only` (the
    maximum attempts), when it is no longer pending (another run has ingested it since it was
    listed). The row is locked first, so of two runs claiming at once the second sees the first's
    claim (PostgreSQL; SQLite's write transactions queue)."""
    document = lock_document(session, document_id)
    if claim_is_live(document.claimed_by, document.claimed_at, lease_seconds):
        return None
    if pending_only is not None and (
        session.scalar(select(Document.id).where(Document.id == document_id, _pending(pending_only))) is None
    ):
        return None
    document.attempts = (document.attempts or 0) + 1
    document.status = "failed"
    document.retryable = True
    document.last_error = f"interrupted: ingest attempt {document.attempts} did not finish"
    document.claimed_by = claimant()
    document.claimed_at = utcnow()
    session.flush()
    return document


def release_ingest_attempt(
    session: Session, document_id: int, status: str, last_error: str, retryable: bool
) -> Document:
    """Undo a claim whose parse was never used (a batch stopped by an outage before loading it): the
    document is back as it was before the claim, its attempt given back."""
    document = get_document(session, document_id)
    document.attempts = max((document.attempts or 0) - 1, 0)
    document.status = status
    document.retryable = retryable
    document.last_error = last_error
    document.claimed_by, document.claimed_at = "", None
    session.flush()
    return document


def refund_ingest_attempt(session: Session, document_id: int, error: str) -> Document:
    """Give back a claimed attempt that an outage (object store, database) spoiled: the document stays
    pending with `error` as its last error, and its attempts are as before the claim."""
    document = get_document(session, document_id)
    document.attempts = max((document.attempts or 0) - 1, 0)
    document.status = "failed"
    document.retryable = True
    document.last_error = error
    document.claimed_by, document.claimed_at = "", None
    session.flush()
    return document


# -- reports ------------------------------------------------------------------------------------


def _number(value: float | int | None) -> float | None:
    return None if value is None else float(value)


def replace_report(
    session: Session,
    document_id: int,
    report: ParsedReport,
    *,
    agency_id: int | None = None,
    published_at: datetime | None = None,
    published_at_source: str = "",
    year: int | None = None,
    agency_name: str | None = None,
) -> ReportRow:
    """Store the parsed report of a document, replacing any earlier one with its cells and findings.

    `year` and `agency_name` are stored where the report itself names none (from titles, the registry).
    """
    addresses: set[tuple[str, str, str]] = set()
    for cell in report.cells:
        address = (cell.table, cell.row, cell.col)
        if address in addresses:
            raise StorageError(
                f"report of document {document_id} has two cells at {'/'.join(address)}; refusing to load it"
            )
        addresses.add(address)
    get_document(session, document_id)
    old = session.scalars(select(ReportRow).where(ReportRow.document_id == document_id)).one_or_none()
    if old is not None:
        session.delete(old)
        session.flush()
    row = ReportRow(
        document_id=document_id,
        agency_id=agency_id,
        agency_name=report.agency or agency_name or report.agency,
        year=report.year if report.year is not None else year,
        format=report.format,
        status=report.status,
        title=report.title,
        published_at=published_at,
        published_at_source=published_at_source,
        parser_version=report.parser.version,
        source_kind=report.parser.source_kind,
        sections=dict(report.sections),
        statistics={key: dict(entry) for key, entry in report.statistics.items()},
        loaded_at=utcnow(),
        findings=[finding_row(finding) for finding in report.findings],
    )
    session.add(row)
    session.flush()
    if report.cells:
        # A report has a few hundred cells: one multi-row INSERT, no ORM object per cell (those cost
        # as much as the rest of the load). `row.cells` loads them back when read.
        session.execute(
            insert(ReportCell),
            [
                {
                    "report_id": row.id,
                    "table_name": cell.table,
                    "row_key": cell.row,
                    "col_key": cell.col,
                    "value": _number(cell.value),
                    "raw": cell.raw,
                    "page": cell.page,
                }
                for cell in report.cells
            ],
        )
    return row


def finding_row(finding: ParsedFinding) -> Finding:
    """The `findings` row of a parsed finding (not yet attached to a report)."""
    return Finding(
        rule=finding.rule,
        severity=finding.severity,
        location=finding.where,
        message=finding.message,
        expected=_number(finding.expected),
        actual=_number(finding.actual),
        cells=[ref.to_dict() for ref in finding.cells],
    )


def report_from_row(row: ReportRow) -> ParsedReport:
    """Rebuild the canonical report from its stored rows: the inverse of `replace_report`."""
    from parsers.model import Cell, CellRef, ParserInfo
    from parsers.model import Finding as ParsedFinding
    from parsers.model import Report as ParsedReport

    return ParsedReport(
        agency=row.agency_name,
        year=row.year,
        format=row.format,  # type: ignore[arg-type]
        title=row.title,
        parser=ParserInfo(version=row.parser_version, source_kind=row.source_kind or "text"),  # type: ignore[arg-type]
        status=row.status,  # type: ignore[arg-type]
        sections=dict(row.sections or {}),
        statistics=dict(row.statistics or {}),
        cells=[
            Cell(c.table_name, c.row_key, c.col_key, _stored_number(c.value), c.raw, c.page)
            for c in row.cells
        ],
        findings=[
            ParsedFinding(
                f.rule,
                f.severity,  # type: ignore[arg-type]
                f.location,
                f.message,
                _stored_number(f.expected),
                _stored_number(f.actual),
                tuple(CellRef.from_dict(ref) for ref in f.cells or []),
            )
            for f in row.findings
        ],
    )


def _stored_number(value: float | None) -> float | int | None:
    """Counts come back as ints; amounts keep their decimals."""
    if value is None:
        return None
    return int(value) if float(value).is_integer() else value


def parsed_reports(session: Session, agency_id: int, year: int) -> list[ReportRow]:
    """An agency's parsed reports of a year, earliest published first."""
    query = (
        select(ReportRow)
        .where(ReportRow.agency_id == agency_id, ReportRow.year == year, ReportRow.status == "parsed")
        .order_by(ReportRow.published_at, ReportRow.id)
    )
    return list(session.scalars(query))


def replace_history_findings(session: Session, row: ReportRow, findings: Iterable[ParsedFinding]) -> None:
    """Swap a stored report's cross-year (`history.*`) findings for these, keeping its own checks."""
    for old in [f for f in row.findings if f.rule.startswith("history.")]:
        row.findings.remove(old)
    row.findings.extend(finding_row(finding) for finding in findings)
    session.flush()


def report_for(session: Session, agency: str | int, year: int) -> ReportRow | None:
    """The newest loaded report of an agency (by id or name) for a year."""
    query = select(ReportRow).where(ReportRow.year == year)
    if isinstance(agency, int):
        query = query.where(ReportRow.agency_id == agency)
    else:
        known = agency_by_name(session, agency)
        condition = ReportRow.agency_name == agency
        if known is not None:
            condition = or_(condition, ReportRow.agency_id == known.id)
        query = query.where(condition)
    return session.scalars(query.order_by(ReportRow.loaded_at.desc(), ReportRow.id.desc()).limit(1)).first()


def report_of_document(session: Session, document_id: int) -> ReportRow | None:
    """The report loaded from a document, if any."""
    return session.scalars(select(ReportRow).where(ReportRow.document_id == document_id)).one_or_none()


def reports_for_year(session: Session, year: int) -> list[ReportRow]:
    """Every loaded report of a year, by agency name."""
    query = select(ReportRow).where(ReportRow.year == year).order_by(ReportRow.agency_name, ReportRow.id)
    return list(session.scalars(query))


def cells_of(session: Session, report_id: int) -> dict[tuple[str, str, str], float | None]:
    """The cells of a report as {(table, row, col): value}."""
    query = select(ReportCell).where(ReportCell.report_id == report_id)
    return {(c.table_name, c.row_key, c.col_key): c.value for c in session.scalars(query)}


# -- timeliness --------------------------------------------------------------------------------
# A whole registry's check reads each table once, as plain tuples: no query per agency, no ORM objects.

TIMELINESS_BATCH = 5000
"""Ids per IN list, and rows per executemany, when a timeliness check reads or writes in bulk."""


class RegistryAgency(NamedTuple):
    """An agency's registry columns (`storage.domain.AgencyLike` and its source), read as plain values."""

    id: int
    name: str
    kind: str
    region_code: str
    aliases: list[str]
    deadline_override: str | None
    source_id: str | None


class DocumentDates(NamedTuple):
    """A document's identity and dates (`flows.timeliness.publication.DocumentLike`)."""

    id: int
    url: str
    title: str
    source_id: str | None
    previous_version_id: int | None
    page_pub_date: datetime | None
    list_date: date | None
    first_seen_at: datetime


class YearReport(NamedTuple):
    """A report of a year with the document it was read from and that document's page (its parent)."""

    id: int
    agency_id: int | None
    agency_name: str | None
    title: str
    published_at: datetime | None
    published_at_source: str
    document: DocumentDates
    parent: DocumentDates | None


class TimelinessValues(NamedTuple):
    """What a check found for an agency-year: the `timeliness` columns but `id` and `checked_at`."""

    agency_id: int
    year: int
    status: str
    deadline: date
    published_at: datetime | None
    published_at_source: str
    days_late: int | None
    report_id: int | None


class StoredTimeliness(NamedTuple):
    """The stored row of an agency-year, without `checked_at`."""

    id: int
    status: str
    deadline: date
    published_at: datetime | None
    published_at_source: str
    days_late: int | None
    report_id: int | None


def _plain_rows(session: Session, query: Select[Any]) -> Result[Any]:
    """A column query's rows as plain tuples for a whole-registry read: pending changes are flushed as
    for any ORM query, then it runs on the session's connection, without the ORM's per-row loading."""
    session.flush()
    return session.connection().execute(query)


def registry_agencies(session: Session) -> list[RegistryAgency]:
    """Every agency of the registry, in no particular order (callers sort as they need)."""
    query = select(
        Agency.id,
        Agency.name,
        Agency.kind,
        Agency.region_code,
        Agency.aliases,
        Agency.deadline_override,
        Agency.source_id,
    )
    return [
        RegistryAgency(id, name, kind, region or "", list(aliases or []), override, source)
        for id, name, kind, region, aliases, override, source in _plain_rows(session, query)
    ]


def _document_dates(document: Any) -> tuple[Any, ...]:
    return (
        document.id,
        document.url,
        document.title,
        document.source_id,
        document.previous_version_id,
        document.page_pub_date,
        document.list_date,
        document.first_seen_at,
    )


def year_reports(session: Session, year: int) -> list[YearReport]:
    """A year's reports (those that are reports at all) with their documents and pages, by report id."""
    page = aliased(Document)
    query = (
        select(
            ReportRow.id,
            ReportRow.agency_id,
            ReportRow.agency_name,
            ReportRow.title,
            ReportRow.published_at,
            ReportRow.published_at_source,
            *_document_dates(Document),
            *_document_dates(page),
        )
        .join(Document, ReportRow.document_id == Document.id)
        .outerjoin(page, Document.parent_id == page.id)
        .where(ReportRow.year == year, ReportRow.status != "not_a_report")
        .order_by(ReportRow.id)
    )
    width = len(DocumentDates._fields)
    reports = []
    for row in _plain_rows(session, query):
        document = DocumentDates(*row[6 : 6 + width])
        parent = DocumentDates(*row[6 + width :]) if row[6 + width] is not None else None
        report_id, agency_id, agency_name, title, published_at, source = row[:6]
        reports.append(
            YearReport(report_id, agency_id, agency_name, title, published_at, source, document, parent)
        )
    return reports


def newer_versions_seen(session: Session, year: int) -> dict[int, list[datetime]]:
    """For each document a year's report was read from: when each newer version of it (following
    `previous_version_id`, transitively) was first seen. Documents never replaced are absent."""
    first = (
        select(Document.previous_version_id, Document.id, Document.first_seen_at)
        .join(ReportRow, ReportRow.document_id == Document.previous_version_id)
        .where(ReportRow.year == year, ReportRow.status != "not_a_report")
    )
    seen: dict[int, list[datetime]] = {}
    visited: dict[int, set[int]] = {}
    level: list[tuple[int, int, datetime]] = [
        (root, newer, at) for root, newer, at in _plain_rows(session, first) if root is not None
    ]
    while level:
        roots_of: dict[int, set[int]] = {}
        for root, newer, at in level:
            reached = visited.setdefault(root, {root})
            if newer in reached:
                continue
            reached.add(newer)
            seen.setdefault(root, []).append(at)
            roots_of.setdefault(newer, set()).add(root)
        frontier = sorted(roots_of)
        level = []
        for start in range(0, len(frontier), TIMELINESS_BATCH):
            query = select(Document.previous_version_id, Document.id, Document.first_seen_at).where(
                Document.previous_version_id.in_(frontier[start : start + TIMELINESS_BATCH])
            )
            for parent, newer, at in _plain_rows(session, query):
                level.extend((root, newer, at) for root in roots_of[parent or 0])
    return seen


def history_rules_of_year(session: Session, year: int) -> list[tuple[int, str]]:
    """(report id, rule) of every cross-year (`history.*`) finding of a year's reports."""
    query = (
        select(Finding.report_id, Finding.rule)
        .join(ReportRow, ReportRow.id == Finding.report_id)
        .where(ReportRow.year == year, Finding.rule.like("history.%"))
    )
    return [(report_id, rule) for report_id, rule in _plain_rows(session, query)]


def first_ok_crawls(session: Session, since: datetime) -> dict[str, datetime]:
    """Per source, the start of its first successful (`ok`) crawl at or after `since`."""
    query = (
        select(CrawlRun.source_id, func.min(CrawlRun.started_at))
        .where(CrawlRun.status == "ok", CrawlRun.started_at >= since)
        .group_by(CrawlRun.source_id)
    )
    return {source_id: started_at for source_id, started_at in _plain_rows(session, query)}


def last_crawl_runs(session: Session) -> dict[str, tuple[str, str]]:
    """Every source's newest crawl run as (status, reason)."""
    newest = select(func.max(CrawlRun.id)).group_by(CrawlRun.source_id)
    query = select(CrawlRun.source_id, CrawlRun.status, CrawlRun.reason).where(CrawlRun.id.in_(newest))
    return {source_id: (status, reason) for source_id, status, reason in _plain_rows(session, query)}


def timeliness_statuses(session: Session, year: int, agency_ids: Sequence[int]) -> dict[int, Timeliness]:
    """The stored timeliness rows of a report year for these agencies, by agency id."""
    query = select(Timeliness).where(Timeliness.year == year, Timeliness.agency_id.in_(list(agency_ids)))
    return {t.agency_id: t for t in session.scalars(query)}


def stored_timeliness(session: Session, year: int) -> dict[int, StoredTimeliness]:
    """The stored timeliness row of every agency checked for a report year, by agency id."""
    query = select(
        Timeliness.agency_id,
        Timeliness.id,
        Timeliness.status,
        Timeliness.deadline,
        Timeliness.published_at,
        Timeliness.published_at_source,
        Timeliness.days_late,
        Timeliness.report_id,
    ).where(Timeliness.year == year)
    return {agency_id: StoredTimeliness(*values) for agency_id, *values in _plain_rows(session, query)}


def _same_timeliness(stored: StoredTimeliness, row: TimelinessValues) -> bool:
    """Whether a stored row already holds these values (moments compared as instants: SQLite gives
    them back naive)."""
    moment, written = stored.published_at, row.published_at
    return (
        (stored.status, stored.deadline, stored.published_at_source, stored.days_late, stored.report_id)
        == (row.status, row.deadline, row.published_at_source, row.days_late, row.report_id)
        and (moment is None) == (written is None)
        and (moment is None or written is None or as_utc(moment) == as_utc(written))
    )


def save_timeliness(
    session: Session,
    rows: Sequence[TimelinessValues],
    stored: Mapping[int, StoredTimeliness],
    checked_at: datetime,
) -> None:
    """Write agency-years' statuses as checked at `checked_at`, in bulk: new or changed rows by one INSERT … ON CONFLICT DO UPDATE
    executed for many rows; rows `stored` (from `stored_timeliness`) already holds only get the new
    `checked_at`, a few thousand a statement. Timeliness objects this session holds are expired, so
    that they read what was written."""
    same: list[int] = []
    changed: list[dict[str, Any]] = []
    for row in rows:
        held = stored.get(row.agency_id)
        if held is not None and _same_timeliness(held, row):
            same.append(held.id)
        else:
            changed.append({**row._asdict(), "checked_at": checked_at})
    connection = session.connection()
    if changed:
        table = cast(Table, Timeliness.__table__)
        dialect = connection.dialect.name
        upsert = postgresql_insert(table) if dialect == "postgresql" else sqlite_insert(table)
        columns = [c for c in changed[0] if c not in ("agency_id", "year")]
        statement = upsert.on_conflict_do_update(
            index_elements=["agency_id", "year"], set_={c: upsert.excluded[c] for c in columns}
        )
        for start in range(0, len(changed), TIMELINESS_BATCH):
            connection.execute(statement, changed[start : start + TIMELINESS_BATCH])
    for start in range(0, len(same), TIMELINESS_BATCH):
        touched = update(Timeliness).where(Timeliness.id.in_(same[start : start + TIMELINESS_BATCH]))
        connection.execute(touched.values(checked_at=checked_at))
    for loaded in [o for o in session.identity_map.values() if isinstance(o, Timeliness)]:
        session.expire(loaded)


# -- alerts -------------------------------------------------------------------------------------


def record_alert(session: Session, *, key: str, kind: str, title: str, body: str) -> Alert | None:
    """Record an alert to send; None when an alert with this key exists (each condition alerts once)."""
    if session.scalars(select(Alert.id).where(Alert.key == key)).first() is not None:
        return None
    alert = Alert(key=key, kind=kind, title=title, body=body, created_at=utcnow())
    try:
        with session.begin_nested():
            session.add(alert)
    except IntegrityError:
        return None
    return alert


def record_alerts(session: Session, alerts: Sequence[Mapping[str, str]]) -> set[str]:
    """Record many alerts to send at once (each a key, kind, title and body): the keys recorded. A key
    already present (recorded before, or by a concurrent writer) is skipped, as `record_alert` does one
    at a time; a key repeated in `alerts` is recorded from its first entry."""
    wanted: dict[str, Mapping[str, str]] = {}
    for alert in alerts:
        wanted.setdefault(alert["key"], alert)
    keys = list(wanted)
    known: set[str] = set()
    for start in range(0, len(keys), TIMELINESS_BATCH):
        query = select(Alert.key).where(Alert.key.in_(keys[start : start + TIMELINESS_BATCH]))
        known.update(_plain_rows(session, query).scalars())
    now = utcnow()
    recorded = [key for key in keys if key not in known]
    fresh: list[dict[str, Any]] = [
        {"key": key, "kind": wanted[key]["kind"], "title": wanted[key]["title"], "body": wanted[key]["body"]}
        for key in recorded
    ]
    for row in fresh:
        row["created_at"] = now
    if fresh:
        table = cast(Table, Alert.__table__)
        connection = session.connection()
        insert = postgresql_insert(table) if connection.dialect.name == "postgresql" else sqlite_insert(table)
        statement = insert.on_conflict_do_nothing(index_elements=["key"])
        for start in range(0, len(fresh), TIMELINESS_BATCH):
            connection.execute(statement, fresh[start : start + TIMELINESS_BATCH])
    return set(recorded)


def mark_alert_sent(
    session: Session, alert_id: int, error: str = "", *, retry_at: datetime | None = None
) -> Alert:
    """Record a delivery attempt: `sent` with `sent_at` on success; otherwise the error text, still
    `pending`, next tried at `retry_at`."""
    alert: Alert = _get(session, Alert, alert_id)
    alert.error = error
    alert.attempts = (alert.attempts or 0) + 1
    if not error:
        alert.sent_at = utcnow()
        alert.status = "sent"
    else:
        alert.next_attempt_at = retry_at
    session.flush()
    return alert


def due_alerts(session: Session, now: datetime, *, limit: int = 200) -> list[int]:
    """Ids of pending alerts whose next delivery attempt is due, oldest first."""
    query = (
        select(Alert.id)
        .where(
            Alert.status == "pending",
            or_(Alert.next_attempt_at.is_(None), Alert.next_attempt_at <= now),
        )
        .order_by(Alert.id)
        .limit(limit)
    )
    return list(session.scalars(query))


def lock_pending_alert(session: Session, alert_id: int) -> Alert | None:
    """The alert, row-locked for delivery (PostgreSQL: skipped when another run holds it), or None
    when it is locked elsewhere or no longer pending."""
    query = (
        select(Alert).where(Alert.id == alert_id, Alert.status == "pending").with_for_update(skip_locked=True)
    )
    return session.scalars(query).first()


def unsent_alerts(session: Session, kinds: Sequence[str] | None = None) -> list[Alert]:
    """Alerts not delivered yet, oldest first (for a retry of failed deliveries)."""
    query = select(Alert).where(Alert.sent_at.is_(None))
    if kinds:
        query = query.where(Alert.kind.in_(list(kinds)))
    return list(session.scalars(query.order_by(Alert.id)))


# -- reports, findings and reviews for operators ------------------------------------------------


def find_report(session: Session, report_id: int) -> ReportRow | None:
    """The loaded report with this id, or None."""
    report: ReportRow | None = session.get(ReportRow, report_id)
    return report


def report_listing(
    session: Session,
    *,
    agency: str | None = None,
    year: int | None = None,
    status: str | None = None,
    report_id: int | None = None,
) -> list[tuple[ReportRow, Document, Agency | None]]:
    """Loaded reports with their documents and registry agencies, by year then id.

    `agency` matches part of the registry name or of the name the report prints.
    """
    query = (
        select(ReportRow, Document, Agency)
        .join(Document, ReportRow.document_id == Document.id)
        .outerjoin(Agency, ReportRow.agency_id == Agency.id)
    )
    if agency:
        query = query.where(or_(Agency.name.contains(agency), ReportRow.agency_name.contains(agency)))
    if year is not None:
        query = query.where(ReportRow.year == year)
    if status:
        query = query.where(ReportRow.status == status)
    if report_id is not None:
        query = query.where(ReportRow.id == report_id)
    query = query.order_by(ReportRow.year, ReportRow.id)
    return [(report, document, registered) for report, document, registered in session.execute(query).all()]


def finding_listing(
    session: Session,
    *,
    severity: str | None = None,
    rule: str | None = None,
    agency: str | None = None,
    year: int | None = None,
    report_id: int | None = None,
    finding_id: int | None = None,
) -> list[tuple[Finding, ReportRow, Document, Agency | None]]:
    """Findings with their report, document and registry agency; errors first, then by report and id.

    `rule` matches a rule id or a rule family (`history` matches `history.carry_over`).
    """
    query = (
        select(Finding, ReportRow, Document, Agency)
        .join(ReportRow, Finding.report_id == ReportRow.id)
        .join(Document, ReportRow.document_id == Document.id)
        .outerjoin(Agency, ReportRow.agency_id == Agency.id)
    )
    if severity:
        query = query.where(Finding.severity == severity)
    if rule:
        query = query.where(or_(Finding.rule == rule, Finding.rule.like(f"{rule}.%")))
    if agency:
        query = query.where(or_(Agency.name.contains(agency), ReportRow.agency_name.contains(agency)))
    if year is not None:
        query = query.where(ReportRow.year == year)
    if report_id is not None:
        query = query.where(Finding.report_id == report_id)
    if finding_id is not None:
        query = query.where(Finding.id == finding_id)
    rank = {"error": 0, "warning": 1, "info": 2}
    rows = [(f, r, d, a) for f, r, d, a in session.execute(query.order_by(Finding.report_id, Finding.id))]
    return sorted(rows, key=lambda row: rank.get(row[0].severity, 3))


def reviews_by_fingerprint(session: Session, fingerprints: Iterable[str]) -> dict[str, FindingReview]:
    """The stored decisions on findings with these fingerprints, by fingerprint."""
    wanted = sorted(set(fingerprints))
    found: dict[str, FindingReview] = {}
    for start in range(0, len(wanted), 500):
        batch = wanted[start : start + 500]
        query = select(FindingReview).where(FindingReview.fingerprint.in_(batch))
        found.update((review.fingerprint, review) for review in session.scalars(query))
    return found


def record_review(
    session: Session,
    *,
    fingerprint: str,
    decision: str,
    note: str,
    reviewer: str,
    agency: str,
    year: int | None,
    rule: str,
    location: str,
) -> FindingReview:
    """Keep a reviewer's decision on a finding; a later decision on the same fingerprint replaces it."""
    if decision not in REVIEW_DECISIONS:
        raise StorageError(f"unknown decision {decision!r}; expected one of {', '.join(REVIEW_DECISIONS)}")
    review = session.scalars(
        select(FindingReview).where(FindingReview.fingerprint == fingerprint)
    ).one_or_none()
    if review is None:
        review = FindingReview(fingerprint=fingerprint)
        session.add(review)
    review.decision = decision
    review.note = note
    review.reviewer = reviewer
    review.reviewed_at = utcnow()
    review.agency = agency
    review.year = year
    review.rule = rule
    review.location = location
    session.flush()
    return review


# -- the open dataset and year-over-year comparison ---------------------------------------------

EXPORT_BATCH = 2000
"""Rows fetched per round trip when streaming an export (server-side cursor on PostgreSQL)."""


def _export_filters(
    query: Any, *, years: tuple[int, int] | None, region: str | None, agency: str | None
) -> Any:
    """Restrict a query over reports (joined to their registry agency) to an export's selection."""
    if years is not None:
        query = query.where(ReportRow.year.between(years[0], years[1]))
    if region:
        query = query.where(Agency.region_code == region)
    if agency:
        query = query.where(or_(Agency.name.contains(agency), ReportRow.agency_name.contains(agency)))
    return query


def export_cells(
    session: Session,
    *,
    years: tuple[int, int] | None = None,
    region: str | None = None,
    agency: str | None = None,
) -> Iterator[Any]:
    """Every stored cell of the selected reports with its report, agency and document, streamed in
    batches and ordered by year, region and report (so each partition is written in one run).

    Rows have: report_id, agency, agency_name, agency_kind, region_code, year, format, table_name,
    row_key, col_key, value, raw, page, url, sha256, parser_version.
    """
    query = (
        select(
            ReportRow.id.label("report_id"),
            Agency.name.label("agency"),
            ReportRow.agency_name,
            Agency.kind.label("agency_kind"),
            Agency.region_code,
            ReportRow.year,
            ReportRow.format,
            ReportCell.table_name,
            ReportCell.row_key,
            ReportCell.col_key,
            ReportCell.value,
            ReportCell.raw,
            ReportCell.page,
            Document.url,
            Document.sha256,
            ReportRow.parser_version,
        )
        .join(ReportRow, ReportCell.report_id == ReportRow.id)
        .join(Document, ReportRow.document_id == Document.id)
        .outerjoin(Agency, ReportRow.agency_id == Agency.id)
    )
    query = _export_filters(query, years=years, region=region, agency=agency)
    query = query.order_by(ReportRow.year, Agency.region_code, ReportRow.id, ReportCell.id)
    yield from session.execute(query.execution_options(yield_per=EXPORT_BATCH))


def statistics_of(session: Session, report_id: int) -> dict[str, Any]:
    """A stat2014 report's indicators ({path: {label, unit, value, values}})."""
    stored = session.scalars(select(ReportRow.statistics).where(ReportRow.id == report_id)).one_or_none()
    return dict(stored or {})


def export_reports(
    session: Session,
    *,
    years: tuple[int, int] | None = None,
    region: str | None = None,
    agency: str | None = None,
) -> Iterator[Any]:
    """The selected reports with document, registry agency, the agency-year's timeliness and their
    finding counts by severity, streamed and ordered by year, region and id."""
    counts = (
        select(
            Finding.report_id,
            func.count().label("findings"),
            func.sum(case((Finding.severity == "error", 1), else_=0)).label("errors"),
            func.sum(case((Finding.severity == "warning", 1), else_=0)).label("warnings"),
            func.sum(case((Finding.severity == "info", 1), else_=0)).label("infos"),
        )
        .group_by(Finding.report_id)
        .subquery()
    )
    query = (
        select(
            ReportRow.id.label("report_id"),
            Agency.name.label("agency"),
            ReportRow.agency_name,
            Agency.kind.label("agency_kind"),
            Agency.region_code,
            ReportRow.year,
            ReportRow.format,
            ReportRow.status,
            ReportRow.title,
            ReportRow.published_at,
            ReportRow.published_at_source,
            ReportRow.parser_version,
            ReportRow.source_kind,
            Document.url,
            Document.sha256,
            Timeliness.deadline,
            Timeliness.status.label("timeliness_status"),
            Timeliness.days_late,
            func.coalesce(counts.c.findings, 0).label("findings"),
            func.coalesce(counts.c.errors, 0).label("errors"),
            func.coalesce(counts.c.warnings, 0).label("warnings"),
            func.coalesce(counts.c.infos, 0).label("infos"),
        )
        .join(Document, ReportRow.document_id == Document.id)
        .outerjoin(Agency, ReportRow.agency_id == Agency.id)
        .outerjoin(
            Timeliness, and_(Timeliness.agency_id == ReportRow.agency_id, Timeliness.year == ReportRow.year)
        )
        .outerjoin(counts, counts.c.report_id == ReportRow.id)
    )
    query = _export_filters(query, years=years, region=region, agency=agency)
    query = query.order_by(ReportRow.year, Agency.region_code, ReportRow.id)
    yield from session.execute(query.execution_options(yield_per=EXPORT_BATCH))


def export_findings(
    session: Session,
    *,
    years: tuple[int, int] | None = None,
    region: str | None = None,
    agency: str | None = None,
) -> Iterator[Any]:
    """The findings of the selected reports with their report's agency, year and document, streamed
    and ordered by year, region, report and id."""
    query = (
        select(
            Finding.id.label("finding_id"),
            Finding.report_id,
            Agency.name.label("agency"),
            ReportRow.agency_name,
            Agency.region_code,
            ReportRow.year,
            ReportRow.format,
            Finding.rule,
            Finding.severity,
            Finding.location,
            Finding.message,
            Finding.expected,
            Finding.actual,
            Finding.cells,
            Document.url,
            Document.sha256,
        )
        .join(ReportRow, Finding.report_id == ReportRow.id)
        .join(Document, ReportRow.document_id == Document.id)
        .outerjoin(Agency, ReportRow.agency_id == Agency.id)
    )
    query = _export_filters(query, years=years, region=region, agency=agency)
    query = query.order_by(ReportRow.year, Agency.region_code, Finding.report_id, Finding.id)
    yield from session.execute(query.execution_options(yield_per=EXPORT_BATCH))


def export_timeliness(
    session: Session,
    *,
    years: tuple[int, int] | None = None,
    region: str | None = None,
    agency: str | None = None,
) -> Iterator[Any]:
    """The stored timeliness status of each selected agency-year, ordered by year, region and agency."""
    query = select(
        Agency.name.label("agency"),
        Agency.kind.label("agency_kind"),
        Agency.region_code,
        Timeliness.year,
        Timeliness.status,
        Timeliness.deadline,
        Timeliness.published_at,
        Timeliness.published_at_source,
        Timeliness.days_late,
        Timeliness.report_id,
        Timeliness.checked_at,
    ).join(Agency, Timeliness.agency_id == Agency.id)
    if years is not None:
        query = query.where(Timeliness.year.between(years[0], years[1]))
    if region:
        query = query.where(Agency.region_code == region)
    if agency:
        query = query.where(Agency.name.contains(agency))
    query = query.order_by(Timeliness.year, Agency.region_code, Agency.name)
    yield from session.execute(query.execution_options(yield_per=EXPORT_BATCH))


def agency_report_years(session: Session, agency: str) -> list[tuple[int, ReportRow]]:
    """An agency's newest parsed report of each year (by registry name, else the printed name)."""
    known = agency_by_name(session, agency)
    condition = ReportRow.agency_name == agency
    if known is not None:
        condition = or_(condition, ReportRow.agency_id == known.id)
    query = (
        select(ReportRow)
        .where(condition, ReportRow.year.is_not(None), ReportRow.status == "parsed")
        .order_by(ReportRow.year, ReportRow.loaded_at, ReportRow.id)
    )
    newest: dict[int, ReportRow] = {}
    for row in session.scalars(query):
        if row.year is not None:
            newest[row.year] = row
    return sorted(newest.items(), key=lambda item: item[0])


def agencies_matching(session: Session, text: str) -> list[str]:
    """Names of registry agencies and of agencies printed on reports that contain `text`, sorted."""
    registry = session.scalars(select(Agency.name).where(Agency.name.contains(text)))
    printed = session.scalars(
        select(ReportRow.agency_name).where(ReportRow.agency_name.contains(text)).distinct()
    )
    return sorted({name for name in [*registry, *printed] if name})


def region_reports(session: Session, region: str, year: int) -> list[tuple[Agency, ReportRow]]:
    """The newest parsed report of a year of each registry agency in a region, by agency name."""
    query = (
        select(Agency, ReportRow)
        .join(ReportRow, ReportRow.agency_id == Agency.id)
        .where(Agency.region_code == region, ReportRow.year == year, ReportRow.status == "parsed")
        .order_by(Agency.name, ReportRow.loaded_at, ReportRow.id)
    )
    newest: dict[int, tuple[Agency, ReportRow]] = {}
    for registered, row in session.execute(query):
        newest[registered.id] = (registered, row)
    return sorted(newest.values(), key=lambda pair: pair[0].name)


def reparse_candidates(session: Session, *, source_id: str | None = None) -> list[tuple[int, str, str]]:
    """(document id, status, parser version) of every document ingested at least once, by id: the
    status and parser version of its report, or the document's own status (not_a_report, failed) and
    "" when it has none. `source_id` narrows to one source's documents."""
    query = (
        select(Document.id, Document.status, ReportRow.status, ReportRow.parser_version)
        .outerjoin(ReportRow, ReportRow.document_id == Document.id)
        .where(Document.status != "stored")
        .order_by(Document.id)
    )
    if source_id is not None:
        query = query.where(Document.source_id == source_id)
    return [
        (doc_id, report_status or doc_status, version or "")
        for doc_id, doc_status, report_status, version in session.execute(query)
    ]
