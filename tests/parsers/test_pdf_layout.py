"""parsers/pdf.py's word grouping, cell text and table finding against pdfplumber's own functions.

The PDFium reader hands pdfplumber's algorithms plain tuples instead of pdfplumber's dicts, in
reimplementations of `extract_words`, `extract_text`, `edges_to_intersections`,
`intersections_to_cells` and `cells_to_tables`. On random chars (shared tops and x0s so ties and
line clustering matter, blanks, empty text, ligatures, lines within the tolerances) and random ruled
grids (missing and split rules, merged cells, several tables) they must give pdfplumber's words,
text and tables exactly.
"""

from __future__ import annotations

import itertools
import random
from typing import Any

import pytest
from pdfplumber import table as plumber_table
from pdfplumber.utils import extract_text as plumber_extract_text
from pdfplumber.utils import extract_words as plumber_extract_words

from parsers.pdf import (
    TABLE_SETTINGS,
    Char,
    _cells,
    _intersections,
    _tables,
    extract_text,
    extract_words,
    ruling_edge,
)

TEXTS = ["一", "二", "1", "2", "a", "ﬁ", " ", "\u3000", "", "(", "—"]


def _chars(rng: random.Random) -> list[Char]:
    tops = [rng.choice([100.0, 100.5, 101.9, 103.0, 104.2, 110.0, 112.5]) for _ in range(4)]
    chars: list[Char] = []
    for _ in range(rng.randint(1, 40)):
        top = rng.choice(tops) + rng.choice([0.0, 0.0, 0.3, -0.2])
        x0 = rng.choice([10.0, 12.0, 14.0, 15.5, 16.0, 30.0]) + rng.randint(0, 20) * rng.choice(
            [1.0, 1.4, 2.1]
        )
        width = rng.choice([0.0, 1.0, 2.0, 6.0, 12.0])
        chars.append((rng.choice(TEXTS), x0, x0 + width, top, top + rng.choice([10.0, 12.0])))
    return chars


def _dicts(chars: list[Char]) -> list[dict[str, Any]]:
    return [
        {"text": t, "x0": x0, "x1": x1, "top": top, "bottom": bottom, "doctop": top, "upright": True}
        for t, x0, x1, top, bottom in chars
    ]


@pytest.mark.parametrize("seed", range(300))
def test_words_and_text_are_pdfplumbers(seed: int) -> None:
    rng = random.Random(seed)
    chars = _chars(rng)
    x_tolerance, y_tolerance = rng.choice([(1.5, 2), (3, 3), (0.5, 1)])
    theirs = plumber_extract_words(_dicts(chars), x_tolerance=x_tolerance, y_tolerance=y_tolerance)
    assert extract_words(chars, x_tolerance, y_tolerance) == [
        (w["text"], w["x0"], w["x1"], w["top"], w["bottom"]) for w in theirs
    ]
    assert extract_text(chars) == plumber_extract_text(_dicts(chars))


@pytest.mark.parametrize("text", TEXTS)
def test_a_one_char_cell_is_pdfplumbers(text: str) -> None:
    chars: list[Char] = [(text, 10.0, 16.0, 100.0, 112.0)]
    assert extract_text(chars) == plumber_extract_text(_dicts(chars))
    assert extract_words(chars, 3, 3) == [
        (w["text"], w["x0"], w["x1"], w["top"], w["bottom"]) for w in plumber_extract_words(_dicts(chars))
    ]


def _grid_edges(rng: random.Random, left: float, top: float) -> list[dict[str, Any]]:
    """A ruled grid with some rules missing or split (merged cells), jittered within the snap
    tolerance, as pdfplumber's merged edges would be after snapping."""
    xs = [left + sum(rng.choice([20.0, 35.0, 50.0]) for _ in range(i)) for i in range(rng.randint(2, 7))]
    ys = [top + sum(rng.choice([12.0, 18.0, 24.0]) for _ in range(i)) for i in range(rng.randint(2, 9))]
    edges: list[dict[str, Any]] = []
    for y in ys:
        for a, b in itertools.pairwise(xs):
            if rng.random() < 0.85 or y in (ys[0], ys[-1]):
                edges.append(ruling_edge(a, b, y, y, "h"))
    for x in xs:
        for a, b in itertools.pairwise(ys):
            if rng.random() < 0.85 or x in (xs[0], xs[-1]):
                edges.append(ruling_edge(x, x, a, b, "v"))
    return edges


@pytest.mark.parametrize("seed", range(200))
def test_tables_are_pdfplumbers(seed: int) -> None:
    rng = random.Random(seed)
    edges = _grid_edges(rng, 50.0, 100.0)
    if rng.random() < 0.5:
        edges += _grid_edges(rng, 60.0, 400.0)
    edges = plumber_table.merge_edges(edges, 3, 3, 3, 3)
    tolerance = TABLE_SETTINGS["intersection_tolerance"]
    reference = plumber_table.edges_to_intersections(edges, tolerance, tolerance)
    ours = _intersections(edges, tolerance, tolerance)
    assert set(ours) == set(reference)
    for point, (v_edges, h_edges) in ours.items():
        assert v_edges == {(e["x0"], e["top"], e["x1"], e["bottom"]) for e in reference[point]["v"]}
        assert h_edges == {(e["x0"], e["top"], e["x1"], e["bottom"]) for e in reference[point]["h"]}
    cells = plumber_table.intersections_to_cells(reference)
    assert _cells(ours) == cells
    assert [sorted(t) for t in _tables(cells)] == [sorted(t) for t in plumber_table.cells_to_tables(cells)]
