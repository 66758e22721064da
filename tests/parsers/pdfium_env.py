"""Parse PDFs in a fresh process whose PDFium sees a chosen font directory, and print the results.

`python -m tests.parsers.pdfium_env --fonts DIR FILE...` restarts PDFium with DIR as its only font
search path (PDFium's library config, `m_pUserFontPaths`) — a machine with exactly those fonts
installed — then prints one JSON object: for each file, what bare PDFium's text page extracts
(so a test can see the fonts really changed what PDFium does), and what our reader and parser make of
it under every engine. Without `--fonts`, PDFium searches the machine's own font directories.
"""

from __future__ import annotations

import argparse
import ctypes
import json
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Any

_KEEP: list[Any] = []
"""Buffers PDFium's config points into, alive for the life of the process."""


def restart_pdfium(font_dir: str | None) -> None:
    """Destroy pypdfium2's PDFium instance and start it again with `font_dir` as its font path."""
    import pypdfium2.raw as pdfium_c
    from pypdfium2 import _library_scope
    from pypdfium2.internal import bases

    _library_scope.destroy_lib()
    paths: Any = None
    if font_dir is not None:
        _KEEP.append(ctypes.create_string_buffer(font_dir.encode()))
        entry: Any = ctypes.POINTER(ctypes.c_char)
        array = (entry * 2)(ctypes.cast(_KEEP[-1], entry))
        paths = ctypes.cast(array, ctypes.POINTER(entry))
    config = pdfium_c.FPDF_LIBRARY_CONFIG(
        version=2, m_pUserFontPaths=paths, m_pIsolate=None, m_v8EmbedderSlot=0
    )
    pdfium_c.FPDF_InitLibraryWithConfig(config)
    bases.LIBRARY_AVAILABLE = True


def bare_text(data: bytes) -> list[str]:
    """Each page's text as PDFium's own text page gives it, with the machine's fonts."""
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(data)
    try:
        return [pdf[i].get_textpage().get_text_range() for i in range(len(pdf))]
    finally:
        pdf.close()


def read_everything(data: bytes) -> dict[str, Any]:
    """The reader's document and the parsed report (without timings) under each engine."""
    from parsers import ParseSettings, parse
    from parsers.pdf import read_pdf

    out: dict[str, Any] = {}
    for engine in ("auto", "pdfplumber"):
        settings = ParseSettings(pdf_engine=engine)
        document = read_pdf(data, settings)
        report = parse(data, filename="report.pdf", settings=settings).to_json()
        report["parser"].pop("seconds")
        out[engine] = {
            "blocks": [repr(block) for block in document.blocks],
            "engines": list(document.engines),
            "report": report,
        }
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--fonts", help="the only font directory PDFium searches")
    parser.add_argument("files", nargs="+", type=Path)
    args = parser.parse_args(argv)
    restart_pdfium(args.fonts)
    files = [(path, path.read_bytes()) for path in args.files]
    bare = {str(path): bare_text(data) for path, data in files}
    ours = {str(path): read_everything(data) for path, data in files}
    json.dump({"bare": bare, "ours": ours}, sys.stdout, ensure_ascii=False, default=asdict)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
