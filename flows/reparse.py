"""Re-read stored originals when the parser improves, without re-crawling.

Every report records the parser version that produced it. `select_documents` picks the ingested
documents by status (the report's status — parsed, needs_ocr, unreadable — or the document's own
when it has no report: not_a_report, failed), by parser version older than a given one, and by
source; `reparse_flow` runs the ingest flow on each, which fetches the original from the object
store, parses it again and replaces the report in one transaction, so a second run changes nothing.
Findings and timeliness follow the new report, and an alert fires only for an error finding not
alerted before (alerts are keyed by their finding), so what did not change stays quiet.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from prefect import flow, get_run_logger

from flows.ingest import IngestOutcome
from flows.progress import stage_advanced, stage_started
from flows.subflows import without_own_heartbeat
from storage import repository
from storage.db import session_scope
from storage.settings import Settings, get_settings

STATUSES = ("parsed", "needs_ocr", "unreadable", "not_a_report", "failed")


def version_key(version: str) -> tuple[int, ...]:
    """A parser version as numbers ("0.10.0" after "0.9.1"); "" (never recorded) before every version."""
    return tuple(int(part) for part in re.findall(r"\d+", version))


def select_documents(
    settings: Settings,
    *,
    statuses: Iterable[str] = (),
    parser_older_than: str | None = None,
    source_id: str | None = None,
) -> list[tuple[int, str, str]]:
    """(document id, status, parser version) of the documents to read again, by id."""
    wanted = set(statuses)
    unknown = wanted - set(STATUSES)
    if unknown:
        raise ValueError(f"unknown status {', '.join(sorted(unknown))} (one of {', '.join(STATUSES)})")
    ceiling = version_key(parser_older_than) if parser_older_than else None
    with session_scope(settings) as session:
        rows = repository.reparse_candidates(session, source_id=source_id)
    return [
        (doc_id, status, version)
        for doc_id, status, version in rows
        if (not wanted or status in wanted) and (ceiling is None or version_key(version) < ceiling)
    ]


@dataclass
class ReparseSummary:
    """What a reparse did: how many documents it read again and each one's status before and after."""

    selected: int = 0
    before: dict[str, int] = field(default_factory=dict)
    after: dict[str, int] = field(default_factory=dict)
    changed: list[dict[str, Any]] = field(default_factory=list)
    failed: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "selected": self.selected,
            "before": dict(self.before),
            "after": dict(self.after),
            "changed": list(self.changed),
            "failed": self.failed,
        }


def _status_after(outcome: IngestOutcome) -> str:
    if outcome.status == "parsed":
        return outcome.report_status or "parsed"
    return outcome.status


@flow(name="reparse", log_prints=True)
def reparse_flow(
    statuses: list[str] | None = None, parser_older_than: str | None = None, source_id: str | None = None
) -> ReparseSummary:
    """Ingest again every stored original matching the filters (all ingested documents without any)."""
    from flows.flows import ingest_flow

    settings = get_settings()
    logger = get_run_logger()
    chosen = select_documents(
        settings, statuses=statuses or (), parser_older_than=parser_older_than, source_id=source_id
    )
    summary = ReparseSummary(selected=len(chosen), before=dict(Counter(s for _, s, _ in chosen)))
    logger.info("%d document(s) to read again", len(chosen))
    stage_started("reparse", len(chosen))
    after: Counter[str] = Counter()
    for position, (document_id, before, version) in enumerate(chosen, start=1):
        try:
            with without_own_heartbeat():
                outcome = ingest_flow(document_id)
            status = _status_after(outcome)
        except Exception as exc:
            logger.warning("document %s: %s", document_id, str(exc).splitlines()[0] if str(exc) else exc)
            status = "failed"
        if status == "failed":
            summary.failed += 1
        after[status] += 1
        if status != before:
            summary.changed.append(
                {"document_id": document_id, "before": before, "after": status, "parser_version": version}
            )
        logger.info(
            "read again %d/%d: document %s %s → %s", position, len(chosen), document_id, before, status
        )
        stage_advanced("reparse")
    summary.after = dict(after)
    return summary
