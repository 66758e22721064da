"""Publication dates, agency matching and the timeliness status of each agency-year (deadlines and
Shanghai calendar days live in `storage.domain`)."""

from __future__ import annotations

from flows.timeliness.matching import AgencyMatcher, match_agency
from flows.timeliness.publication import PublicationDate, publication_date
from flows.timeliness.render import (
    artifact_rows,
    html_lines,
    render_csv,
    render_html,
    render_json,
    render_markdown,
    render_table,
    summary,
)
from flows.timeliness.status import (
    AgencyRef,
    StatusRow,
    UnmatchedReport,
    check_timeliness,
    classify,
    refresh_timeliness,
    unmatched_reports,
)

__all__ = [
    "AgencyMatcher",
    "AgencyRef",
    "PublicationDate",
    "StatusRow",
    "UnmatchedReport",
    "artifact_rows",
    "check_timeliness",
    "classify",
    "html_lines",
    "match_agency",
    "publication_date",
    "refresh_timeliness",
    "render_csv",
    "render_html",
    "render_json",
    "render_markdown",
    "render_table",
    "summary",
    "unmatched_reports",
]
