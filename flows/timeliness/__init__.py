"""Deadlines, publication dates, agency matching and the timeliness status of each agency-year."""

from __future__ import annotations

from flows.timeliness.deadlines import SHANGHAI, deadline_for, shanghai_date, statutory_deadline
from flows.timeliness.matching import match_agency, strip_title
from flows.timeliness.publication import PublicationDate, publication_date
from flows.timeliness.render import (
    artifact_rows,
    render_csv,
    render_html,
    render_json,
    render_table,
    summary,
)
from flows.timeliness.status import (
    AgencyRef,
    StatusRow,
    UnmatchedReport,
    classify,
    refresh_timeliness,
    unmatched_reports,
)

__all__ = [
    "SHANGHAI",
    "AgencyRef",
    "PublicationDate",
    "StatusRow",
    "UnmatchedReport",
    "artifact_rows",
    "classify",
    "deadline_for",
    "match_agency",
    "publication_date",
    "refresh_timeliness",
    "render_csv",
    "render_html",
    "render_json",
    "render_table",
    "shanghai_date",
    "statutory_deadline",
    "strip_title",
    "summary",
    "unmatched_reports",
]
