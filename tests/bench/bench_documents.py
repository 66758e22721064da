"""Benchmark: the document lookups a national crawl and ingest make, with and without their indexes.

Run: .venv/bin/python -m tests.bench.bench_documents [N] [BACKENDS]   (N documents, default 100000;
BACKENDS `sqlite,postgresql` by default; PostgreSQL from NIANBAO_TEST_PG_URL, default the local server)

N document rows (ten URLs a source, half of them with a second version), N / 5 agencies with five years
of timeliness rows each (N rows) and a report for each of the first 2 × 200 documents, in a database
migrated to head; then the same with the indexes of migration 0006 dropped, in the same run:
- `latest_versions_of_source`: what every crawl of a source reads first (a NOT EXISTS on
  `previous_version_id`), over 200 sources;
- `has_attachments`: the cover-page check of an ingest (on `parent_id`), over 200 documents;
- deleting a report, as a re-ingest or reparse replaces one (timeliness rows pointing at it are set
  NULL), over 200 reports (other ones without the indexes).
Printed per backend: ms per call with and without the indexes and the ratio. Asserts nothing.
"""

from __future__ import annotations

import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

from sqlalchemy import delete, insert, text
from sqlalchemy.orm import Session

from storage import repository
from storage.db import engine_for_url
from storage.models import Agency, Document, Report, Source, Timeliness
from tests.bench.scratch import scratch_database

CALLS = 200
INDEXES = ("ix_documents_previous_version_id", "ix_documents_parent_id", "ix_timeliness_report_id")


def fill(url: str, count: int) -> None:
    """`count` documents of `count` / 10 sources; in each source the second five URLs are second versions."""
    with engine_for_url(url).begin() as connection:
        connection.execute(
            insert(Source),
            [{"id": f"s{i}", "name": f"s{i}", "region_code": "640105"} for i in range(count // 10)],
        )
        rows = [
            {
                "url": f"http://bench.example/{n}",
                "source_id": f"s{n // 10}",
                "sha256": f"{n:064x}",
                "object_key": f"sha256/{n:064x}",
                "previous_version_id": n if n % 10 >= 5 else None,  # the row before (ids start at 1)
            }
            for n in range(count)
        ]
        for start in range(0, count, 10_000):
            connection.execute(insert(Document), rows[start : start + 10_000])
        agencies = count // 5
        connection.execute(
            insert(Agency), [{"name": f"第{n}局", "kind": "department"} for n in range(agencies)]
        )
        connection.execute(
            insert(Report), [{"document_id": n, "format": "gov2021"} for n in range(1, 2 * CALLS + 1)]
        )
        timeliness = [
            {
                "agency_id": agency,
                "year": 2019 + year,
                "status": "on_time",
                "deadline": date(2020 + year, 1, 31),
                "report_id": agency if agency <= 2 * CALLS and year == 0 else None,
            }
            for agency in range(1, agencies + 1)
            for year in range(5)
        ]
        for start in range(0, len(timeliness), 10_000):
            connection.execute(insert(Timeliness), timeliness[start : start + 10_000])
        connection.execute(text("ANALYZE"))


def per_call(url: str, call: Callable[[Session, int], object], first: int = 1) -> float:
    """ms per call of `call(session, n)` for n = first … first + CALLS - 1 in one session (a deletion
    committed each time)."""
    with Session(engine_for_url(url)) as session:
        started = time.perf_counter()
        for n in range(first, first + CALLS):
            call(session, n)
            if call is delete_report:
                session.commit()
        return (time.perf_counter() - started) / CALLS * 1000


def delete_report(session: Session, report_id: int) -> None:
    session.execute(delete(Report).where(Report.id == report_id))


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    backends = (sys.argv[2] if len(sys.argv) > 2 else "sqlite,postgresql").split(",")
    lookups: dict[str, Callable[[Session, int], object]] = {
        "latest_versions_of_source": lambda session, n: repository.latest_versions_of_source(
            session, f"s{n}"
        ),
        "has_attachments": lambda session, n: repository.has_attachments(session, n),
        "delete a report": delete_report,
    }
    with tempfile.TemporaryDirectory() as tmp:
        for backend in backends:
            with scratch_database(backend, Path(tmp) / backend) as url:
                fill(url, count)
                timings = {name: per_call(url, call) for name, call in lookups.items()}
                with engine_for_url(url).begin() as connection:
                    for index in INDEXES:
                        connection.execute(text(f"DROP INDEX {index}"))
                for name, call in lookups.items():
                    without = per_call(url, call, first=CALLS + 1 if call is delete_report else 1)
                    print(
                        f"{backend:10} {count} documents, {name + ':':27} {timings[name]:7.2f} ms a call with the "
                        f"indexes, {without:7.2f} without ({without / timings[name]:.0f}× slower)",
                        flush=True,
                    )


if __name__ == "__main__":
    main()
