"""A report as a scanned PDF: the pages of `fixed.report_pages` printed to images, no text layer.

`font` is a CJK TrueType/TrueType-collection file to draw the text with; without one the system's
CJK font is used when there is one, else CJK text is drawn as grey bars (the page still looks like a
scan, but no OCR can read it). `Scan` describes the scanner: resolution, skew, JPEG quality, noise,
a red 公章 stamp over part of a table and a handwritten signature line.
"""

from __future__ import annotations

import io
import math
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flows.demo.reportgen.fixed import PAGE_H, PAGE_W, Page, report_pages
from flows.demo.reportgen.spec import ReportSpec, document_time

_CJK_FONTS = (
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/arphic/uming.ttc",
)


@dataclass(frozen=True)
class Scan:
    """How the pages are scanned: `dpi`, `skew` in degrees, JPEG `quality`, `noise` (σ of grey
    levels), a red `stamp` over the last table's lower rows and a `signature` line under it."""

    dpi: int = 150
    skew: float = 0.4
    quality: int = 70
    noise: float = 0.0
    stamp: bool = False
    signature: bool = False
    seed: int = 0


CLEAN_300 = Scan(dpi=300, skew=0.0, quality=90)
DEGRADED = (
    Scan(dpi=300, skew=1.5, quality=60, noise=6.0, stamp=True, signature=True, seed=1),
    Scan(dpi=150, skew=1.0, quality=60, noise=4.0, stamp=True, signature=True, seed=2),
    Scan(dpi=150, skew=-2.0, quality=50, noise=8.0, seed=3),
)


def _font_file(font: Path | None) -> Path | None:
    if font is not None:
        return font
    return next((Path(p) for p in _CJK_FONTS if Path(p).exists()), None)


def _fonts(font_file: Path | None, scale: float) -> Any:
    """A cache of Pillow fonts by size in mm."""
    from PIL import ImageFont

    cache: dict[float, Any] = {}

    def get(size: float) -> Any:
        if size not in cache:
            px = max(6, round(size * scale))
            cache[size] = ImageFont.truetype(str(font_file), px) if font_file else ImageFont.load_default(px)
        return cache[size]

    return get


def _draw_page(page: Page, number: int, scan: Scan, font_file: Path | None, last: bool) -> Any:
    from PIL import Image, ImageDraw

    scale = scan.dpi / 25.4
    width, height = round(PAGE_W * scale), round(PAGE_H * scale)
    image = Image.new("RGB", (width, height), (250, 250, 248))
    draw = ImageDraw.Draw(image)
    font = _fonts(font_file, scale)
    line = max(1, round(0.25 * scale))
    for r in page.rects:
        draw.rectangle(
            (round(r.x * scale), round(r.y * scale), round((r.x + r.w) * scale), round((r.y + r.h) * scale)),
            outline=(20, 20, 20),
            width=line,
        )
    for t in page.texts:
        x, y = t.x * scale, t.baseline * scale
        if font_file is not None or t.text.isascii():
            draw.text((x, y), t.text, fill=(20, 20, 20), font=font(t.size), anchor="ls")
        else:
            draw.rectangle(
                (x, y - t.size * scale * 0.7, x + len(t.text) * t.size * scale, y), fill=(120, 120, 120)
            )
    draw.text(
        (width / 2, height - 15 * scale), f"- {number} -", fill=(20, 20, 20), font=font(3.5), anchor="ms"
    )
    rng = random.Random(scan.seed * 1000 + number)
    if last and page.rects and scan.signature:
        _signature(draw, page, scale, rng)
    if last and page.rects and scan.stamp:
        image = _stamp(image, page, scale, font)
    return _degrade(image, scan, rng)


def _signature(draw: Any, page: Page, scale: float, rng: random.Random) -> None:
    """A handwritten-looking stroke on a line below the last printed line."""
    bottom = max(t.baseline for t in page.texts) + 14
    x0 = 120.0
    draw.line((x0 * scale, bottom * scale, (x0 + 55) * scale, bottom * scale), fill=(30, 30, 30), width=2)
    points = [
        ((x0 + 5 + i * 1.5) * scale, (bottom - 4 + 3 * math.sin(i / 2.3) + rng.uniform(-1, 1)) * scale)
        for i in range(30)
    ]
    draw.line(points, fill=(20, 30, 90), width=max(2, round(0.4 * scale)))


def _stamp(image: Any, page: Page, scale: float, font: Any) -> Any:
    """A red round 公章 with a star, half transparent, over the lower right of the last table."""
    from PIL import Image, ImageDraw

    bottom = max(r.y + r.h for r in page.rects)
    radius = 21 * scale
    cx, cy = 150 * scale, (bottom - 14) * scale
    layer = Image.new("RGBA", image.size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(layer)
    red = (215, 30, 30, 150)
    draw.ellipse((cx - radius, cy - radius, cx + radius, cy + radius), outline=red, width=round(1.2 * scale))
    star = [
        (
            cx + (radius * (0.32 if i % 2 else 0.13)) * math.sin(i * math.pi / 5) * (1 if i % 2 else 2.4),
            cy - (radius * (0.32 if i % 2 else 0.13)) * math.cos(i * math.pi / 5) * (1 if i % 2 else 2.4),
        )
        for i in range(10)
    ]
    draw.polygon(star, fill=red)
    draw.text((cx, cy + radius * 0.62), "政务公开专用章", fill=red, font=font(3.2), anchor="ms")
    return Image.alpha_composite(image.convert("RGBA"), layer).convert("RGB")


def _degrade(image: Any, scan: Scan, rng: random.Random) -> Any:
    """Skew, grey-level noise; the JPEG quality is applied when the PDF is written."""
    if scan.skew:
        image = image.rotate(scan.skew, resample=3, expand=False, fillcolor=(250, 250, 248))
    if scan.noise:
        import numpy as np

        pixels = np.asarray(image, dtype=np.int16)
        noise = np.random.default_rng(rng.randrange(2**32)).normal(0, scan.noise, pixels.shape[:2])
        pixels = np.clip(pixels + noise[..., None].astype(np.int16), 0, 255).astype(np.uint8)
        from PIL import Image

        image = Image.fromarray(pixels)
    return image


def scan_images(spec: ReportSpec, scan: Scan = Scan(), *, font: Path | None = None) -> list[Any]:
    """The scanned pages as Pillow images."""
    pages = report_pages(spec)
    font_file = _font_file(font)
    return [
        _draw_page(page, number, scan, font_file, number == len(pages))
        for number, page in enumerate(pages, start=1)
    ]


def render_scanned_pdf(spec: ReportSpec, scan: Scan = Scan(), *, font: Path | None = None) -> bytes:
    """An image-only PDF as a scanner produces it: one JPEG page image per page, no text layer."""
    pages = scan_images(spec, scan, font=font)
    buf = io.BytesIO()
    when = document_time(spec).timetuple()
    pages[0].save(
        buf,
        "PDF",
        resolution=float(scan.dpi),
        save_all=True,
        append_images=pages[1:],
        quality=scan.quality,
        creationDate=when,
        modDate=when,
    )
    return buf.getvalue()


def render_scan_image(spec: ReportSpec, page: int, scan: Scan = Scan(), *, font: Path | None = None) -> bytes:
    """One scanned page as a JPEG file (an image attachment)."""
    image = scan_images(spec, scan, font=font)[page - 1]
    buf = io.BytesIO()
    image.save(buf, "JPEG", quality=scan.quality, dpi=(scan.dpi, scan.dpi))
    return buf.getvalue()
