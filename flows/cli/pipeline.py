"""`nianbao ingest`, `run`, `demo` and `serve`: the commands that drive Prefect flows."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from flows.cli.app import CommandError, app, fail, progress

if TYPE_CHECKING:
    from flows.pipeline import PipelineSummary


@app.command()
def ingest(
    document_id: Annotated[int | None, typer.Argument(help="Ingest this document.")] = None,
    pending: Annotated[
        bool, typer.Option("--pending", help="Ingest every stored or retryable document.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON summary as the last line.")] = False,
) -> None:
    """Parse, check and load stored documents into the database."""
    if (document_id is None) == (not pending):
        fail("give a DOCUMENT_ID or --pending (one of them)", code=2)
    from flows.flows import ingest_flow, ingest_pending_flow
    from flows.pipeline import prepare_database, summarize

    prepare_database()
    outcomes = ingest_pending_flow() if document_id is None else [ingest_flow(document_id)]
    for outcome in outcomes:
        line = f"document {outcome.document_id}: {outcome.status}"
        if outcome.status == "parsed":
            line += f" — {outcome.agency or '未识别机关'} {outcome.year or '?'} {outcome.format}"
            line += f", findings {outcome.findings_by_severity() or 'none'}"
        elif outcome.error:
            line += f" — {outcome.error}"
        typer.echo(line)
    summary = summarize([], outcomes)
    if as_json:
        typer.echo(json.dumps(summary.to_dict(), ensure_ascii=False))
    if summary.failed:
        raise typer.Exit(1)


@app.command()
def run(
    source: Annotated[list[str] | None, typer.Option("--source", help="Only these source ids.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON summary as the last line.")] = False,
) -> None:
    """Crawl all sources once, then ingest everything pending (embedded mode)."""
    from flows.pipeline import run_pipeline

    summary = run_pipeline(source or None)
    _print_summary(summary, as_json)


@app.command()
def demo(
    home: Annotated[Path, typer.Option(help="Where the embedded database and objects live.")] = Path("var"),
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON summary as the last line.")] = False,
) -> None:
    """Start the bundled demo portal on loopback and run the whole pipeline against it."""
    from flows.demo import missing_libraries
    from flows.pipeline import run_demo

    missing = missing_libraries()
    if missing:
        fail(f"the demo needs the [demo] extra ({', '.join(missing)} missing): pip install 'nianbao[demo]'")

    summary = run_demo(home)
    _print_summary(summary, as_json)


@app.command()
def serve() -> None:
    """Serve the deployments (crawl and ingest-pending crons, event-triggered ingest, daily timeliness)."""
    import os

    from crawler.events import DOCUMENT_STORED
    from flows.serve import serve as serve_deployments
    from storage.settings import get_settings

    if not os.environ.get("PREFECT_API_URL"):
        raise CommandError(
            "serve needs a Prefect server: set PREFECT_API_URL (e.g. http://127.0.0.1:4200/api)"
        )
    from flows.pipeline import prepare_database

    prepare_database()
    progress(f"serving deployments: crawl, ingest (on {DOCUMENT_STORED}), ingest-pending, timeliness")
    serve_deployments(get_settings())


def _print_summary(summary: PipelineSummary, as_json: bool) -> None:
    for line in summary.lines():
        typer.echo(line)
    if as_json:
        typer.echo(json.dumps(summary.to_dict(), ensure_ascii=False))
