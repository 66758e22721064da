"""Child-process entry point: crawl one source with Scrapy and write a JSON summary.

`python -m crawler.runner --source ID --run-id N --summary FILE [--registry PATH]`.
One process per source because the Twisted reactor cannot be restarted; `crawler.run` starts
it, records the crawl_runs row and survives the child dying.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from pathlib import Path
from typing import Any

from crawler.lifeline import die_with_parent, parent_pid_from_env
from crawler.registry import RegistryError, load_registry
from storage.errors import StorageError
from storage.settings import SettingsError, get_settings


def write_summary(path: Path | None, summary: dict[str, Any]) -> None:
    """Write the summary atomically (a reader never sees half a file)."""
    if path is None:
        return
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(summary, ensure_ascii=False, default=str), encoding="utf-8")
    os.replace(tmp, path)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m crawler.runner", description=__doc__)
    parser.add_argument("--source", required=True, help="source id from the registry")
    parser.add_argument("--run-id", type=int, default=None, help="crawl_runs id the documents belong to")
    parser.add_argument("--registry", default=None, help="registry file or directory")
    parser.add_argument("--summary", type=Path, default=None, help="where to write the JSON summary")
    parser.add_argument("--log-level", default=os.environ.get("NIANBAO_CRAWL_LOG_LEVEL", "INFO"))
    return parser


def main(argv: list[str] | None = None) -> int:
    die_with_parent(parent_pid_from_env())  # never crawl on after `nianbao crawl` is killed
    args = _parser().parse_args(argv)
    try:
        settings = get_settings()
        registry = load_registry(args.registry or settings.sources_dir or None)
        source = registry.source(args.source)
        from storage.db import get_engine
        from storage.objectstore import open_store

        engine = get_engine(settings)
        store = open_store(settings)
        from crawler.state import KnownDocuments, load_run_context

        ctx = load_run_context(engine, source, args.run_id)
    except (RegistryError, StorageError, SettingsError) as exc:
        write_summary(args.summary, {"source_id": args.source, "fatal": str(exc)})
        print(f"nianbao crawl: {exc}", file=sys.stderr)
        return 2

    from scrapy.crawler import CrawlerProcess

    from crawler.events import flush_events
    from crawler.settings import scrapy_settings
    from crawler.spiders.reports import ReportsSpider

    process = CrawlerProcess(settings=scrapy_settings(settings, source, log_level=args.log_level))
    crawler = process.create_crawler(ReportsSpider)

    def on_error(failure: Any, response: Any = None, spider: Any = None, **_: Any) -> None:
        url = getattr(response, "url", "") or ""
        ctx.fail(url, f"spider error: {failure.getErrorMessage()}")

    from scrapy import signals

    crawler.signals.connect(on_error, signal=signals.spider_error)
    process.crawl(
        crawler, ctx=ctx, known=KnownDocuments(engine), timezone=settings.timezone, store=store, engine=engine
    )
    process.start()
    flush_events()
    write_summary(args.summary, ctx.summary())
    logging.getLogger(__name__).info("summary: %s", {k: v for k, v in ctx.summary().items() if k != "state"})
    return 0


if __name__ == "__main__":
    sys.exit(main())
