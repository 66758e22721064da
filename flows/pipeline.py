"""Embedded mode: the whole pipeline in one process tree on Prefect's ephemeral API.

`run_pipeline` is `nianbao run`; `run_demo` starts the bundled demo portal on loopback, points a
temporary registry at it and runs the same pipeline on the embedded defaults.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flows.cli.app import progress
from parsers.model import SEVERITY_ORDER
from storage.settings import get_settings

DEMO_REPORT_YEAR = 2023


@dataclass
class PipelineSummary:
    """The machine-readable summary printed as the last line of `run` and `demo` with --json."""

    documents_seen: int = 0
    documents_new: int = 0
    reports_loaded: int = 0
    not_reports: int = 0
    failed: int = 0
    findings: dict[str, int] = field(default_factory=dict)
    crawls: dict[str, str] = field(default_factory=dict)
    timeliness: dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)

    def lines(self) -> list[str]:
        findings = ", ".join(f"{k} {v}" for k, v in sorted(self.findings.items())) or "none"
        timeliness = ", ".join(f"{k} {v}" for k, v in sorted(self.timeliness.items())) or "not computed"
        crawls = ", ".join(f"{k}: {v}" for k, v in sorted(self.crawls.items()))
        return [
            f"crawls: {crawls}",
            f"documents seen {self.documents_seen}, new {self.documents_new}",
            f"reports loaded {self.reports_loaded}, not reports {self.not_reports}, failed {self.failed}",
            f"findings: {findings}",
            f"timeliness: {timeliness}",
        ]


def summarize(crawls: list[dict[str, Any]], outcomes: list[Any]) -> PipelineSummary:
    summary = PipelineSummary()
    for crawl in crawls:
        summary.crawls[crawl["source_id"]] = crawl["status"]
        summary.documents_new += crawl.get("documents_new", 0)
        summary.documents_seen += crawl.get("documents_new", 0) + crawl.get("documents_unchanged", 0)
    severities: Counter[str] = Counter()
    for outcome in outcomes:
        if outcome.status == "parsed":
            summary.reports_loaded += 1
            severities.update(outcome.findings_by_severity())
        elif outcome.status == "not_a_report":
            summary.not_reports += 1
        else:
            summary.failed += 1
    summary.findings = {s: severities[s] for s in SEVERITY_ORDER if severities[s]}
    return summary


def prepare_database(*, must_exist: bool = False) -> None:
    """Migrate the configured database to the newest schema.

    `must_exist`: commands that only read (findings, reports, show) refuse a SQLite file that is not
    there instead of creating an empty one. A newcomer whose working directory has no `var/` and no
    `nianbao.toml` is told which database was created or opened (the embedded default under
    NIANBAO_HOME); an explicitly configured NIANBAO_DATABASE_URL is opened silently.
    """
    from flows.cli.app import ExpectedFailure
    from storage.db import upgrade

    settings = get_settings()
    url = settings.resolved_database_url
    path = _sqlite_file(url)
    created = path is not None and not path.exists()
    if created and must_exist:
        raise ExpectedFailure(
            f"no database at {path}: run `nianbao demo` or `nianbao run` first, or set NIANBAO_DATABASE_URL"
        )
    upgrade(url)
    if created:
        progress(f"created database {path}")
    elif not settings.database_url and not Path("var").is_dir() and not Path("nianbao.toml").is_file():
        progress(f"opened database {path}")


def _sqlite_file(url: str) -> Path | None:
    """The file of a SQLite URL (None for other databases and in-memory SQLite)."""
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    if not parsed.drivername.startswith("sqlite") or not parsed.database or parsed.database == ":memory:":
        return None
    return Path(parsed.database)


def run_pipeline(
    source_ids: list[str] | None = None, *, timeliness_year: int | None = None
) -> PipelineSummary:
    """Crawl, ingest everything pending, and (optionally) compute timeliness for a year."""
    from flows.flows import crawl_flow, ingest_pending_flow, timeliness_flow

    prepare_database()
    progress("crawling sources…")
    crawls = crawl_flow(source_ids)
    progress("ingesting pending documents…")
    outcomes = ingest_pending_flow()
    summary = summarize(crawls, outcomes)
    if timeliness_year is not None:
        progress(f"checking timeliness of {timeliness_year} reports…")
        summary.timeliness = timeliness_flow(timeliness_year)  # today in Shanghai
    return summary


def run_demo(home: Path) -> PipelineSummary:
    """Serve the demo portal on loopback and run the pipeline against it on the embedded defaults."""
    from flows.demo.portal import start_portal, write_demo_registry

    demo_dir = home / "demo"
    demo_dir.mkdir(parents=True, exist_ok=True)
    ports_file = demo_dir / "ports.json"
    ports = _saved_ports(ports_file)
    portal = _start_on_saved_ports(start_portal, ports, demo_dir)
    try:
        ports_file.write_text(json.dumps(_ports_of(portal)))
        registry_dir = demo_dir / "sources"
        registry_dir.mkdir(exist_ok=True)
        write_demo_registry(portal, registry_dir / "demo.yaml")
        progress(f"demo portal: {portal.trs_url} (TRS) and {portal.hanweb_url} (Hanweb)")
        os.environ["NIANBAO_HOME"] = str(home)
        os.environ["NIANBAO_SOURCES_DIR"] = str(registry_dir)
        os.environ.setdefault("NIANBAO_CRAWL_DOWNLOAD_DELAY", "0")
        get_settings.cache_clear()
        return run_pipeline(timeliness_year=DEMO_REPORT_YEAR)
    finally:
        portal.stop()


def _saved_ports(path: Path) -> dict[str, int]:
    with suppress(OSError, ValueError):
        saved = json.loads(path.read_text())
        return {key: int(value) for key, value in saved.items()}
    return {}


def _ports_of(portal: Any) -> dict[str, int]:
    from urllib.parse import urlsplit

    return {"trs": urlsplit(portal.trs_url).port or 0, "hanweb": urlsplit(portal.hanweb_url).port or 0}


def _start_on_saved_ports(start_portal: Any, ports: dict[str, int], state_dir: Path) -> Any:
    """Reuse last run's ports so document URLs stay the same and a second demo finds nothing new."""
    if ports:
        with suppress(OSError):
            return start_portal(
                state_dir=state_dir, port_trs=ports.get("trs", 0), port_hanweb=ports.get("hanweb", 0)
            )
    return start_portal(state_dir=state_dir)


ATTENTION_TOP = 10
NEXT_COMMAND = "next: nianbao findings --severity error   (then nianbao show REPORT_ID; nianbao findings dismiss ID --note …)"


def attention_lines(timeliness_year: int | None = None) -> list[str]:
    """What needs a person after a run, from the database (not only this run's documents): the open
    error findings and the late, missing and unchecked agencies of `timeliness_year`, each the first
    ten with a count of the rest, then the next command to run."""
    from flows.review import finding_views
    from flows.timeliness.render import STATUS_LABELS
    from storage import repository
    from storage.db import session_scope

    settings = get_settings()
    lines: list[str] = []
    with session_scope(settings) as session:
        errors = finding_views(session, settings, severity="error", open_only=True)
        by_status: dict[str, list[str]] = {"late": [], "missing": [], "unchecked": []}
        if timeliness_year is not None:
            agencies = sorted(repository.all_agencies(session), key=lambda a: (a.region_code or "", a.name))
            stored = repository.timeliness_statuses(session, timeliness_year, [a.id for a in agencies])
            for agency in agencies:
                row = stored.get(agency.id)
                if row is not None and row.status in by_status:
                    late = f" (+{row.days_late}d)" if row.status == "late" and row.days_late else ""
                    by_status[row.status].append(agency.name + late)
    lines.append(f"open error findings: {len(errors)}" + (" (none to review)" if not errors else ""))
    for view in errors[:ATTENTION_TOP]:
        numbers = f": expected {view.expected}, actual {view.actual}" if view.expected is not None else ""
        lines.append(f"  #{view.id} {view.agency} {view.year or '?'} {view.rule} at {view.where}{numbers}")
    if len(errors) > ATTENTION_TOP:
        lines.append(f"  … and {len(errors) - ATTENTION_TOP} more")
    for status, names in by_status.items():
        if timeliness_year is None:
            break
        shown = ", ".join(names[:ATTENTION_TOP])
        rest = f", … and {len(names) - ATTENTION_TOP} more" if len(names) > ATTENTION_TOP else ""
        lines.append(
            f"{timeliness_year} {STATUS_LABELS[status]}: {len(names)}"
            + (f" — {shown}{rest}" if names else "")
        )
    lines.append(NEXT_COMMAND if errors else "next: nianbao reports   (then nianbao show REPORT_ID)")
    return lines
