"""A report as UTF-8 text, flattened as pdftotext flattens one."""

from __future__ import annotations

from flows.demo.reportgen.layout import (
    Grid,
    appendix_title,
    body_sections,
    statistics_grid,
    wrap,
)
from flows.demo.reportgen.prose import preamble
from flows.demo.reportgen.spec import ReportSpec


def _grid_text(grid: Grid) -> list[str]:
    """Header labels one per line, data rows as "label v v v", long labels wrapped above values."""
    lines: list[str] = []
    for r in range(grid.nrows):
        row = grid.at(r)
        labels = [c for c in row if c.header or c.col < _first_value_col(grid)]
        values = [c.text for c in row if not c.header and c.col >= _first_value_col(grid)]
        if grid.name == "statistics":
            lines.append("\t".join(c.text for c in row))
            continue
        if not values:
            texts = [c.text for c in labels if c.text]
            lines.extend([" ".join(texts)] if grid.name == "proactive" else texts)
            continue
        texts = [c.text for c in labels if c.text]
        for text in texts[:-1]:
            lines.extend(wrap(text, 8))
        last = texts[-1] if texts else ""
        if len(last) > 24:
            lines.extend(wrap(last, 22))
            lines.append(" ".join(values))
        else:
            lines.append(" ".join([last, *values]).strip())
    return lines


def _first_value_col(grid: Grid) -> int:
    return {"proactive": 1, "requests": 3, "review_litigation": 0, "statistics": 1}[grid.name]


def render_text(spec: ReportSpec) -> bytes:
    """UTF-8 text flattened like the seeds: tables as label and number lines, page footers."""
    blocks: list[list[str]] = [[spec.title], [preamble(spec)]]
    for heading, key, tables in body_sections(spec):
        blocks.append([heading])
        blocks.append(spec.sections[key].split("\n"))
        for grid in tables:
            blocks.append(_grid_text(grid))
    if spec.format == "stat2014":
        blocks.append(["附件：", appendix_title(spec)])
        blocks.append(_grid_text(statistics_grid(spec)))
    out: list[str] = []
    page, used = 1, 0
    for block in blocks:
        size = sum(len(line) for line in block)
        if used and used + size > 1400:
            out.extend(["", f"- {page} -", ""])
            page, used = page + 1, 0
        out.extend([*block, ""])
        used += size
    out.extend([f"- {page} -", ""])
    return "\n".join(out).encode("utf-8")
