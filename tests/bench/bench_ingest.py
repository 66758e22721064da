"""Benchmark: `ingest --pending` (Prefect, batch flow runs) against the plain functions of flows/ingest.py.

Run: .venv/bin/python -m tests.bench.bench_ingest [N] [BACKENDS] [FONTS]   (N documents, default 200;
BACKENDS `sqlite,postgresql` by default; PostgreSQL from NIANBAO_TEST_PG_URL, default the local server;
FONTS `embedded` (default) or `named`, see FONT_KINDS)

N distinct 6-page PDF reports (flows/demo/reportgen, 20 agencies × 5 years, so the cross-year rules
run; by default with their CJK font embedded, as Word and WPS export real reports) are stored twice
per backend, in two fresh databases with local object directories. Then, in the same run:
- plain: `locate_original → claim_attempt → parse_original → load_parsed` in a loop, one parse worker,
  no Prefect — the throughput the issue measured at 6 documents/s;
- flow: `ingest_pending_flow()` against a running Prefect API (the test harness's server, started
  before the clock), i.e. what `nianbao ingest --pending` runs: batches of NIANBAO_INGEST_BATCH_SIZE
  in one flow run each, parse workers per core.
Printed per backend: documents/s of each, the ratio flow/plain, and the peak RSS of this process and
of its parse workers (ru_maxrss of self and children). Asserts nothing: timings are not tests.
"""

from __future__ import annotations

import functools
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

from flows.demo.reportgen import make_spec, render_pdf
from storage import repository
from storage.db import session_scope
from storage.objectstore import open_store
from storage.settings import Settings, get_settings
from tests.bench.scratch import create_scratch_database, drop_scratch_database
from tests.fixtures.fonts import build_cjk_font

AGENCIES = [f"银川市西夏区第{n}局" for n in range(20)]


FONT_KINDS = ("embedded", "named")
"""How the generated PDFs carry their CJK font: `embedded` (a subset embedded, as Word and WPS export
reports, read by PDFium) or `named` (STSong-Light named, not embedded; read by pdfplumber, ~7× slower)."""


@functools.cache
def _embedded_font() -> Path:
    """The generated CJK test font (tests/fixtures/fonts.py), written once per run."""
    return build_cjk_font(Path(tempfile.mkdtemp(prefix="nianbao-bench-font-")) / "cjk.ttf")


def documents(count: int, *, first: int = 0, fonts: str = "embedded") -> list[bytes]:
    """`count` generated 6-page reports, seeds `first`…: agency n % 20, years 2019–2023, both formats."""
    if fonts not in FONT_KINDS:
        raise SystemExit(f"fonts must be one of {', '.join(FONT_KINDS)}, not {fonts!r}")
    font_file = _embedded_font() if fonts == "embedded" else None
    return [
        render_pdf(
            make_spec(
                first + n,
                "gov2021" if n % 2 else "gov2019",
                agency=AGENCIES[n % 20],
                year=2019 + (n // 20) % 5,
            ),
            pages_target=6,
            font_file=font_file,
        )
        for n in range(count)
    ]


def prepare(backend: str, home: Path, reports: list[bytes]) -> Settings:
    """A migrated database with the agencies and the stored documents; the env points at it."""
    home.mkdir(parents=True)
    url = create_scratch_database(backend, home)
    fields = {"home": str(home), "database_url": url, "object_store": str(home / "objects")}
    for name, value in fields.items():
        os.environ[f"NIANBAO_{name.upper()}"] = value
    get_settings.cache_clear()
    settings = get_settings()
    with session_scope(settings) as session:
        repository.sync_agencies(
            session, [{"name": name, "kind": "department", "region_code": "640105"} for name in AGENCIES]
        )
    store(settings, reports, first=0, folder="")
    return settings


def store(settings: Settings, reports: list[bytes], first: int, folder: str) -> list[tuple[int, str, str]]:
    """Archive and record the reports as the crawler does (no event); (document id, url, sha256) each."""
    objects = open_store(settings)
    stored = []
    for n, data in enumerate(reports, start=first):
        url = f"http://bench.example/{folder}{n}.pdf"
        info = objects.put(data, content_type="application/pdf")
        with session_scope(settings) as session:
            document, _ = repository.record_document(
                session,
                url=url,
                sha256=info.sha256,
                object_key=info.key,
                content_type="application/pdf",
                size=info.size,
                title=f"{AGENCIES[n % 20]}{2019 + (n // 20) % 5}年政府信息公开工作年度报告",
            )
            stored.append((document.id, url, info.sha256))
    return stored


def plain(settings: Settings) -> int:
    """The plain functions in a loop, as the issue measured them."""
    from flows.alerts import deliver_pending
    from flows.ingest import claim_attempt, load_parsed, locate_original, parse_original

    with session_scope(settings) as session:
        pending = [d.id for d in repository.pending_documents(session)]
    loaded = 0
    for document_id in pending:
        original = locate_original(settings, document_id)
        claim_attempt(settings, document_id)
        outcome = load_parsed(settings, original, parse_original(settings, original))
        loaded += outcome.status == "parsed"
    deliver_pending(settings)
    return loaded


def flow(settings: Settings) -> int:
    from flows.flows import ingest_pending_flow

    return sum(outcome.status == "parsed" for outcome in ingest_pending_flow())


def peak_mb() -> tuple[float, float]:
    """ru_maxrss of this process and of its largest finished child so far, in MB."""
    return (
        resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
    )


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    backends = (sys.argv[2] if len(sys.argv) > 2 else "sqlite,postgresql").split(",")
    fonts = sys.argv[3] if len(sys.argv) > 3 else "embedded"
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
    from prefect.testing.utilities import prefect_test_harness

    print(f"rendering {count} 6-page reports, CJK font {fonts} …", flush=True)
    reports = documents(count, fonts=fonts)
    workers = int(os.environ.get("NIANBAO_PARSE_WORKERS") or 0) or os.cpu_count()
    print(
        f"batch size {os.environ.get('NIANBAO_INGEST_BATCH_SIZE', '50')}, parse workers {workers}, "
        f"{os.cpu_count()} cores"
    )
    with tempfile.TemporaryDirectory() as tmp, prefect_test_harness(server_startup_timeout=60):
        for backend in backends:
            timings: dict[str, float] = {}
            for path, run in (("plain", plain), ("flow", flow)):
                settings = prepare(backend, Path(tmp) / f"{backend}-{path}", reports)
                started = time.perf_counter()
                loaded = run(settings)
                timings[path] = time.perf_counter() - started
                self_mb, child_mb = peak_mb()
                print(
                    f"{backend:10} {path:5} {loaded}/{count} loaded in {timings[path]:6.1f} s — "
                    f"{count / timings[path]:5.2f} documents/s; peak RSS self {self_mb:.0f} MB, "
                    f"children {child_mb:.0f} MB",
                    flush=True,
                )
                drop_scratch_database(settings.resolved_database_url)
            print(
                f"{backend:10} ingest --pending / plain functions: {timings['plain'] / timings['flow']:.2f}× "
                f"the plain throughput"
            )


if __name__ == "__main__":
    main()
