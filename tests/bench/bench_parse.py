"""Benchmark: parsers.parse on generated 6-page PDF reports against a naive pdfplumber baseline.

Run: .venv/bin/python tests/bench/bench_parse.py [N]   (N reports, default 200)
Prints reports/s, ms/page and peak RSS for both, in the same run, and the speed ratio. Asserts nothing.
Each side runs in its own forked process so the peak memory figures do not mix.
"""

from __future__ import annotations

import io
import multiprocessing as mp
import resource
import sys
import time
from collections.abc import Callable

from crawler.demo import reportgen as g


def ours(data: bytes) -> int:
    from parsers import parse

    return parse(data, filename="r.pdf").parser.pages or 0


def naive(data: bytes) -> int:
    """What a first attempt does: every page, full text and full table extraction."""
    import pdfplumber

    with pdfplumber.open(io.BytesIO(data)) as pdf:
        for page in pdf.pages:
            page.extract_text()
            page.extract_tables()
        return len(pdf.pages)


def _run(name: str, fn: Callable[[bytes], int], docs: list[bytes], out: mp.Queue) -> None:  # type: ignore[type-arg]
    started = time.perf_counter()
    pages = sum(fn(d) for d in docs)
    seconds = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    out.put((name, len(docs), pages, seconds, peak_mb))


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    print(f"rendering {n} generated reports (6 pages target) …", file=sys.stderr)
    templates = [
        g.render_pdf(g.make_spec(seed, fmt), pages_target=6)
        for seed in range(10)
        for fmt in ("gov2021", "gov2019")
    ]
    docs = [templates[i % len(templates)] for i in range(n)]
    ctx = mp.get_context("fork")
    results = []
    for name, fn in (("parsers.parse", ours), ("naive baseline", naive)):
        queue: mp.Queue = ctx.Queue()  # type: ignore[type-arg]
        proc = ctx.Process(target=_run, args=(name, fn, docs, queue))
        proc.start()
        results.append(queue.get())
        proc.join()
    for name, count, pages, seconds, peak in results:
        print(
            f"{name:16} {count} reports, {pages} pages: {count / seconds:6.2f} reports/s, "
            f"{1000 * seconds / pages:6.1f} ms/page, peak RSS {peak:6.0f} MB"
        )
    ratio = results[1][3] / results[0][3]
    print(f"speed-up over the naive baseline: {ratio:.2f}x")


if __name__ == "__main__":
    main()
