"""Typed limits for one parse: time, input size per kind, zip containers, table spans, HTML depth.

Every limit turns a hostile or pathological file into a `ParseError` (ParseTimeout or ResourceLimit)
before it can take the time or memory of the process; the memory of the process itself is bounded by
the runner that calls the parser (flows.parseworker), not here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

PdfEngine = Literal["auto", "pdfium", "pdfplumber"]

MB = 1024 * 1024


@dataclass(frozen=True)
class ParseSettings:
    """`max_seconds` bounds the whole document, `max_seconds_per_page` each PDF page's budget
    (the document budget is the smaller of max_seconds and pages × max_seconds_per_page).
    `pdf_engine` picks the PDF reader: "auto" (PDFium, pdfplumber where PDFium cannot reproduce the
    file), "pdfium" (no fallback) or "pdfplumber" (the reference reader). `pdf_speedups` lets the
    PDFium reader run its per-character loops in C (`parsers/_pdf_speedups.c`, where it was built);
    off, the same loops run in Python, with the same results, about twice as slow.

    Size limits: `max_bytes_pdf`/`_docx`/`_html`/`_text` per kind; a zip container (DOCX) may unpack
    to at most `max_unzipped_bytes` in total and `max_zip_ratio` times its packed size, with at most
    `max_zip_members` members. `max_span` bounds a table cell's colspan/rowspan/gridSpan: the widest
    template table (table 4: 3 blocks × 5 columns plus labels) and the longest (table 3: about 30 rows)
    fit several times over, so a larger span is a hostile or broken file. `max_table_slots` bounds
    the rows × columns of one table, `max_html_depth` the nesting of an HTML page."""

    max_seconds: float = 120.0
    max_seconds_per_page: float = 10.0
    max_pages: int = 200
    pdf_engine: PdfEngine = "auto"
    pdf_speedups: bool = True
    max_bytes_pdf: int = 100 * MB
    max_bytes_docx: int = 50 * MB
    max_bytes_html: int = 8 * MB
    max_bytes_text: int = 8 * MB
    max_unzipped_bytes: int = 200 * MB
    max_zip_ratio: float = 200.0
    max_zip_members: int = 2000
    max_span: int = 64
    max_table_slots: int = 40_000
    max_html_depth: int = 200

    def budget(self, pages: int) -> float:
        return min(self.max_seconds, max(1, pages) * self.max_seconds_per_page)

    def max_bytes(self, kind: str) -> int:
        """The input size limit of one kind ("pdf", "docx", "html", "text")."""
        return {
            "pdf": self.max_bytes_pdf,
            "docx": self.max_bytes_docx,
            "doc": self.max_bytes_docx,
            "xls": self.max_bytes_docx,
            "ofd": self.max_bytes_docx,
            "image": self.max_bytes_pdf,
            "html": self.max_bytes_html,
        }.get(kind, self.max_bytes_text)
