"""`nianbao ingest`, `run`, `demo` and `serve`: the commands that drive Prefect flows."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from flows.cli.app import CommandError, ExpectedFailure, app, fail, progress

if TYPE_CHECKING:
    from flows.pipeline import PipelineSummary


VERBOSE_HELP = "Show Prefect's log on the terminal instead of <NIANBAO_HOME>/logs/prefect.log."


@app.command()
def ingest(
    document_id: Annotated[int | None, typer.Argument(help="Ingest this document.")] = None,
    pending: Annotated[
        bool, typer.Option("--pending", help="Ingest every stored or retryable document.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON summary as the last line.")] = False,
    verbose: Annotated[bool, typer.Option("--verbose", help=VERBOSE_HELP)] = False,
) -> None:
    """Parse, check and load stored documents into the database."""
    if (document_id is None) == (not pending):
        fail("give a DOCUMENT_ID or --pending (one of them)", code=2)
    from flows.pipeline import prepare_database, summarize

    # A document can only be in a database that exists already.
    prepare_database(must_exist=document_id is not None)
    if document_id is not None:
        _check_document(document_id)
    with _embedded(verbose):
        from flows.flows import ingest_flow, ingest_pending_flow

        outcomes = ingest_pending_flow() if document_id is None else [ingest_flow(document_id)]
    for outcome in outcomes:
        line = f"document {outcome.document_id}: {outcome.status}"
        if outcome.status == "parsed":
            line += f" — {outcome.agency or '未识别机关'} {outcome.year or '?'} {outcome.format}"
            line += f", findings {outcome.findings_by_severity() or 'none'}"
            line += f"; nianbao show {outcome.report_id}"
        elif outcome.error:
            line += f" — {outcome.error}"
        typer.echo(line)
    summary = summarize([], outcomes)
    _print_attention(None)
    if as_json:
        typer.echo(json.dumps(summary.to_dict(), ensure_ascii=False))
    if summary.failed:
        raise typer.Exit(1)


@app.command()
def run(
    source: Annotated[list[str] | None, typer.Option("--source", help="Only these source ids.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON summary as the last line.")] = False,
    verbose: Annotated[bool, typer.Option("--verbose", help=VERBOSE_HELP)] = False,
) -> None:
    """Crawl all sources once, then ingest everything pending (embedded mode)."""
    _check_sources(source or [])
    from flows.pipeline import run_pipeline

    with _embedded(verbose):
        summary = run_pipeline(source or None)
    _print_summary(summary, as_json, None)


@app.command()
def demo(
    home: Annotated[Path, typer.Option(help="Where the embedded database and objects live.")] = Path("var"),
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON summary as the last line.")] = False,
    verbose: Annotated[bool, typer.Option("--verbose", help=VERBOSE_HELP)] = False,
) -> None:
    """Start the bundled demo portal on loopback and run the whole pipeline against it."""
    from flows.demo import missing_libraries
    from flows.pipeline import DEMO_REPORT_YEAR, run_demo

    missing = missing_libraries()
    if missing:
        fail(f"the demo needs the [demo] extra ({', '.join(missing)} missing): pip install 'nianbao[demo]'")

    with _embedded(verbose, home):
        summary = run_demo(home)
    _print_summary(summary, as_json, DEMO_REPORT_YEAR)


@contextmanager
def _embedded(verbose: bool, home: Path | None = None) -> Iterator[Any]:
    """Prefect's log to `<home>/logs/prefect.log` and a progress bar per stage, unless `verbose`.

    The first start of the ephemeral Prefect API migrates its database; on a busy machine that takes
    longer than Prefect's 20-second default, so embedded runs wait up to 120 s unless told otherwise.
    """
    import os

    from flows.progress import quiet_prefect_logs, stage_bars
    from storage.settings import get_settings

    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")
    # A kill of this command must not leave the temporary Prefect server (or any child) running.
    from crawler.lifeline import start_watchdog

    start_watchdog()

    if not verbose:
        log = quiet_prefect_logs(home or get_settings().home)
        progress(f"logs: {log} (--verbose to show them here)")
    with stage_bars(enabled=not verbose) as bars:
        yield bars


def _check_document(document_id: int) -> None:
    """An unknown document id is an expected failure, found before any flow starts."""
    from storage import repository
    from storage.db import session_scope
    from storage.settings import get_settings

    with session_scope(get_settings()) as session:
        if repository.find_document(session, document_id) is None:
            raise ExpectedFailure(f"no document {document_id}: see `nianbao documents`")


def _check_sources(source_ids: list[str]) -> None:
    """The registry loads and names every source asked for, before any flow starts."""
    from crawler.registry import RegistryError, load_registry
    from storage.settings import get_settings

    try:
        registry = load_registry(get_settings().sources_dir or None)
        for source_id in source_ids:
            registry.source(source_id)
    except RegistryError as exc:
        raise ExpectedFailure(str(exc)) from None


@app.command()
def serve(
    task_worker: Annotated[
        bool,
        typer.Option(
            "--task-worker/--no-task-worker",
            help="Also run one ingest task worker here (more with `nianbao worker`).",
        ),
    ] = True,
) -> None:
    """Serve the deployments (crawl, ingest-pending, timeliness, export crons; ingest, review-finding,
    reparse on demand) and the event path: stored-document events are relayed to task workers."""
    from crawler.events import DOCUMENT_STORED
    from flows.serve import serve as serve_deployments
    from storage.settings import get_settings

    _need_prefect_api("serve")
    from flows.pipeline import prepare_database

    prepare_database()
    progress(
        "serving deployments: crawl, ingest, ingest-pending, timeliness, export, review-finding, reparse; "
        f"relaying {DOCUMENT_STORED} to the task workers" + (" (one here)" if task_worker else "")
    )
    serve_deployments(get_settings(), task_worker=task_worker)


@app.command()
def worker(
    relay: Annotated[
        bool, typer.Option("--relay", help="Also relay stored-document events (when no `serve` runs).")
    ] = False,
) -> None:
    """Run an ingest task worker: loads the documents of stored-document events, no process start per
    document (start as many as the load needs; `nianbao serve` relays the events)."""
    from flows.eventpath import run_event_path
    from flows.pipeline import prepare_database
    from storage.settings import get_settings

    _need_prefect_api("worker")
    prepare_database()
    settings = get_settings()
    progress(
        f"ingest task worker: up to {settings.task_worker_limit} batch(es) at once"
        + (", relaying events" if relay else "")
    )
    run_event_path(settings, relay_events=relay)


def _need_prefect_api(command: str) -> None:
    import os

    if not os.environ.get("PREFECT_API_URL"):
        raise CommandError(
            f"{command} needs a Prefect server: set PREFECT_API_URL (e.g. http://127.0.0.1:4200/api)"
        )


def _print_summary(summary: PipelineSummary, as_json: bool, timeliness_year: int | None) -> None:
    for line in summary.lines():
        typer.echo(line)
    _print_attention(timeliness_year)
    if as_json:
        typer.echo(json.dumps(summary.to_dict(), ensure_ascii=False))


def _print_attention(timeliness_year: int | None) -> None:
    from flows.pipeline import attention_lines

    for line in attention_lines(timeliness_year):
        typer.echo(line)
