"""Plain text (like ../shared/seeds/): lines, and Markdown pipe tables as grids.

Flattened text keeps tables as lines of numbers. What OCR and PDF-to-Markdown tools produce has pipe
tables (`| 一、本年新收… | 3 | 0 | … |`): consecutive pipe rows are one grid with its empty cells kept,
the `|---|` rule row dropped; a page footer or a paragraph between pipe rows ends one grid and the next
starts a new one (the table matcher reads the parts in order).
"""

from __future__ import annotations

import re

from parsers.decode import decode_bytes
from parsers.document import Document, Grid, GridRow, Line

_MARKUP = re.compile(r"^\s*(#{1,6}\s*|[-*]\s+(?=\S))|\*\*|__|<(http[^>]+)>")
_RULE = re.compile(r"^\s*(-{3,}|\*{3,}|={3,})\s*$")
_PIPE_RULE = re.compile(r"^\|?(\s*:?-{2,}:?\s*\|)+\s*:?-*:?\s*$")
_BREAK = re.compile(r"<br\s*/?>", re.I)


def clean_line(line: str) -> str:
    """Drop Markdown decoration that converters add (#, **, ---, <url>); keep the words."""
    if _RULE.match(line):
        return ""
    return _MARKUP.sub(lambda m: m.group(2) or "", line).strip()


def pipe_cells(line: str) -> list[str] | None:
    """The cells of a Markdown pipe-table row, or None when the line is not one."""
    text = line.strip()
    if not text.startswith("|") or text.count("|") < 2:
        return None
    inner = text[1:-1] if text.endswith("|") else text[1:]
    return [" ".join(_BREAK.sub(" ", cell).replace("**", "").split()) for cell in inner.split("|")]


def read_text(data: bytes, content_type: str = "") -> Document:
    text = decode_bytes(data, content_type)
    blocks: list[Line | Grid] = []
    grid: Grid | None = None
    tables = 0
    for raw in text.splitlines():
        cells = pipe_cells(raw)
        if cells is not None:
            if _PIPE_RULE.match(raw.strip()):
                continue
            if grid is None:
                grid = Grid([], tables)
                tables += 1
                blocks.append(grid)
            grid.rows.append(GridRow(tuple(cells)))
            continue
        line = clean_line(raw)
        if line:
            grid = None
            blocks.append(Line(line))
    return Document(kind="text", blocks=blocks)
