"""The intermediate document every reader produces: text lines and table grids, with pages.

Readers (pdf, html, docx, text) turn bytes into a `Document`; everything after works on it, so the
table matching, metadata and checks do not care where the text came from.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from parsers.model import SourceKind


@dataclass(frozen=True)
class Line:
    """One line of running text (outside tables) and the page it is on (None for HTML/DOCX/text)."""

    text: str
    page: int | None = None


@dataclass(frozen=True)
class GridRow:
    """One table row: cell texts, None for a slot covered by a merged (row/col-spanning) cell."""

    cells: tuple[str | None, ...]
    page: int | None = None
    confidence: tuple[float | None, ...] | None = None
    """The recogniser's confidence (0–1) of each cell of an OCR'd page; None for other readers."""


@dataclass
class Grid:
    """A table as rows of cells; `index` is its position among the document's tables."""

    rows: list[GridRow]
    index: int = 0


@dataclass
class Document:
    """Text and tables in reading order: `blocks` interleaves Line and Grid."""

    kind: SourceKind
    blocks: list[Line | Grid] = field(default_factory=list)
    pages: int | None = None
    has_text_layer: bool = True
    engines: tuple[str, ...] = ()
    """The reader of each PDF page in order ("pdfium", "pdfplumber"); empty for other kinds."""

    @property
    def lines(self) -> list[Line]:
        return [b for b in self.blocks if isinstance(b, Line)]

    @property
    def grids(self) -> list[Grid]:
        return [b for b in self.blocks if isinstance(b, Grid)]

    def text(self) -> str:
        """All running text plus table cell text, one line per line/row (for metadata and sections)."""
        out: list[str] = []
        for block in self.blocks:
            if isinstance(block, Line):
                out.append(block.text)
            else:
                out.extend("\t".join(c for c in row.cells if c) for row in block.rows)
        return "\n".join(out)
