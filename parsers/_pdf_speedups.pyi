from collections.abc import Callable, Sequence
from typing import Any

Char = tuple[str, float, float, float, float]
Box = tuple[float, float, float, float]

def page_chars(
    textpage: int,
    count: int,
    height: float,
    text: str | None,
    descent_of: Callable[[int], float],
    functions: tuple[int, ...],
    unavailable: type[Exception],
) -> list[Char]: ...
def page_objects(
    page: int, functions: tuple[int, ...], text_type: int
) -> tuple[list[int], list[tuple[int, int]]]: ...
def extract_words(
    chars: Sequence[Char], x_tolerance: float, y_tolerance: float, ligatures: dict[int, str]
) -> list[Char]: ...
def path_ops(
    path: int, functions: tuple[int, ...], kinds: tuple[int, int, int], unavailable: type[Exception]
) -> list[tuple[str, tuple[float, float]]]: ...
def table_cells(
    v_boxes: list[Box], h_boxes: list[Box], x_tolerance: float, y_tolerance: float
) -> list[tuple[Box, list[Box], list[tuple[Box, list[Box | None]]]]]: ...
def cell_texts(
    chars: Sequence[Char], rows: list[tuple[Box, list[Box | None]]], ligatures: dict[int, str]
) -> list[list[str | None]]: ...
def pdf_value(
    data: bytes,
    pos: int,
    make_ref: Callable[[int], object],
    make_name: Callable[[str | bytes], object],
    unsupported: type[Exception],
) -> tuple[object, int]: ...
def merge_edges(
    edges: Sequence[dict[str, Any]],
    snap_x: float,
    snap_y: float,
    join_x: float,
    join_y: float,
    min_length: float,
) -> tuple[list[Box], list[Box]]: ...
