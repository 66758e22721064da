"""Parse errors: each carries a one-line reason that the pipeline records as the document's last_error."""

from __future__ import annotations


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
