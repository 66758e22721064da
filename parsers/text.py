"""Plain text (like ../shared/seeds/): lines only; tables arrive flattened into lines of numbers."""

from __future__ import annotations

import re

from parsers.decode import decode_bytes
from parsers.document import Document, Line

_MARKUP = re.compile(r"^\s*(#{1,6}\s*|[-*]\s+(?=\S))|\*\*|__|<(http[^>]+)>")
_RULE = re.compile(r"^\s*(-{3,}|\*{3,}|={3,})\s*$")


def clean_line(line: str) -> str:
    """Drop Markdown decoration that converters add (#, **, ---, <url>); keep the words."""
    if _RULE.match(line):
        return ""
    return _MARKUP.sub(lambda m: m.group(2) or "", line).strip()


def read_text(data: bytes, content_type: str = "") -> Document:
    text = decode_bytes(data, content_type)
    lines = [Line(clean_line(raw)) for raw in text.splitlines()]
    return Document(kind="text", blocks=[line for line in lines if line.text])
