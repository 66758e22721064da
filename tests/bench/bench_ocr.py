"""Benchmark: OCR engines on the generated scans — cells right, seconds per page, peak memory.

Run: .venv/bin/python -m tests.bench.bench_ocr [ENGINES] [SCANS]   (ENGINES: comma-separated of
`rapidocr`, `tesseract`, default both; SCANS: `clean` (300 dpi), `degraded` (150/300 dpi, skew, JPEG
noise, red seal, signature) or `all`, default all)

Both engines get the same page images and the same table structure and text lines (parsers.ocr:
ruling lines → the PDF table finder, ink profile → text lines); only the recogniser differs: RapidOCR's
PP-OCR model on onnxruntime (the one `parsers.ocr` ships with) or Tesseract 5 with Debian's chi_sim
data (`tesseract-ocr-chi-sim`), fed every line image of a page in one `tesseract` run (`--psm 7`, one
line per image). Each engine runs in its own forked process so the memory figures do not mix: peak
RSS of the process and, for Tesseract, of its children. Needs a CJK font to print the scans
(tests/fixtures/scanfont.py). Asserts nothing: timings are not tests.
"""

from __future__ import annotations

import multiprocessing as mp
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from flows.demo import reportgen as g
from flows.demo.reportgen.as_scan import CLEAN_300, DEGRADED, Scan, render_scanned_pdf
from parsers import ocr
from parsers.pipeline import build_report
from tests.fixtures.scanfont import extract_scan_font

REPORTS = (("gov2021", 51), ("gov2019", 52), ("stat2014", 53))


def tesseract_recognizer(images: list[Any]) -> list[tuple[str, float]]:
    """Tesseract on every line image at once: one image per page of a list file, TSV out."""
    import cv2

    if not images:
        return []
    with tempfile.TemporaryDirectory() as work:
        paths = []
        for i, image in enumerate(images):
            path = Path(work) / f"{i:05d}.png"
            cv2.imwrite(str(path), image)
            paths.append(str(path))
        listing = Path(work) / "lines.txt"
        listing.write_text("\n".join(paths) + "\n")
        out = subprocess.run(
            ["tesseract", str(listing), "stdout", "-l", "chi_sim", "--psm", "7", "tsv"],
            capture_output=True,
            text=True,
            check=True,
            env={"OMP_THREAD_LIMIT": "2", "PATH": "/usr/bin:/bin"},
        ).stdout
    words: dict[int, list[tuple[str, float]]] = {}
    for row in out.splitlines()[1:]:
        cols = row.split("\t")
        if len(cols) == 12 and cols[0] == "5" and cols[11].strip():
            words.setdefault(int(cols[1]) - 1, []).append((cols[11].strip(), float(cols[10]) / 100))
    return [
        ("".join(w for w, _ in words.get(i, [])), min((c for _, c in words.get(i, [])), default=0.0))
        for i in range(len(images))
    ]


def _run(engine: str, scans: list[tuple[str, Scan]], font: Path, queue: Any) -> None:
    recognize = ocr.rapidocr_recognizer() if engine == "rapidocr" else tesseract_recognizer
    right = total = pages = 0
    seconds = 0.0
    for fmt, seed in REPORTS:
        spec = g.make_spec(seed, fmt)
        want = {(c.table, c.row, c.col): (c.value, c.raw) for c in spec.cells}
        for _name, scan in scans:
            images = ocr.page_images_of_pdf(render_scanned_pdf(spec, scan, font=font), 200)
            started = time.perf_counter()
            report = build_report(ocr.read_scan(images, recognize=recognize), started=started)
            seconds += time.perf_counter() - started
            got = {(c.table, c.row, c.col): (c.value, c.raw) for c in report.cells}
            right += sum(1 for k, v in want.items() if got.get(k) == v)
            total += len(want)
            pages += len(images)
    peak = max(
        resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
        resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,
    )
    queue.put((engine, right, total, pages, seconds, peak))


def main(argv: list[str]) -> None:
    engines = (argv[0] if argv else "rapidocr,tesseract").split(",")
    which = argv[1] if len(argv) > 1 else "all"
    scans = [("clean300", CLEAN_300)] if which in ("clean", "all") else []
    if which in ("degraded", "all"):
        scans += [(f"degraded{i}", s) for i, s in enumerate(DEGRADED)]
    with tempfile.TemporaryDirectory() as work:
        font = extract_scan_font(Path(work))
        if font is None:
            sys.exit("no CJK font to print the scans with (see tests/fixtures/scanfont.py)")
        context = mp.get_context("fork")
        for engine in engines:
            queue = context.Queue()
            process = context.Process(target=_run, args=(engine, scans, font, queue))
            process.start()
            name, right, total, pages, seconds, peak = queue.get()
            process.join()
            print(
                f"{name:10s} cells right {right}/{total} ({right / total:.2%})  "
                f"{seconds / pages:.2f} s/page over {pages} pages  peak RSS {peak / 1024:.0f} MB"
            )


if __name__ == "__main__":
    main(sys.argv[1:])
