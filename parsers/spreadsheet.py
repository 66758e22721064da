"""Spreadsheets (.xls BIFF, .xlsx, .et) through python-calamine: each sheet's runs of non-blank rows
become lines (a title, a note) or a grid (a table), merged ranges as None slots like DOCX.

A run of rows is a table when some row has two or more filled cells; rows of one unmerged cell at the
top of a table run (a heading typed just above the table) are lines. Numbers come back as floats and
are printed without a trailing ".0", the way the sheet shows them.
"""

from __future__ import annotations

import io
from datetime import date, datetime, time
from typing import Any

from parsers.document import Document, Grid, GridRow, Line
from parsers.errors import CorruptDocument, EncryptedDocument, ResourceLimit

MAX_SHEET_SLOTS = 400_000
"""Rows × columns of one sheet: the largest statistics table is a few hundred slots."""

Merge = tuple[tuple[int, int], tuple[int, int]]


def cell_text(value: Any) -> str:
    """A cell value as printed: 12.0 → "12", 0.5 → "0.5", a date as ISO, text stripped."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    return str(value).strip()


def _covered(merges: list[Merge]) -> tuple[set[tuple[int, int]], dict[tuple[int, int], int]]:
    """The slots a merged range covers (all but its top-left) and each range's column span."""
    covered: set[tuple[int, int]] = set()
    spans: dict[tuple[int, int], int] = {}
    for (r0, c0), (r1, c1) in merges:
        spans[(r0, c0)] = c1 - c0 + 1
        covered.update((r, c) for r in range(r0, r1 + 1) for c in range(c0, c1 + 1) if (r, c) != (r0, c0))
    return covered, spans


def sheet_blocks(rows: list[list[str]], merges: list[Merge], first_index: int) -> list[Line | Grid]:
    """One sheet's lines and grids in order; `first_index` numbers the grids."""
    covered, spans = _covered(merges)
    width = max((len(r) for r in rows), default=0)
    runs: list[list[int]] = []
    current: list[int] = []
    for r, row in enumerate(rows):
        blank = not any(row) and not any((r, c) in covered for c in range(width))
        if blank:
            if current:
                runs.append(current)
            current = []
        else:
            current.append(r)
    if current:
        runs.append(current)
    blocks: list[Line | Grid] = []
    index = first_index
    for run in runs:
        filled = [sum(1 for c in rows[r] if c) for r in run]
        if max(filled) < 2:
            blocks.extend(Line(" ".join(rows[r][c] for c in range(len(rows[r])) if rows[r][c])) for r in run)
            continue
        while filled[0] < 2 and spans.get((run[0], _first_filled(rows[run[0]])), 1) == 1:
            text = " ".join(c for c in rows[run[0]] if c)
            if text:
                blocks.append(Line(text))
            run, filled = run[1:], filled[1:]
        last = max(c for r in run for c in range(len(rows[r])) if rows[r][c] or (r, c) in spans) + 1
        grid_rows = [
            GridRow(
                tuple(
                    None if (r, c) in covered else (rows[r][c] if c < len(rows[r]) else "")
                    for c in range(last)
                )
            )
            for r in run
        ]
        blocks.append(Grid(grid_rows, index))
        index += 1
    return blocks


def _first_filled(row: list[str]) -> int:
    return next((c for c, text in enumerate(row) if text), 0)


def read_spreadsheet(data: bytes) -> Document:
    """Every sheet's lines and grids, sheets in workbook order."""
    from python_calamine import CalamineWorkbook

    try:
        book = CalamineWorkbook.from_filelike(io.BytesIO(data))
    except Exception as exc:  # calamine raises its own CalamineError/PasswordError/ValueError kinds
        if "password" in str(exc).lower() or "encrypt" in str(exc).lower():
            raise EncryptedDocument("password-protected spreadsheet") from exc
        raise CorruptDocument(
            f"damaged spreadsheet: {type(exc).__name__}: {' '.join(str(exc).split())[:120]}"
        ) from exc
    blocks: list[Line | Grid] = []
    grids = 0
    for index in range(len(book.sheet_names)):
        try:
            sheet = book.get_sheet_by_index(index)
            if sheet.total_height * sheet.total_width > MAX_SHEET_SLOTS:
                raise ResourceLimit(
                    f"sheet {sheet.name} has {sheet.total_height} × {sheet.total_width} cells"
                )
            values = sheet.to_python(skip_empty_area=False)
            merges = list(sheet.merged_cell_ranges or [])
        except ResourceLimit:
            raise
        except Exception as exc:
            raise CorruptDocument(f"damaged spreadsheet sheet {index + 1}: {type(exc).__name__}") from exc
        rows = [[cell_text(v) for v in row] for row in values]
        sheet_part = sheet_blocks(rows, merges, grids)
        grids += sum(1 for b in sheet_part if isinstance(b, Grid))
        blocks.extend(sheet_part)
    return Document(kind="xls", blocks=blocks)
