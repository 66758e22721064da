"""Bytes → canonical `Report`: detect the kind, read it into a `Document`, then build the report.

Pure: no I/O beyond the bytes given. Bad input raises a `ParseError` subclass with a one-line reason,
or returns a Report whose status is `not_a_report` / `needs_ocr`.
"""

from __future__ import annotations

import time

from parsers.detect import detect_kind
from parsers.document import Document
from parsers.errors import ParseError, UnsupportedKind, as_parse_error
from parsers.model import Report, SourceKind
from parsers.pipeline import VERSION, build_report
from parsers.settings import ParseSettings

__version__ = VERSION
__all__ = ["ParseError", "ParseSettings", "Report", "__version__", "parse", "read_document"]


def read_document(
    data: bytes, *, filename: str = "", content_type: str = "", settings: ParseSettings | None = None
) -> Document:
    """The intermediate document of any supported kind; any failure is a ParseError subclass."""
    settings = settings or ParseSettings()
    kind = ""
    try:
        kind = detect_kind(data, filename=filename, content_type=content_type, settings=settings)
        return _read(kind, data, content_type, settings)
    except ParseError:
        raise
    except Exception as exc:
        raise as_parse_error(exc, kind) from exc


def _read(kind: str, data: bytes, content_type: str, settings: ParseSettings) -> Document:
    if kind == "pdf":
        from parsers.pdf import read_pdf

        return read_pdf(data, settings)
    if kind == "docx":
        from parsers.docx import read_docx

        return read_docx(data, settings)
    if kind == "html":
        from parsers.html import read_html

        return read_html(data, content_type, settings)
    if kind == "xls":
        from parsers.spreadsheet import read_spreadsheet

        return read_spreadsheet(data)
    if kind == "ofd":
        from parsers.ofd import read_ofd

        return read_ofd(data)
    if kind == "image":
        return Document(kind="ocr", has_text_layer=False)
    if kind == "doc":
        raise UnsupportedKind(
            "legacy Word/WPS (OLE2 .doc/.wps) document: needs conversion by LibreOffice (flows.convert)"
        )
    from parsers.text import read_text

    return read_text(data, content_type)


def parse(
    data: bytes,
    *,
    filename: str = "",
    content_type: str = "",
    settings: ParseSettings | None = None,
    source_kind: SourceKind | None = None,
) -> Report:
    """Parse one report document (PDF, DOCX, HTML, text, spreadsheet or OFD) into the canonical
    Report; `source_kind` names the kind the bytes were converted from (a .doc read as its DOCX)."""
    started = time.perf_counter()
    doc = read_document(data, filename=filename, content_type=content_type, settings=settings)
    if source_kind is not None:
        doc.kind = source_kind
    try:
        return build_report(doc, started=started)
    except ParseError:
        raise
    except Exception as exc:
        raise as_parse_error(exc, doc.kind) from exc
