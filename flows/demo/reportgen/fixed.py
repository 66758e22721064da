"""Fixed-layout pages (millimetres, y downwards) shared by the OFD writer and the scanner: the title,
paragraphs and ruled tables placed once, so an OFD file and its scan print the same page."""

from __future__ import annotations

from dataclasses import dataclass, field

from flows.demo.reportgen.layout import Grid, appendix_title, body_sections, split_grid, statistics_grid, wrap
from flows.demo.reportgen.prose import preamble
from flows.demo.reportgen.spec import ReportSpec

PAGE_W, PAGE_H = 210.0, 297.0
LEFT, TOP, BOTTOM = 25.0, 30.0, 267.0
TEXT_W = PAGE_W - 2 * LEFT
BODY, TITLE, CELL = 4.0, 6.0, 2.8
CELL_LEADING, CELL_PAD, MIN_ROW = 3.6, 1.2, 6.0


def advance(ch: str, size: float) -> float:
    """The advance of one character: full width for CJK, half for Latin and digits."""
    return size if ord(ch) > 0x2E7F else size / 2


@dataclass(frozen=True)
class Text:
    """One line of text: left x, baseline y, font size (all mm)."""

    x: float
    baseline: float
    text: str
    size: float


@dataclass(frozen=True)
class Rect:
    """A ruled cell border."""

    x: float
    y: float
    w: float
    h: float


@dataclass
class Page:
    texts: list[Text] = field(default_factory=list)
    rects: list[Rect] = field(default_factory=list)

    def text(self, x: float, baseline: float, text: str, size: float) -> None:
        if text:
            self.texts.append(Text(x, baseline, text, size))


class Layout:
    """Pages filled top to bottom."""

    def __init__(self) -> None:
        self.pages: list[Page] = []
        self.y = BOTTOM
        self.new_page()

    def new_page(self) -> None:
        self.pages.append(Page())
        self.y = TOP

    @property
    def page(self) -> Page:
        return self.pages[-1]

    def paragraph(self, text: str, size: float = BODY, *, center: bool = False, indent: bool = True) -> None:
        per_line = int(TEXT_W // size)
        for line in wrap(("　　" if indent else "") + text, per_line):
            if self.y + size * 1.6 > BOTTOM:
                self.new_page()
            width = sum(advance(ch, size) for ch in line)
            x = LEFT + (TEXT_W - width) / 2 if center else LEFT
            self.page.text(x, self.y + size, line, size)
            self.y += size * 1.6

    def table(self, grid: Grid) -> None:
        """The grid with its rows split across pages where the page ends."""
        heights = _row_heights(grid)
        remaining = grid
        offset = 0
        while remaining.nrows:
            room = BOTTOM - self.y
            fits = 0
            total = 0.0
            for r in range(remaining.nrows):
                total += heights[offset + r]
                if total > room:
                    break
                fits = r + 1
            if fits == 0 or (fits < remaining.nrows and fits <= remaining.header_rows):
                self.new_page()
                continue
            if fits < remaining.nrows:
                part, remaining = split_grid(remaining, fits)
            else:
                part, remaining = remaining, Grid(grid.name, 0, grid.widths, [])
            self._draw(part, heights[offset : offset + part.nrows])
            offset += part.nrows
            if remaining.nrows:
                self.new_page()
        self.y += 4

    def _draw(self, grid: Grid, heights: list[float]) -> None:
        widths = [TEXT_W * w / sum(grid.widths) for w in grid.widths]
        xs = [LEFT + sum(widths[:i]) for i in range(len(widths) + 1)]
        ys = [self.y + sum(heights[:i]) for i in range(len(heights) + 1)]
        for c in grid.cells:
            x0, x1 = xs[c.col], xs[c.col + c.colspan]
            y0, y1 = ys[c.row], ys[c.row + c.rowspan]
            self.page.rects.append(Rect(x0, y0, x1 - x0, y1 - y0))
            lines = _cell_lines(c.text, x1 - x0)
            block = len(lines) * CELL_LEADING
            baseline = y0 + (y1 - y0 - block) / 2 + CELL
            for line in lines:
                width = sum(advance(ch, CELL) for ch in line)
                self.page.text(x0 + (x1 - x0 - width) / 2, baseline, line, CELL)
                baseline += CELL_LEADING
        self.y = ys[-1]


def _cell_lines(text: str, width: float) -> list[str]:
    return wrap(text, max(1, int((width - 2 * CELL_PAD) // CELL))) if text else []


def _row_heights(grid: Grid) -> list[float]:
    """Each row tall enough for its single-row cells, then stretched for the taller merged cells."""
    widths = [TEXT_W * w / sum(grid.widths) for w in grid.widths]
    heights = [MIN_ROW] * grid.nrows
    for c in sorted(grid.cells, key=lambda c: c.rowspan):
        need = len(_cell_lines(c.text, sum(widths[c.col : c.col + c.colspan]))) * CELL_LEADING + 2 * CELL_PAD
        have = sum(heights[c.row : c.row + c.rowspan])
        if need > have:
            heights[c.row + c.rowspan - 1] += need - have
    return heights


def report_pages(spec: ReportSpec) -> list[Page]:
    """The report laid out: title, preamble, sections and tables; stat2014 appends the statistics table
    on its own page."""
    layout = Layout()
    layout.paragraph(spec.title, TITLE, center=True, indent=False)
    layout.y += 4
    layout.paragraph(preamble(spec))
    for heading, key, tables in body_sections(spec):
        layout.paragraph(heading)
        for para in spec.sections[key].split("\n"):
            if para:
                layout.paragraph(para)
        for grid in tables:
            layout.y += 2
            layout.table(grid)
    if spec.format == "stat2014":
        layout.new_page()
        layout.paragraph("附件：", indent=False)
        layout.paragraph(appendix_title(spec), 5.0, center=True, indent=False)
        layout.table(statistics_grid(spec))
    return layout.pages
