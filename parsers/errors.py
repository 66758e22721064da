"""Parse errors: each carries a one-line reason that the pipeline records as the document's last_error."""

from __future__ import annotations

import os

_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep


class ParseError(Exception):
    """The bytes cannot be parsed into a report; `str(exc)` is a one-line reason."""

    def __init__(self, reason: str) -> None:
        super().__init__(" ".join(reason.split()))


class EmptyDocument(ParseError):
    """Zero bytes, or only whitespace."""


class TruncatedDocument(ParseError):
    """A PDF/DOCX cut short (download interrupted)."""


class EncryptedDocument(ParseError):
    """A password-protected PDF."""


class UnsupportedKind(ParseError):
    """A kind we do not parse (ZIP, legacy .doc/.wps, images, OFD)."""


class WrongKind(ParseError):
    """The bytes are not what the name or content type claims (an HTML error page saved as .pdf)."""


class CorruptDocument(ParseError):
    """The container is damaged beyond truncation."""


class ParseTimeout(ParseError):
    """The document took longer than the configured time budget."""


class ResourceLimit(ParseError):
    """The document exceeds a configured limit: size, decompressed size or ratio, table span, HTML
    nesting depth, or the memory of the process parsing it."""


class ParserFault(ParseError):
    """A reader of ours failed on this document (a parser bug this file shows); the reason names where."""


LIBRARY_MODULES = (
    "lxml",
    "zlib",
    "zipfile",
    "pdfminer",
    "pdfplumber",
    "pypdfium2",
    "docx",
    "charset_normalizer",
    "PIL",
    "struct",
    "xml",
    "binascii",
    "codecs",
    "encodings",
    "base64",
)
"""Modules whose exceptions mean the bytes are damaged, not that our code is wrong."""


def _module_of(filename: str) -> str:
    """The top-level module name of a traceback frame's file (`.../site-packages/lxml/x.py` → lxml)."""
    if filename.startswith(_PACKAGE_DIR):
        return "parsers"
    parts = filename.replace("\\", "/").split("/")
    if "site-packages" in parts:
        return parts[parts.index("site-packages") + 1].removesuffix(".py")
    return parts[-1].removesuffix(".py")


def as_parse_error(exc: BaseException, kind: str) -> ParseError:
    """The ParseError for any exception a reader let through: a library's exception (lxml, zlib,
    zipfile, pdfminer, pypdfium2, python-docx, charset detection) is a CorruptDocument, running out of
    memory or stack a ResourceLimit, anything raised in our own code a ParserFault naming the line."""
    import traceback

    if isinstance(exc, ParseError):
        return exc
    what = kind.upper() if kind else "document"
    detail = " ".join(str(exc).split())[:160]
    name = type(exc).__name__ + (f": {detail}" if detail else "")
    if isinstance(exc, MemoryError):
        return ResourceLimit(f"{what} needs more memory than the parse is allowed")
    if isinstance(exc, RecursionError):
        return ResourceLimit(f"{what} is nested too deeply to read")
    frames = traceback.extract_tb(exc.__traceback__)
    innermost = _module_of(frames[-1].filename) if frames else ""
    module = type(exc).__module__.split(".")[0]
    if innermost != "parsers" or module in LIBRARY_MODULES:
        return CorruptDocument(f"damaged {what}: {name}")
    ours = next(f for f in reversed(frames) if _module_of(f.filename) == "parsers")
    where = "/".join(ours.filename.replace("\\", "/").split("/")[-2:])
    return ParserFault(f"parser fault on this {what}: {name} at {where}:{ours.lineno}")
