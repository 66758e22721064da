"""`nianbao crawl [--source ID] [--json]`: crawl sources, one child process per batch of sources."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from flows.cli.app import app, fail, progress


@app.command()
def crawl(
    source: list[str] = typer.Option(None, "--source", help="Source id (repeatable); default: every source."),
    registry: Path | None = typer.Option(None, "--registry", help="Registry file or directory."),
    as_json: bool = typer.Option(False, "--json", help="Print a JSON summary as the last line."),
    verbose: bool = typer.Option(False, "--verbose", help="Print each source's Scrapy log file."),
) -> None:
    """Crawl the registry's sources and archive every report page and attachment found.

    Scrapy logs to <NIANBAO_HOME>/logs/crawl-batch-<first run>.log (one file per batch of sources,
    each line naming its source); the terminal shows a progress bar.
    """
    from crawler.registry import RegistryError, load_registry
    from crawler.run import CrawlSummary, crawl_all
    from flows.alerts import alert_crawl_trouble, crawl_recorder
    from flows.progress import stage_advanced, stage_bars, stage_started
    from storage.errors import StorageError
    from storage.settings import get_settings

    try:
        known = load_registry(registry or get_settings().sources_dir or None)
        wanted = list(source or []) or [s.id for s in known.sources]
        for source_id in wanted:
            known.source(source_id)
    except RegistryError as exc:
        fail(str(exc), code=2)

    def report(result: CrawlSummary) -> None:
        alert_crawl_trouble(get_settings(), result)
        reason = f" ({result.reason})" if result.reason else ""
        health = f" [site {result.health}]" if result.health else ""
        progress(
            f"crawl {result.source_id}: {result.status}{reason}{health}; pages={result.pages} "
            f"links={result.links_found} new={result.documents_new} "
            f"unchanged={result.documents_unchanged} errors={result.errors}"
        )
        if verbose:
            progress(f"  log: {result.stats.get('log', '')}")
        stage_advanced("crawl")

    from flows.pipeline import prepare_database

    try:
        prepare_database()
        with stage_bars():
            stage_started("crawl", len(wanted))
            results = crawl_all(
                wanted, registry_path=registry, on_done=report, on_finish=crawl_recorder(get_settings())
            )
    except (RegistryError, StorageError) as exc:
        fail(str(exc))
    if as_json:
        totals = {
            key: sum(getattr(r, key) for r in results)
            for key in ("pages", "links_found", "documents_new", "documents_unchanged", "errors")
        }
        statuses = {
            status: sum(1 for r in results if r.status == status) for status in {r.status for r in results}
        }
        summary = {"sources": [r.as_dict() for r in results], **totals, "statuses": statuses}
        typer.echo(json.dumps(summary, ensure_ascii=False))
    failed = [r.source_id for r in results if r.status == "failed"]
    if failed:
        fail(f"crawl failed for {', '.join(failed)}")
