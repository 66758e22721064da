"""A report as an OFD file (GB/T 33190): OFD.xml, Doc_0/Document.xml and one Content.xml per page
of positioned TextObject/TextCode and ruled PathObject cell borders, as a 版式 (fixed-layout) export
from WPS or 数科 writes it. Coordinates are millimetres, y downwards; a TextCode's Y is its baseline."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from xml.sax.saxutils import escape, quoteattr

from flows.demo.reportgen.layout import Grid, appendix_title, body_sections, split_grid, statistics_grid, wrap
from flows.demo.reportgen.prose import preamble
from flows.demo.reportgen.spec import ReportSpec, document_time

NS = "http://www.ofdspec.org/2016"
PAGE_W, PAGE_H = 210.0, 297.0
LEFT, TOP, BOTTOM = 25.0, 30.0, 267.0
TEXT_W = PAGE_W - 2 * LEFT
BODY, TITLE, CELL = 4.0, 6.0, 2.8
CELL_LEADING, CELL_PAD, MIN_ROW = 3.6, 1.2, 6.0


def _advance(ch: str, size: float) -> float:
    return size if ord(ch) > 0x2E7F else size / 2


@dataclass
class _Page:
    objects: list[str] = field(default_factory=list)

    def text(self, x: float, baseline: float, text: str, size: float) -> None:
        """One TextObject: its Boundary box holds the line; X/Y are the baseline origin inside it."""
        if not text:
            return
        advances = [_advance(ch, size) for ch in text]
        width = sum(advances)
        delta = " ".join(f"{a:g}" for a in advances[:-1])
        top = baseline - size
        self.objects.append(
            f'<ofd:TextObject ID="{{id}}" Boundary="{x:.2f} {top:.2f} {width:.2f} {size * 1.2:.2f}" '
            f'Font="2" Size="{size:g}"><ofd:FillColor Value="0 0 0"/>'
            f'<ofd:TextCode X="0" Y="{size:g}" DeltaX={quoteattr(delta)}>{escape(text)}</ofd:TextCode>'
            "</ofd:TextObject>"
        )

    def rect(self, x: float, y: float, w: float, h: float) -> None:
        """A cell border: a closed stroked rectangle path."""
        self.objects.append(
            f'<ofd:PathObject ID="{{id}}" Boundary="{x:.2f} {y:.2f} {w:.2f} {h:.2f}" LineWidth="0.25">'
            f"<ofd:AbbreviatedData>M 0 0 L {w:.2f} 0 L {w:.2f} {h:.2f} L 0 {h:.2f} C</ofd:AbbreviatedData>"
            "</ofd:PathObject>"
        )


class _Layout:
    """Pages filled top to bottom."""

    def __init__(self) -> None:
        self.pages: list[_Page] = []
        self.y = BOTTOM
        self.new_page()

    def new_page(self) -> None:
        self.pages.append(_Page())
        self.y = TOP

    @property
    def page(self) -> _Page:
        return self.pages[-1]

    def paragraph(self, text: str, size: float = BODY, *, center: bool = False, indent: bool = True) -> None:
        per_line = int(TEXT_W // size)
        for line in wrap(("　　" if indent else "") + text, per_line):
            if self.y + size * 1.6 > BOTTOM:
                self.new_page()
            width = sum(_advance(ch, size) for ch in line)
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
            self.page.rect(x0, y0, x1 - x0, y1 - y0)
            lines = _cell_lines(c.text, x1 - x0)
            block = len(lines) * CELL_LEADING
            baseline = y0 + (y1 - y0 - block) / 2 + CELL
            for line in lines:
                width = sum(_advance(ch, CELL) for ch in line)
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


def _ids(objects: list[str], start: int) -> Iterator[str]:
    for i, obj in enumerate(objects):
        yield obj.replace('ID="{id}"', f'ID="{start + i}"', 1)


def render_ofd(spec: ReportSpec) -> bytes:
    """The report as an OFD package: title, preamble, sections and tables; stat2014 appends the
    statistics table on its own page."""
    layout = _Layout()
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
    return _package(spec, layout.pages)


def _package(spec: ReportSpec, pages: list[_Page]) -> bytes:
    when = document_time(spec)
    stamp = (when.year, when.month, when.day, when.hour, when.minute, when.second)
    members: dict[str, str] = {
        "OFD.xml": (
            f'<?xml version="1.0" encoding="UTF-8"?><ofd:OFD xmlns:ofd="{NS}" Version="1.0" DocType="OFD">'
            f"<ofd:DocBody><ofd:DocInfo><ofd:DocID>{spec.seed:032x}</ofd:DocID>"
            f"<ofd:Title>{escape(spec.title)}</ofd:Title><ofd:CreationDate>{when.date().isoformat()}"
            "</ofd:CreationDate></ofd:DocInfo><ofd:DocRoot>Doc_0/Document.xml</ofd:DocRoot></ofd:DocBody></ofd:OFD>"
        ),
        "Doc_0/PublicRes.xml": (
            f'<?xml version="1.0" encoding="UTF-8"?><ofd:Res xmlns:ofd="{NS}" BaseLoc="Res"><ofd:Fonts>'
            '<ofd:Font ID="2" FontName="宋体" FamilyName="宋体"/></ofd:Fonts></ofd:Res>'
        ),
    }
    next_id = 3
    page_refs: list[str] = []
    for number, page in enumerate(pages):
        body = "".join(_ids(page.objects, next_id + 1))
        members[f"Doc_0/Pages/Page_{number}/Content.xml"] = (
            f'<?xml version="1.0" encoding="UTF-8"?><ofd:Page xmlns:ofd="{NS}"><ofd:Content>'
            f'<ofd:Layer ID="{next_id}">{body}</ofd:Layer></ofd:Content></ofd:Page>'
        )
        page_refs.append(
            f'<ofd:Page ID="{next_id + len(page.objects) + 1}" BaseLoc="Pages/Page_{number}/Content.xml"/>'
        )
        next_id += len(page.objects) + 2
    members["Doc_0/Document.xml"] = (
        f'<?xml version="1.0" encoding="UTF-8"?><ofd:Document xmlns:ofd="{NS}"><ofd:CommonData>'
        f"<ofd:MaxUnitID>{next_id}</ofd:MaxUnitID><ofd:PageArea><ofd:PhysicalBox>0 0 {PAGE_W:g} {PAGE_H:g}"
        "</ofd:PhysicalBox></ofd:PageArea><ofd:PublicRes>PublicRes.xml</ofd:PublicRes></ofd:CommonData>"
        f"<ofd:Pages>{''.join(page_refs)}</ofd:Pages></ofd:Document>"
    )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as package:
        for name, text in members.items():
            package.writestr(
                zipfile.ZipInfo(name, date_time=stamp), text.encode("utf-8"), zipfile.ZIP_DEFLATED
            )
    return out.getvalue()
