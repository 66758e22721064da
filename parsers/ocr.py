"""OCR of image-only reports (scanned PDFs, image attachments) into the same `Document` as a PDF.

Offline on CPU with the models the `[ocr]` extra installs (RapidOCR's wheel ships the PP-OCR
recognition model; nothing is downloaded at run time). The page image is normalised to 300 dpi, its
red seal removed by reading the red channel, its skew measured on the ruling lines and undone. The
table structure comes from the ruling lines (morphological opening finds the horizontal and vertical
strokes), handed as edges to the PDF reader's own table finder, so merged cells come out as None
slots exactly as in a PDF; the text of each cell and each line outside the tables is cut into text
lines by its ink profile and read by the recogniser one line at a time. Every grid cell carries the
recogniser's confidence (the lowest of its lines; an empty cell is certain), which the table matcher
copies to the report's cells; a cell under `parsers.checks.LOW_CONFIDENCE` is reported as `report.parse_uncertain`
and never read by an arithmetic rule.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from parsers.document import Document, Grid, GridRow, Line
from parsers.errors import CorruptDocument, ParseTimeout, UnsupportedKind
from parsers.model import Report
from parsers.pdf import ruling_edge
from parsers.settings import ParseSettings

DPI = 300
OCR_BUDGET_FACTOR = 6
"""OCR may take this many times the time budget of reading a page's text layer."""
PT_PER_PX = 72 / DPI
MAX_SKEW = 3.0
MIN_LINE_PX = 12
INK_THRESHOLD = 3
INSET = 6
"""Pixels of a cell's border band left out of its text (what the rule mask did not take)."""

Recognizer = Callable[[list[Any]], list[tuple[str, float]]]
"""Text-line images (H×W×3 uint8) → (text, confidence 0–1) for each."""

_engine_lock = threading.Lock()
_engine: Any = None


def ocr_available() -> bool:
    """Whether the `[ocr]` extra (RapidOCR on onnxruntime, OpenCV, numpy) is installed."""
    try:
        import cv2  # noqa: F401
        import numpy  # noqa: F401
        import rapidocr_onnxruntime  # noqa: F401
    except ImportError:
        return False
    return True


def rapidocr_recognizer() -> Recognizer:
    """RapidOCR's PP-OCR recogniser (the model file in its wheel), loaded once per process."""
    global _engine
    with _engine_lock:
        if _engine is None:
            from rapidocr_onnxruntime import RapidOCR

            _engine = RapidOCR(print_verbose=False)
            # One line per batch: a batch is padded to its widest line, and a page mixes two-digit
            # cells with full-width paragraph lines. (Narrower than PP-OCR's 320 px input, a lone
            # digit is read twice, "5" as "55", with high confidence.)
            _engine.text_rec.rec_batch_num = 1
    engine = _engine

    def recognize(images: list[Any]) -> list[tuple[str, float]]:
        if not images:
            return []
        results, _ = engine.text_rec(images)
        return [(str(text), float(score)) for text, score in results]

    return recognize


@dataclass(frozen=True)
class _Region:
    """A text line: its box in page pixels (after deskew)."""

    x0: int
    top: int
    x1: int
    bottom: int
    dash: bool = False
    """A lone thin, wide stroke: the "—" of a not-applicable cell (the recogniser, given a line of
    nothing but a bar, reads it as "1" as often as "—")."""


def page_images_of_pdf(data: bytes, max_pages: int) -> list[Any]:
    """Each page of a PDF rendered at 300 dpi as an RGB numpy array."""
    import numpy as np
    import pypdfium2 as pdfium

    try:
        pdf = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        raise CorruptDocument(f"damaged PDF: {exc}") from exc
    try:
        if len(pdf) > max_pages:
            raise ParseTimeout(f"scanned PDF has {len(pdf)} pages, more than the limit of {max_pages}")
        pages = []
        for index in range(len(pdf)):
            page = pdf[index]
            try:
                bitmap = page.render(scale=DPI / 72, grayscale=False)
                pages.append(np.asarray(bitmap.to_pil().convert("RGB")))
            finally:
                page.close()
        return pages
    finally:
        pdf.close()


def page_images_of_image(data: bytes, max_pages: int) -> list[Any]:
    """Each frame of an image file (a multi-page TIFF has several) scaled to 300 dpi, as RGB arrays."""
    import numpy as np
    from PIL import Image, ImageSequence, UnidentifiedImageError

    Image.MAX_IMAGE_PIXELS = 120_000_000
    try:
        image = Image.open(io.BytesIO(data))
        frames: list[Any] = []
        for frame in ImageSequence.Iterator(image):
            if len(frames) >= max_pages:
                raise ParseTimeout(f"image has more than {max_pages} pages")
            rgb = frame.convert("RGB")
            dpi = frame.info.get("dpi", (0, 0))[0] or rgb.width / 8.27
            scale = DPI / float(dpi)
            if abs(scale - 1) > 0.05:
                rgb = rgb.resize(
                    (round(rgb.width * scale), round(rgb.height * scale)), Image.Resampling.LANCZOS
                )
            frames.append(np.asarray(rgb))
        return frames
    except (UnidentifiedImageError, OSError, SyntaxError, Image.DecompressionBombError) as exc:
        raise CorruptDocument(f"damaged or unreadable image: {type(exc).__name__}") from exc


INK_LEVEL = 170
"""Red-channel level below which a pixel is print: black print is far below, paper and a red seal's
ink far above, and black print under a half-transparent seal (about 135) still below."""
RULE_LEVEL = 215
"""Red-channel level below which a pixel may be part of a rule (only long straight runs count)."""
SEAL_RED = 60
"""How much redder than green and blue a pixel must be to belong to a seal."""


def _ink(gray: Any, level: int = INK_LEVEL) -> Any:
    """Print pixels (1) of the red channel after a light blur (JPEG noise)."""
    import cv2

    blurred = cv2.GaussianBlur(gray, (3, 3), 0)
    _, ink = cv2.threshold(blurred, level, 1, cv2.THRESH_BINARY_INV)
    return ink


def skew_angle(ink: Any) -> float:
    """The page's rotation in degrees: the angle whose row profile is sharpest (text lines and rules
    line up with pixel rows), searched coarse to fine on a quarter-size page."""
    import cv2
    import numpy as np

    small = cv2.resize(
        ink.astype(np.float32), (ink.shape[1] // 4, ink.shape[0] // 4), interpolation=cv2.INTER_AREA
    )
    h, w = small.shape
    centre = (w / 2, h / 2)

    def sharpness(angle: float) -> float:
        matrix = cv2.getRotationMatrix2D(centre, angle, 1.0)
        rotated = cv2.warpAffine(small, matrix, (w, h), flags=cv2.INTER_LINEAR, borderValue=0)
        profile = rotated.sum(axis=1)
        return float((profile.astype(np.float64) ** 2).sum())

    best = max(np.arange(-MAX_SKEW, MAX_SKEW + 0.01, 0.5), key=sharpness)
    return float(max(np.arange(best - 0.5, best + 0.51, 0.1), key=sharpness))


def _deskew(rgb: Any) -> tuple[Any, Any, Any]:
    """The page upright: its red channel (a red seal fades, black print stays) with the seal's own
    strokes turned to paper (reddish and lighter than print), the ink of that, and the ink where rules
    are looked for (a lighter level: a thin rule under the seal is lighter than print but still far
    darker than the seal's red)."""
    import cv2
    import numpy as np

    red: Any = rgb[:, :, 0]
    other = np.maximum(rgb[:, :, 1], rgb[:, :, 2]).astype(np.int16)
    gray: Any = np.where((red.astype(np.int16) - other > SEAL_RED) & (red > INK_LEVEL), 255, red).astype(
        np.uint8
    )
    angle = skew_angle(_ink(gray))
    if abs(angle) >= 0.05:
        h, w = gray.shape
        matrix = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
        gray = cv2.warpAffine(gray, matrix, (w, h), flags=cv2.INTER_CUBIC, borderValue=255)
        red = cv2.warpAffine(red, matrix, (w, h), flags=cv2.INTER_CUBIC, borderValue=255)
    return gray, _ink(gray), _ink(red, RULE_LEVEL)


def ruling_edges(ink: Any) -> tuple[list[dict[str, Any]], Any]:
    """pdfplumber edges (in points) of the page's horizontal and vertical rules, and the rule mask."""
    import cv2
    import numpy as np

    h, w = ink.shape
    horizontal = cv2.morphologyEx(
        ink, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (max(60, w // 30), 1))
    )
    vertical = cv2.morphologyEx(
        ink, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (1, max(50, h // 60)))
    )
    edges: list[dict[str, Any]] = []
    for mask, orientation in ((horizontal, "h"), (vertical, "v")):
        joined = cv2.dilate(mask, cv2.getStructuringElement(cv2.MORPH_RECT, (5, 5)))
        count, _, stats, _ = cv2.connectedComponentsWithStats(joined, connectivity=8)
        for x, y, bw, bh, _area in stats[1:count]:
            if orientation == "h":
                mid = (y + bh / 2) * PT_PER_PX
                x0, x1, top, bottom = x * PT_PER_PX, (x + bw) * PT_PER_PX, mid, mid
            else:
                mid = (x + bw / 2) * PT_PER_PX
                x0, x1, top, bottom = mid, mid, y * PT_PER_PX, (y + bh) * PT_PER_PX
            edges.append(ruling_edge(x0, x1, top, bottom, orientation))
    rules = cv2.dilate(np.maximum(horizontal, vertical), cv2.getStructuringElement(cv2.MORPH_RECT, (7, 7)))
    return edges, rules


def text_lines(ink: Any, x0: int, top: int, x1: int, bottom: int) -> list[_Region]:
    """The text lines inside a box: runs of rows with ink, each cut to its inked columns."""
    import numpy as np

    box = ink[top:bottom, x0:x1]
    if box.size == 0:
        return []
    rows = np.flatnonzero(box.sum(axis=1) >= INK_THRESHOLD)
    if rows.size == 0:
        return []
    runs: list[tuple[int, int]] = []
    start = prev = int(rows[0])
    for r in rows[1:]:
        r = int(r)
        if r - prev > 3:
            runs.append((start, prev + 1))
            start = r
        prev = r
    runs.append((start, prev + 1))
    if len(runs) > 1:
        runs = _join_thin(runs)
    out: list[_Region] = []
    for a, b in runs:
        cols = np.flatnonzero(box[a:b].sum(axis=0) > 0)
        if cols.size == 0:
            continue
        wide = int(cols[-1]) + 1 - int(cols[0])
        # A short run is noise, unless it is a dash (—, printed for "not applicable"): thin and wide.
        dash = b - a < MIN_LINE_PX
        if dash and not (wide >= 3 * (b - a) and wide >= MIN_LINE_PX):
            continue
        out.append(_Region(x0 + int(cols[0]), top + a, x0 + int(cols[-1]) + 1, top + b, dash))
    return out


def _join_thin(runs: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Runs of rows with a thin run (a bar shorter than a text line) joined to the nearer neighbour
    when close: the top bar of a "5" or "7" that a light scan cut off from the rest of the digit. A thin
    run alone in its box stays (a dash)."""
    out = list(runs)
    i = 0
    while len(out) > 1 and i < len(out):
        a, b = out[i]
        if b - a >= MIN_LINE_PX:
            i += 1
            continue
        gaps = [
            (a - out[i - 1][1], i - 1) if i > 0 else None,
            (out[i + 1][0] - b, i + 1) if i + 1 < len(out) else None,
        ]
        gap, j = min(g for g in gaps if g is not None)
        if gap < MIN_LINE_PX:
            lo, hi = min(i, j), max(i, j)
            out[lo : hi + 1] = [(out[lo][0], out[hi][1])]
            i = lo
        else:
            del out[i]
    return out


def _crop(gray: Any, region: _Region) -> Any:
    """A text line with a white margin, as the 3-channel image the recogniser takes."""
    import numpy as np

    pad = max(6, (region.bottom - region.top) // 4)
    h, w = gray.shape
    part = gray[
        max(0, region.top - pad) : min(h, region.bottom + pad),
        max(0, region.x0 - pad) : min(w, region.x1 + pad),
    ]
    return np.ascontiguousarray(np.stack([part, part, part], axis=-1))


_DIGIT_LOOKALIKES = str.maketrans(
    {"O": "0", "o": "0", "D": "0", "l": "1", "I": "1", "|": "1", "，": ",", "。": "."}
)


_FULLWIDTH_DIGITS = str.maketrans("０１２３４５６７８９", "0123456789")
_DASHES = frozenset({"一", "-", "—", "–", "_", "－", "——", "--", "~"})


def clean_text(text: str) -> str:
    """Recogniser output as print: a lone dash-like stroke is the "—" of a not-applicable cell (a scan
    cannot tell —, － and 一 apart), digit look-alikes in a cell that is otherwise a number."""
    text = text.translate(_FULLWIDTH_DIGITS).strip()
    if text in _DASHES:
        return "—"
    translated = text.translate(_DIGIT_LOOKALIKES)
    if (
        translated != text
        and translated.replace(",", "").replace(".", "").isdigit()
        and any(c.isdigit() for c in text)
    ):
        return translated
    return text


def read_page_image(rgb: Any, page_number: int, table_index: int, recognize: Recognizer) -> list[Line | Grid]:
    """One page image's lines and grids, top to bottom."""
    import numpy as np

    from parsers.pdf import find_tables
    from parsers.pdf_pdfium import PageContent

    gray, ink, rule_ink = _deskew(rgb)
    h, w = ink.shape
    edges, rules = ruling_edges(rule_ink)
    text_ink = (ink & (1 - rules)).astype(np.uint8)
    content = PageContent(w * PT_PER_PX, h * PT_PER_PX, [], edges, ruled=bool(edges))
    tables = find_tables(content) if edges else []

    def px(value: float) -> int:
        return round(value / PT_PER_PX)

    jobs: list[_Region] = []
    table_cells: list[list[list[tuple[int, int] | None]]] = []
    for table in tables:
        rows: list[list[tuple[int, int] | None]] = []
        for row in table.rows:
            slots: list[tuple[int, int] | None] = []
            for cell in row.cells:
                if cell is None:
                    slots.append(None)
                    continue
                cx0, ctop, cx1, cbottom = (px(v) for v in cell)
                lines = text_lines(text_ink, cx0 + INSET, ctop + INSET, cx1 - INSET, cbottom - INSET)
                slots.append((len(jobs), len(lines)))
                jobs.extend(lines)
            rows.append(slots)
        table_cells.append(rows)
    free_ink = text_ink.copy()
    for table in tables:
        x0, top, x1, bottom = (px(v) for v in table.bbox)
        free_ink[max(0, top - 4) : bottom + 4, max(0, x0 - 4) : x1 + 4] = 0
    free_start = len(jobs)
    jobs.extend(_free_lines(free_ink))
    read = iter(recognize([_crop(gray, r) for r in jobs if not r.dash]))
    results = [("—", 1.0) if r.dash else next(read) for r in jobs]
    placed: list[tuple[float, Line | Grid]] = []
    for table, rows in zip(tables, table_cells, strict=True):
        grid_rows: list[GridRow] = []
        for slots in rows:
            texts: list[str | None] = []
            confidences: list[float | None] = []
            for slot in slots:
                if slot is None:
                    texts.append(None)
                    confidences.append(None)
                    continue
                first, count = slot
                cell_lines = results[first : first + count]
                texts.append("\n".join(clean_text(t) for t, _ in cell_lines if t.strip()))
                confidences.append(round(min((c for _, c in cell_lines), default=1.0), 4))
            grid_rows.append(GridRow(tuple(texts), page_number, tuple(confidences)))
        placed.append((table.bbox[1] / PT_PER_PX, Grid(grid_rows, table_index)))
        table_index += 1
    for region, (text, _conf) in zip(jobs[free_start:], results[free_start:], strict=True):
        if text.strip():
            placed.append((region.top, Line(" ".join(text.split()), page_number)))
    placed.sort(key=lambda p: p[0])
    return [block for _, block in placed]


def _free_lines(ink: Any) -> list[_Region]:
    """Text lines outside the tables: per band of inked rows, the words of one printed line (a band
    with a wide gap, like a centred page number beside nothing, stays one region)."""
    h, w = ink.shape
    return text_lines(ink, 0, 0, w, h)


def read_scan(
    pages: Sequence[Any], *, recognize: Recognizer | None = None, budget: float = 600.0
) -> Document:
    """The lines and grids of page images; `recognize` defaults to RapidOCR."""
    import time

    if recognize is None:
        if not ocr_available():
            raise UnsupportedKind("image-only document: OCR is not installed (the [ocr] extra)")
        recognize = rapidocr_recognizer()
    started = time.perf_counter()
    blocks: list[Line | Grid] = []
    tables = 0
    for number, rgb in enumerate(pages, start=1):
        page_blocks = read_page_image(rgb, number, tables, recognize)
        tables += sum(1 for b in page_blocks if isinstance(b, Grid))
        blocks.extend(page_blocks)
        if time.perf_counter() - started > budget:
            raise ParseTimeout(f"OCR exceeded {budget:.0f} s at page {number} of {len(pages)}")
    return Document(kind="ocr", blocks=blocks, pages=len(pages), engines=("rapidocr",) * len(pages))


def parse_scan(
    data: bytes, *, filename: str = "", content_type: str = "", settings: ParseSettings | None = None
) -> Report:
    """A scanned PDF or an image attachment OCR'd into the canonical Report (`source_kind` "ocr");
    raises UnsupportedKind when OCR is not installed."""
    import time

    from parsers.detect import detect_kind
    from parsers.errors import ParseError, as_parse_error
    from parsers.pipeline import build_report

    settings = settings or ParseSettings()
    started = time.perf_counter()
    kind = detect_kind(data, filename=filename, content_type=content_type, settings=settings)
    if kind not in ("pdf", "image"):
        raise UnsupportedKind(f"OCR reads scanned PDFs and images, not {kind.upper()}")
    if not ocr_available():
        raise UnsupportedKind("image-only document: OCR is not installed (the [ocr] extra)")
    try:
        reader = page_images_of_pdf if kind == "pdf" else page_images_of_image
        pages = reader(data, settings.max_pages)
        doc = read_scan(pages, budget=settings.budget(len(pages)) * OCR_BUDGET_FACTOR)
        return build_report(doc, started=started)
    except ParseError:
        raise
    except Exception as exc:
        raise as_parse_error(exc, "ocr") from exc
