"""A report as a spreadsheet: the title and paragraphs one per row in column A, each table below a
blank row with its merged cells merged, numbers stored as numbers — the way an office types a report
into Excel or WPS 表格 and publishes it as .xlsx (openpyxl) or as a BIFF8 .xls (xlwt); both writers
are in the `[demo]` extra."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any, Protocol

from flows.demo.reportgen.layout import Grid, appendix_title, body_sections, statistics_grid
from flows.demo.reportgen.prose import preamble
from flows.demo.reportgen.spec import ReportSpec, document_time


def _value(text: str) -> int | float | str:
    """A number cell as a number (so the reader sees 12.0 and must print 12), anything else as text.
    A number whose text keeps a trailing zero ("35.40") is typed as text: a sheet shows a stored
    number by its number format, which a reader of the values does not see."""
    for kind in (int, float):
        try:
            number = kind(text)
        except ValueError:
            continue
        return number if str(number) == text else text
    return text


class _Sheet(Protocol):
    """The two writers' common ground: put a value at (row, col), merge a range (0-based)."""

    def put(self, row: int, col: int, value: int | float | str) -> None: ...

    def merge(self, row: int, col: int, last_row: int, last_col: int) -> None: ...


class _OpenpyxlSheet:
    def __init__(self, sheet: Any) -> None:
        self.sheet = sheet

    def put(self, row: int, col: int, value: int | float | str) -> None:
        self.sheet.cell(row=row + 1, column=col + 1, value=value)

    def merge(self, row: int, col: int, last_row: int, last_col: int) -> None:
        self.sheet.merge_cells(
            start_row=row + 1, start_column=col + 1, end_row=last_row + 1, end_column=last_col + 1
        )


class _XlwtSheet:
    def __init__(self, sheet: Any) -> None:
        self.sheet = sheet

    def put(self, row: int, col: int, value: int | float | str) -> None:
        self.sheet.write(row, col, value)

    def merge(self, row: int, col: int, last_row: int, last_col: int) -> None:
        self.sheet.merge(row, last_row, col, last_col)


def _table(sheet: _Sheet, grid: Grid, top: int) -> int:
    """Write `grid` with its top-left at row `top` (0-based); the next free row."""
    for c in grid.cells:
        row = top + c.row
        sheet.put(row, c.col, c.text if c.header else _value(c.text))
        if c.rowspan > 1 or c.colspan > 1:
            sheet.merge(row, c.col, row + c.rowspan - 1, c.col + c.colspan - 1)
    return top + grid.nrows


def _fill(spec: ReportSpec, sheet: _Sheet, new_sheet: Callable[[str], _Sheet]) -> None:
    """Title, preamble, sections and tables on one sheet; stat2014's statistics table on a second."""
    row = 0

    def line(text: str) -> None:
        nonlocal row
        sheet.put(row, 0, text)
        row += 1

    line(spec.title)
    line(preamble(spec))
    for heading, key, tables in body_sections(spec):
        line(heading)
        for para in spec.sections[key].split("\n"):
            if para:
                line(para)
        for grid in tables:
            row = _table(sheet, grid, row + 1) + 1
    if spec.format == "stat2014":
        stats = new_sheet("统计表")
        stats.put(0, 0, appendix_title(spec))
        _table(stats, statistics_grid(spec), 2)


def render_xlsx(spec: ReportSpec) -> bytes:
    """The report as an .xlsx workbook."""
    from openpyxl import Workbook

    book = Workbook()
    book.active.title = "年度报告"
    _fill(spec, _OpenpyxlSheet(book.active), lambda name: _OpenpyxlSheet(book.create_sheet(name)))
    when = document_time(spec).replace(tzinfo=None)
    book.properties.created = book.properties.modified = when
    book.properties.title = spec.title
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


def render_xls(spec: ReportSpec) -> bytes:
    """The report as a legacy BIFF8 .xls workbook (an OLE2 file, as Excel 97–2003 and WPS save it)."""
    import xlwt

    book = xlwt.Workbook(encoding="utf-8")
    _fill(spec, _XlwtSheet(book.add_sheet("年度报告")), lambda name: _XlwtSheet(book.add_sheet(name)))
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()
