"""Table grids and flattened table lines → canonical cells of tables 2, 3 and 4.

Every row that carries values becomes a `Candidate` (its label, the label fragments printed on the
lines just before it, its raw values). A grid row whose value cells are all empty is a candidate too
(a row printed blank is kept, every cell null); it takes a row only on a close label match, otherwise
its label is a fragment of the next row (a label split over two rows). Candidates are matched to the rows of the format's template by
label similarity plus a bonus for the next row in template order, so a garbled or broken label still
lands in its row, and a row printed out of place (a page-break artefact) is still found by its label.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Literal

from parsers import templates as t
from parsers.document import Document, Grid, Line
from parsers.labels import norm, ratio, squash_repeats, strip_numbering
from parsers.model import Cell, Finding
from parsers.numbers import clean_cell, is_footer, is_value, parse_value

MATCH_THRESHOLD = 0.6
NEXT_ROW_BONUS = 0.08
REVIEW_CELLS = len(t.REVIEW_BLOCKS) * len(t.REVIEW_COLUMNS)
MAX_FRAGMENTS = 5
BLANK_MATCH_THRESHOLD = 0.85


@dataclass(frozen=True)
class Candidate:
    """A printed row with values: its own label, the label-only text before it, its raw values;
    `blank` when every value cell is empty."""

    label: str
    fragments: tuple[str, ...]
    values: tuple[str, ...]
    page: int | None
    blank: bool = False
    confidence: tuple[float | None, ...] = ()
    """The OCR confidence of each value (empty for readers of printed text)."""


@dataclass(frozen=True)
class Slot:
    """A template row: where its values go and the label variants it may be printed as."""

    table: str
    row: str
    cols: tuple[str, ...]
    variants: tuple[str, ...]
    index: int
    align: Literal["left", "right"] = "left"


@dataclass
class TableResult:
    cells: list[Cell] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    rows_found: dict[str, set[str]] = field(default_factory=dict)


def line_candidates(blocks: Iterable[Line | Grid]) -> list[Candidate]:
    """Every row with trailing values, from text lines and grid rows, in reading order."""
    out: list[Candidate] = []
    fragments: list[str] = []
    for block in blocks:
        if isinstance(block, Line):
            candidate = _from_line(block, fragments)
            if candidate is None:
                continue
            out.append(candidate)
            fragments = []
        else:
            fragments = []
            out.extend(_from_grid(block))
    return out


def _from_line(line: Line, fragments: list[str]) -> Candidate | None:
    if is_footer(line.text):
        return None
    tokens = line.text.split()
    cut = len(tokens)
    while cut > 0 and tokens[cut - 1] != "无" and is_value(tokens[cut - 1]):
        cut -= 1
    label = norm("".join(squash_repeats(tokens[:cut])))
    if cut == len(tokens):
        if label:
            fragments.append(label)
            del fragments[:-MAX_FRAGMENTS]
        return None
    return Candidate(label, tuple(fragments), tuple(tokens[cut:]), line.page)


def _from_grid(grid: Grid) -> list[Candidate]:
    """Rows with value cells (all-empty ones marked `blank`); a row holding one text cell and
    nothing else is a label fragment of the row after it."""
    out: list[Candidate] = []
    fragments: list[str] = []
    for row in grid.rows:
        confidence = row.confidence or (None,) * len(row.cells)
        pairs = [(c.strip(), p) for c, p in zip(row.cells, confidence, strict=True) if c is not None]
        if any(is_footer(c) for c, _ in pairs if c):
            pairs = [(c, p) for c, p in pairs if not (c and is_footer(c))]
        cells = [c for c, _ in pairs]
        last_label = len(cells) - 1
        while last_label >= 0 and is_value(cells[last_label]):
            last_label -= 1
        values = tuple(clean_cell(c) for c in cells[last_label + 1 :])
        texts = [c for c in cells[: last_label + 1] if c]
        label = norm("".join(squash_repeats(texts)))
        if any(values) or (values and label):
            confidences = tuple(p for _, p in pairs[last_label + 1 :]) if row.confidence else ()
            out.append(Candidate(label, tuple(fragments), values, row.page, not any(values), confidences))
            fragments = []
        elif len(texts) == 1:
            fragments = [*fragments, label][-MAX_FRAGMENTS:]
        else:
            fragments = []
    return out


class SlotTable:
    """A template's slots (rows of tables 2 and 3, with label variants to match against) and, per
    label text met, how closely it reads as each slot: the best `ratio` over the slot's variants.
    Labels repeat from report to report, so that is mostly a lookup."""

    MAX_TEXTS = 65536

    def __init__(self, slots: tuple[Slot, ...]) -> None:
        self.slots = slots
        self._ratios: dict[str, tuple[float, ...]] = {}

    def ratios(self, text: str) -> tuple[float, ...]:
        found = self._ratios.get(text)
        if found is None:
            if len(self._ratios) >= self.MAX_TEXTS:
                self._ratios.clear()
            found = self._ratios[text] = tuple(
                max(ratio(text, v) for v in slot.variants) for slot in self.slots
            )
        return found


@functools.lru_cache(maxsize=16)
def slot_table(template: t.Template) -> SlotTable:
    return SlotTable(tuple(slots_for(template)))


def slots_for(template: t.Template) -> list[Slot]:
    """Template rows of tables 2 and 3, with label variants to match against."""
    slots: list[Slot] = []
    for i, (key, label, cols) in enumerate(template.proactive_rows):
        variants = {norm(label), *(norm(a) for a in t.PROACTIVE_ALIASES.get(key, ()))}
        slots.append(Slot("proactive", key, cols, tuple(sorted(variants)), i))
    request_cols = tuple(key for key, _ in template.request_columns)
    for i, row in enumerate(template.request_rows):
        label = norm(row.label)
        variants = {label, strip_numbering(label), norm(row.group) + label}
        variants |= {norm(a) for a in t.REQUEST_ALIASES.get(row.key, ())}
        slots.append(Slot("requests", row.key, request_cols, tuple(sorted(variants)), i, "right"))
    return slots


def _texts(candidate: Candidate) -> list[str]:
    texts = [candidate.label] if candidate.label else []
    acc = candidate.label
    for fragment in reversed(candidate.fragments):
        acc = fragment + acc
        texts.append(acc)
    return texts


def _label_ratios(candidate: Candidate, table: SlotTable) -> list[float]:
    """How closely the candidate's label (with its fragments) reads as each slot's label: the best
    ratio over its texts and the slot's variants, 0 for a candidate without label text."""
    per_text = [table.ratios(text) for text in _texts(candidate)]
    if not per_text:
        return [0.0] * len(table.slots)
    if len(per_text) == 1:
        return list(per_text[0])
    return list(map(max, *per_text))


_SCORE_FLOOR = MATCH_THRESHOLD - NEXT_ROW_BONUS - 0.05
"""Below this label ratio a slot's score is its ratio: no bonus can lift it to a match."""


def _score(candidate: Candidate, slot: Slot, best: float, cursor: dict[str, int]) -> float:
    """The slot's score for the candidate from its label ratio `best`: a bonus when the candidate
    prints as many values as the slot has columns, a penalty when it prints three or more fewer or
    more, a bonus for the row after the last one matched in the slot's table."""
    if best < _SCORE_FLOOR:
        return best
    filled = len([v for v in candidate.values if v]) if len(candidate.values) > len(slot.cols) else None
    count = filled if filled is not None else len(candidate.values)
    if count == len(slot.cols):
        best += 0.05
    elif abs(count - len(slot.cols)) >= 3:
        best -= 0.3
    if slot.index == cursor.get(slot.table, -1) + 1:
        best += NEXT_ROW_BONUS
    return best


def _fit_positions(values: tuple[str, ...], n: int, align: str) -> tuple[list[int | None], int]:
    """The index of the value placed in each of n columns (None for a column not printed) and the
    count of extra values.

    Surplus empty slots are dropped first on the side away from the alignment: the empty cell beside
    a label that is merged across the label and sub-label columns is not a value."""
    kept = list(range(len(values)))
    for end in (0, -1) if align == "right" else (-1, 0):
        while len(kept) > n and not values[kept[end]]:
            kept.pop(end)
    extra = max(0, len(kept) - n)
    kept = kept[:n]
    pad: list[int | None] = [None] * (n - len(kept))
    placed: list[int | None] = [*kept]
    return (pad + placed if align == "right" else placed + pad), extra


def _confidence(candidate: Candidate, index: int) -> float | None:
    return candidate.confidence[index] if index < len(candidate.confidence) else None


def _emit(
    table: str, row: str, cols: tuple[str, ...], candidate: Candidate, align: str, out: TableResult
) -> None:
    positions, extra = _fit_positions(candidate.values, len(cols), align)
    missing = [col for col, at in zip(cols, positions, strict=True) if at is None]
    cells = [
        Cell(
            table,
            row,
            col,
            parse_value(candidate.values[at]),
            candidate.values[at],
            candidate.page,
            _confidence(candidate, at),
        )
        for col, at in zip(cols, positions, strict=True)
        if at is not None
    ]
    out.cells.extend(cells)
    if missing or extra:
        out.findings.append(_uncertain(f"{table}/{row}", cells, len(cells) + extra, len(cols)))
    if missing:
        out.findings.append(
            Finding(
                "report.unparsed_cells",
                "warning",
                f"{table}/{row}/{','.join(missing)}",
                f"{len(cols) - len(missing)} of {len(cols)} values printed; cannot place {', '.join(missing)}",
            )
        )
    if extra:
        out.findings.append(
            Finding(
                "report.unparsed_cells",
                "warning",
                f"{table}/{row}",
                f"{extra} value(s) beyond the {len(cols)} columns ignored",
            )
        )
    out.rows_found.setdefault(table, set()).add(row)


def _uncertain(where: str, cells: list[Cell], printed: int, columns: int) -> Finding:
    """report.parse_uncertain: a row printed `printed` values for `columns` columns, so which column each
    placed value belongs to is a guess; the checks read none of these cells."""
    return Finding(
        "report.parse_uncertain",
        "warning",
        where,
        f"{printed} values printed for {columns} columns: the placement of these {len(cells)} cells is a guess",
        cells=tuple(c.ref() for c in cells),
    )


def review_columns() -> tuple[tuple[str, str], ...]:
    """Table 4's (block, col) pairs in printed order."""
    return tuple((block, col) for block, _ in t.REVIEW_BLOCKS for col, _ in t.REVIEW_COLUMNS)


def _emit_review(candidate: Candidate, out: TableResult) -> None:
    positions, extra = _fit_positions(candidate.values, REVIEW_CELLS, "left")
    cells = [
        Cell(
            "review_litigation",
            block,
            col,
            parse_value(candidate.values[at]),
            candidate.values[at],
            candidate.page,
            _confidence(candidate, at),
        )
        for (block, col), at in zip(review_columns(), positions, strict=True)
        if at is not None
    ]
    out.cells.extend(cells)
    if extra:
        out.findings.append(_uncertain("review_litigation", cells, len(cells) + extra, REVIEW_CELLS))
        out.findings.append(
            Finding(
                "report.unparsed_cells",
                "warning",
                "review_litigation",
                f"{extra} value(s) beyond the {REVIEW_CELLS} cells ignored",
            )
        )
    out.rows_found.setdefault("review_litigation", set()).update(b for b, _ in t.REVIEW_BLOCKS)


def _continues_label(blank: Candidate, following: list[Candidate], table: SlotTable, free: list[int]) -> bool:
    """Whether the row after a blank row is the rest of its label: it has values, its label alone
    matches no free row, and the two labels together do."""
    if not following or following[0].blank or not following[0].label:
        return False
    alone = _label_ratios(replace(following[0], fragments=()), table)
    joined = _label_ratios(replace(following[0], fragments=(blank.label,)), table)
    best_alone = max((alone[j] for j in free), default=0.0)
    best_joined = max((joined[j] for j in free), default=0.0)
    return best_alone < MATCH_THRESHOLD <= best_joined


def match_tables(candidates: list[Candidate], template: t.Template) -> TableResult:
    """Assign candidates to the template's rows; a row with ≥ 15 values and no row label is table 4.
    Each candidate goes to the free row of the best score, the first such row on a tie."""
    table = slot_table(template)
    slots = table.slots
    out = TableResult()
    cursor: dict[str, int] = {}
    free = list(range(len(slots)))
    pending: tuple[str, ...] = ()
    for i, candidate in enumerate(candidates):
        if pending:
            candidate = replace(candidate, fragments=(*pending, *candidate.fragments)[-MAX_FRAGMENTS:])
            pending = ()
        ratios = _label_ratios(candidate, table)
        scores = [
            r if r < _SCORE_FLOOR else _score(candidate, s, r, cursor)
            for r, s in zip(ratios, slots, strict=True)
        ]
        at = max(free, key=scores.__getitem__, default=None)
        slot = slots[at] if at is not None else None
        score = scores[at] if at is not None else 0.0
        if candidate.blank and (
            at is None
            or ratios[at] < BLANK_MATCH_THRESHOLD
            or _continues_label(candidate, candidates[i + 1 : i + 2], table, free)
        ):
            pending = (*candidate.fragments, candidate.label) if candidate.label else ()
            continue
        if slot is not None and at is not None and score >= MATCH_THRESHOLD:
            free.remove(at)
            cursor[slot.table] = slot.index
            _emit(slot.table, slot.row, slot.cols, candidate, slot.align, out)
        elif len(candidate.values) >= REVIEW_CELLS and "review_litigation" not in out.rows_found:
            _emit_review(candidate, out)
        elif len([v for v in candidate.values if v]) >= 3 and len(candidate.label) < 40:
            out.findings.append(
                Finding(
                    "report.unparsed_cells",
                    "warning",
                    "tables",
                    f"a row of {len(candidate.values)} values labelled “{candidate.label[:30]}” matches no "
                    "template row",
                )
            )
    return out


def document_candidates(doc: Document) -> list[Candidate]:
    return line_candidates(doc.blocks)
