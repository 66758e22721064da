"""Table layouts: a grid of (possibly merged) cells shared by every renderer."""

from __future__ import annotations

from dataclasses import dataclass, replace

from flows.demo.reportgen.figures import STAT2014_INDICATORS, STAT2014_VALUE_HEADER
from flows.demo.reportgen.prose import section_headings
from flows.demo.reportgen.spec import ReportSpec
from parsers import templates
from parsers.model import SECTION_KEYS

CORNER_TEXT = "（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）"


@dataclass(frozen=True)
class GridCell:
    """A printed table cell at (row, col) of the layout grid, spanning rowspan × colspan."""

    row: int
    col: int
    text: str
    rowspan: int = 1
    colspan: int = 1
    header: bool = False
    vertical: bool = False


@dataclass
class Grid:
    """One printed table: its merged cells, relative column widths, and how many header rows."""

    name: str
    nrows: int
    widths: tuple[float, ...]
    cells: list[GridCell]
    header_rows: int = 0

    @property
    def ncols(self) -> int:
        return len(self.widths)

    def at(self, row: int) -> list[GridCell]:
        """The cells whose top-left corner is on `row`, left to right."""
        return sorted((c for c in self.cells if c.row == row), key=lambda c: c.col)


_ITEM_OF_ROW = {
    "regulations": "（一）",
    "normative_documents": "（一）",
    "licensing": "（五）",
    "other_services": "（五）",
    "penalty": "（六）",
    "coercion": "（六）",
    "fees": "（八）",
    "procurement": "（九）",
}


def proactive_grid(spec: ReportSpec) -> Grid:
    """Table 2: one 4-column table of sub-tables headed 第二十条第（N）项."""
    template = templates.table_template(spec.format, None)
    rows = template.proactive_rows
    labels = dict(template.proactive_columns)
    cells: list[GridCell] = []
    r = 0
    item = ""
    for key, label, cols in rows:
        if _ITEM_OF_ROW[key] != item:
            item = _ITEM_OF_ROW[key]
            cells.append(GridCell(r, 0, f"第二十条第{item}项", colspan=4, header=True))
            cells.append(GridCell(r + 1, 0, "信息内容", header=True))
            cells.extend(_spread(r + 1, [labels[c] for c in cols], header=True))
            r += 2
        cells.append(GridCell(r, 0, label))
        cells.extend(_spread(r, [spec.raw("proactive", key, c) for c in cols]))
        r += 1
    return Grid("proactive", r, (2.2, 1.6, 1.6, 1.6), cells)


def _spread(row: int, texts: list[str], header: bool = False) -> list[GridCell]:
    """Texts over grid columns 1–3, the last one widened to fill the row."""
    out = []
    for i, text in enumerate(texts):
        span = 3 - i if i == len(texts) - 1 else 1
        out.append(GridCell(row, 1 + i, text, colspan=span, header=header))
    return out


def requests_grid(spec: ReportSpec, *, vertical: bool = False) -> Grid:
    """Table 3: three header rows, then one row per template row with merged group labels."""
    rows = templates.table_template(spec.format, None).request_rows
    cells = [
        GridCell(0, 0, CORNER_TEXT, rowspan=3, colspan=3, header=True),
        GridCell(0, 3, "申请人情况", colspan=7, header=True),
        GridCell(1, 3, "自然人", rowspan=2, header=True, vertical=vertical),
        GridCell(1, 4, "法人或其他组织", colspan=5, header=True),
        GridCell(1, 9, "总计", rowspan=2, header=True, vertical=vertical),
    ]
    cells.extend(
        GridCell(2, 4 + i, label, header=True, vertical=vertical)
        for i, (_k, label) in enumerate(templates.REQUEST_COLUMNS[1:-1])
    )
    results_label = next(r.group for r in rows if r.key == "granted")
    first = 3
    seen: set[str] = set()
    for i, row in enumerate(rows):
        r = first + i
        if not row.group:
            cells.append(GridCell(r, 0, row.label, colspan=3))
        elif row.group == results_label:
            cells.append(GridCell(r, 1, row.label, colspan=2))
        else:
            if row.group not in seen:
                span = sum(1 for x in rows if x.group == row.group)
                cells.append(GridCell(r, 1, row.group, rowspan=span, vertical=vertical))
            cells.append(GridCell(r, 2, row.label))
        if row.group and results_label not in seen:
            cells.append(GridCell(r, 0, results_label, rowspan=len(rows) - 3, vertical=vertical))
            seen.add(results_label)
        seen.add(row.group)
        cells.extend(
            GridCell(r, 3 + j, spec.raw("requests", row.key, col))
            for j, (col, _l) in enumerate(templates.REQUEST_COLUMNS)
        )
    widths = (1.1, 1.5, 4.4, *(0.9,) * 7)
    return Grid("requests", first + len(rows), widths, cells, header_rows=3)


def review_grid(spec: ReportSpec, *, vertical: bool = False) -> Grid:
    """Table 4: 行政复议 | 行政诉讼 {未经复议直接起诉, 复议后起诉}, then one data row of 15 cells."""
    blocks = [label for _k, label in templates.REVIEW_BLOCKS]
    parts = [label for _k, label in templates.REVIEW_COLUMNS]
    cells = [
        GridCell(0, 0, blocks[0], colspan=5, header=True),
        GridCell(0, 5, "行政诉讼", colspan=10, header=True),
    ]
    cells.extend(GridCell(1, i, p, rowspan=2, header=True, vertical=vertical) for i, p in enumerate(parts))
    cells.append(GridCell(1, 5, blocks[1], colspan=5, header=True))
    cells.append(GridCell(1, 10, blocks[2], colspan=5, header=True))
    cells.extend(GridCell(2, 5 + i, parts[i % 5], header=True, vertical=vertical) for i in range(10))
    values = [
        spec.raw("review_litigation", block, col)
        for block, _l in templates.REVIEW_BLOCKS
        for col, _c in templates.REVIEW_COLUMNS
    ]
    cells.extend(GridCell(3, i, v) for i, v in enumerate(values))
    return Grid("review_litigation", 4, (1.0,) * 15, cells, header_rows=3)


def statistics_grid(spec: ReportSpec) -> Grid:
    """The 2014 statistics table: 统计指标 | 单位 | 统计数."""
    cells = [
        GridCell(0, 0, "统计指标", header=True),
        GridCell(0, 1, "单位", header=True),
        GridCell(0, 2, STAT2014_VALUE_HEADER, header=True),
    ]
    for i, ind in enumerate(STAT2014_INDICATORS, 1):
        cells.append(GridCell(i, 0, ind.label))
        cells.append(GridCell(i, 1, ind.unit))
        cells.append(GridCell(i, 2, spec.raw("statistics", ind.path, "value")))
    return Grid("statistics", len(STAT2014_INDICATORS) + 1, (6.0, 1.0, 1.2), cells, header_rows=1)


def body_sections(spec: ReportSpec, *, vertical: bool = False) -> list[tuple[str, str, list[Grid]]]:
    """The six sections in print order: printed heading, section key, the tables after its text."""
    tables = section_tables(spec, vertical=vertical)
    return [
        (heading, key, tables.get(key, []))
        for heading, key in zip(section_headings(spec.format), SECTION_KEYS, strict=True)
    ]


def section_tables(spec: ReportSpec, *, vertical: bool = False) -> dict[str, list[Grid]]:
    """Which tables follow which section text (stat2014: the statistics table is an appendix)."""
    if spec.format == "stat2014":
        return {}
    return {
        "proactive": [proactive_grid(spec)],
        "requests": [requests_grid(spec, vertical=vertical)],
        "review_litigation": [review_grid(spec, vertical=vertical)],
    }


def appendix_title(spec: ReportSpec) -> str:
    return f"{spec.agency or ''}{spec.year}年政府信息公开情况统计表"


def split_grid(grid: Grid, at: int) -> tuple[Grid, Grid]:
    """Cut a grid before row `at` as Word does at a page break: merged cells continue empty."""
    top: list[GridCell] = []
    bottom: list[GridCell] = []
    for c in grid.cells:
        end = c.row + c.rowspan
        if end <= at:
            top.append(c)
        elif c.row >= at:
            bottom.append(replace(c, row=c.row - at))
        else:
            top.append(replace(c, rowspan=at - c.row))
            bottom.append(replace(c, row=0, rowspan=end - at, text=""))
    first = Grid(grid.name, at, grid.widths, top, grid.header_rows)
    return first, Grid(grid.name, grid.nrows - at, grid.widths, bottom, 0)


def wrap(text: str, width: int) -> list[str]:
    """`text` cut into lines of `width` characters (CJK text has no spaces to break at)."""
    return [text[i : i + width] for i in range(0, len(text), width)] or [""]
