"""The stat2014 statistics table (统计指标 | 单位 | 统计数), from grids or flattened lines.

Each indicator is keyed by its number path: 一、→ "1", （二）→ "1.2", 3. → "1.2.3"; rows without a
number (其中：…) hang under the last numbered row as "1.2.3.a", "1.2.3.b". A table with no numbering
at all is keyed by position.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from parsers.document import Document, Grid, Line
from parsers.labels import norm
from parsers.model import Cell, Finding
from parsers.numbers import NULL_TOKENS, clean_cell, is_footer, is_value, parse_value
from parsers.sections import chinese_number

UNITS = frozenset(
    {"条", "件", "次", "篇", "个", "人", "人次", "万元", "元", "项", "家", "份", "期", "场", "天", "%"}
    | NULL_TOKENS
)
_L1 = re.compile(r"^([一二三四五六七八九十]{1,3})[、.．]")
_L2 = re.compile(r"^[（(]([一二三四五六七八九十]{1,3})[）)]")
_L3 = re.compile(r"^(\d{1,2})\s*[.．、]")


@dataclass
class StatRow:
    label: str
    unit: str
    values: list[str]
    page: int | None
    uncertain: bool = False
    confidence: list[float | None] = field(default_factory=list)
    """The OCR confidence of each value (empty for printed text)."""


@dataclass
class StatTable:
    headers: list[str]
    rows: list[StatRow] = field(default_factory=list)


# The first header cell: 统计指标 (国办发〔2014〕32号), 指标名称 (the statistics tables before 2014).
_HEADS = ("统计指标", "指标名称")


def _header_of(cells: list[str]) -> list[str] | None:
    """The value column headers after 统计指标/指标名称 and 单位/计量单位, or None if not the header."""
    first = next((c for c in cells if c.strip()), None)
    if first is None or not any(head in norm(first) for head in _HEADS):
        return None
    flat = [norm(c) for c in cells if c.strip()]
    if flat and any(head in flat[0] for head in _HEADS):
        rest = flat[1:]
        if rest and "单位" in rest[0]:
            rest = rest[1:]
        return rest or ["统计数"]
    return None


def find_table(doc: Document) -> StatTable | None:
    """The statistics table: rows after the 统计指标 header, from grids or lines."""
    table: StatTable | None = None
    for block in doc.blocks:
        if isinstance(block, Grid):
            for row in block.rows:
                cells = [c or "" for c in row.cells if c is not None]
                if table is None:
                    headers = _header_of(cells)
                    if headers is not None:
                        table = StatTable(headers)
                    continue
                confidence = [
                    p for c, p in zip(row.cells, row.confidence or (), strict=False) if c is not None
                ]
                _add_cells(table, cells, row.page, confidence)
        else:
            if table is None:
                tokens = block.text.split()
                if tokens and norm(tokens[0]) in _HEADS:
                    table = StatTable(_header_of(tokens) or ["统计数"])
                continue
            if not _add_line(table, block):
                break
    return table if table and table.rows else None


def _add_cells(
    table: StatTable, cells: list[str], page: int | None, confidence: list[float | None] | None = None
) -> None:
    n = len(table.headers)
    cells = [c.strip() for c in cells]
    if len(cells) < n + 1 or not all(is_value(c) for c in cells[-n:]):
        if table.rows and cells and cells[0] and not any(cells[1:]):
            table.rows[-1].label += cells[0]
        return
    label_cells = cells[: len(cells) - n]
    unit = label_cells[-1] if len(label_cells) > 1 else ""
    label = "".join(label_cells[:-1]) if len(label_cells) > 1 else label_cells[0]
    # More numbers than value columns: which of them are the values is a guess.
    extra = any(parse_value(c) is not None for c in label_cells[1:])
    values = [clean_cell(c) for c in cells[-n:]]
    table.rows.append(StatRow(label, unit, values, page, extra, list((confidence or [])[-n:])))


def _add_line(table: StatTable, line: Line) -> bool:
    """Add one flattened row; False at the end of the table (prose)."""
    if is_footer(line.text):
        return True
    tokens = line.text.split()
    n = len(table.headers)
    tail = tokens[-n:]
    if len(tokens) > n and all(is_value(tok) for tok in tail):
        head = tokens[:-n]
        unit = head.pop() if len(head) > 1 and head[-1] in UNITS else ""
        if unit or not all(tok in NULL_TOKENS for tok in tail):
            extra = parse_value(head[-1]) is not None or parse_value(unit) is not None
            values = [clean_cell(tok) for tok in tail]
            table.rows.append(StatRow(" ".join(head), unit, values, line.page, extra))
            return True
    if len(line.text) > 40:
        return False
    if table.rows:
        table.rows[-1].label += line.text.strip()
    return True


def _letter(n: int) -> str:
    """1 → "a", 26 → "z", 27 → "aa"."""
    out = ""
    while n > 0:
        n, rem = divmod(n - 1, 26)
        out = chr(ord("a") + rem) + out
    return out


def row_paths(labels: list[str]) -> list[str]:
    """Number paths for each label; position keys when nothing is numbered."""
    paths: list[str] = []
    level1: int | None = None
    level2: int | None = None
    anchor = ""
    child = 0
    numbered = 0
    for label in labels:
        text = norm(label)
        if m := _L1.match(text):
            level1, level2 = chinese_number(m.group(1)), None
            anchor, child = str(level1), 0
        elif m := _L2.match(text):
            level2 = chinese_number(m.group(1))
            anchor, child = ".".join(str(p) for p in (level1, level2) if p is not None), 0
        elif m := _L3.match(text):
            anchor = ".".join(str(p) for p in (level1, level2, int(m.group(1))) if p is not None)
            child = 0
        else:
            child += 1
            paths.append(f"{anchor}.{_letter(child)}" if anchor else "")
            continue
        numbered += 1
        paths.append(anchor)
    if numbered == 0:
        return [str(i + 1) for i in range(len(labels))]
    return [p or str(i + 1) for i, p in enumerate(paths)]


def _unique(paths: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out: list[str] = []
    for path in paths:
        seen[path] = seen.get(path, 0) + 1
        out.append(path if seen[path] == 1 else f"{path}#{seen[path]}")
    return out


def _main_column(headers: list[str], year: int | None) -> int:
    for i, header in enumerate(headers):
        if (year is not None and str(year) in header) or "本期" in header or "本年" in header:
            return i
    return 0


def statistics(table: StatTable, year: int | None) -> tuple[list[Cell], dict[str, dict[str, Any]]]:
    """Cells (col "value" for the reporting year's column, the header for any other) and the
    path → {label, unit, value, values} map."""
    main = _main_column(table.headers, year)
    cells: list[Cell] = []
    stats: dict[str, dict[str, Any]] = {}
    for path, row in zip(_paths(table), table.rows, strict=True):
        values = {h: parse_value(raw) for h, raw in zip(table.headers, row.values, strict=False)}
        for i, (header, raw) in enumerate(zip(table.headers, row.values, strict=False)):
            col = "value" if i == main else header
            confidence = row.confidence[i] if i < len(row.confidence) else None
            cells.append(Cell("statistics", path, col, parse_value(raw), raw, row.page, confidence))
        stats[path] = {
            "label": " ".join(row.label.split()),
            "unit": row.unit,
            "value": parse_value(row.values[main]) if main < len(row.values) else None,
            "values": values,
        }
    return cells, stats


def _paths(table: StatTable) -> list[str]:
    return _unique(row_paths([r.label for r in table.rows]))


def uncertain_findings(table: StatTable, cells: list[Cell]) -> list[Finding]:
    """report.parse_uncertain for each row that printed more numbers than the table has value columns:
    its cells are a guess, and no rule reads them."""
    out: list[Finding] = []
    for path, row in zip(_paths(table), table.rows, strict=True):
        if not row.uncertain:
            continue
        refs = tuple(c.ref() for c in cells if c.row == path)
        out.append(
            Finding(
                "report.parse_uncertain",
                "warning",
                f"statistics/{path}",
                f"more numbers printed than the {len(table.headers)} value column(s): these cells are a guess",
                cells=refs,
            )
        )
    return out
