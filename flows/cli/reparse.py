"""`nianbao reparse`: read stored originals again with the current parser (no crawl)."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from flows.cli.app import app, fail


@app.command()
def reparse(
    status: Annotated[
        list[str] | None,
        typer.Option(
            "--status",
            help="Only documents in this status: parsed, needs_ocr, unreadable, not_a_report, failed (repeatable).",
        ),
    ] = None,
    parser_older_than: Annotated[
        str | None,
        typer.Option("--parser-older-than", help="Only reports made by a parser version older than this."),
    ] = None,
    source: Annotated[str | None, typer.Option("--source", help="Only documents of this source id.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON summary as the last line.")] = False,
    verbose: Annotated[bool, typer.Option("--verbose", help="Show Prefect's log on the terminal.")] = False,
) -> None:
    """Parse stored originals again and replace their reports (e.g. needs_ocr once OCR is installed)."""
    from flows.cli.pipeline import _embedded
    from flows.pipeline import prepare_database
    from flows.reparse import STATUSES, reparse_flow

    unknown = sorted(set(status or ()) - set(STATUSES))
    if unknown:
        fail(f"unknown status {', '.join(unknown)} (one of {', '.join(STATUSES)})", code=2)
    prepare_database(must_exist=True)
    with _embedded(verbose):
        summary = reparse_flow(status or None, parser_older_than, source)
    for change in summary.changed:
        typer.echo(f"document {change['document_id']}: {change['before']} → {change['after']}")
    typer.echo(
        f"read again {summary.selected} document(s): before {summary.before or '{}'}, "
        f"after {summary.after or '{}'}, {len(summary.changed)} changed, {summary.failed} failed"
    )
    if as_json:
        typer.echo(json.dumps(summary.to_dict(), ensure_ascii=False))
    if summary.failed:
        raise typer.Exit(1)
