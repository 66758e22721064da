"""Benchmark: parsers.parse on generated reports against bare library baselines measured in the same run.

Run: .venv/bin/python -m tests.bench.bench_parse [N] [ENGINE] [KIND]   (N reports, default 200; ENGINE
of ParseSettings.pdf_engine, default auto; KIND one of
  named     PDFs whose CJK font (the generator's STSong-Light) is named, not embedded: read by pdfplumber
  embedded  PDFs with a CJK font made by tests/fixtures/fonts.py embedded (reportlab's simple
            TrueType subsets): PDFium
  type0     the same re-set in a Type0 Identity-H font (tests/fixtures/cidfonts.py), the font
            structure of Word's and WPS's export: PDFium
  docx      the generator's Word documents
  html      the generator's article pages (GBK and UTF-8)
default named.)

N distinct reports are rendered by flows/demo/reportgen (PDFs with render_pdf(..., pages_target=6);
seeds 0..N/2 in both gov formats). Every side reads the same bytes:
  parse   parsers.parse, the whole report (reader, tables, metadata, checks)
  read    parsers.read_document, the reader alone (bytes → lines and grids)
  bare    the least a reader must do, with the same library: PDF: pypdfium2 opens the file and
          extracts each page's text (`get_text_range`), no positions; DOCX: zipfile reads
          word/document.xml and lxml parses it; HTML: lxml.html parses the bytes
  naive   PDF only: pdfplumber's text and table extraction of every page (a first attempt); measured
          after the others, on one of the `ROUNDS` parts of the reports: it takes fifty times as long, and run between
          the others it slowed the sides that came after it
  parse, Python loops
          embedded and type0: parse with ParseSettings(pdf_speedups=False), the PDF reader's Python
          loops instead of its C ones (parsers/_pdf_speedups.c): what an install without a C
          compiler gets
Each side runs in forked worker processes (memory figures do not mix), in `ROUNDS` rounds over parts
of the reports, the sides taking turns in an order that rotates from round to round (each side runs first
in one round, second in another…), so a change in the machine's load falls on every side alike; each
worker freezes the objects it inherits from the parent out of garbage collection (the renderers' heap
is not the reader's to scan) and first reads two extra reports untimed, one of each gov format (imports, CMap
loading, each format's table templates: what a long-running worker pays once). Printed per side: reports/s,
ms per page (PDF) or per report, wall and CPU time, and memory as the workers' peak RSS
(`ru_maxrss`, which includes PDFium's and libxml2's native allocations) with its growth over the
worker's RSS at start; then each side's ratio to bare, on wall and on CPU time over all rounds, and the
median and range of its wall-time ratio round by round (each round's sides read the same reports
minutes apart at most, so a burst of load on the machine moves one round, not the median). Asserts
nothing: timings are not tests.
"""

from __future__ import annotations

import gc
import io
import multiprocessing as mp
import resource
import statistics
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from flows.demo import reportgen as g
from parsers import ParseSettings
from tests.fixtures.cidfonts import with_cid_font
from tests.fixtures.fonts import build_cjk_font

KINDS = ("named", "embedded", "type0", "docx", "html")
PDF_KINDS = ("named", "embedded", "type0")
ROUNDS = 10
BARE_REPEAT = 5
"""The bare baselines take a tenth of the time of the others: each reads its reports this many times
(the time divided by it), so that they too are measured over seconds, not a few hundred milliseconds."""
Reader = Callable[[bytes], int]
"""Reads one report and returns how many pages it has (1 for DOCX and HTML)."""


@dataclass(frozen=True)
class Result:
    reports: int
    pages: int
    seconds: float
    cpu_seconds: float
    start_rss_mb: float
    peak_rss_mb: float


def filename(kind: str) -> str:
    return {"docx": "r.docx", "html": "r.html"}.get(kind, "r.pdf")


def ours(engine: str, kind: str, whole: bool, speedups: bool = True) -> Reader:
    """parsers.parse (`whole`) or parsers.read_document on one report; `speedups` off runs the PDF
    reader's Python loops instead of its C ones."""
    from parsers import parse, read_document

    settings = ParseSettings(pdf_engine=engine, pdf_speedups=speedups)  # type: ignore[arg-type]
    name = filename(kind)

    def run(data: bytes) -> int:
        if not whole:
            document = read_document(data, filename=name, settings=settings)
            return document.pages or 1
        report = parse(data, filename=name, settings=settings)
        if report.status != "parsed":
            raise SystemExit(f"benchmark report did not parse: {report.status}")
        return report.parser.pages or 1

    return run


def bare_pdf(data: bytes) -> int:
    """pypdfium2 opens the PDF and extracts every page's text, nothing else."""
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(data)
    try:
        for index in range(len(pdf)):
            page = pdf[index]
            textpage = page.get_textpage()
            textpage.get_text_range()
            textpage.close()
            page.close()
        return len(pdf)
    finally:
        pdf.close()


def bare_docx(data: bytes) -> int:
    """zipfile reads word/document.xml and lxml parses it."""
    from lxml import etree

    with zipfile.ZipFile(io.BytesIO(data)) as package:
        etree.fromstring(package.read("word/document.xml"))
    return 1


def bare_html(data: bytes) -> int:
    """lxml.html parses the page's bytes."""
    import lxml.html

    lxml.html.document_fromstring(data)
    return 1


def naive(data: bytes) -> int:
    """What a first attempt does: every page, full text and full table extraction."""
    import pdfplumber

    with pdfplumber.open(io.BytesIO(data)) as pdf:
        for page in pdf.pages:
            page.extract_text()
            page.extract_tables()
        return len(pdf.pages)


def sides(engine: str, kind: str) -> dict[str, Reader]:
    bare = {"docx": bare_docx, "html": bare_html}.get(kind, bare_pdf)
    out = {
        f"parse ({engine})" if kind in PDF_KINDS else "parse": ours(engine, kind, whole=True),
        "read": ours(engine, kind, whole=False),
        "bare": bare,
    }
    if kind in ("embedded", "type0"):
        out["parse, Python loops"] = ours(engine, kind, whole=True, speedups=False)
    return out


def _rss_mb() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * resource.getpagesize() / 2**20


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _run(fn: Reader, repeat: int, warm_up: list[bytes], docs: list[bytes], out: mp.Queue[Result]) -> None:
    gc.freeze()
    for data in warm_up:
        fn(data)
    start_rss = _rss_mb()
    started, cpu = time.perf_counter(), _cpu()
    pages = sum(fn(d) for _ in range(repeat) for d in docs) // repeat
    seconds, cpu_seconds = (time.perf_counter() - started) / repeat, (_cpu() - cpu) / repeat
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    out.put(Result(len(docs), pages, seconds, cpu_seconds, start_rss, peak))


WARM_UP = 2
"""Reports each worker reads untimed before the timed ones: one of each gov format."""


def render(n: int, kind: str, font_file: Path | None) -> list[bytes]:
    """n distinct reports plus `WARM_UP` more (one of each gov format) for the untimed warm-up."""
    specs = [g.make_spec(seed, fmt) for seed in range(n // 2 + WARM_UP) for fmt in ("gov2021", "gov2019")]
    specs = specs[: n + WARM_UP]
    if kind == "docx":
        return [g.render_docx(spec) for spec in specs]
    if kind == "html":
        return [g.render_html(spec, encoding="gbk" if i % 2 else "utf-8") for i, spec in enumerate(specs)]
    pdfs = [g.render_pdf(spec, pages_target=6, font_file=font_file) for spec in specs]
    if kind == "type0" and font_file is not None:
        composite = build_cjk_font(font_file.with_name("distinct-glyphs.ttf"), distinct_glyphs=True)
        return [with_cid_font(pdf, composite) for pdf in pdfs]
    return pdfs


Rounds = dict[str, list[Result]]
"""Each side's result in every round it ran."""


def measure(readers: dict[str, Reader], docs: list[bytes], rounds: int = ROUNDS) -> Rounds:
    """Every side over the same reports in `rounds` of the `ROUNDS` parts of them, sides taking turns,
    each round in a fresh forked worker per side."""
    ctx = mp.get_context("fork")
    warm_up, timed = docs[-WARM_UP:], docs[:-WARM_UP]
    parts: Rounds = {name: [] for name in readers}
    for r in range(rounds):
        chunk = timed[r::ROUNDS]
        names = list(readers)
        for name in names[r % len(names) :] + names[: r % len(names)]:
            queue: mp.Queue[Result] = ctx.Queue()
            repeat = BARE_REPEAT if name == "bare" else 1
            proc = ctx.Process(target=_run, args=(readers[name], repeat, warm_up, chunk, queue))
            proc.start()
            parts[name].append(queue.get())
            proc.join()
    return parts


def total(got: list[Result]) -> Result:
    """Rounds summed (peak RSS: the largest)."""
    return Result(
        sum(p.reports for p in got),
        sum(p.pages for p in got),
        sum(p.seconds for p in got),
        sum(p.cpu_seconds for p in got),
        max(p.start_rss_mb for p in got),
        max(p.peak_rss_mb for p in got),
    )


def report(kind: str, rounds: Rounds) -> None:
    """Each side's totals, its ratio to bare over all rounds, and the median and range of its ratio
    to bare round by round (the same reports, minutes apart at most: what a burst of load on the
    machine does to one round does not move the median)."""
    per_page = kind in PDF_KINDS
    unit = "page" if per_page else "report"
    results = {name: total(got) for name, got in rounds.items()}
    for name, r in results.items():
        count = r.pages if per_page else r.reports
        print(
            f"{name:19} {r.reports} reports, {r.pages} pages: {r.reports / r.seconds:7.2f} reports/s, "
            f"{1000 * r.seconds / count:7.2f} ms/{unit} ({1000 * r.cpu_seconds / count:.2f} CPU), "
            f"peak RSS {r.peak_rss_mb:4.0f} MB (+{r.peak_rss_mb - r.start_rss_mb:.0f} MB over "
            f"the worker's {r.start_rss_mb:.0f} MB at start)"
        )

    def rate(r: Result, cpu: bool = False) -> float:
        return (r.cpu_seconds if cpu else r.seconds) / (r.pages if per_page else r.reports)

    bare = results["bare"]
    for name, r in results.items():
        if name == "bare":
            continue
        paired = sorted(rate(a) / rate(b) for a, b in zip(rounds[name], rounds["bare"], strict=False))
        print(
            f"{name} / bare: {rate(r) / rate(bare):.2f}x wall, "
            f"{rate(r, cpu=True) / max(rate(bare, cpu=True), 1e-12):.2f}x CPU; round by round "
            f"{statistics.median(paired):.2f}x median ({paired[0]:.2f}–{paired[-1]:.2f}x over {len(paired)})"
        )
    parse = next(r for name, r in results.items() if name.startswith("parse"))
    if "naive pdfplumber" in results:
        print(
            f"speed-up of parse over the naive baseline: {rate(results['naive pdfplumber']) / rate(parse):.2f}x"
        )
    if "parse, Python loops" in results:
        print(
            "speed-up of the C loops (parsers/_pdf_speedups.c) over the Python ones: "
            f"{rate(results['parse, Python loops']) / rate(parse):.2f}x"
        )


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    engine = sys.argv[2] if len(sys.argv) > 2 else "auto"
    kind = sys.argv[3] if len(sys.argv) > 3 else "named"
    if kind not in KINDS:
        raise SystemExit(f"KIND is one of {', '.join(KINDS)}, not {kind!r}")
    print(f"rendering {n} generated reports ({kind}) …", file=sys.stderr)
    with tempfile.TemporaryDirectory() as fonts:
        font_file = build_cjk_font(Path(fonts) / "bench-hei.ttf") if kind in ("embedded", "type0") else None
        docs = render(n, kind, font_file)
    results = measure(sides(engine, kind), docs)
    if kind in PDF_KINDS:
        results |= measure({"naive pdfplumber": naive}, docs, rounds=1)
    report(kind, results)


if __name__ == "__main__":
    main()
