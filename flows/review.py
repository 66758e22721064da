"""Findings as operators see and judge them: listed with their evidence and the reviewer's decision.

A decision (confirmed or dismissed) is kept by the finding's fingerprint — the report's agency and year,
the rule, where it points and the cells it read — never by `findings.id`, which changes whenever a
document is re-ingested or re-parsed. The same finding found again gets the same fingerprint, so it
keeps its decision and is not alerted again.
"""

from __future__ import annotations

import getpass
import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from storage import repository
from storage.domain import SHANGHAI, as_utc
from storage.errors import RecordNotFound, StorageError
from storage.models import Agency, Document, Finding, FindingReview
from storage.models import Report as ReportRow
from storage.settings import Settings

DECISIONS: dict[str, str] = {"confirm": "confirmed", "dismiss": "dismissed"}
UNKNOWN_AGENCY = "未识别机关"


def fingerprint(
    agency: str, year: int | None, rule: str, where: str, cells: Iterable[Mapping[str, Any]]
) -> str:
    """The stable identity of a finding: SHA-256 over agency, year, rule, where and each evidence cell's
    address, year and printed text (not its page: a re-render may move it)."""
    evidence = sorted(
        [str(c["table"]), str(c["row"]), str(c["col"]), str(c.get("year") or ""), str(c.get("raw") or "")]
        for c in cells
    )
    basis = json.dumps(
        {"agency": agency, "year": year, "rule": rule, "where": where, "cells": evidence},
        ensure_ascii=False,
        sort_keys=True,
    )
    return hashlib.sha256(basis.encode("utf-8")).hexdigest()


def agency_of(report: ReportRow, agency: Agency | None) -> str:
    """The agency a report belongs to: the registry's name when matched, else the name it prints."""
    if agency is not None:
        return agency.name
    return report.agency_name or UNKNOWN_AGENCY


def reviewer_name(settings: Settings) -> str:
    """Who is deciding: `NIANBAO_REVIEWER`, else the operating-system user."""
    if settings.reviewer.strip():
        return settings.reviewer.strip()
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def _moment(value: datetime) -> str:
    return as_utc(value).astimezone(SHANGHAI).isoformat(timespec="seconds")


@dataclass(frozen=True)
class ReviewView:
    """A reviewer's decision as listings print it."""

    decision: str
    note: str
    reviewer: str
    reviewed_at: str

    @classmethod
    def of(cls, review: FindingReview) -> ReviewView:
        return cls(review.decision, review.note, review.reviewer, _moment(review.reviewed_at))

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def line(self) -> str:
        return f"{self.decision} by {self.reviewer} at {self.reviewed_at}: {self.note}"


@dataclass(frozen=True)
class FindingView:
    """One finding with everything needed to check it against the original and judge it."""

    id: int
    fingerprint: str
    report_id: int
    document_id: int
    agency: str
    year: int | None
    format: str
    rule: str
    severity: str
    where: str
    message: str
    expected: float | int | None
    actual: float | int | None
    cells: list[dict[str, Any]] = field(default_factory=list)
    url: str = ""
    original: str = ""
    review: ReviewView | None = None

    @property
    def is_open(self) -> bool:
        """Not judged yet: neither confirmed nor dismissed."""
        return self.review is None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "fingerprint": self.fingerprint,
            "report_id": self.report_id,
            "document_id": self.document_id,
            "agency": self.agency,
            "year": self.year,
            "rule": self.rule,
            "severity": self.severity,
            "where": self.where,
            "message": self.message,
            "expected": self.expected,
            "actual": self.actual,
            "cells": [dict(c) for c in self.cells],
            "url": self.url,
            "original": self.original,
            "review": self.review.to_dict() if self.review else None,
        }


def _number(value: float | None) -> float | int | None:
    if value is None:
        return None
    return int(value) if float(value).is_integer() else value


def original_links(settings: Settings, documents: Iterable[Document]) -> dict[int, str]:
    """Where an operator opens each stored original (the object store's URL), by document id."""
    from storage.objectstore import open_store

    docs = list(documents)
    try:
        store = open_store(settings)
    except StorageError:
        return {d.id: d.object_key for d in docs}
    links: dict[int, str] = {}
    for doc in docs:
        try:
            links[doc.id] = store.url(doc.object_key)
        except StorageError:
            links[doc.id] = doc.object_key
    return links


def finding_views(
    session: Session,
    settings: Settings,
    *,
    severity: str | None = None,
    rule: str | None = None,
    agency: str | None = None,
    year: int | None = None,
    report_id: int | None = None,
    finding_id: int | None = None,
    open_only: bool = False,
) -> list[FindingView]:
    """The stored findings matching the filters, each with its fingerprint, evidence and decision."""
    rows = repository.finding_listing(
        session,
        severity=severity,
        rule=rule,
        agency=agency,
        year=year,
        report_id=report_id,
        finding_id=finding_id,
    )
    prints = [_fingerprint_of(finding, report, registered) for finding, report, _, registered in rows]
    reviews = repository.reviews_by_fingerprint(session, prints)
    links = original_links(settings, {d.id: d for _, _, d, _ in rows}.values())
    views = [
        _view(finding, report, document, registered, print_, reviews.get(print_), links.get(document.id, ""))
        for (finding, report, document, registered), print_ in zip(rows, prints, strict=True)
    ]
    return [v for v in views if v.is_open] if open_only else views


def _fingerprint_of(finding: Finding, report: ReportRow, registered: Agency | None) -> str:
    return fingerprint(
        agency_of(report, registered), report.year, finding.rule, finding.location, finding.cells
    )


def _view(
    finding: Finding,
    report: ReportRow,
    document: Document,
    registered: Agency | None,
    print_: str,
    review: FindingReview | None,
    original: str,
) -> FindingView:
    return FindingView(
        id=finding.id,
        fingerprint=print_,
        report_id=report.id,
        document_id=document.id,
        agency=agency_of(report, registered),
        year=report.year,
        format=report.format,
        rule=finding.rule,
        severity=finding.severity,
        where=finding.location,
        message=finding.message,
        expected=_number(finding.expected),
        actual=_number(finding.actual),
        cells=[dict(c) for c in finding.cells or []],
        url=document.url,
        original=original,
        review=ReviewView.of(review) if review is not None else None,
    )


def review_finding(
    session: Session, settings: Settings, finding_id: int, action: str, note: str, reviewer: str = ""
) -> FindingView:
    """Confirm or dismiss a finding by id; the decision is stored under its fingerprint.

    The caller commits. Raises `RecordNotFound` for an unknown finding id.
    """
    decision = DECISIONS.get(action)
    if decision is None:
        raise StorageError(f"unknown review action {action!r}; expected confirm or dismiss")
    if not note.strip():
        raise StorageError("a review needs a note saying why (--note)")
    found = finding_views(session, settings, finding_id=finding_id)
    if not found:
        raise RecordNotFound(f"no finding with id {finding_id}")
    view = found[0]
    review = repository.record_review(
        session,
        fingerprint=view.fingerprint,
        decision=decision,
        note=note.strip(),
        reviewer=reviewer.strip() or reviewer_name(settings),
        agency=view.agency,
        year=view.year,
        rule=view.rule,
        location=view.where,
    )
    return FindingView(**{**view.__dict__, "review": ReviewView.of(review)})


def reviewed(session: Session, fingerprints: Iterable[str]) -> set[str]:
    """Which of these fingerprints a reviewer has judged (confirmed or dismissed): never alerted again."""
    return set(repository.reviews_by_fingerprint(session, fingerprints))
