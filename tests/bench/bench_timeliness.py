"""Benchmark: `nianbao timeliness` for a whole country, on SQLite and on PostgreSQL.

Run: .venv/bin/python -m tests.bench.bench_timeliness [AGENCIES] [REPORTS_PER_YEAR]
     [--backend sqlite|postgresql] [--unattributed SHARE] [--timeout S]
(defaults: 20000 agencies, 10000 reports a year over 2019-2023, both backends; PostgreSQL from
NIANBAO_TEST_PG_URL, default postgresql+psycopg://postgres@127.0.0.1:5432/postgres, in a scratch database
that is dropped afterwards).

The registry is generated as 2,000 counties of ten agencies each (a 人民政府 and nine departments), each
county one crawled source; sources are crawled before and after each deadline, some crawls blocked or
failed. Each year 10,000 agencies publish: on a page or as a PDF attachment of a page, dated by PubDate,
list date or first sight, on time or late, some twice, some unattributed (matched by name, or not at all),
some replaced after the deadline, plus `not_a_report` documents and history findings. Rows are bulk
inserted through the ORM models.

Measured: the real command, `nianbao timeliness --year 2023 --json` and the five-year heat map
`nianbao timeliness --year 2019-2023 --format html --output FILE --json`, each in a child process (wall
and CPU seconds including start-up and the schema check; the child's own peak RSS from wait4), each
twice: the first run stores every agency-year, the next one (the daily re-run) finds them stored.
Baseline of each ratio, measured just before the run: the time of a plain SELECT of the rows it reads
(the registry, each year's reports with their documents and pages, the stored timeliness rows) as tuples
on a Core connection. `--unattributed 0` gives every report its agency id; `--timeout S` stops a run
after S seconds (for the old per-agency version). Asserts nothing: timings are not tests.
"""

from __future__ import annotations

import argparse
import hashlib
import multiprocessing
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select, text
from sqlalchemy.orm import aliased

from storage.db import session_scope
from storage.domain import SHANGHAI, deadline_for, start_of_day
from storage.models import Agency, CrawlRun, Document, Finding, Report, Source, Timeliness
from tests.bench.scratch import scratch_database

YEARS = tuple(range(2019, 2024))
NIANBAO = str(Path(sys.executable).parent / "nianbao")
DEPARTMENTS = (
    "教育局",
    "财政局",
    "民政局",
    "公安局",
    "卫生健康局",
    "自然资源局",
    "审计局",
    "统计局",
    "水务局",
)
FIRST = "安宝长丰福广和华吉金静乐临龙美宁平清庆仁荣瑞山盛顺泰通文武西祥新兴永远云泽昌德东高"
SECOND = "阳江山城宁川平安源河州台水林原丘峰口化溪湖谷泉海池门陵田"
BATCH = 5000


@dataclass
class Rows:
    """Generated rows per table, with explicit ids so that references need no round trip."""

    sources: list[dict[str, Any]] = field(default_factory=list)
    agencies: list[dict[str, Any]] = field(default_factory=list)
    crawl_runs: list[dict[str, Any]] = field(default_factory=list)
    documents: list[dict[str, Any]] = field(default_factory=list)
    reports: list[dict[str, Any]] = field(default_factory=list)
    findings: list[dict[str, Any]] = field(default_factory=list)


def _utc(day: date, hour: int = 2) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


class _Country:
    """Deterministic generator of a registry, crawls and reports (see the module docstring)."""

    def __init__(self, agencies: int, reports_per_year: int, unattributed: float, seed: int = 16) -> None:
        self.rng = random.Random(seed)
        self.unattributed = unattributed
        self.rows = Rows()
        self.agency_count = agencies
        self.reports_per_year = reports_per_year
        self._document_id = 0
        self._report_id = 0

    def county_name(self, index: int) -> str:
        first, second = divmod(index, len(SECOND))
        return FIRST[first % len(FIRST)] + SECOND[second] + ("" if first < len(FIRST) else str(first))

    def build(self) -> Rows:
        counties = max(1, self.agency_count // (len(DEPARTMENTS) + 1))
        for county in range(counties):
            place = self.county_name(county) + "县"
            code = f"{11 + county // 100:02d}{1 + county // 10 % 10:02d}{1 + county % 10:02d}"
            source_id = f"src-{county:04d}"
            self.rows.sources.append(
                {"id": source_id, "name": place, "region_code": code, "start_urls": [], "config": {}}
            )
            for year in YEARS:
                self._crawls(source_id, year)
            for body in ("人民政府", *DEPARTMENTS):
                if len(self.rows.agencies) >= self.agency_count:
                    break
                self.rows.agencies.append(
                    {
                        "id": len(self.rows.agencies) + 1,
                        "name": place + body,
                        "aliases": [],
                        "kind": "government" if body == "人民政府" else "department",
                        "region_code": code,
                        "deadline_override": "02-28" if self.rng.random() < 0.02 else None,
                        "source_id": None if self.rng.random() < 0.05 else source_id,
                    }
                )
        for year in YEARS:
            self._year(year)
        return self.rows

    def _crawls(self, source_id: str, year: int) -> None:
        early = _utc(date(year + 1, 1, 10))
        after = _utc(date(year + 1, 4, 10))
        roll = self.rng.random()
        status, reason = (
            ("ok", "") if roll < 0.85 else ("blocked", "HTTP 412") if roll < 0.95 else ("failed", "timeout")
        )
        for started, run_status, run_reason in ((early, "ok", ""), (after, status, reason)):
            self.rows.crawl_runs.append(
                {
                    "id": len(self.rows.crawl_runs) + 1,
                    "source_id": source_id,
                    "started_at": started,
                    "finished_at": started + timedelta(minutes=20),
                    "status": run_status,
                    "reason": run_reason,
                    "stats": {},
                }
            )

    def _document(self, url: str, first_seen: datetime, **fields: Any) -> int:
        self._document_id += 1
        digest = hashlib.sha256(f"{url}#{self._document_id}".encode()).hexdigest()
        self.rows.documents.append(
            {
                "id": self._document_id,
                "url": url,
                "source_id": fields.pop("source_id", None),
                "parent_id": fields.pop("parent_id", None),
                "previous_version_id": fields.pop("previous_version_id", None),
                "title": fields.pop("title", ""),
                "list_date": fields.pop("list_date", None),
                "page_pub_date": fields.pop("page_pub_date", None),
                "meta": {},
                "first_seen_at": first_seen,
                "fetched_at": first_seen,
                "sha256": digest,
                "object_key": f"originals/{digest[:2]}/{digest}",
                "status": fields.pop("status", "parsed"),
            }
        )
        return self._document_id

    def _report(self, document_id: int, year: int, **fields: Any) -> int:
        self._report_id += 1
        self.rows.reports.append(
            {
                "id": self._report_id,
                "document_id": document_id,
                "agency_id": fields.get("agency_id"),
                "agency_name": fields.get("agency_name"),
                "year": year,
                "format": "gov2021",
                "status": fields.get("status", "parsed"),
                "title": fields.get("title", ""),
                "published_at": fields.get("published_at"),
                "published_at_source": fields.get("published_at_source", ""),
                "sections": {},
                "statistics": {},
                "loaded_at": fields.get("loaded_at", datetime(2024, 6, 1, tzinfo=UTC)),
            }
        )
        return self._report_id

    def _publish(self, agency: dict[str, Any], year: int, moment: datetime, *, attributed: bool) -> int:
        """A page (and maybe a PDF under it) dated one of three ways, and the report loaded from it."""
        rng = self.rng
        source_id = agency["source_id"]
        host = source_id or "nosource"
        day = moment.astimezone(SHANGHAI).date()
        first_seen = moment + timedelta(hours=rng.randint(1, 72))
        dating = rng.random()
        dates: dict[str, Any] = (
            {"page_pub_date": moment} if dating < 0.7 else {"list_date": day} if dating < 0.9 else {}
        )
        title = f"{agency['name']}{year}年政府信息公开工作年度报告"
        url = f"http://{host}.example/{year}/{agency['id']}-{self._document_id + 1}.html"
        document_id = self._document(url, first_seen, source_id=source_id, title=title, **dates)
        if rng.random() < 0.3:
            document_id = self._document(
                url.replace(".html", ".pdf"), first_seen, source_id=source_id, parent_id=document_id
            )
        published: dict[str, Any] = {}
        if rng.random() < 0.8:
            at = moment if "page_pub_date" in dates else start_of_day(day) if dates else first_seen
            kind = "pubdate" if "page_pub_date" in dates else "list" if dates else "first_seen"
            published = {"published_at": at, "published_at_source": kind}
        if attributed:
            owner = {"agency_id": agency["id"], "agency_name": agency["name"]}
        elif rng.random() < 0.7:
            owner = {"agency_name": agency["name"]}
        else:
            owner = {"agency_name": None}
            title = f"关于{self.county_name(rng.randrange(10_000))}某某单位{year}年报"
        report_id = self._report(document_id, year, title=title, **owner, **published)
        if rng.random() < 0.03:
            replaced_at = first_seen + timedelta(days=rng.choice((5, 60, 200)))
            self._document(url, replaced_at, source_id=source_id, previous_version_id=document_id, **dates)
        for rule, share in (("history.carry_over", 0.08), ("history.duplicate_of_previous", 0.02)):
            if rng.random() < share:
                for _ in range(rng.randint(1, 3) if rule == "history.carry_over" else 1):
                    self._finding(report_id, rule)
        if rng.random() < 0.2:
            self._finding(report_id, "requests.balance")
        return report_id

    def _finding(self, report_id: int, rule: str) -> None:
        self.rows.findings.append(
            {
                "id": len(self.rows.findings) + 1,
                "report_id": report_id,
                "rule": rule,
                "severity": "error",
                "location": "table3",
                "message": "",
                "cells": [],
            }
        )

    def _year(self, year: int) -> None:
        rng = self.rng
        publishers = rng.sample(self.rows.agencies, min(self.reports_per_year, len(self.rows.agencies)))
        for agency in publishers:
            deadline = deadline_for(_AgencyView(agency), year)
            offset = rng.randint(-60, 0) if rng.random() < 0.75 else rng.randint(1, 300)
            moment = _utc(deadline + timedelta(days=offset), hour=rng.choice((1, 9, 15)))
            self._publish(agency, year, moment, attributed=rng.random() >= self.unattributed)
            if rng.random() < 0.05:
                self._publish(agency, year, moment + timedelta(days=rng.randint(1, 40)), attributed=True)
            if rng.random() < 0.02:
                page = self._document(
                    f"http://x.example/{year}/{agency['id']}/tu.html",
                    moment,
                    title="一图读懂",
                    status="not_a_report",
                )
                self._report(page, year, agency_id=agency["id"], status="not_a_report", published_at=moment)


@dataclass(frozen=True)
class _AgencyView:
    """A generated agency row seen as `storage.domain.AgencyLike`, for `deadline_for`."""

    row: dict[str, Any]

    @property
    def name(self) -> str:
        return str(self.row["name"])

    @property
    def kind(self) -> str:
        return str(self.row["kind"])

    @property
    def region_code(self) -> str:
        return str(self.row["region_code"])

    @property
    def aliases(self) -> list[str]:
        return list(self.row["aliases"])

    @property
    def deadline_override(self) -> str | None:
        value = self.row["deadline_override"]
        return str(value) if value else None


def populate(url: str, agencies: int, reports_per_year: int, unattributed: float = 0.04) -> dict[str, int]:
    """Generate the country and bulk insert it; the number of rows per table."""
    rows = _Country(agencies, reports_per_year, unattributed).build()
    tables: list[tuple[Any, list[dict[str, Any]]]] = [
        (Source, rows.sources),
        (Agency, rows.agencies),
        (CrawlRun, rows.crawl_runs),
        (Document, rows.documents),
        (Report, rows.reports),
        (Finding, rows.findings),
    ]
    with session_scope(url) as session:
        for model, items in tables:
            for start in range(0, len(items), BATCH):
                session.execute(insert(model), items[start : start + BATCH])
        if session.get_bind().dialect.name == "postgresql":
            for model, _ in tables[1:]:
                table = model.__tablename__
                session.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"
                    )
                )
            session.execute(text("ANALYZE"))
    return {model.__tablename__: len(items) for model, items in tables}


def plain_select(url: str, years: Sequence[int]) -> float:
    """Seconds to read the rows a check of these years reads, as plain tuples on a Core connection
    with no processing: the registry, each year's reports with their documents and pages, the stored
    timeliness rows (the baseline of the ratios)."""
    page = aliased(Document)
    started = time.perf_counter()
    with session_scope(url) as session:
        connection = session.connection()
        connection.execute(select(*Agency.__table__.columns)).all()
        for year in years:
            dated = (Document.id, Document.url, Document.title, Document.page_pub_date, Document.list_date)
            connection.execute(
                select(Report.id, Report.agency_id, Report.title, Report.published_at, *dated)
                .add_columns(Document.first_seen_at, page.page_pub_date, page.list_date, page.first_seen_at)
                .join(Document, Report.document_id == Document.id)
                .outerjoin(page, Document.parent_id == page.id)
                .where(Report.year == year)
            ).all()
            connection.execute(select(*Timeliness.__table__.columns).where(Timeliness.year == year)).all()
    return time.perf_counter() - started


@dataclass(frozen=True)
class Run:
    """One `nianbao` child process: wall seconds, CPU seconds (user + system: less sensitive than wall
    time to other work on a shared machine), peak RSS in MB, the last line it printed."""

    seconds: float
    cpu_seconds: float
    peak_mb: float
    last_line: str


def measured(url: str, home: Path, args: Sequence[str], timeout: float | None) -> Run | None:
    """Run the CLI in a child process against `url`; its own peak RSS comes from wait4. None when it
    was stopped after `timeout` seconds."""
    env = {**os.environ, "NIANBAO_DATABASE_URL": url, "NIANBAO_HOME": str(home)}
    started = time.perf_counter()
    with open(home / "stdout.txt", "w") as out, open(home / "stderr.txt", "w") as err:
        child = subprocess.Popen([NIANBAO, *args], env=env, cwd=home, stdout=out, stderr=err)
        timer = threading.Timer(timeout, child.kill) if timeout else None
        if timer is not None:
            timer.daemon = True
            timer.start()
        _, status, usage = os.wait4(child.pid, 0)
        if timer is not None:
            timer.cancel()
    seconds = time.perf_counter() - started
    child.returncode = os.waitstatus_to_exitcode(status)
    if timeout and child.returncode == -signal.SIGKILL:
        return None
    if child.returncode != 0:
        tail = (home / "stderr.txt").read_text()[-500:]
        raise SystemExit(f"nianbao {' '.join(args)} failed ({child.returncode}): {tail.strip()}")
    lines = (home / "stdout.txt").read_text().strip().splitlines()
    return Run(seconds, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, lines[-1] if lines else "")


def bench(
    backend: str, agencies: int, reports_per_year: int, unattributed: float, timeout: float | None
) -> None:
    """Set up one backend's country in a child process (this process stays small: a child's peak RSS
    counts the pages of the parent it was forked from) and time the runs."""
    with tempfile.TemporaryDirectory(prefix="nianbao-bench-timeliness-") as tmp:
        home = Path(tmp)
        with scratch_database(backend, home) as url:
            started = time.perf_counter()
            with multiprocessing.get_context("spawn").Pool(1) as pool:
                counts = pool.apply(populate, (url, agencies, reports_per_year, unattributed))
            print(f"\n== {backend}: set-up {time.perf_counter() - started:.1f} s: {counts}")
            year = str(YEARS[-1])
            span = f"{YEARS[0]}-{YEARS[-1]}"
            heatmap = ("timeliness", "--year", span, "--format", "html", "--output", "heatmap.html", "--json")
            runs = [
                (
                    f"--year {year} (first run: inserts)",
                    (YEARS[-1],),
                    ("timeliness", "--year", year, "--json"),
                ),
                (f"--year {year} (next run)", (YEARS[-1],), ("timeliness", "--year", year, "--json")),
                (f"--year {span} --format html (first run)", YEARS, heatmap),
                (f"--year {span} --format html (next run)", YEARS, heatmap),
            ]
            for label, years, args in runs:
                baseline = plain_select(url, years)
                run = measured(url, home, args, timeout)
                if run is None:
                    print(f"{label:42s} stopped after {timeout:.0f} s  plain SELECT {baseline:5.2f} s")
                    continue
                print(
                    f"{label:42s} {run.seconds:6.2f} s (CPU {run.cpu_seconds:5.2f} s)  peak RSS {run.peak_mb:4.0f} MB"
                    f"  plain SELECT {baseline:5.2f} s  ratio {run.seconds / baseline:5.1f}x"
                )
                print(f"{'':42s} {run.last_line}")


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("agencies", nargs="?", type=int, default=20_000)
    parser.add_argument("reports_per_year", nargs="?", type=int, default=10_000)
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), action="append")
    parser.add_argument(
        "--unattributed", type=float, default=0.04, help="share of reports without an agency id (0.04)"
    )
    parser.add_argument("--timeout", type=float, default=None, help="stop a run after this many seconds")
    args = parser.parse_args(argv[1:])
    for backend in args.backend or ["sqlite", "postgresql"]:
        bench(backend, args.agencies, args.reports_per_year, args.unattributed, args.timeout)


if __name__ == "__main__":
    main(sys.argv)
