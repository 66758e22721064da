"""Typed limits for one parse: the time budget that turns a pathological file into ParseTimeout."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

PdfEngine = Literal["auto", "pdfium", "pdfplumber"]


@dataclass(frozen=True)
class ParseSettings:
    """`max_seconds` bounds the whole document, `max_seconds_per_page` each PDF page's budget
    (the document budget is the smaller of max_seconds and pages × max_seconds_per_page).
    `pdf_engine` picks the PDF reader: "auto" (PDFium, pdfplumber where PDFium cannot reproduce the
    file), "pdfium" (no fallback) or "pdfplumber" (the reference reader)."""

    max_seconds: float = 120.0
    max_seconds_per_page: float = 10.0
    max_pages: int = 200
    pdf_engine: PdfEngine = "auto"

    def budget(self, pages: int) -> float:
        return min(self.max_seconds, max(1, pages) * self.max_seconds_per_page)
