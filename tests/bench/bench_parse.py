"""Benchmark: parsers.parse on generated 6-page PDF reports against a naive pdfplumber baseline.

Run: .venv/bin/python -m tests.bench.bench_parse [N] [ENGINE] [FONT]   (N reports, default 200;
ENGINE of ParseSettings.pdf_engine, default auto; FONT `named` (default: the generator's STSong-Light,
named but not embedded, which the parser reads with pdfplumber) or `embedded` (a CJK font made by
tests/fixtures/fonts.py embedded as Word and WPS do, which the parser reads with PDFium))

N distinct reports are rendered (flows/demo/reportgen render_pdf(..., pages_target=6), seeds
0..N/2 in both gov formats). Both sides parse the same bytes in the same run, each in its own forked
worker process so that the memory figures do not mix; each side first parses one extra report
untimed (imports, CMap loading). Printed per side: reports/s, ms/page, and memory as the worker's peak
RSS (`resource.getrusage(RUSAGE_SELF).ru_maxrss`, which includes PDFium's native allocations that
tracemalloc cannot see) together with its growth over the worker's RSS at start; then the speed
ratio. Asserts nothing: timings are not tests.
"""

from __future__ import annotations

import io
import multiprocessing as mp
import resource
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from flows.demo import reportgen as g
from parsers import ParseSettings
from tests.fixtures.fonts import build_cjk_font


@dataclass(frozen=True)
class Result:
    name: str
    reports: int
    pages: int
    seconds: float
    start_rss_mb: float
    peak_rss_mb: float


def ours(engine: str) -> Callable[[bytes], int]:
    from parsers import parse

    settings = ParseSettings(pdf_engine=engine)  # type: ignore[arg-type]

    def run(data: bytes) -> int:
        report = parse(data, filename="r.pdf", settings=settings)
        if report.status != "parsed":
            raise SystemExit(f"benchmark report did not parse: {report.status}")
        return report.parser.pages or 0

    return run


def naive(data: bytes) -> int:
    """What a first attempt does: every page, full text and full table extraction."""
    import pdfplumber

    with pdfplumber.open(io.BytesIO(data)) as pdf:
        for page in pdf.pages:
            page.extract_text()
            page.extract_tables()
        return len(pdf.pages)


def _rss_mb() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * resource.getpagesize() / 2**20


def _run(name: str, fn: Callable[[bytes], int], docs: list[bytes], out: mp.Queue[Result]) -> None:
    fn(docs[-1])
    start_rss = _rss_mb()
    started = time.perf_counter()
    pages = sum(fn(d) for d in docs[:-1])
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    out.put(Result(name, len(docs) - 1, pages, seconds, start_rss, peak))


def render(n: int, font_file: Path | None) -> list[bytes]:
    """n distinct 6-page reports plus one more for the untimed warm-up."""
    specs = [g.make_spec(seed, fmt) for seed in range(n // 2 + 1) for fmt in ("gov2021", "gov2019")]
    return [g.render_pdf(spec, pages_target=6, font_file=font_file) for spec in specs[: n + 1]]


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    engine = sys.argv[2] if len(sys.argv) > 2 else "auto"
    font = sys.argv[3] if len(sys.argv) > 3 else "named"
    print(f"rendering {n} generated reports (6 pages target, {font} font) …", file=sys.stderr)
    with tempfile.TemporaryDirectory() as fonts:
        font_file = build_cjk_font(Path(fonts) / "bench-hei.ttf") if font == "embedded" else None
        docs = render(n, font_file)
    ctx = mp.get_context("fork")
    results: list[Result] = []
    for name, fn in ((f"parse ({engine})", ours(engine)), ("naive baseline", naive)):
        queue: mp.Queue[Result] = ctx.Queue()
        proc = ctx.Process(target=_run, args=(name, fn, docs, queue))
        proc.start()
        results.append(queue.get())
        proc.join()
    for r in results:
        print(
            f"{r.name:17} {r.reports} reports, {r.pages} pages: {r.reports / r.seconds:6.2f} reports/s, "
            f"{1000 * r.seconds / r.pages:6.1f} ms/page, peak RSS {r.peak_rss_mb:5.0f} MB "
            f"(+{r.peak_rss_mb - r.start_rss_mb:.0f} MB over the worker's {r.start_rss_mb:.0f} MB at start)"
        )
    print(f"speed-up over the naive baseline: {results[1].seconds / results[0].seconds:.2f}x")


if __name__ == "__main__":
    main()
