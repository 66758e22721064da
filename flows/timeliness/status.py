"""Each expected agency-year's timeliness status, stored so that a change of status is detectable.

`classify` is the pure rule; `refresh_timeliness` reads agencies, reports and documents, picks the report
that counts for each agency-year (earliest published, `not_a_report` ignored), upserts the `timeliness`
table and returns what it held before, so the flow alerts once per change. It reads each table once, as
plain tuples, and writes in bulk: the number of queries does not grow with the registry (20,000 agencies
are one national registry), and `check_timeliness` shares the registry and each year's reports between
the statuses and the unmatched reports of several years.

Nothing found is `missing` only when the agency's source was crawled successfully after the deadline;
otherwise (no source configured, never crawled, or every crawl since the deadline blocked, failed or
empty) the monitor did not look, and says so: `unchecked`, never alerted.
"""

from __future__ import annotations

import gc
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Literal

from sqlalchemy.orm import Session

from flows.timeliness.matching import AgencyMatcher
from flows.timeliness.publication import PublicationDate, report_publication
from storage import repository
from storage.domain import as_utc, deadline_for, region_sig, shanghai_date, start_of_day
from storage.models import utcnow
from storage.repository import DocumentDates, RegistryAgency, TimelinessValues, YearReport

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
    report: YearReport
    publication: PublicationDate
    day: date  # the publication's Shanghai calendar day


class Registry:
    """The agencies expected to publish, sorted as every listing prints them (region code, then name,
    in Python so that the order is the same on every database collation), and a matcher over them."""

    def __init__(self, agencies: Iterable[RegistryAgency]) -> None:
        self.agencies = sorted(agencies, key=lambda a: (a.region_code, a.name))
        self.matcher = AgencyMatcher(self.agencies)
        self.refs = {a.id: AgencyRef(a.id, a.name, a.kind, a.region_code) for a in self.agencies}

    @classmethod
    def load(cls, session: Session) -> Registry:
        return cls(repository.registry_agencies(session))

    def within(self, region: str | None) -> list[RegistryAgency]:
        """The agencies whose division code starts with the significant digits of `region` (all without)."""
        if not region:
            return list(self.agencies)
        prefix = region_sig(region)
        return [a for a in self.agencies if a.region_code.startswith(prefix)]


def _year_candidates(
    session: Session, year: int, registry: Registry
) -> tuple[dict[int, list[_Candidate]], list[_Candidate]]:
    """The year's reports by agency id (unattributed ones matched by name/title) and the unmatched."""
    by_agency: dict[int, list[_Candidate]] = {}
    unmatched: list[_Candidate] = []
    for report in repository.year_reports(session, year):
        publication = report_publication(report, report.document, report.parent)
        candidate = _Candidate(report, publication, shanghai_date(publication.at))
        agency_id = report.agency_id
        if agency_id is None:
            for text in (report.agency_name or "", report.title, report.document.title):
                found = registry.matcher.match(text) if text else None
                if found is not None:
                    agency_id = found.id
                    break
        if agency_id is None:
            unmatched.append(candidate)
        else:
            by_agency.setdefault(agency_id, []).append(candidate)
    return by_agency, unmatched


def _first_replacement_after(
    document: DocumentDates, newer: Sequence[datetime], deadline: date
) -> datetime | None:
    """When a newer version of the document (`newer`: their first sightings) was first seen after the
    deadline; the document itself counts when it is a newer version of another."""
    versions = [*newer, document.first_seen_at] if document.previous_version_id is not None else newer
    late = [as_utc(moment) for moment in versions if shanghai_date(moment) > deadline]
    return min(late) if late else None


def _history_flags(rules: Iterable[tuple[int, str]]) -> dict[int, tuple[int, bool]]:
    """Per report: the number of history.carry_over findings and whether a near-duplicate was flagged."""
    flags: dict[int, tuple[int, bool]] = {}
    for report_id, rule in rules:
        breaks, duplicate = flags.get(report_id, (0, False))
        flags[report_id] = (
            breaks + (rule == "history.carry_over"),
            duplicate or rule == "history.duplicate_of_previous",
        )
    return flags


class _Crawls:
    """What the crawl runs say about "nothing found": per deadline, each source's first successful crawl
    on a Shanghai day after it (one grouped query per distinct deadline), and each source's newest run."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self._first_ok: dict[date, dict[str, datetime]] = {}
        self._last: dict[str, tuple[str, str]] | None = None

    def ok_after(self, source_id: str, deadline: date) -> list[datetime]:
        """The first ok crawl of the source after the deadline's Shanghai day (none: empty)."""
        if deadline not in self._first_ok:
            since = start_of_day(deadline + timedelta(days=1)).astimezone(UTC)
            self._first_ok[deadline] = repository.first_ok_crawls(self.session, since)
        first = self._first_ok[deadline].get(source_id)
        return [first] if first is not None else []

    def last(self, source_id: str) -> tuple[str, str] | None:
        if self._last is None:
            self._last = repository.last_crawl_runs(self.session)
        return self._last.get(source_id)


def _year_rows(
    session: Session,
    year: int,
    by_agency: dict[int, list[_Candidate]],
    registry: Registry,
    region: str | None,
    *,
    today: date,
    store: bool,
) -> list[StatusRow]:
    """Each agency's status for the year from its candidate reports; upserted unless `store` is False."""
    stored = repository.stored_timeliness(session, year)
    replacements = repository.newer_versions_seen(session, year)
    flags = _history_flags(repository.history_rules_of_year(session, year))
    crawls = _Crawls(session)
    rows: list[StatusRow] = []
    for agency in registry.within(region):
        deadline = deadline_for(agency, year)
        seen = [c for c in by_agency.get(agency.id, []) if c.day <= today]
        chosen = min(seen, key=lambda c: (c.publication.at, c.report.id), default=None)
        replaced = None
        if chosen is not None:
            document = chosen.report.document
            replaced = _first_replacement_after(document, replacements.get(document.id, []), deadline)
        status, days_late = classify(
            deadline,
            today,
            chosen.day if chosen else None,
            shanghai_date(replaced) if replaced else None,
        )
        reason = ""
        if status == "missing":
            source_id = agency.source_id or ""
            reason = unchecked_reason(
                deadline,
                today,
                agency.source_id,
                crawls.ok_after(source_id, deadline),
                crawls.last(source_id),
            )
            status = "unchecked" if reason else status
        breaks, duplicate = flags.get(chosen.report.id, (0, False)) if chosen else (0, False)
        previous = stored.get(agency.id)
        rows.append(
            StatusRow(
                agency=registry.refs[agency.id],
                year=year,
                status=status,
                deadline=deadline,
                published_at=chosen.publication.at if chosen else None,
                published_at_source=chosen.publication.source if chosen else "",
                days_late=days_late,
                report_id=chosen.report.id if chosen else None,
                url=chosen.report.document.url if chosen else "",
                previous_status=previous.status if previous else None,
                replaced_at=replaced if status == "changed" else None,
                carry_over_breaks=breaks,
                near_duplicate=duplicate,
                unchecked_reason=reason,
            )
        )
    if store:
        values = [
            TimelinessValues(
                row.agency.id,
                row.year,
                row.status,
                row.deadline,
                row.published_at,
                row.published_at_source,
                row.days_late,
                row.report_id,
            )
            for row in rows
        ]
        repository.save_timeliness(session, values, stored, utcnow())
    return rows


def _unmatched(
    year: int, unmatched: Sequence[_Candidate], region: str | None, regions: Mapping[str, str] | None
) -> list[UnmatchedReport]:
    if region and regions is not None:
        prefix = region_sig(region)
        unmatched = [
            c
            for c in unmatched
            if c.report.document.source_id is None
            or regions.get(c.report.document.source_id, "").startswith(prefix)
        ]
    return [
        UnmatchedReport(
            report_id=c.report.id,
            year=year,
            agency_name=c.report.agency_name or "",
            title=c.report.title or c.report.document.title,
            url=c.report.document.url,
            published_at=c.publication.at,
            published_at_source=c.publication.source,
        )
        for c in unmatched
    ]


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector: a whole-registry check allocates hundreds of thousands of
    acyclic rows, and every full collection would walk all of them again (about 40% of the check)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def check_timeliness(
    session: Session, years: Iterable[int], *, today: date, region: str | None = None, store: bool = True
) -> tuple[list[StatusRow], list[UnmatchedReport]]:
    """`refresh_timeliness` and `unmatched_reports` of several report years, year after year, reading the
    registry once and each year's reports once: what `nianbao timeliness` prints."""
    with _collector_paused():
        registry = Registry.load(session)
        regions = repository.source_regions(session) if region else None
        rows: list[StatusRow] = []
        unmatched: list[UnmatchedReport] = []
        for year in years:
            by_agency, strays = _year_candidates(session, year, registry)
            rows.extend(_year_rows(session, year, by_agency, registry, region, today=today, store=store))
            unmatched.extend(_unmatched(year, strays, region, regions))
    return rows, unmatched


def refresh_timeliness(
    session: Session, year: int, *, today: date, region: str | None = None, store: bool = True
) -> list[StatusRow]:
    """Compute, store (upsert) and return the status of every expected agency for a report year.

    `region` is a division code; agencies whose code starts with its significant digits are included.
    `previous_status` on each row is what the table held before (None for a new agency-year). With
    `store=False` (a what-if `--today`) nothing is written. The caller commits. A fixed number of
    queries whatever the size of the registry.
    """
    with _collector_paused():
        registry = Registry.load(session)
        by_agency, _ = _year_candidates(session, year, registry)
        return _year_rows(session, year, by_agency, registry, region, today=today, store=store)


def unmatched_reports(session: Session, year: int, region: str | None = None) -> list[UnmatchedReport]:
    """The year's reports that no registry agency claims (by agency_id, name or title).

    With `region`, only reports from sources of that region (or of no known source) are listed.
    """
    with _collector_paused():
        _, strays = _year_candidates(session, year, Registry.load(session))
        return _unmatched(year, strays, region, repository.source_regions(session) if region else None)
