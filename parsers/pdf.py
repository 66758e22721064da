"""PDF with a text layer: one pass over each page's objects.

Words are extracted once per page; table finding (the expensive part) runs only on pages that have
ruling lines or rectangles. Text inside a table's bbox is left to the table. Pages are closed as soon
as they are read so memory stays flat. A document with no characters at all needs OCR.
"""

from __future__ import annotations

import io
import time
from typing import Any

from parsers.document import Document, Grid, GridRow, Line
from parsers.errors import CorruptDocument, EncryptedDocument, ParseTimeout, TruncatedDocument
from parsers.settings import ParseSettings

TABLE_SETTINGS: dict[str, Any] = {
    "vertical_strategy": "lines",
    "horizontal_strategy": "lines",
    "snap_tolerance": 3,
    "join_tolerance": 3,
    "intersection_tolerance": 3,
}
LINE_TOLERANCE = 3.0


def _open(data: bytes) -> Any:
    import pdfplumber
    from pdfminer.pdfdocument import PDFEncryptionError, PDFPasswordIncorrect
    from pdfminer.pdfparser import PDFSyntaxError
    from pdfplumber.utils.exceptions import PdfminerException

    if b"%%EOF" not in data[-2048:]:
        raise TruncatedDocument("truncated PDF (no %%EOF end marker)")
    try:
        pdf = pdfplumber.open(io.BytesIO(data))
        _ = pdf.pages
    except (PDFPasswordIncorrect, PDFEncryptionError) as exc:
        raise EncryptedDocument("encrypted PDF (password required)") from exc
    except (PdfminerException, PDFSyntaxError) as exc:
        cause = exc.args[0] if exc.args else exc
        if isinstance(cause, (PDFPasswordIncorrect, PDFEncryptionError)):
            raise EncryptedDocument("encrypted PDF (password required)") from exc
        raise CorruptDocument(f"damaged PDF: {type(cause).__name__}") from exc
    except Exception as exc:
        raise CorruptDocument(f"damaged PDF: {type(exc).__name__}") from exc
    return pdf


def _lines(words: list[dict[str, Any]], page_number: int) -> list[tuple[float, Line]]:
    """Words grouped into lines by their top coordinate, with each line's top."""
    out: list[tuple[float, Line]] = []
    current: list[dict[str, Any]] = []
    for word in sorted(words, key=lambda w: (round(w["top"] / LINE_TOLERANCE), w["x0"])):
        if current and abs(word["top"] - current[0]["top"]) > LINE_TOLERANCE:
            out.append(_line(current, page_number))
            current = []
        current.append(word)
    if current:
        out.append(_line(current, page_number))
    return out


def _line(words: list[dict[str, Any]], page_number: int) -> tuple[float, Line]:
    words = sorted(words, key=lambda w: w["x0"])
    return words[0]["top"], Line(" ".join(w["text"] for w in words), page_number)


def _inside(word: dict[str, Any], bbox: tuple[float, float, float, float]) -> bool:
    x0, top, x1, bottom = bbox
    cx = (word["x0"] + word["x1"]) / 2
    cy = (word["top"] + word["bottom"]) / 2
    return x0 <= cx <= x1 and top <= cy <= bottom


def read_page(page: Any, page_number: int, table_index: int) -> tuple[list[Line | Grid], int]:
    """Lines and grids of one page in top-to-bottom order, and how many characters it has."""
    chars = page.chars
    if not chars:
        return [], 0
    words = page.extract_words(x_tolerance=1.5, y_tolerance=2)
    tables = page.find_tables(TABLE_SETTINGS) if (page.rects or page.lines) else []
    placed: list[tuple[float, Line | Grid]] = []
    for table in tables:
        rows = [GridRow(tuple(cell for cell in row), page_number) for row in table.extract()]
        placed.append((table.bbox[1], Grid(rows, table_index)))
        table_index += 1
    bboxes = [t.bbox for t in tables]
    free = [w for w in words if not any(_inside(w, b) for b in bboxes)]
    placed.extend(_lines(free, page_number))
    placed.sort(key=lambda p: p[0])
    return [block for _, block in placed], len(chars)


def read_pdf(data: bytes, settings: ParseSettings | None = None) -> Document:
    settings = settings or ParseSettings()
    started = time.perf_counter()
    pdf = _open(data)
    try:
        pages = pdf.pages
        if not pages:
            raise TruncatedDocument("PDF without pages")
        if len(pages) > settings.max_pages:
            raise ParseTimeout(f"PDF has {len(pages)} pages, more than the limit of {settings.max_pages}")
        budget = settings.budget(len(pages))
        blocks: list[Line | Grid] = []
        total_chars = 0
        tables = 0
        for number, page in enumerate(pages, start=1):
            try:
                page_blocks, n_chars = read_page(page, number, tables)
            except (ValueError, KeyError, TypeError, AttributeError) as exc:
                raise CorruptDocument(f"damaged PDF page {number}: {type(exc).__name__}") from exc
            finally:
                page.close()
            tables += sum(1 for b in page_blocks if isinstance(b, Grid))
            blocks.extend(page_blocks)
            total_chars += n_chars
            elapsed = time.perf_counter() - started
            if elapsed > budget:
                raise ParseTimeout(f"PDF parse exceeded {budget:.0f} s at page {number} of {len(pages)}")
        return Document(kind="pdf", blocks=blocks, pages=len(pages), has_text_layer=total_chars > 0)
    finally:
        pdf.close()
