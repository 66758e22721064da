"""A report as a text PDF (reportlab platypus, ruled tables as Word prints them)."""

from __future__ import annotations

import html
import io
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from flows.demo.reportgen.layout import (
    Grid,
    appendix_title,
    body_sections,
    split_grid,
    statistics_grid,
)
from flows.demo.reportgen.prose import padding_paragraphs, preamble
from flows.demo.reportgen.spec import ReportSpec

FONT = "STSong-Light"


def register_font(font_file: Path | None = None) -> str:
    """Register the body font once and return its reportlab name: the built-in CID font STSong-Light,
    which the PDF names but does not embed (as many real reports name SimSun), or the TrueType
    `font_file`, embedded as a subset (as Word and WPS export)."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfbase.ttfonts import TTFont

    name = FONT if font_file is None else f"Embedded-{font_file.stem}"
    if name not in pdfmetrics.getRegisteredFontNames():
        font = UnicodeCIDFont(FONT) if font_file is None else TTFont(name, str(font_file))
        pdfmetrics.registerFont(font)
    return name


def _pdf_styles(font: str) -> dict[str, Any]:
    from reportlab.lib.enums import TA_CENTER
    from reportlab.lib.styles import ParagraphStyle

    base = ParagraphStyle("body", fontName=font, fontSize=12, leading=21, firstLineIndent=24, wordWrap="CJK")
    return {
        "title": ParagraphStyle(
            "title",
            parent=base,
            fontSize=18,
            leading=28,
            alignment=TA_CENTER,
            firstLineIndent=0,
            spaceAfter=14,
        ),
        "heading": ParagraphStyle(
            "heading", parent=base, fontSize=14, leading=24, spaceBefore=6, spaceAfter=4
        ),
        "body": base,
        "cell": ParagraphStyle(
            "cell", parent=base, fontSize=8, leading=10, firstLineIndent=0, alignment=TA_CENTER
        ),
        "appendix": ParagraphStyle(
            "appendix", parent=base, fontSize=14, leading=24, alignment=TA_CENTER, firstLineIndent=0
        ),
    }


def _pdf_table(grid: Grid, width: float, styles: dict[str, Any]) -> Any:
    from reportlab.lib import colors
    from reportlab.platypus import Paragraph, Table, TableStyle

    data: list[list[Any]] = [["" for _ in range(grid.ncols)] for _ in range(grid.nrows)]
    commands: list[tuple[Any, ...]] = [
        ("GRID", (0, 0), (-1, -1), 0.6, colors.black),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("LEFTPADDING", (0, 0), (-1, -1), 2),
        ("RIGHTPADDING", (0, 0), (-1, -1), 2),
    ]
    for c in grid.cells:
        text = html.escape(c.text)
        if c.vertical:
            text = "<br/>".join(html.escape(ch) for ch in c.text)
        data[c.row][c.col] = Paragraph(text, styles["cell"])
        if c.rowspan > 1 or c.colspan > 1:
            commands.append(("SPAN", (c.col, c.row), (c.col + c.colspan - 1, c.row + c.rowspan - 1)))
    total = sum(grid.widths)
    widths = [width * w / total for w in grid.widths]
    return Table(data, colWidths=widths, style=TableStyle(commands), hAlign="CENTER")


Relayout = Callable[[Grid], Grid]


def _pdf_story(
    spec: ReportSpec,
    width: float,
    *,
    split_table: bool,
    vertical_labels: bool,
    padding: list[str],
    font: str,
    relayout: Relayout | None = None,
) -> list[Any]:
    from reportlab.platypus import PageBreak, Paragraph, Spacer

    styles = _pdf_styles(font)

    def table(grid: Grid) -> Any:
        return _pdf_table(relayout(grid) if relayout else grid, width, styles)

    story: list[Any] = [
        Paragraph(html.escape(spec.title), styles["title"]),
        Paragraph(html.escape(preamble(spec)), styles["body"]),
    ]
    for heading, key, tables in body_sections(spec, vertical=vertical_labels):
        story.append(Paragraph(html.escape(heading), styles["heading"]))
        paragraphs = spec.sections[key].split("\n")
        if key == "overview":
            paragraphs = [*paragraphs, *padding]
        story.extend(Paragraph(html.escape(p), styles["body"]) for p in paragraphs if p)
        for grid in tables:
            story.append(Spacer(1, 4))
            if split_table and grid.name == "requests":
                top, bottom = split_grid(grid, grid.header_rows + 10)
                story.extend([table(top), PageBreak(), table(bottom)])
            else:
                story.append(table(grid))
            story.append(Spacer(1, 6))
    if spec.format == "stat2014":
        story.extend(
            [
                PageBreak(),
                Paragraph("附件：", styles["heading"]),
                Paragraph(html.escape(appendix_title(spec)), styles["appendix"]),
            ]
        )
        story.append(table(statistics_grid(spec)))
    return story


def _footer(font: str, canvas: Any, doc: Any) -> None:
    canvas.saveState()
    canvas.setFont(font, 10)
    canvas.drawCentredString(doc.pagesize[0] / 2, 36, f"- {doc.page} -")
    canvas.restoreState()


def _build_pdf(
    spec: ReportSpec,
    *,
    split_table: bool,
    vertical_labels: bool,
    padding: list[str],
    encrypt: Any = None,
    font_file: Path | None = None,
    relayout: Relayout | None = None,
) -> tuple[bytes, int]:
    from reportlab.lib.pagesizes import A4
    from reportlab.platypus import SimpleDocTemplate

    font = register_font(font_file)
    buf = io.BytesIO()
    doc = SimpleDocTemplate(
        buf,
        pagesize=A4,
        leftMargin=72,
        rightMargin=72,
        topMargin=72,
        bottomMargin=72,
        title=spec.title,
        author=spec.agency or "",
        creator="Microsoft® Word 2016",
        encrypt=encrypt,
        invariant=True,
    )
    story = _pdf_story(
        spec,
        doc.width,
        split_table=split_table,
        vertical_labels=vertical_labels,
        padding=padding,
        font=font,
        relayout=relayout,
    )
    footer = partial(_footer, font)
    doc.build(story, onFirstPage=footer, onLaterPages=footer)
    return buf.getvalue(), doc.page


def render_pdf(
    spec: ReportSpec,
    *,
    split_table: bool = False,
    vertical_labels: bool = False,
    pages_target: int = 0,
    font_file: Path | None = None,
    relayout: Relayout | None = None,
) -> bytes:
    """A text PDF: ruled tables, page footers "- N -"; optionally table 3 split over two pages,
    vertical group labels, body padding to about `pages_target` pages (extra overview paragraphs),
    the TrueType `font_file` embedded instead of the named, non-embedded STSong-Light, or each table
    re-laid by `relayout` (a layout variant, flows.demo.reportgen.layouts)."""
    kwargs: dict[str, Any] = {
        "split_table": split_table,
        "vertical_labels": vertical_labels,
        "font_file": font_file,
        "relayout": relayout,
    }
    data, pages = _build_pdf(spec, padding=[], **kwargs)
    if pages >= pages_target:
        return data
    # Grow the padding by pages' worth, then shrink it paragraph by paragraph to land on the target.
    count = 0
    builds: dict[int, tuple[bytes, int]] = {0: (data, pages)}
    while pages < pages_target and count < 400:
        count += max(1, (pages_target - pages) * 5)
        builds[count] = data, pages = _build_pdf(spec, padding=padding_paragraphs(spec, count), **kwargs)
    while pages > pages_target and count > 0 and (count - 1) not in builds:
        count -= 1
        builds[count] = _build_pdf(spec, padding=padding_paragraphs(spec, count), **kwargs)
        if builds[count][1] < pages_target:
            return data
        data, pages = builds[count]
    return data


def render_encrypted_pdf(spec: ReportSpec, password: str = "nianbao") -> bytes:
    """The PDF of `spec` protected with a user password (unreadable without it)."""
    from reportlab.lib.pdfencrypt import StandardEncryption

    encrypt = StandardEncryption(password, ownerPassword=password + "-owner", canPrint=1, strength=128)
    data, _pages = _build_pdf(spec, split_table=False, vertical_labels=False, padding=[], encrypt=encrypt)
    return data
