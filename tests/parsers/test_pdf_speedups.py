"""The C loops of the PDF reader (parsers/_pdf_speedups.c): built wherever a C compiler is, and equal
to the Python loops they replace. The PDF-level equality (chars, edges, documents and reports of every
fixture under both loops) is in tests/parsers/test_pdf_fast.py; here the word grouping's cases."""

from __future__ import annotations

import random
import shutil
import sysconfig
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from parsers import speedups
from parsers.pdf import (
    CellText,
    Char,
    FoundRow,
    FoundTable,
    extract_text,
    extract_words,
    find_tables,
    ruling_edge,
)

needs_speedups = pytest.mark.skipif(speedups.native is None, reason="parsers/_pdf_speedups.c is not built")


def test_speedups_are_built_where_a_c_compiler_is() -> None:
    """`pip install` builds the optional extension when it can; a silent fallback to the Python
    loops would make every PDF parse about twice as slow."""
    headers = Path(sysconfig.get_paths()["include"]) / "Python.h"
    if not (shutil.which("cc") or shutil.which("gcc")) or not headers.exists():
        pytest.skip("no C compiler or no Python headers here: the Python loops run")
    assert speedups.native is not None, "parsers/_pdf_speedups.c was not built: reinstall with pip"


def _both(chars: list[Char], x_tolerance: float = 1.5, y_tolerance: float = 2) -> list[Char]:
    """The words of the C grouping, after checking the Python grouping gives the same."""
    ours = extract_words(chars, x_tolerance, y_tolerance)
    assert ours == extract_words(chars, x_tolerance, y_tolerance, native=False)
    return ours


@needs_speedups
def test_words_end_at_spaces_gaps_and_a_step_back() -> None:
    chars: list[Char] = [
        ("收", 10.0, 20.0, 100.0, 110.0),
        ("到", 20.0, 30.0, 100.0, 110.0),
        (" ", 30.0, 33.0, 100.0, 110.0),
        ("1", 33.0, 38.0, 100.5, 110.0),
        ("2", 38.0, 43.0, 100.5, 110.5),
        ("件", 44.5, 54.5, 100.0, 110.0),
        ("申", 56.1, 66.1, 100.0, 110.0),
    ]
    assert _both(chars) == [
        ("收到", 10.0, 30.0, 100.0, 110.0),
        ("12件", 33.0, 54.5, 100.0, 110.5),
        ("申", 56.1, 66.1, 100.0, 110.0),
    ]


@needs_speedups
def test_lines_chain_within_the_tolerance_and_sort_by_x_with_ties_in_page_order() -> None:
    chars: list[Char] = [
        ("乙", 20.0, 30.0, 101.5, 111.0),
        ("甲", 10.0, 20.0, 100.0, 110.0),
        ("丙", 30.0, 40.0, 103.0, 113.0),
        ("戊", 10.0, 20.0, 106.0, 116.0),
        ("丁", 10.0, 20.0, 106.0, 117.0),
    ]
    assert _both(chars) == [
        ("甲乙丙", 10.0, 40.0, 100.0, 113.0),
        ("戊丁", 10.0, 20.0, 106.0, 117.0),
    ]


@needs_speedups
def test_ligatures_expand_and_an_empty_char_is_a_word_of_its_own() -> None:
    chars: list[Char] = [
        ("ﬁ", 10.0, 15.0, 100.0, 110.0),
        ("le", 15.0, 20.0, 100.0, 110.0),
        ("", 20.0, 20.0, 100.0, 110.0),
        ("ﬂ", 20.5, 25.0, 100.0, 110.0),
        ("\u3000", 25.0, 35.0, 100.0, 110.0),
        ("x", 35.0, 40.0, 100.0, 110.0),
    ]
    assert _both(chars) == [
        ("file", 10.0, 20.0, 100.0, 110.0),
        ("", 20.0, 20.0, 100.0, 110.0),
        ("fl", 20.5, 25.0, 100.0, 110.0),
        ("x", 35.0, 40.0, 100.0, 110.0),
    ]


@needs_speedups
def test_a_ligature_inside_cjk_text_with_full_width_punctuation_is_expanded_and_nothing_else() -> None:
    """CJK strings are stored two bytes a character, so their storage bound says nothing about
    ligatures: each character is looked up (`has_ligature`), and only a word that holds one changes."""
    chars: list[Char] = [
        ("（", 10.0, 20.0, 100.0, 110.0),
        ("二", 20.0, 30.0, 100.0, 110.0),
        ("）", 30.0, 40.0, 100.0, 110.0),
        ("ﬁ", 40.0, 45.0, 100.0, 110.0),
        ("：", 10.0, 20.0, 120.0, 130.0),
        ("\uff0c", 20.0, 30.0, 120.0, 130.0),
    ]
    assert _both(chars) == [("（二）fi", 10.0, 45.0, 100.0, 110.0), ("：，", 10.0, 30.0, 120.0, 130.0)]
    assert speedups.native is not None
    assert speedups.native.extract_words(chars[4:], 1.5, 2.0, {ord("："): ":"}) == [
        (":，", 10.0, 30.0, 120.0, 130.0)
    ]
    assert extract_text(chars[4:5]) == extract_text(chars[4:5], native=False) == "："


@needs_speedups
def test_coordinates_come_back_as_the_objects_given() -> None:
    """Readers that box chars in whole numbers (OFD, OCR) get ints back, as from min() and max()."""
    chars: list[Char] = [("一", 10, 20, 100, 110), ("二", 20, 30, 99, 111)]
    (word,) = _both(chars)
    assert word == ("一二", 10, 30, 99, 111)
    assert [type(value) for value in word[1:]] == [int, int, int, int]
    assert extract_text(chars) == extract_text(chars, native=False) == "一二"


@needs_speedups
def test_no_chars_no_words_and_a_malformed_char_is_a_type_error() -> None:
    assert _both([]) == []
    assert speedups.native is not None
    with pytest.raises(TypeError, match=r"a char is a \(text, x0, x1, top, bottom\) tuple"):
        speedups.native.extract_words([("一", 1.0, 2.0)], 1.5, 2.0, {})


@needs_speedups
def test_cell_texts_take_each_cells_chars_in_page_order_line_by_line() -> None:
    """A row of four cells: two lines of words, nothing, a lone space (empty), a missing cell (None),
    and a char whose middle is outside the row's band, which no cell takes."""
    chars: list[Char] = [
        ("公", 12.0, 22.0, 104.0, 114.0),
        ("开", 22.0, 32.0, 104.0, 114.0),
        ("1", 40.0, 45.0, 104.0, 114.0),
        ("2", 12.0, 17.0, 118.0, 128.0),
        (" ", 112.0, 115.0, 104.0, 114.0),
        ("外", 12.0, 22.0, 131.0, 141.0),
        ("ﬁ", 70.0, 75.0, 104.0, 114.0),
    ]
    cells: list[tuple[float, float, float, float] | None] = [
        (10.0, 100.0, 60.0, 130.0),
        (60.0, 100.0, 100.0, 130.0),
        (100.0, 100.0, 140.0, 130.0),
        None,
    ]
    table = FoundTable(
        (10.0, 100.0, 140.0, 130.0), [c for c in cells if c], [FoundRow((10.0, 100.0, 140.0, 130.0), cells)]
    )
    ours, theirs = CellText(chars)(table), CellText(chars, native=False)(table)
    assert ours == theirs == [["公开 1\n2", "fi", "", None]]
    assert extract_text(chars[:3]) == extract_text(chars[:3], native=False) == "公开 1"


@needs_speedups
def test_c_table_finder_finds_pdfplumbers_tables_cells_and_rows() -> None:
    """A grid whose right column merges two rows, a second table below it, and a lone box, which is a
    single cell and so no table; edges as a page reader hands them to the finder."""
    h = [(10, 110, 10), (10, 110, 30), (10, 60, 50), (10, 110, 70), (10, 90, 100), (10, 90, 120)]
    v = [(10, 10, 70), (60, 10, 70), (110, 10, 70), (10, 100, 120), (50, 100, 120), (90, 100, 120)]
    h += [(150, 200, 10), (150, 200, 40)]
    v += [(150, 10, 40), (200, 10, 40)]
    edges = [ruling_edge(x0, x1, y, y, "h") for x0, x1, y in h]
    edges += [ruling_edge(x, x, top, bottom, "v") for x, top, bottom in v]
    content = SimpleNamespace(edges=edges)
    found, reference = find_tables(content), find_tables(content, native=False)
    rows = [(table.bbox, table.cells, [(row.bbox, row.cells) for row in table.rows]) for table in found]
    assert rows == [(t.bbox, t.cells, [(r.bbox, r.cells) for r in t.rows]) for t in reference]
    assert rows == [
        (
            (10.0, 10.0, 110.0, 70.0),
            [
                (10.0, 10.0, 60.0, 30.0),
                (10.0, 30.0, 60.0, 50.0),
                (10.0, 50.0, 60.0, 70.0),
                (60.0, 10.0, 110.0, 30.0),
                (60.0, 30.0, 110.0, 70.0),
            ],
            [
                ((10.0, 10.0, 110.0, 30.0), [(10.0, 10.0, 60.0, 30.0), (60.0, 10.0, 110.0, 30.0)]),
                ((10.0, 30.0, 110.0, 70.0), [(10.0, 30.0, 60.0, 50.0), (60.0, 30.0, 110.0, 70.0)]),
                ((10.0, 50.0, 60.0, 70.0), [(10.0, 50.0, 60.0, 70.0), None]),
            ],
        ),
        (
            (10.0, 100.0, 90.0, 120.0),
            [(10.0, 100.0, 50.0, 120.0), (50.0, 100.0, 90.0, 120.0)],
            [((10.0, 100.0, 90.0, 120.0), [(10.0, 100.0, 50.0, 120.0), (50.0, 100.0, 90.0, 120.0)])],
        ),
    ]


def _plumber_merged(edges: list[dict[str, Any]], min_length: float) -> tuple[list[Any], list[Any]]:
    """pdfplumber's merge_edges and length filter, then the distinct boxes per orientation, as
    find_tables' Python path hands them to the table finder."""
    from pdfplumber import table as plumber_table
    from pdfplumber.utils import filter_edges

    merged = filter_edges(plumber_table.merge_edges(edges, 3, 3, 3, 3), min_length=min_length)
    return tuple(  # type: ignore[return-value]
        list(
            dict.fromkeys(
                (e["x0"], e["top"], e["x1"], e["bottom"]) for e in merged if e["orientation"] == side
            )
        )
        for side in ("v", "h")
    )


def _random_edge(rng: random.Random) -> dict[str, Any]:
    """An edge near a coarse grid line, so that snapping and joining both happen, with pdfplumber's
    fields (a rect's edges carry an int 0 for their thickness)."""
    vertical = rng.random() < 0.5
    at = rng.choice([50, 100, 150.5, 200]) + rng.choice([0, 0, 0.25, -1.5, 2.9, 3.1, rng.uniform(-4, 4)])
    start = rng.uniform(0, 300)
    end = start + rng.choice([0, 0.5, rng.uniform(1, 60)])
    if vertical:
        return {
            "x0": at,
            "x1": at,
            "top": start,
            "bottom": end,
            "doctop": start,
            "width": 0,
            "height": end - start,
            "orientation": "v",
            "object_type": "rect_edge",
        }
    return {
        "x0": start,
        "x1": end,
        "top": at,
        "bottom": at,
        "doctop": at,
        "width": end - start,
        "height": rng.choice([0, 0.0]),
        "orientation": "h",
        "object_type": "line",
    }


@needs_speedups
def test_edges_merge_as_pdfplumber_merges_them() -> None:
    """Snapping within 3 pt to the average (summed in order), joining along each line, the length
    filter and the distinct boxes, on 400 random pages of edges, exactly."""
    assert speedups.native is not None
    rng = random.Random(20261203)
    for case in range(400):
        edges = [_random_edge(rng) for _ in range(rng.randint(0, 40))]
        expected = _plumber_merged(edges, 1)
        assert speedups.native.merge_edges(edges, 3, 3, 3, 3, 1) == expected, case
    assert speedups.native.merge_edges([], 3, 3, 3, 3, 1) == ([], [])
    with pytest.raises(ValueError, match="Orientation must be 'v' or 'h'"):
        speedups.native.merge_edges([{**_random_edge(rng), "orientation": "d"}], 3, 3, 3, 3, 1)
    with pytest.raises(KeyError):
        speedups.native.merge_edges([{"orientation": "v", "x0": 1.0}], 3, 3, 3, 3, 1)
