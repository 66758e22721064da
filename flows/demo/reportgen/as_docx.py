"""A report as a Word document (python-docx, real merged cells)."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from datetime import datetime
from typing import Any

from flows.demo.reportgen.layout import Grid, appendix_title, body_sections, statistics_grid
from flows.demo.reportgen.prose import preamble
from flows.demo.reportgen.spec import ReportSpec, document_time


def _docx_run(
    paragraph: Any, text: str, size: float, *, bold: bool = False, east: str = "仿宋_GB2312"
) -> Any:
    from docx.oxml.ns import qn
    from docx.shared import Pt

    run = paragraph.add_run(text)
    run.font.size = Pt(size)
    run.bold = bold
    run.font.name = "Times New Roman"
    rpr = run._element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = rpr.makeelement(qn("w:rFonts"), {})
        rpr.insert(0, fonts)
    fonts.set(qn("w:eastAsia"), east)
    return run


TEXT_WIDTH_CM = 15.6


def _docx_table(document: Any, grid: Grid) -> Any:
    from docx.enum.table import WD_TABLE_ALIGNMENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Cm
    from docx.table import _Cell

    table = document.add_table(rows=grid.nrows, cols=grid.ncols)
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    total = sum(grid.widths)
    widths = [Cm(TEXT_WIDTH_CM * w / total) for w in grid.widths]
    for column, width in zip(table.columns, widths, strict=True):
        column.width = width
    # Collect the <w:tc> elements once: table.cell() rescans the whole table on every call.
    tcs = [list(tr.tc_lst) for tr in table._tbl.tr_lst]
    for row in tcs:
        for tc, width in zip(row, widths, strict=True):
            tc.width = width
    for c in sorted(grid.cells, key=lambda c: (c.row, c.col)):
        cell = _Cell(tcs[c.row][c.col], table)
        if c.rowspan > 1 or c.colspan > 1:
            cell.merge(_Cell(tcs[c.row + c.rowspan - 1][c.col + c.colspan - 1], table))
        paragraph = cell.paragraphs[0]
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
        _docx_run(paragraph, c.text, 9, east="宋体")
    return table


def _docx_footer(document: Any) -> None:
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    paragraph = document.sections[0].footer.paragraphs[0]
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    paragraph.add_run("- ")
    field_ = OxmlElement("w:fldSimple")
    field_.set(qn("w:instr"), "PAGE")
    run = OxmlElement("w:r")
    text = OxmlElement("w:t")
    text.text = "1"
    run.append(text)
    field_.append(run)
    paragraph._p.append(field_)
    paragraph.add_run(" -")


def render_docx(spec: ReportSpec, *, relayout: Callable[[Grid], Grid] | None = None) -> bytes:
    """A Word document: title, sections, tables with merged cells (gridSpan / vMerge); `relayout`
    re-lays each printed table (a layout variant, flows.demo.reportgen.layouts)."""
    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Cm, Pt

    document = Document()
    section = document.sections[0]
    section.page_width, section.page_height = Cm(21.0), Cm(29.7)
    section.left_margin = section.right_margin = Cm(2.7)
    section.top_margin, section.bottom_margin = Cm(3.7), Cm(3.5)
    document.core_properties.title = spec.title
    document.core_properties.author = spec.agency or ""
    title = document.add_paragraph()
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _docx_run(title, spec.title, 22, east="方正小标宋简体")

    def body(text: str) -> None:
        paragraph = document.add_paragraph()
        paragraph.paragraph_format.first_line_indent = Pt(32)
        _docx_run(paragraph, text, 16)

    body(preamble(spec))
    for heading, key, tables in body_sections(spec):
        paragraph = document.add_paragraph()
        paragraph.paragraph_format.first_line_indent = Pt(32)
        _docx_run(paragraph, heading, 16, east="黑体")
        for para in spec.sections[key].split("\n"):
            if para:
                body(para)
        for grid in tables:
            _docx_table(document, relayout(grid) if relayout else grid)
    if spec.format == "stat2014":
        document.add_page_break()
        _docx_run(document.add_paragraph(), "附件：", 16, east="黑体")
        caption = document.add_paragraph()
        caption.alignment = WD_ALIGN_PARAGRAPH.CENTER
        _docx_run(caption, appendix_title(spec), 18, east="方正小标宋简体")
        grid = statistics_grid(spec)
        _docx_table(document, relayout(grid) if relayout else grid)
    _docx_footer(document)
    when = document_time(spec)
    document.core_properties.created = document.core_properties.modified = when.replace(tzinfo=None)
    document.core_properties.last_printed = when.replace(tzinfo=None)
    buf = io.BytesIO()
    document.save(buf)
    return _fixed_zip_times(buf.getvalue(), when)


def _fixed_zip_times(data: bytes, when: datetime) -> bytes:
    """The same ZIP with every member dated `when` (python-docx stamps the current time)."""
    stamp = (when.year, when.month, when.day, when.hour, when.minute, when.second)
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=stamp)
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = info.external_attr
            target.writestr(fixed, source.read(info))
    return out.getvalue()
