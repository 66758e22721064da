"""Child-process entry point: crawl a batch of sources in one Scrapy process, one crawler per source.

`python -m crawler.batch --jobs FILE --results FILE [--concurrency N]`. `crawler.run.crawl_batch`
writes the jobs (each source's registry entry and its crawl_runs id, pickled) and reads the results:
one JSON line per finished source (the same summary `crawler.runner` writes for one source), written
and flushed as each source finishes, so the sources finished before this process dies are kept.

Each source gets its own `Crawler` with its own settings (`crawler.settings.scrapy_settings`), run
context, downloader and robots.txt, exactly as in a process of its own; at most `concurrency` run at
once, and never two sources whose start URLs share a host (per-domain politeness holds across the
batch, not only within a source). A source whose crawl cannot start or whose crawler fails is
reported failed with the reason; the others go on.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import pickle
import sys
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlsplit

from crawler.lifeline import die_with_parent, parent_pid_from_env
from crawler.registry import SourceConfig

DEFAULT_CONCURRENCY = 32
log = logging.getLogger("crawler.batch")


@dataclass(frozen=True)
class BatchJob:
    """One source of a batch and the crawl_runs row its documents belong to."""

    source: SourceConfig
    run_id: int


def write_jobs(path: Path, jobs: list[BatchJob]) -> None:
    """The jobs file the parent hands to the batch process (its own temp dir, read once)."""
    path.write_bytes(pickle.dumps(jobs))


def read_jobs(path: Path) -> list[BatchJob]:
    jobs: list[BatchJob] = pickle.loads(path.read_bytes())
    return jobs


def politeness_hosts(source: SourceConfig) -> frozenset[str]:
    """The hosts a source's crawl starts on: two sources sharing one are never crawled at once."""
    return frozenset((urlsplit(url).hostname or "").lower() for url in source.start_urls)


class SourceFilter(logging.Filter):
    """Prefixes each log line with the source it is about (records Scrapy tags with the spider)."""

    def filter(self, record: logging.LogRecord) -> bool:
        spider = getattr(record, "spider", None)
        ctx = getattr(spider, "ctx", None)
        record.source = ctx.source.id if ctx is not None else "-"
        return True


class RepeatFilter(logging.Filter):
    """Drops a record of the Scrapy set-up loggers whose message this process already logged: every
    crawler of a batch lists the same enabled addons, extensions and middlewares."""

    LOGGERS = frozenset({"scrapy.addons", "scrapy.middleware"})

    def __init__(self) -> None:
        super().__init__()
        self.seen: set[str] = set()

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name not in self.LOGGERS:
            return True
        message = record.getMessage()
        if message in self.seen:
            return False
        self.seen.add(message)
        return True


class BatchCrawl:
    """Starts the jobs' crawlers in the running reactor, at most `concurrency` at once and one per host,
    and reports each finished source through `report` (one summary dict); `later` runs a call on the
    next turn of the reactor."""

    def __init__(
        self,
        jobs: list[BatchJob],
        start: Callable[[BatchJob, Callable[[Any], None]], None],
        report: Callable[[dict[str, Any]], None],
        concurrency: int,
        later: Callable[[Callable[[], None]], object],
    ) -> None:
        self.later = later
        self.pending = list(jobs)
        self.start_crawl = start
        self.report = report
        self.concurrency = max(1, concurrency)
        self.running: dict[str, frozenset[str]] = {}
        self.stopping = False
        self.on_idle: Callable[[], None] = lambda: None

    @property
    def busy_hosts(self) -> set[str]:
        return {host for hosts in self.running.values() for host in hosts}

    def fill(self) -> None:
        """Start waiting jobs while there is room, skipping those whose host is being crawled."""
        index = 0
        while not self.stopping and len(self.running) < self.concurrency and index < len(self.pending):
            job = self.pending[index]
            hosts = politeness_hosts(job.source)
            if hosts & self.busy_hosts:
                index += 1
                continue
            self.pending.pop(index)
            self.running[job.source.id] = hosts
            try:
                self.start_crawl(job, partial(self.finished, job))
            except Exception as exc:
                self.finished(job, failed_summary(job, f"the crawl could not start: {one_line(exc)}"))
        if not self.running and (self.stopping or not self.pending):
            self.on_idle()

    def finished(self, job: BatchJob, summary: dict[str, Any]) -> None:
        if self.running.pop(job.source.id, None) is None:
            return
        self.report(summary)
        self.later(self.fill)  # not from inside the crawler's callbacks


def failed_summary(job: BatchJob, reason: str) -> dict[str, Any]:
    return {"source_id": job.source.id, "run_id": job.run_id, "fatal": reason}


def one_line(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}".splitlines()[0][:300]


def result_writer(out: IO[str]) -> Callable[[dict[str, Any]], None]:
    """Write one summary as one JSON line, flushed at once (the parent reads it while we run)."""

    def write(summary: dict[str, Any]) -> None:
        out.write(json.dumps(summary, ensure_ascii=False, default=str) + "\n")
        out.flush()
        log.info(
            "finished %s: %s", summary.get("source_id"), {k: v for k, v in summary.items() if k != "state"}
        )

    return write


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m crawler.batch", description=__doc__)
    parser.add_argument(
        "--jobs", type=Path, required=True, help="the pickled jobs of crawler.run.crawl_batch"
    )
    parser.add_argument(
        "--results", type=Path, required=True, help="append one JSON line per finished source"
    )
    parser.add_argument(
        "--concurrency", type=int, default=DEFAULT_CONCURRENCY, help="sources crawled at once"
    )
    parser.add_argument("--log-level", default=os.environ.get("NIANBAO_CRAWL_LOG_LEVEL", "INFO"))
    return parser


def _install_log_handler(level: str) -> None:
    handler = logging.StreamHandler(sys.stdout)
    handler.addFilter(RepeatFilter())
    handler.addFilter(SourceFilter())
    handler.setFormatter(logging.Formatter("%(asctime)s [%(source)s] [%(name)s] %(levelname)s: %(message)s"))
    handler.setLevel(level)
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(level)


def main(argv: list[str] | None = None) -> int:
    die_with_parent(parent_pid_from_env())  # never crawl on after `nianbao crawl` is killed
    args = _parser().parse_args(argv)
    jobs = read_jobs(args.jobs)
    with open(args.results, "a", encoding="utf-8") as out:
        report = result_writer(out)
        try:
            from storage.db import get_engine
            from storage.objectstore import open_store
            from storage.settings import get_settings

            settings = get_settings()
            engine = get_engine(settings)
            store = open_store(settings)
        except Exception as exc:  # no database or store: every source fails with the reason
            for job in jobs:
                report(failed_summary(job, one_line(exc)))
            print(f"nianbao crawl: {exc}", file=sys.stderr)
            return 2
        return _crawl(jobs, args, settings, engine, store, report)


def _crawl(
    jobs: list[BatchJob],
    args: argparse.Namespace,
    settings: Any,
    engine: Any,
    store: Any,
    report: Callable[[dict[str, Any]], None],
) -> int:
    from scrapy.settings.default_settings import TWISTED_REACTOR
    from scrapy.utils.reactor import install_reactor

    install_reactor(TWISTED_REACTOR)  # before anything imports twisted.internet.reactor
    from scrapy import signals
    from scrapy.crawler import Crawler, CrawlerProcess
    from twisted.internet import reactor as installed
    from twisted.python.failure import Failure

    from crawler.events import flush_events
    from crawler.settings import scrapy_settings
    from crawler.spiders.reports import ReportsSpider
    from crawler.state import KnownDocuments, load_run_context

    reactor: Any = installed
    _install_log_handler(args.log_level)
    process = CrawlerProcess(
        settings={
            "LOG_INSTALL_ROOT_HANDLER": False,
            "LOG_LEVEL": args.log_level,
            "TELNETCONSOLE_ENABLED": False,
        }
    )
    known = KnownDocuments(engine)

    def start(job: BatchJob, done: Callable[[dict[str, Any]], None]) -> None:
        ctx = load_run_context(engine, job.source, job.run_id)
        crawler = Crawler(ReportsSpider, scrapy_settings(settings, job.source, log_level=args.log_level))

        def on_error(failure: Any, response: Any = None, spider: Any = None, **_: Any) -> None:
            ctx.fail(getattr(response, "url", "") or "", f"spider error: {failure.getErrorMessage()}")

        crawler.signals.connect(on_error, signal=signals.spider_error, weak=False)
        crawl = process.crawl(
            crawler, ctx=ctx, known=known, timezone=settings.timezone, store=store, engine=engine
        )

        def ended(result: Any) -> None:
            if isinstance(result, Failure) and ctx.fatal is None:
                kind = getattr(result.type, "__name__", "error")
                ctx.fatal = f"the crawler failed: {kind}: {result.getErrorMessage()}"[:300]
            done(ctx.summary())

        crawl.addBoth(ended)

    batch = BatchCrawl(jobs, start, report, args.concurrency, lambda call: reactor.callLater(0, call))

    def stop_reactor() -> None:
        if reactor.running:
            reactor.stop()

    batch.on_idle = stop_reactor
    reactor.addSystemEventTrigger("before", "shutdown", lambda: setattr(batch, "stopping", True))
    reactor.callWhenRunning(batch.fill)
    process.start(stop_after_crawl=False)
    flush_events()
    return 0


if __name__ == "__main__":
    sys.exit(main())
