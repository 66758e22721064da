"""The canonical report: what every parser returns and what the database stores.

Keys are the stable English identifiers of ../shared/DESIGN.md; the Chinese labels live only in
`parsers.templates`. `Report.to_json()` is the JSON contract printed by `nianbao parse --json`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Format = Literal["gov2021", "gov2019", "stat2014", "unknown"]
Severity = Literal["error", "warning", "info"]
SEVERITY_ORDER: tuple[Severity, ...] = ("error", "warning", "info")
"""Severities, most severe first: the order every summary and listing uses."""
SourceKind = Literal["pdf", "html", "docx", "text", "doc", "xls", "ofd", "ocr"]
"""What the report was read from: `doc` a legacy Word/WPS file (read as its LibreOffice DOCX), `xls` a
spreadsheet (.xls/.xlsx/.et), `ofd` a GB/T 33190 file, `ocr` page images (a scanned PDF or a picture)."""
# unreadable: an attachment that was published but cannot be read (a password, no LibreOffice for a .doc):
# it still counts as published for the timeliness monitor, with no cells.
ReportStatus = Literal["parsed", "not_a_report", "needs_ocr", "unreadable"]

SECTION_KEYS: tuple[str, ...] = (
    "overview",
    "proactive",
    "requests",
    "review_litigation",
    "problems",
    "other",
)


@dataclass(frozen=True)
class Cell:
    """One table cell as printed: `value` is None for "/", "—", "－" or blank, `raw` keeps the text."""

    table: str
    row: str
    col: str
    value: float | int | None
    raw: str
    page: int | None = None
    confidence: float | None = None
    """The OCR recogniser's confidence (0–1) in `raw`; None for cells read from printed text."""

    def to_dict(self) -> dict[str, Any]:
        """The cell as JSON; `confidence` only for an OCR'd cell."""
        out = asdict(self)
        if self.confidence is None:
            del out["confidence"]
        return out

    def ref(self, year: int | None = None) -> CellRef:
        """This cell as a finding's evidence."""
        return CellRef(self.table, self.row, self.col, self.raw, self.page, year)


@dataclass(frozen=True)
class CellRef:
    """A cell a finding is about, as printed: where it is (table/row/col, page) and its raw text.

    `year` is None for a cell of the report the finding belongs to; cross-year findings set it on
    every cell to the year of the report the cell was read from.
    """

    table: str
    row: str
    col: str
    raw: str
    page: int | None = None
    year: int | None = None

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.table, self.row, self.col)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CellRef:
        return cls(
            str(data["table"]),
            str(data["row"]),
            str(data["col"]),
            str(data.get("raw", "")),
            data.get("page"),
            data.get("year"),
        )


@dataclass(frozen=True)
class Finding:
    """A broken rule: `rule` is one of DESIGN.md's rule ids, `where` a table/row/col path, `cells`
    the evidence (every cell the rule read), so an operator can check it against the original."""

    rule: str
    severity: Severity
    where: str
    message: str
    expected: float | int | None = None
    actual: float | int | None = None
    cells: tuple[CellRef, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "severity": self.severity,
            "where": self.where,
            "message": self.message,
            "expected": self.expected,
            "actual": self.actual,
            "cells": [c.to_dict() for c in self.cells],
        }


@dataclass(frozen=True)
class ParserInfo:
    """Which parser read the report and how: `engines` names the reader of each PDF page in order
    ("pdfium", "pdfplumber"), empty for other kinds."""

    version: str
    source_kind: SourceKind
    pages: int | None = None
    seconds: float = 0.0
    engines: tuple[str, ...] = ()


@dataclass
class Report:
    """A parsed annual report.

    `tables` is derived from `cells` (see `tables_from_cells`) and is the nested
    table → row → col → value view of DESIGN.md; `cells` are the source of truth.
    """

    agency: str | None
    year: int | None
    format: Format
    title: str
    parser: ParserInfo
    status: ReportStatus = "parsed"
    sections: dict[str, str] = field(default_factory=dict)
    cells: list[Cell] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    statistics: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def tables(self) -> dict[str, dict[str, Any]]:
        return tables_from_cells(self.cells, self.statistics)

    def value(self, table: str, row: str, col: str) -> float | int | None:
        """The value of one cell, or None when absent or blank."""
        for cell in self.cells:
            if cell.table == table and cell.row == row and cell.col == col:
                return cell.value
        return None

    def to_json(self) -> dict[str, Any]:
        return {
            "agency": self.agency,
            "year": self.year,
            "format": self.format,
            "status": self.status,
            "title": self.title,
            "sections": dict(self.sections),
            "tables": self.tables,
            "cells": [c.to_dict() for c in self.cells],
            "findings": [f.to_dict() for f in self.findings],
            "parser": asdict(self.parser),
        }


def tables_from_cells(
    cells: list[Cell], statistics: dict[str, dict[str, Any]] | None = None
) -> dict[str, dict[str, Any]]:
    """Nest cells as table → row → col → value; stat2014 indicators go under `statistics`."""
    tables: dict[str, dict[str, Any]] = {}
    for cell in cells:
        if cell.table == "statistics":
            continue
        tables.setdefault(cell.table, {}).setdefault(cell.row, {})[cell.col] = cell.value
    if statistics:
        tables["statistics"] = {key: dict(entry) for key, entry in statistics.items()}
    return tables
