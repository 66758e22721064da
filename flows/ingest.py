"""Ingest one stored document: locate the original → parse → check across years → load.

Plain functions at the I/O boundaries; `flows.flows` wraps them in Prefect tasks with retries. Payloads
travel by reference (document id, object key); only `parse_original` reads the bytes.
"""

from __future__ import annotations

from contextlib import suppress
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy.orm import Session

import parsers
from parsers.errors import EncryptedDocument, ParseError, UnsupportedKind
from parsers.history import compare_years
from parsers.metadata import is_companion, named_agency, report_year
from parsers.model import Finding, ParserInfo
from parsers.model import Report as ParsedReport
from storage import models, repository
from storage.db import session_scope
from storage.errors import DatabaseError, DocumentClaimed, RecordNotFound, StorageError
from storage.objectstore import open_store
from storage.settings import Settings

ENTRY_NAME = "flows.convert:parse_document"
"""What the parse worker calls: `parsers.parse` behind the legacy Word/WPS conversion."""


def parse_here(data: bytes, *, filename: str, content_type: str) -> ParsedReport:
    """`ENTRY_NAME` in this process."""
    from flows.parseworker import entry_point

    report: ParsedReport = entry_point(ENTRY_NAME)(data, filename=filename, content_type=content_type)
    return report


@dataclass(frozen=True)
class Original:
    """A reference to one stored original: enough to fetch and describe it, never the bytes."""

    document_id: int
    object_key: str
    content_type: str
    url: str
    sha256: str
    title: str

    @classmethod
    def of(cls, document: models.Document) -> Original:
        return cls(
            document_id=document.id,
            object_key=document.object_key,
            content_type=document.content_type,
            url=document.url,
            sha256=document.sha256,
            title=document.title,
        )


@dataclass(frozen=True)
class IngestOutcome:
    """What happened to one document, for summaries, artifacts and alerts."""

    document_id: int
    status: str  # parsed | not_a_report | failed
    url: str = ""
    sha256: str = ""
    report_id: int | None = None
    agency: str | None = None
    agency_matched: bool = False
    year: int | None = None
    format: str = ""
    report_status: str = ""
    error: str = ""
    findings: list[dict[str, Any]] = field(default_factory=list)
    followup_findings: list[dict[str, Any]] = field(default_factory=list)
    totals: dict[str, Any] = field(default_factory=dict)

    def findings_by_severity(self) -> dict[str, int]:
        """Counts of this report's findings and of those it caused on next year's report."""
        counts: dict[str, int] = {}
        for finding in [*self.findings, *self.followup_findings]:
            counts[finding["severity"]] = counts.get(finding["severity"], 0) + 1
        return counts


def locate_original(settings: Settings, document_id: int) -> Original:
    """Read the document row; raises `RecordNotFound` for an unknown id."""
    with session_scope(settings) as session:
        return Original.of(repository.get_document(session, document_id))


def locate_originals(settings: Settings, document_ids: list[int]) -> dict[int, Original]:
    """The rows of a batch in one query, by id; unknown ids are left out."""
    with session_scope(settings) as session:
        found = repository.documents_by_id(session, document_ids)
        return {document_id: Original.of(document) for document_id, document in found.items()}


def parse_original(settings: Settings, original: Original, *, slot: int = 0) -> ParsedReport:
    """Fetch the bytes by key and parse them (a legacy .doc/.wps converted by LibreOffice first) in the
    parse worker of `slot`; ParseError means the bytes themselves are bad."""
    return parse_fetched(settings, original, open_store(settings).get(original.object_key), slot=slot)


def parse_fetched(settings: Settings, original: Original, data: bytes, *, slot: int = 0) -> ParsedReport:
    """Parse the fetched bytes of `original` in the parse worker of `slot`."""
    filename = original.url.rsplit("/", 1)[-1]
    return parse_isolated(settings, data, filename=filename, content_type=original.content_type, slot=slot)


def load_parsed(settings: Settings, original: Original, parsed: ParsedReport) -> IngestOutcome:
    """Resolve agency, year and publication date, run the cross-year checks, replace the report.

    One transaction: the report, its cells and findings replace any earlier load of the document,
    the document is marked parsed (or not_a_report), and an alert per error finding is recorded
    pending (flows.alerts outbox).
    """
    from flows.alerts import record_finding_alerts
    from flows.timeliness.matching import match_agency
    from flows.timeliness.publication import publication_date

    with session_scope(settings) as session:
        document = repository.get_document(session, original.document_id)
        outcome = IngestOutcome(
            document_id=document.id,
            status="parsed",
            url=document.url,
            sha256=document.sha256,
            format=parsed.format,
            report_status=parsed.status,
        )
        if parsed.status == "unreadable" and document.parent_id is None:
            repository.mark_document(
                session, document.id, "failed", error=parsed.findings[0].message, count_attempt=False
            )
            return replace(outcome, status="failed", error=parsed.findings[0].message)
        if (
            parsed.status == "not_a_report"
            or is_companion(document.title or (document.meta or {}).get("ArticleTitle", ""))
            or _is_cover_page(session, document, parsed)
        ):
            repository.mark_document(session, document.id, "not_a_report", count_attempt=False)
            return replace(outcome, status="not_a_report")

        parent = repository.find_document(session, document.parent_id) if document.parent_id else None
        agencies = repository.all_agencies(session)
        agency = None
        for candidate in _agency_candidates(parsed, document, parent):
            agency = match_agency(candidate, agencies)
            if agency is not None:
                break
        year = parsed.year or _year_from_titles(document, parent)
        published = publication_date(document, parent)

        findings = list(parsed.findings)
        if agency is not None and year is not None:
            previous = _previous_report(session, agency.id, year)
            if previous is not None:
                findings.extend(compare_years(previous, parsed))
        parsed.findings = findings

        row = repository.replace_report(
            session,
            document.id,
            parsed,
            agency_id=agency.id if agency is not None else None,
            published_at=published.at,
            published_at_source=published.source,
            year=year,
            agency_name=agency.name if agency is not None else None,
        )
        if parsed.status == "unreadable":
            repository.mark_document(
                session, document.id, "failed", error=parsed.findings[0].message, count_attempt=False
            )
        else:
            repository.mark_document(session, document.id, "parsed", count_attempt=False)
        followups: list[dict[str, Any]] = []
        if agency is not None and year is not None:
            followups = _recheck_following_year(session, agency.id, year, parsed)

        loaded = replace(
            outcome,
            report_id=row.id,
            agency=agency.name if agency is not None else parsed.agency,
            agency_matched=agency is not None,
            year=year,
            findings=[f.to_dict() for f in findings],
            followup_findings=followups,
            totals=_totals(parsed),
        )
        record_finding_alerts(session, settings, loaded)  # the outbox: alerts commit with the report
        return loaded


def unreadable_report(original: Original, error: ParseError) -> ParsedReport | None:
    """A published attachment we cannot read still proves publication: a report without cells.

    Only for kinds a person can open but we do not parse here (a legacy Word/WPS file without
    LibreOffice, an image without OCR) and password-protected files; damaged or wrong downloads stay
    plain failures.
    """
    if not isinstance(error, UnsupportedKind | EncryptedDocument):
        return None
    return ParsedReport(
        agency=None,
        year=None,
        format="unknown",
        title=original.title,
        parser=ParserInfo(version=parsers.__version__, source_kind="text"),
        status="unreadable",
        findings=[Finding("report.unreadable", "warning", "document", str(error))],
    )


def record_failure(settings: Settings, document_id: int, error: str, *, retryable: bool) -> None:
    """Write the failure back to the document row (status, attempts, last error)."""
    with session_scope(settings) as session:
        repository.mark_document(
            session, document_id, "failed", error=error, retryable=retryable, count_attempt=False
        )


class Outage(StorageError):
    """The object store or the database is unavailable: not the document's fault, so its attempt is
    given back; `service` names what is down."""

    def __init__(self, service: str, error: str) -> None:
        super().__init__(f"{service} unavailable: {error}")
        self.service = service


def outage_service(exc: BaseException) -> str | None:
    """ "object store" or "database" when `exc` says that service is unreachable, else None."""
    if isinstance(exc, Outage):
        return exc.service
    if isinstance(exc, ParseError | RecordNotFound):
        return None
    module = type(exc).__module__
    if module.startswith(("sqlalchemy", "psycopg")) or isinstance(exc, DatabaseError):
        return "database"
    if isinstance(exc, StorageError | OSError | TimeoutError | ConnectionError) or module.startswith(
        ("minio", "urllib3", "botocore")
    ):
        return "object store"
    return None


def is_transient_error(exc: BaseException) -> bool:
    """I/O failures (object store, database, network) are worth a retry; a deterministic parse failure
    or an unknown document never is."""
    if isinstance(exc, ParseError | RecordNotFound):
        return False
    if isinstance(exc, StorageError | OSError | TimeoutError | ConnectionError):
        return True
    return type(exc).__module__.startswith(("sqlalchemy", "psycopg", "minio", "urllib3"))


def give_up(settings: Settings, original: Original, exc: BaseException) -> Outage | None:
    """After the retries: an outage gives the attempt back and is returned (the caller counts it and
    stops the run once there are enough in a row); any other failure is recorded as retryable and
    alerted (once per error) and None returned."""
    from flows.alerts import ingest_alert, raise_alert

    error = f"{type(exc).__name__}: {exc}".splitlines()[0][:500]
    service = outage_service(exc)
    if service is not None:
        with suppress(Exception):  # the database itself may be the service that is down
            refund_attempt(settings, original.document_id, f"{service} unavailable: {error}")
        outage = Outage(service, error)
        outage.__cause__ = exc
        return outage
    record_failure(settings, original.document_id, error, retryable=True)
    with session_scope(settings) as session:
        raise_alert(
            session, settings, ingest_alert(document_id=original.document_id, url=original.url, error=error)
        )
    return None


def claim_attempt(settings: Settings, document_id: int) -> None:
    """Count the attempt and commit before the parse starts (see `repository.claim_ingest_attempt`);
    DocumentClaimed when another live run is ingesting the document."""
    with session_scope(settings) as session:
        lease = settings.claim_lease_seconds
        if repository.claim_ingest_attempt(session, document_id, lease_seconds=lease) is None:
            document = repository.get_document(session, document_id)
            raise DocumentClaimed(
                f"document {document_id} is being ingested by another run ({document.claimed_by}, since "
                f"{document.claimed_at:%Y-%m-%d %H:%M:%S} UTC); try again once it is done"
            )


def refund_attempt(settings: Settings, document_id: int, error: str) -> None:
    """An outage, not the document, ended the attempt: give it back (the document stays pending)."""
    with session_scope(settings) as session:
        repository.refund_ingest_attempt(session, document_id, error)


def parse_isolated(
    settings: Settings, data: bytes, *, filename: str, content_type: str, slot: int = 0
) -> ParsedReport:
    """Parse in the worker process of `slot` under `parse_memory_mb` and `parse_seconds`
    (flows.parseworker), or in this process when `parse_isolated` is off; a worker that dies or
    overruns is a ParseError."""
    from flows.parseworker import WorkerLimits, worker_for

    if not settings.parse_isolated:
        return parse_here(data, filename=filename, content_type=content_type)
    limits = WorkerLimits(memory_mb=settings.parse_memory_mb, seconds=settings.parse_seconds)
    return worker_for(limits, slot).parse(
        data, filename=filename, content_type=content_type, entry=ENTRY_NAME
    )


def _is_cover_page(session: Session, document: models.Document, parsed: ParsedReport) -> bool:
    """A detail page without a single table cell whose report is in its archived attachments."""
    if parsed.cells or parsed.status != "parsed":
        return False
    return repository.has_attachments(session, document.id)


def _agency_candidates(
    parsed: ParsedReport, document: models.Document, parent: models.Document | None
) -> list[str]:
    """The names and titles to match against the registry, most trusted first. A site template's
    ContentSource byline may name another body (the site's owner): it is tried only when no title
    names an agency, never over the title's."""
    titles = [parsed.agency or "", parsed.title]
    bylines: list[str] = []
    for doc in (document, parent):
        if doc is None:
            continue
        meta = doc.meta or {}
        titles += [meta.get("ArticleTitle", ""), doc.title]
        bylines.append(meta.get("ContentSource", ""))
    titles = [t for t in titles if t]
    if any(named_agency(t) for t in titles):
        return titles
    return titles + [b for b in bylines if b]


def _year_from_titles(document: models.Document, parent: models.Document | None) -> int | None:
    """The report year named in the page or link titles, when the report itself does not say."""
    for doc in (document, parent):
        if doc is not None:
            year = report_year(doc.title or (doc.meta or {}).get("ArticleTitle", ""))
            if year is not None:
                return year
    return None


def _recheck_following_year(
    session: Session, agency_id: int, year: int, parsed: ParsedReport
) -> list[dict[str, Any]]:
    """Re-run the history rules of the agency's next-year reports against the one just loaded.

    Documents arrive in any order (a crawl lists newest first, a backfill goes anywhere), so loading
    year t must also judge year t+1. Returns the new findings, each with its report's document.
    """
    found: list[dict[str, Any]] = []
    for row in repository.parsed_reports(session, agency_id, year + 1):
        following = repository.report_from_row(row)
        document = repository.find_document(session, row.document_id)
        rechecked = compare_years(parsed, following)
        repository.replace_history_findings(session, row, rechecked)
        for finding in rechecked:
            found.append(
                {
                    **finding.to_dict(),
                    "year": row.year,
                    "document_id": row.document_id,
                    "url": document.url if document else "",
                    "sha256": document.sha256 if document else "",
                }
            )
    return found


def _previous_report(session: Session, agency_id: int, year: int) -> ParsedReport | None:
    """The agency's report for the year before, rebuilt as a canonical Report for the history rules."""
    rows = repository.parsed_reports(session, agency_id, year - 1)
    return repository.report_from_row(rows[0]) if rows else None


def _totals(parsed: ParsedReport) -> dict[str, Any]:
    """The headline figures an operator checks first (table 3 new/total, table 4 block totals)."""
    wanted = {
        "requests new": ("requests", "new", "total"),
        "requests carried over": ("requests", "carried_over", "total"),
        "requests handled": ("requests", "total", "total"),
        "requests carried forward": ("requests", "carried_forward", "total"),
        "review total": ("review_litigation", "review", "total"),
        "suits direct total": ("review_litigation", "suit_direct", "total"),
        "suits after review total": ("review_litigation", "suit_after_review", "total"),
    }
    return {label: parsed.value(*where) for label, where in wanted.items()}
