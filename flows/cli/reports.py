"""`nianbao reports` and `nianbao show`: the loaded reports, and one report as its tables are printed."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.cells import cell_len

from flows.cli.app import ExpectedFailure, app, fail

REPORT_STATUSES = ("parsed", "not_a_report", "needs_ocr", "unreadable")
SHOW_FORMATS = ("table", "html", "json")


@app.command()
def reports(
    agency: Annotated[str | None, typer.Option(help="Only agencies whose name contains TEXT.")] = None,
    year: Annotated[int | None, typer.Option(help="Only reports on this year.")] = None,
    region: Annotated[str | None, typer.Option(help="Division code, e.g. 640105.")] = None,
    status: Annotated[
        str | None, typer.Option(help="Report status: parsed, not_a_report, needs_ocr, unreadable.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON list.")] = False,
) -> None:
    """List loaded reports: id, agency, year, format, status, findings by severity (open ones), the page."""
    if status is not None and status not in REPORT_STATUSES:
        raise ExpectedFailure(f"--status {status!r}: expected one of {', '.join(REPORT_STATUSES)}")
    from flows.pipeline import prepare_database
    from flows.review import agency_of, finding_views
    from storage import repository
    from storage.db import session_scope
    from storage.domain import region_sig
    from storage.settings import get_settings

    prepare_database(must_exist=True)
    settings = get_settings()
    records: list[dict[str, Any]] = []
    with session_scope(settings) as session:
        rows = repository.report_listing(session, agency=agency, year=year, status=status)
        regions = repository.source_regions(session)
        if region:
            prefix = region_sig(region)
            rows = [
                (r, d, a)
                for r, d, a in rows
                if (
                    (a.region_code if a is not None else "") or regions.get(d.source_id or "", "")
                ).startswith(prefix)
            ]
        views = finding_views(session, settings, agency=agency, year=year)
        by_report: dict[int, dict[str, list[int]]] = {}
        for view in views:
            counts = by_report.setdefault(view.report_id, {})
            total_open = counts.setdefault(view.severity, [0, 0])
            total_open[0] += 1
            total_open[1] += view.is_open
        for report, document, registered in rows:
            findings = by_report.get(report.id, {})
            records.append(
                {
                    "id": report.id,
                    "document_id": document.id,
                    "agency": agency_of(report, registered),
                    "agency_matched": registered is not None,
                    "region_code": (registered.region_code if registered is not None else "")
                    or regions.get(document.source_id or "", ""),
                    "year": report.year,
                    "format": report.format,
                    "status": report.status,
                    "title": report.title,
                    "published_at": report.published_at.isoformat() if report.published_at else None,
                    "findings": {sev: n for sev, (n, _) in findings.items()},
                    "open_findings": {sev: o for sev, (_, o) in findings.items() if o},
                    "url": document.url,
                }
            )
    if as_json:
        typer.echo(json.dumps(records, ensure_ascii=False))
        return
    if not records:
        typer.echo("no reports")
        return
    header = ("id", "agency", "year", "format", "status", "findings (open)", "page")
    lines = [header] + [
        (
            str(r["id"]),
            r["agency"],
            str(r["year"] or "?"),
            r["format"],
            r["status"],
            " ".join(
                f"{sev[0]}{n}({r['open_findings'].get(sev, 0)})"
                for sev in ("error", "warning", "info")
                if (n := r["findings"].get(sev))
            ),
            r["url"],
        )
        for r in records
    ]
    for line in _aligned(lines):
        typer.echo(line)
    typer.echo(f"\n{len(records)} report(s); `nianbao show ID` prints one with its tables and findings")


def _aligned(lines: list[tuple[str, ...]]) -> list[str]:
    """Columns padded by display width (a CJK character takes two cells); nothing is cut."""
    widths = [max(cell_len(line[i]) for line in lines) for i in range(len(lines[0]))]
    return [
        "  ".join(text + " " * (widths[i] - cell_len(text)) for i, text in enumerate(line)).rstrip()
        for line in lines
    ]


@app.command()
def show(
    report_id: Annotated[int, typer.Argument(metavar="REPORT_ID", help="A report id (nianbao reports).")],
    output_format: Annotated[str, typer.Option("--format", help="table | html | json")] = "table",
    output: Annotated[Path | None, typer.Option("--output", help="Write to FILE instead of stdout.")] = None,
) -> None:
    """One report: its tables in the official layout with the flagged cells marked, then its findings."""
    if output_format not in SHOW_FORMATS:
        raise ExpectedFailure(f"--format {output_format!r}: expected one of {', '.join(SHOW_FORMATS)}")
    from flows.pipeline import prepare_database
    from flows.reportview import report_page

    prepare_database(must_exist=True)
    text = report_page(report_id, output_format)
    if text is None:
        raise ExpectedFailure(f"no report {report_id}: see `nianbao reports`")
    if output is None:
        typer.echo(text, nl=False)
        return
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as exc:
        fail(f"cannot write {output}: {exc.strerror or exc}")
