"""Each expected agency-year's timeliness status, stored so that a change of status is detectable.

`classify` is the pure rule; `refresh_timeliness` reads agencies, reports and documents, picks the report
that counts for each agency-year (earliest published, `not_a_report` ignored), upserts the `timeliness`
table and returns what it held before, so the flow alerts once per change.

Nothing found is `missing` only when the agency's source was crawled successfully after the deadline;
otherwise (no source configured, never crawled, or every crawl since the deadline blocked, failed or
empty) the monitor did not look, and says so: `unchecked`, never alerted.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal

from sqlalchemy.orm import Session

from flows.timeliness.matching import match_agency
from flows.timeliness.publication import PublicationDate, report_publication
from storage import repository
from storage.domain import as_utc, deadline_for, region_sig, shanghai_date
from storage.models import Agency, Document, Report, utcnow

Status = Literal["on_time", "late", "missing", "pending", "changed", "unchecked"]
ALERT_STATUSES: frozenset[str] = frozenset({"late", "missing", "changed"})


@dataclass(frozen=True)
class AgencyRef:
    id: int
    name: str
    kind: str
    region_code: str


@dataclass(frozen=True)
class StatusRow:
    """One agency-year: its status now and what the table held before this refresh."""

    agency: AgencyRef
    year: int
    status: Status
    deadline: date
    published_at: datetime | None = None
    published_at_source: str = ""
    days_late: int | None = None
    report_id: int | None = None
    url: str = ""
    previous_status: str | None = None
    replaced_at: datetime | None = None
    carry_over_breaks: int = 0
    near_duplicate: bool = False
    # Why nothing found is not `missing`: no successful crawl of the agency's source since the deadline.
    unchecked_reason: str = ""

    @property
    def status_changed(self) -> bool:
        return self.previous_status != self.status

    @property
    def needs_alert(self) -> bool:
        """True when the status is late/missing/changed and differs from the stored one."""
        return self.status in ALERT_STATUSES and self.status_changed


@dataclass(frozen=True)
class UnmatchedReport:
    """A report of the year whose issuer matches no registry agency: listed, never dropped."""

    report_id: int
    year: int
    agency_name: str
    title: str
    url: str
    published_at: datetime | None
    published_at_source: str


def classify(
    deadline: date, today: date, published: date | None, replaced: date | None = None
) -> tuple[Status, int | None]:
    """Status and days late from Shanghai calendar days.

    Publishing on the deadline day is on time; nothing published is `pending` up to and including the
    deadline day and `missing` after it; a report replaced after the deadline is `changed`. A date after
    `today` has not happened yet.
    """
    if published is None or published > today:
        return ("missing" if today > deadline else "pending"), None
    days_late = max(0, (published - deadline).days)
    if replaced is not None and deadline < replaced <= today:
        return "changed", days_late
    return ("late" if days_late > 0 else "on_time"), days_late


def unchecked_reason(
    deadline: date,
    today: date,
    source_id: str | None,
    ok_crawls: Sequence[datetime],
    last_crawl: tuple[str, str] | None,
) -> str:
    """Why "no report found" cannot be claimed as `missing` ("" when it can).

    It can when the agency's source was crawled successfully (status `ok`) on a Shanghai day after the
    deadline and not after `today`. `last_crawl` is the newest run's (status, reason), for the message.
    """
    if not source_id:
        return "no source configured for this agency"
    if any(deadline < shanghai_date(moment) <= today for moment in ok_crawls):
        return ""
    if last_crawl is None:
        return f"source {source_id} was never crawled"
    status, reason = last_crawl
    detail = f"last crawl {status}" + (f": {reason}" if reason else "")
    return f"no successful crawl of source {source_id} after {deadline.isoformat()} ({detail})"


@dataclass(frozen=True)
class _Candidate:
    report: Report
    document: Document
    publication: PublicationDate


def _region_filter(agencies: Iterable[Agency], region: str | None) -> list[Agency]:
    if not region:
        return list(agencies)
    prefix = region_sig(region)
    return [a for a in agencies if (a.region_code or "").startswith(prefix)]


def _year_candidates(
    session: Session, year: int, agencies: Sequence[Agency]
) -> tuple[dict[int, list[_Candidate]], list[_Candidate]]:
    """The year's reports by agency id (unattributed ones matched by name/title) and the unmatched."""
    rows = repository.reports_with_documents(session, year)
    parents = repository.documents_by_id(
        session, (doc.parent_id for _, doc in rows if doc.parent_id is not None)
    )
    by_agency: dict[int, list[_Candidate]] = {}
    unmatched: list[_Candidate] = []
    for report, doc in rows:
        candidate = _Candidate(report, doc, report_publication(report, doc, parents.get(doc.parent_id or -1)))
        agency_id = report.agency_id
        if agency_id is None:
            for text in (report.agency_name or "", report.title, doc.title):
                found = match_agency(text, agencies) if text else None
                if found is not None:
                    agency_id = found.id
                    break
        if agency_id is None:
            unmatched.append(candidate)
        else:
            by_agency.setdefault(agency_id, []).append(candidate)
    return by_agency, unmatched


def _first_replacement_after(session: Session, document: Document, deadline: date) -> datetime | None:
    """When a newer version of the document (previous_version_id chain) was first seen after the deadline."""
    versions: list[Document] = [document] if document.previous_version_id is not None else []
    frontier = [document.id]
    seen = {document.id}
    while frontier:
        newer = [d for d in repository.newer_versions(session, frontier) if d.id not in seen]
        seen.update(d.id for d in newer)
        versions.extend(newer)
        frontier = [d.id for d in newer]
    late = [as_utc(d.first_seen_at) for d in versions if shanghai_date(d.first_seen_at) > deadline]
    return min(late) if late else None


def _history_flags(session: Session, report_ids: Sequence[int]) -> dict[int, tuple[int, bool]]:
    """Per report: the number of history.carry_over findings and whether a near-duplicate was flagged."""
    flags: dict[int, tuple[int, bool]] = {}
    for report_id, rule in repository.history_rules(session, report_ids):
        breaks, duplicate = flags.get(report_id, (0, False))
        flags[report_id] = (
            breaks + (rule == "history.carry_over"),
            duplicate or rule == "history.duplicate_of_previous",
        )
    return flags


def refresh_timeliness(
    session: Session, year: int, *, today: date, region: str | None = None, store: bool = True
) -> list[StatusRow]:
    """Compute, store (upsert) and return the status of every expected agency for a report year.

    `region` is a division code; agencies whose code starts with its significant digits are included.
    `previous_status` on each row is what the table held before (None for a new agency-year). With
    `store=False` (a what-if `--today`) nothing is written. The caller commits.
    """
    # Sorted here, not in SQL, so the order is the same on every database collation.
    all_agencies = sorted(repository.all_agencies(session), key=lambda a: (a.region_code or "", a.name))
    agencies = _region_filter(all_agencies, region)
    by_agency, _ = _year_candidates(session, year, all_agencies)
    agency_ids = [a.id for a in agencies]
    stored = repository.timeliness_statuses(session, year, agency_ids)
    drafts: list[tuple[Agency, date, _Candidate | None, datetime | None]] = []
    for agency in agencies:
        deadline = deadline_for(agency, year)
        seen = [c for c in by_agency.get(agency.id, []) if shanghai_date(c.publication.at) <= today]
        chosen = min(seen, key=lambda c: (c.publication.at, c.report.id), default=None)
        replaced = _first_replacement_after(session, chosen.document, deadline) if chosen else None
        drafts.append((agency, deadline, chosen, replaced))
    flags = _history_flags(session, [c.report.id for _, _, c, _ in drafts if c is not None])
    sources = sorted({a.source_id for a in agencies if a.source_id})
    ok_crawls = repository.ok_crawl_times(session, sources)
    last_crawls: dict[str, tuple[str, str]] = {}
    for source_id in sources:
        run = repository.last_crawl_run(session, source_id)
        if run is not None:
            last_crawls[source_id] = (run.status, run.reason)

    rows: list[StatusRow] = []
    now = utcnow()
    for agency, deadline, chosen, replaced in drafts:
        published = chosen.publication if chosen else None
        status, days_late = classify(
            deadline,
            today,
            shanghai_date(published.at) if published else None,
            shanghai_date(replaced) if replaced else None,
        )
        reason = ""
        if status == "missing":
            reason = unchecked_reason(
                deadline,
                today,
                agency.source_id,
                ok_crawls.get(agency.source_id or "", []),
                last_crawls.get(agency.source_id or ""),
            )
            status = "unchecked" if reason else status
        breaks, duplicate = flags.get(chosen.report.id, (0, False)) if chosen else (0, False)
        previous = stored.get(agency.id)
        row = StatusRow(
            agency=AgencyRef(agency.id, agency.name, agency.kind, agency.region_code or ""),
            year=year,
            status=status,
            deadline=deadline,
            published_at=published.at if published else None,
            published_at_source=published.source if published else "",
            days_late=days_late,
            report_id=chosen.report.id if chosen else None,
            url=chosen.document.url if chosen else "",
            previous_status=previous.status if previous else None,
            replaced_at=replaced if status == "changed" else None,
            carry_over_breaks=breaks,
            near_duplicate=duplicate,
            unchecked_reason=reason,
        )
        rows.append(row)
        if not store:
            continue
        repository.record_timeliness(
            session,
            previous,
            agency_id=row.agency.id,
            year=row.year,
            status=row.status,
            deadline=row.deadline,
            published_at=row.published_at,
            published_at_source=row.published_at_source,
            days_late=row.days_late,
            report_id=row.report_id,
            checked_at=now,
        )
    return rows


def unmatched_reports(session: Session, year: int, region: str | None = None) -> list[UnmatchedReport]:
    """The year's reports that no registry agency claims (by agency_id, name or title).

    With `region`, only reports from sources of that region (or of no known source) are listed.
    """
    _, unmatched = _year_candidates(session, year, repository.all_agencies(session))
    if region:
        prefix = region_sig(region)
        regions = repository.source_regions(session)
        unmatched = [
            c
            for c in unmatched
            if c.document.source_id is None or regions.get(c.document.source_id, "").startswith(prefix)
        ]
    return [
        UnmatchedReport(
            report_id=c.report.id,
            year=year,
            agency_name=c.report.agency_name or "",
            title=c.report.title or c.document.title,
            url=c.document.url,
            published_at=c.publication.at,
            published_at_source=c.publication.source,
        )
        for c in unmatched
    ]
