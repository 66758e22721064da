"""The report to render and its ground truth: `ReportSpec`, drawn by `make_spec` from a seed."""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from flows.demo.reportgen.figures import proactive_cells, request_cells, review_cells, stat2014_cells
from flows.demo.reportgen.prose import write_sections
from parsers import templates
from parsers.model import Cell, Finding, tables_from_cells

FORMATS: tuple[str, ...] = ("gov2021", "gov2019", "stat2014")
DEFAULT_AGENCY = "银川市西夏区科学技术和工业信息化局"
DEFAULT_YEARS: dict[str, int] = {"gov2021": 2023, "gov2019": 2020, "stat2014": 2018}
BLANK_MARKS: tuple[str, ...] = ("/", "—")


@dataclass
class ReportSpec:
    """A report to render and its ground truth (cells as printed, statistics, section texts)."""

    agency: str | None
    year: int
    format: str
    title: str
    sections: dict[str, str]
    cells: list[Cell]
    statistics: dict[str, dict[str, Any]]
    published: str = ""
    seed: int = 0
    blanks: bool = False
    changes: list[tuple[str, str, str, str, str]] = field(default_factory=list)
    expected_findings: list[Finding] = field(default_factory=list)
    text_override: dict[str, int] = field(default_factory=dict)

    def cell(self, table: str, row: str, col: str) -> Cell | None:
        """The ground-truth cell at table/row/col, or None when the layout has no such cell."""
        for cell in self.cells:
            if cell.table == table and cell.row == row and cell.col == col:
                return cell
        return None

    def raw(self, table: str, row: str, col: str) -> str:
        """The printed text of a cell ("" when absent)."""
        cell = self.cell(table, row, col)
        return cell.raw if cell else ""

    def number(self, table: str, row: str, col: str) -> int | float:
        """The value of a cell with blanks counted as 0 (how the identities read them)."""
        cell = self.cell(table, row, col)
        return cell.value if cell is not None and cell.value is not None else 0

    @property
    def agency_name(self) -> str:
        """How the body text names the issuing body."""
        return self.agency or "本机关"


def _check_columns(name: str, given: Mapping[str, int] | None) -> None:
    """A per-column mapping must name every applicant column with a count ≥ 0 (and a consistent total)."""
    if given is None:
        return
    missing = [c for c in templates.APPLICANT_COLUMNS if c not in given]
    if missing:
        raise ValueError(f"{name} lacks the columns {', '.join(missing)}")
    if any(given[c] < 0 for c in templates.APPLICANT_COLUMNS):
        raise ValueError(f"{name} has a negative count")
    if "total" in given and given["total"] != sum(given[c] for c in templates.APPLICANT_COLUMNS):
        raise ValueError(f"{name}: total {given['total']} is not the sum of the applicant columns")


def request_row(spec: ReportSpec, row: str) -> dict[str, int]:
    """One row of table 3 per column (blanks as 0), e.g. `carried_forward` to chain the next year."""
    return {col: int(spec.number("requests", row, col)) for col, _label in templates.REQUEST_COLUMNS}


def in_force_counts(spec: ReportSpec) -> dict[str, int] | None:
    """gov2021: 现行有效件数 per row (blanks as 0), to chain the next year; None for other formats."""
    if spec.format != "gov2021":
        return None
    return {
        row: int(spec.number("proactive", row, "in_force")) for row in ("regulations", "normative_documents")
    }


def _title(agency: str | None, year: int, fmt: str) -> str:
    kind = "政府信息公开工作年度报告"
    return f"{agency or ''}{year}年{kind}"


def make_spec(
    seed: int,
    fmt: str,
    *,
    agency: str | None = DEFAULT_AGENCY,
    year: int | None = None,
    blanks: bool = False,
    carried_over: Mapping[str, int] | None = None,
    carried_forward: Mapping[str, int] | None = None,
    previous_in_force: Mapping[str, int] | None = None,
    in_force: Mapping[str, int] | None = None,
) -> ReportSpec:
    """A random report with non-zero, consistent numbers (deterministic for a seed).

    Chaining a series of years (every argument per key, None = draw freely, as before):
    - `carried_over`: 二、上年结转 per applicant column (last year's 四、结转下年度继续办理); a
      "total" entry, if present, must be their sum.
    - `carried_forward`: 四 per applicant column, when next year's report is fixed already.
    - `previous_in_force` (gov2021): last year's 现行有效件数 per row (regulations,
      normative_documents), so that in_force = previous + issued − repealed.
    - `in_force` (gov2021): this year's 现行有效件数 per row, when next year's report is fixed.
    The other draws adjust; the in-report identities always hold.
    """
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}, expected one of {', '.join(FORMATS)}")
    for name, given in (("carried_over", carried_over), ("carried_forward", carried_forward)):
        _check_columns(name, given)
    rng = random.Random(seed)
    year = year if year is not None else DEFAULT_YEARS[fmt]
    statistics: dict[str, dict[str, Any]] = {}
    if fmt == "stat2014":
        statistics, cells = stat2014_cells(rng, blanks)
    else:
        cells = [
            *proactive_cells(rng, fmt, blanks, previous_in_force, in_force),
            *request_cells(rng, fmt, blanks, carried_over, carried_forward),
            *review_cells(rng),
        ]
    published = f"{year + 1}-{rng.choice((1, 1, 2, 3)):02d}-{rng.randint(10, 28):02d}"
    spec = ReportSpec(
        agency=agency,
        year=year,
        format=fmt,
        title=_title(agency, year, fmt),
        sections={},
        cells=cells,
        statistics=statistics,
        published=published,
        seed=seed,
        blanks=blanks,
    )
    spec.sections = write_sections(spec)
    return spec


def document_time(spec: ReportSpec) -> datetime:
    """The fixed creation time written into a file's metadata: its publication day (repeatable bytes)."""
    try:
        day = date.fromisoformat(spec.published)
    except ValueError:
        day = date(spec.year + 1, 1, 1)
    return datetime(day.year, day.month, day.day, 9, 30, tzinfo=UTC)


def spec_to_json(spec: ReportSpec) -> dict[str, Any]:
    """The ground truth in the shape of the JSON contract (plus the changes and expected findings)."""
    return {
        "agency": spec.agency,
        "year": spec.year,
        "format": spec.format,
        "title": spec.title,
        "published": spec.published,
        "seed": spec.seed,
        "sections": dict(spec.sections),
        "tables": tables_from_cells(spec.cells, spec.statistics),
        "cells": [c.to_dict() for c in spec.cells],
        "findings": [f.to_dict() for f in spec.expected_findings],
        "changes": [list(c) for c in spec.changes],
    }
