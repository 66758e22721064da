"""A report as a scanned PDF: an image per page, no text layer."""

from __future__ import annotations

import io
from typing import Any

from flows.demo.reportgen.layout import body_sections, requests_grid, statistics_grid, wrap
from flows.demo.reportgen.spec import ReportSpec, document_time

_CJK_FONTS = (
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/arphic/uming.ttc",
)


def _scan_font(size: int) -> tuple[Any, bool]:
    """A CJK TrueType font when the system has one (else Pillow's default: CJK drawn as grey bars)."""
    from pathlib import Path

    from PIL import ImageFont

    for path in _CJK_FONTS:
        if Path(path).exists():
            return ImageFont.truetype(path, size), True
    return ImageFont.load_default(size), False


def _scan_pages(spec: ReportSpec) -> list[Any]:
    from PIL import Image, ImageDraw

    width, height, margin = 1240, 1754, 120
    font, has_cjk = _scan_font(26)
    lines: list[str] = [spec.title, ""]
    for heading, key, _tables in body_sections(spec):
        lines.append(heading)
        for para in spec.sections[key].split("\n"):
            lines.extend(wrap("　　" + para, 36))
    pages: list[Any] = []
    image = draw = None
    y = height
    step = 44

    def new_page() -> None:
        nonlocal image, draw, y
        image = Image.new("L", (width, height), 250)
        draw = ImageDraw.Draw(image)
        pages.append(image)
        y = margin

    def text(x: int, yy: int, s: str) -> None:
        assert draw is not None
        if has_cjk or s.isascii():
            draw.text((x, yy), s, fill=20, font=font)
        else:
            draw.rectangle((x, yy + 8, x + 26 * len(s), yy + 22), fill=120)

    for line in lines:
        if y + step > height - margin:
            new_page()
        text(margin, y, line)
        y += step
    grid = requests_grid(spec) if spec.format != "stat2014" else statistics_grid(spec)
    new_page()
    col_w = [(width - 2 * margin) * w / sum(grid.widths) for w in grid.widths]
    xs = [margin + sum(col_w[:i]) for i in range(len(col_w) + 1)]
    row_h = min(52, (height - 2 * margin) // grid.nrows)
    assert draw is not None
    for c in grid.cells:
        x0, x1 = xs[c.col], xs[c.col + c.colspan]
        y0 = margin + c.row * row_h
        draw.rectangle((x0, y0, x1, y0 + c.rowspan * row_h), outline=0, width=2)
        text(int(x0) + 4, y0 + 8, c.text[: max(1, int((x1 - x0) // 26))])
    for number, page in enumerate(pages, 1):
        ImageDraw.Draw(page).text((width // 2 - 30, height - 80), f"- {number} -", fill=20, font=font)
    return [p.rotate(0.4, fillcolor=250) for p in pages]


def render_scanned_pdf(spec: ReportSpec) -> bytes:
    """An image-only PDF as a scanner produces it: JPEG pages at 150 dpi, no text layer."""
    pages = _scan_pages(spec)
    buf = io.BytesIO()
    when = document_time(spec).timetuple()
    pages[0].save(
        buf,
        "PDF",
        resolution=150.0,
        save_all=True,
        append_images=pages[1:],
        quality=70,
        creationDate=when,
        modDate=when,
    )
    return buf.getvalue()
