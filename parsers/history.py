"""Cross-year checks of one agency's consecutive reports (pure: two `Report`s in, findings out).

- `history.carry_over` (error): this year's 二、上年结转 must equal last year's
  四、结转下年度继续办理, per column.
- `history.in_force` (warning): 现行有效(t) = 现行有效(t−1) + 本年制发(t) − 本年废止(t) for gov2021 规章 and
  行政规范性文件 (amendments legitimately break it).

Both compare only where every cell they read is stated (a blank is "not stated", never 0) and certain
(not named by either report's `report.parse_uncertain` findings). Their evidence is last year's cells,
then this year's, each `CellRef` carrying the year of the report it was read from.
- `history.duplicate_of_previous` (warning): text or table values ≥ 90% identical to last year's, the
  copying that assessments deduct points for.
"""

from __future__ import annotations

import re
import unicodedata
from difflib import SequenceMatcher

from parsers import templates as t
from parsers.checks import Printed, uncertain_keys
from parsers.metadata import strip_years
from parsers.model import SECTION_KEYS, Cell, CellRef, Finding, Report
from parsers.templates import REQUEST_COLUMNS

DUPLICATE_THRESHOLD = 0.9
MIN_TEXT_CHARS = 50
MIN_TABLE_CELLS = 5
IN_FORCE_ROWS: tuple[str, ...] = ("regulations", "normative_documents")
_NOISE = re.compile(r"[\s\W_]+")


def _stated(report: Report, keys: list[tuple[str, str, str]]) -> list[Cell] | None:
    """The report's cells at `keys` when all are printed, stated and certain; else None."""
    return Printed.of(report.cells, uncertain_keys(report.findings)).stated(keys)


def _plain(value: float) -> float | int:
    return int(value) if float(value).is_integer() else value


def _number(cell: Cell) -> float:
    return float(cell.value or 0)


def carry_over(previous: Report, current: Report) -> list[Finding]:
    """Per column: current requests/carried_over ≠ previous requests/carried_forward, both stated."""
    findings = []
    for col, label in REQUEST_COLUMNS:
        before_cells = _stated(previous, [("requests", "carried_forward", col)])
        now_cells = _stated(current, [("requests", "carried_over", col)])
        if before_cells is None or now_cells is None:
            continue
        (before,), (now,) = before_cells, now_cells
        expected, actual = _number(before), _number(now)
        if expected != actual:
            findings.append(
                Finding(
                    rule="history.carry_over",
                    severity="error",
                    where=f"requests/carried_over/{col}",
                    message=f"上年结转（{label}）{now.raw} ≠ 上年报告结转下年度继续办理 {before.raw}",
                    expected=_plain(expected),
                    actual=_plain(actual),
                    cells=(before.ref(previous.year), now.ref(current.year)),
                )
            )
    return findings


def in_force(previous: Report, current: Report) -> list[Finding]:
    """gov2021: proactive in_force(t) ≠ in_force(t−1) + issued(t) − repealed(t), all four stated."""
    template = t.template(current.format)
    if template is None or not template.applies("history.in_force"):
        return []
    findings = []
    for row in IN_FORCE_ROWS:
        before_cells = _stated(previous, [("proactive", row, "in_force")])
        now_cells = _stated(current, [("proactive", row, col) for col in ("issued", "repealed", "in_force")])
        if before_cells is None or now_cells is None:
            continue
        before, issued, repealed, now = (_number(c) for c in (*before_cells, *now_cells))
        expected = before + issued - repealed
        if expected != now:
            findings.append(
                Finding(
                    rule="history.in_force",
                    severity="warning",
                    where=f"proactive/{row}/in_force",
                    message=(
                        f"现行有效 {_plain(now)} ≠ 上年现行有效 {_plain(before)} + 本年制发 {_plain(issued)}"
                        f" − 本年废止 {_plain(repealed)}"
                    ),
                    expected=_plain(expected),
                    actual=_plain(now),
                    cells=(
                        *(c.ref(previous.year) for c in before_cells),
                        *(c.ref(current.year) for c in now_cells),
                    ),
                )
            )
    return findings


def normalise_text(text: str) -> str:
    """Text for comparison: NFKC, years removed (copying shows as text identical but for the year),
    whitespace and punctuation removed."""
    text = unicodedata.normalize("NFKC", text)
    return _NOISE.sub("", strip_years(text))


def _sections_text(report: Report) -> str:
    known = [report.sections.get(key, "") for key in SECTION_KEYS]
    extra = [text for key, text in sorted(report.sections.items()) if key not in SECTION_KEYS]
    return normalise_text("".join([*known, *extra]))


def lcs_length(a: str, b: str) -> int:
    """Length of the longest common subsequence of `a` and `b`, exactly, in O(len(a)·len(b)/w) with
    the bit-parallel recurrence of Crochemore et al. (2001): one bit of `v` per character of `a`, a
    zero bit for each step of the LCS found so far; Python's big integers are the bit vectors."""
    if len(a) < len(b):
        a, b = b, a
    matches: dict[str, int] = {}
    for position, char in enumerate(a):
        matches[char] = matches.get(char, 0) | 1 << position
    full = (1 << len(a)) - 1
    v = full
    for char in b:
        u = v & matches.get(char, 0)
        v = ((v + u) | (v - u)) & full
    return len(a) - v.bit_count()


def lcs_ratio(a: str, b: str) -> float:
    """2·LCS / (len(a) + len(b)): the share of the two texts' characters they have in common, in order
    (1.0 for equal texts, also two empty ones)."""
    return 2 * lcs_length(a, b) / (len(a) + len(b)) if a or b else 1.0


def text_similarity(previous: Report, current: Report) -> float | None:
    """`lcs_ratio` of the normalised section texts, or None when either is too short to judge.
    difflib's upper bounds skip the LCS when even they stay under the threshold (the bound is then
    returned: still under it)."""
    before, now = _sections_text(previous), _sections_text(current)
    if len(before) < MIN_TEXT_CHARS or len(now) < MIN_TEXT_CHARS:
        return None
    matcher = SequenceMatcher(None, before, now, autojunk=False)
    if matcher.real_quick_ratio() < DUPLICATE_THRESHOLD or matcher.quick_ratio() < DUPLICATE_THRESHOLD:
        return matcher.quick_ratio()
    return lcs_ratio(before, now)


def table_similarity(previous: Report, current: Report) -> float | None:
    """Share of cells, non-zero in either year, holding the same value in both; None when too few."""
    before = {(c.table, c.row, c.col): c.value for c in previous.cells if c.value}
    now = {(c.table, c.row, c.col): c.value for c in current.cells if c.value}
    addresses = before.keys() | now.keys()
    if len(addresses) < MIN_TABLE_CELLS:
        return None
    same = sum(1 for address in addresses if before.get(address) == now.get(address))
    return same / len(addresses)


def _repeated_cells(previous: Report, current: Report) -> tuple[CellRef, ...]:
    """This year's non-zero cells holding last year's value at the same address."""
    before = {(c.table, c.row, c.col): c.value for c in previous.cells if c.value}
    return tuple(
        c.ref(current.year)
        for c in current.cells
        if c.value and before.get((c.table, c.row, c.col)) == c.value
    )


def duplicate_of_previous(previous: Report, current: Report) -> list[Finding]:
    """A warning per kind (text, tables) whose similarity to last year's is ≥ 90%; the tables
    warning's evidence is this year's cells that repeat last year's values."""
    findings = []
    for where, ratio, what in (
        ("sections", text_similarity(previous, current), "正文"),
        ("tables", table_similarity(previous, current), "表格非零数据"),
    ):
        if ratio is not None and ratio >= DUPLICATE_THRESHOLD:
            findings.append(
                Finding(
                    rule="history.duplicate_of_previous",
                    severity="warning",
                    where=where,
                    message=f"{what}与上年报告相同比例 {ratio:.0%}（不含年份）",
                    expected=DUPLICATE_THRESHOLD,
                    actual=round(ratio, 4),
                    cells=_repeated_cells(previous, current) if where == "tables" else (),
                )
            )
    return findings


def compare_years(previous: Report, current: Report) -> list[Finding]:
    """All cross-year findings of `current` against the same agency's report of the year before.

    Reports whose years are both known and not consecutive are not compared.
    """
    if previous.year is not None and current.year is not None and current.year != previous.year + 1:
        return []
    return [
        *carry_over(previous, current),
        *in_force(previous, current),
        *duplicate_of_previous(previous, current),
    ]
