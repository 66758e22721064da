"""Benchmark: crawling many sources per Scrapy process (crawler.run.crawl_batch) against one child
process per source (crawler.run.crawl_source), on N loopback sites of the demo fleet.

Run: .venv/bin/python -m tests.bench.bench_crawl [N] [SAMPLE]   (N sites, default 2000; SAMPLE sites for
the per-source baseline, default 20). PostgreSQL at NIANBAO_TEST_PG_URL (default
postgresql+psycopg://postgres@127.0.0.1:5432/postgres; a throwaway database is created and dropped),
objects in a local directory.

The fleet (flows/demo/fleet.py: four documents a site, each site on its own 127.1.x.y address so that
per-domain politeness sees N hosts) is served by its own process. Measured in one run:

1. the batch path as the `crawl` flow runs it (batches of `crawl_batch_size`, `CRAWL_PARALLEL_BATCHES`
   batch processes side by side, each crawling `crawl_batch_concurrency` sources at once) with the
   default politeness (1 s between requests to a host, 2 at once, robots.txt): a first crawl of the N
   sites, then an incremental crawl of the unchanged sites (robots.txt and one 304 list page a site);
   sources/min, requests, and the extrapolation to 30,000 sources;
2. the fixed cost per source of each path: an incremental crawl of unchanged sites with no politeness
   delay, so that what is left is the per-source cost of the machinery (processes, imports, Scrapy
   set-up, database rows) and two loopback requests: per-source path on SAMPLE sites one after
   another (a registry of the SAMPLE sites only: its best case, since it loads and syncs the whole
   registry for every source), batch path on the same SAMPLE sites and on all N; wall seconds per
   source, CPU seconds per source (this process and its crawler children; PostgreSQL and the fleet
   not counted), and the ratio.

Peak memory: the largest batch or per-source crawler child (its VmHWM, sampled) and this process.
Asserts nothing: timings are not tests.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from crawler.lifeline import PARENT_PID_ENV
from tests.bench.scratch import scratch_database

TARGET_SOURCES = 30_000


@dataclass(frozen=True)
class Measure:
    label: str
    sources: int
    seconds: float
    cpu: float
    requests: int
    statuses: dict[str, int]

    @property
    def per_minute(self) -> float:
        return self.sources / self.seconds * 60

    def line(self) -> str:
        return (
            f"{self.label:<44} {self.sources:>5} sources {self.seconds:8.1f} s {self.per_minute:8.0f} sources/min "
            f"{self.seconds / self.sources:6.3f} s/source  cpu {self.cpu / self.sources:6.3f} s/source  "
            f"requests {self.requests:>6}  {self.statuses}"
        )


class PeakMemory:
    """The largest VmHWM (peak resident set) of this process's crawler children, sampled every 0.2 s
    while they run (ru_maxrss of a child would count the pages of this process it was forked from)."""

    def __init__(self) -> None:
        self.peak_kb = 0
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._sample, daemon=True)
        self.thread.start()

    def _sample(self) -> None:
        me = str(os.getpid())
        while not self.stopped.wait(0.2):
            for entry in Path("/proc").iterdir():
                if not entry.name.isdigit():
                    continue
                try:
                    status = (entry / "status").read_text()
                    cmdline = (entry / "cmdline").read_bytes()
                except OSError:
                    continue
                fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
                if fields.get("PPid", "").strip() == me and b"crawler." in cmdline and "VmHWM" in fields:
                    self.peak_kb = max(self.peak_kb, int(fields["VmHWM"].split()[0]))

    def stop(self) -> float:
        """Stop sampling; the peak in MB."""
        self.stopped.set()
        self.thread.join()
        return self.peak_kb / 1024


def _own_peak_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _cpu() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


class FleetProcess:
    """The demo fleet in a process of its own (its CPU is not this process's)."""

    def __init__(self, sites: int, registry: Path, state_dir: Path) -> None:
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "flows.demo.fleet",
                str(sites),
                "--registry",
                str(registry),
                "--state-dir",
                str(state_dir),
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env={**os.environ, PARENT_PID_ENV: str(os.getpid())},
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line.startswith("serving"):
            raise RuntimeError(f"the fleet did not start: {line!r}")

    def requests(self) -> int:
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write("requests\n")
        self.process.stdin.flush()
        return int(self.process.stdout.readline())

    def stop(self) -> None:
        if self.process.stdin is not None:
            self.process.stdin.close()
        self.process.wait(30)


def registry_with(
    source: Path, target: Path, ids: set[str] | None, politeness: dict[str, Any] | None
) -> Path:
    """A copy of the fleet registry: only `ids` (all if None), each with `politeness` (else the defaults)."""
    data = yaml.safe_load(source.read_text(encoding="utf-8"))
    data["sources"] = [s for s in data["sources"] if ids is None or s["id"] in ids]
    for entry in data["sources"]:
        entry.pop("politeness", None)
        if politeness is not None:
            entry["politeness"] = dict(politeness)
    target.mkdir(parents=True, exist_ok=True)
    path = target / "fleet.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def measure(label: str, fleet: FleetProcess, count: int, crawl: Callable[[], list[Any]]) -> Measure:
    requests, cpu, start = fleet.requests(), _cpu(), time.perf_counter()
    results = crawl()
    seconds, cpu = time.perf_counter() - start, _cpu() - cpu
    statuses: dict[str, int] = {}
    for result in results:
        statuses[result.status] = statuses.get(result.status, 0) + 1
    measured = Measure(label, count, seconds, cpu, fleet.requests() - requests, statuses)
    print(measured.line(), flush=True)
    return measured


def batch_path(registry: Path, ids: list[str]) -> Callable[[], list[Any]]:
    """The crawl flow's fan-out without Prefect: sync once, plan batches, run them side by side."""
    from crawler.registry import load_registry
    from crawler.run import crawl_batch, plan_batches, sync_registry
    from flows.flows import CRAWL_PARALLEL_BATCHES
    from storage.db import get_engine, session_scope
    from storage.settings import get_settings

    def crawl() -> list[Any]:
        settings = get_settings()
        loaded = load_registry(registry)
        wanted = [s for s in loaded.sources if s.id in set(ids)]
        with session_scope(get_engine(settings)) as session:
            sync_registry(session, loaded)
        batches = plan_batches(wanted, settings.crawl_batch_size)
        with ThreadPoolExecutor(CRAWL_PARALLEL_BATCHES) as pool:
            done = pool.map(
                lambda batch: crawl_batch([s.id for s in batch], registry=loaded, settings=settings), batches
            )
            return [summary for batch in done for summary in batch]

    return crawl


def source_path(registry: Path, ids: list[str]) -> Callable[[], list[Any]]:
    from crawler.run import crawl_source

    return lambda: [crawl_source(source_id, registry_path=registry) for source_id in ids]


def main(argv: list[str]) -> int:
    sites = int(argv[0]) if argv else 2000
    sample = min(sites, int(argv[1]) if len(argv) > 1 else 20)
    with (
        tempfile.TemporaryDirectory(prefix="nianbao-bench-crawl-") as tmp,
        scratch_database("postgresql", Path(tmp)) as url,
    ):
        home = Path(tmp)
        os.environ.update(
            {
                "NIANBAO_HOME": str(home / "var"),
                "NIANBAO_DATABASE_URL": url,
                "NIANBAO_OBJECT_STORE": str(home / "objects"),
            }
        )
        for name in (
            "NIANBAO_CRAWL_DOWNLOAD_DELAY",
            "NIANBAO_CRAWL_CONCURRENCY_PER_DOMAIN",
            "NIANBAO_SOURCES_DIR",
        ):
            os.environ.pop(name, None)
        from storage.settings import get_settings

        get_settings.cache_clear()
        settings = get_settings()
        started = time.perf_counter()
        fleet = FleetProcess(sites, home / "fleet" / "fleet.yaml", home)
        print(f"fleet of {sites} sites served in {time.perf_counter() - started:.1f} s", flush=True)
        memory = PeakMemory()
        try:
            polite = registry_with(home / "fleet" / "fleet.yaml", home / "polite", None, None)
            fast = registry_with(home / "fleet" / "fleet.yaml", home / "fast", None, {"download_delay": 0.0})
            all_ids = [f"fleet-{i + 1:05d}" for i in range(sites)]
            some = all_ids[:: max(1, sites // sample)][:sample]
            fast_sample = registry_with(
                home / "fleet" / "fleet.yaml", home / "sample", set(some), {"download_delay": 0.0}
            )
            print(
                f"settings: crawl_download_delay {settings.crawl_download_delay} s, "
                f"concurrency_per_domain {settings.crawl_concurrency_per_domain}, batch size {settings.crawl_batch_size}, "
                f"batch concurrency {settings.crawl_batch_concurrency}",
                flush=True,
            )
            first = measure(
                "batch path, first crawl, default politeness", fleet, sites, batch_path(polite, all_ids)
            )
            again = measure(
                "batch path, incremental, default politeness", fleet, sites, batch_path(polite, all_ids)
            )
            batch_all = measure(
                "batch path, incremental, no delay (all)", fleet, sites, batch_path(fast, all_ids)
            )
            batch_some = measure(
                "batch path, incremental, no delay (sample)", fleet, sample, batch_path(fast_sample, some)
            )
            per_source = measure(
                "per-source path, incremental, no delay (sample)",
                fleet,
                sample,
                source_path(fast_sample, some),
            )
            children = memory.stop()
            own = _own_peak_mb()
        finally:
            fleet.stop()
    fixed_batch = batch_all.seconds / batch_all.sources
    fixed_source = per_source.seconds / per_source.sources
    print()
    print(
        f"fixed cost per source, wall: per-source path {fixed_source:.3f} s, batch path {fixed_batch:.3f} s "
        f"(sample {batch_some.seconds / batch_some.sources:.3f} s); per-source / batch = {fixed_source / fixed_batch:.1f}x"
    )
    print(
        f"fixed cost per source, cpu:  per-source path {per_source.cpu / per_source.sources:.3f} s, "
        f"batch path {batch_all.cpu / batch_all.sources:.3f} s; ratio {per_source.cpu / per_source.sources / (batch_all.cpu / batch_all.sources):.1f}x"
    )
    for measured in (first, again):
        minutes = TARGET_SOURCES / measured.per_minute
        print(
            f"{measured.label}: {TARGET_SOURCES:,} sources in {minutes:.0f} min ({minutes / 60:.2f} h) at this rate"
        )
    print(f"peak memory: largest crawler child process {children:.0f} MB, this process {own:.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
