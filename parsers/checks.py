"""The in-report consistency rules of DESIGN.md, each a small function from cells to findings.

A blank cell ("/", "—", "－", "", `&nbsp;`: value None) is *not stated*, never 0. An arithmetic rule
compares only where every operand it needs is printed, stated and certain (not named by a
`report.parse_uncertain` finding); if any one of them is blank, absent or uncertain the rule raises
nothing for that column, row or block, even when the other operands are stated: the missing number
could be anything, so a difference proves nothing. Every finding carries the cells it read.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from parsers import templates as t
from parsers.model import Cell, CellRef, Finding, Report

Key = tuple[str, str, str]
_TOLERANCE = 1e-6
PARSE_UNCERTAIN = "report.parse_uncertain"


@dataclass(frozen=True)
class Printed:
    """One report's cells by address, and the addresses the parser was unsure of."""

    cells: dict[Key, Cell]
    uncertain: frozenset[Key] = frozenset()

    @classmethod
    def of(cls, cells: Iterable[Cell], uncertain: Iterable[Key] = ()) -> Printed:
        return cls({(c.table, c.row, c.col): c for c in cells}, frozenset(uncertain))

    def stated(self, keys: Iterable[Key]) -> list[Cell] | None:
        """The cells at `keys` when every one is printed, holds a number and is certain; else None."""
        out: list[Cell] = []
        for key in keys:
            cell = self.cells.get(key)
            if cell is None or cell.value is None or key in self.uncertain:
                return None
            out.append(cell)
        return out

    def rows_printed(self, table: str) -> set[str]:
        return {row for (tab, row, _) in self.cells if tab == table}


LOW_CONFIDENCE = 0.8
"""An OCR'd cell read with less confidence than this is uncertain (calibrated on the generated scans:
RapidOCR reads a wrong digit below it, a right one above it)."""


def low_confidence_findings(cells: Iterable[Cell]) -> list[Finding]:
    """report.parse_uncertain for each OCR'd cell read with less than LOW_CONFIDENCE: no rule reads it,
    so a misread digit never becomes an arithmetic error."""
    return [
        Finding(
            PARSE_UNCERTAIN,
            "warning",
            f"{c.table}/{c.row}/{c.col}",
            f"OCR read “{c.raw}” with confidence {c.confidence:.2f} (below {LOW_CONFIDENCE}): not checked",
            cells=(c.ref(),),
        )
        for c in cells
        if c.confidence is not None and c.confidence < LOW_CONFIDENCE
    ]


def uncertain_keys(findings: Iterable[Finding]) -> frozenset[Key]:
    """The cells named by `report.parse_uncertain` findings: no arithmetic rule reads them."""
    return frozenset(ref.key for f in findings if f.rule == PARSE_UNCERTAIN for ref in f.cells)


def _total(cells: list[Cell]) -> float | int:
    return sum(c.value or 0 for c in cells)


def _refs(cells: Iterable[Cell]) -> tuple[CellRef, ...]:
    return tuple(c.ref() for c in cells)


def _differs(a: float | int, b: float | int) -> bool:
    return abs(a - b) > _TOLERANCE


def check_balance(printed: Printed, template: t.Template) -> list[Finding]:
    """requests.balance: 一 + 二 = （七）总计 + 四, per column (the table's own corner note).

    Compared only in a column where all four cells are stated; evidence: 一, 二, （七）, 四 of the column.
    """
    out: list[Finding] = []
    for col, _ in template.request_columns:
        cells = printed.stated(
            ("requests", row, col) for row in ("new", "carried_over", "total", "carried_forward")
        )
        if cells is None:
            continue
        left, right = _total(cells[:2]), _total(cells[2:])
        if _differs(left, right):
            out.append(
                Finding(
                    "requests.balance",
                    "error",
                    f"requests/*/{col}",
                    f"一+二 = {left} but （七）总计+四 = {right} in column {col}",
                    right,
                    left,
                    _refs(cells),
                )
            )
    return out


def check_total_sum(printed: Printed, template: t.Template) -> list[Finding]:
    """requests.total_sum: （七）总计 = the sum of every printed result row, per column.

    A result row not printed at all is not part of the report's table (older layouts lack some) and is
    left out; a printed row whose cell in the column is blank, absent or uncertain stops the comparison
    of that column. Evidence: the （七）总计 cell, then the result cells in template order.
    """
    out: list[Finding] = []
    printed_rows = printed.rows_printed("requests")
    rows = [r for r in template.result_rows if r in printed_rows]
    if not rows:
        return out
    for col, _ in template.request_columns:
        cells = printed.stated([("requests", "total", col), *(("requests", r, col) for r in rows)])
        if cells is None:
            continue
        actual, expected = _total(cells[:1]), _total(cells[1:])
        if _differs(expected, actual):
            out.append(
                Finding(
                    "requests.total_sum",
                    "error",
                    f"requests/total/{col}",
                    f"（七）总计 is {actual} but the result rows add up to {expected} in column {col}",
                    expected,
                    actual,
                    _refs(cells),
                )
            )
    return out


def check_row_total(printed: Printed, template: t.Template) -> list[Finding]:
    """requests.row_total: the 总计 column = the six applicant columns, row by row.

    Compared only in a row whose seven cells are all stated (a row of blank 总计 cells raises nothing).
    Evidence: the 总计 cell, then the six applicant cells.
    """
    out: list[Finding] = []
    for row in template.request_rows:
        cells = printed.stated(
            [("requests", row.key, "total"), *(("requests", row.key, c) for c in template.applicant_columns)]
        )
        if cells is None:
            continue
        actual, expected = _total(cells[:1]), _total(cells[1:])
        if _differs(expected, actual):
            out.append(
                Finding(
                    "requests.row_total",
                    "error",
                    f"requests/{row.key}/total",
                    f"总计 is {actual} but the applicant columns add up to {expected} in row {row.key}",
                    expected,
                    actual,
                    _refs(cells),
                )
            )
    return out


def check_block_total(printed: Printed, template: t.Template) -> list[Finding]:
    """review_litigation.block_total: each block's 总计 = its four parts.

    Compared only in a block whose five cells are all stated. Evidence: the 总计 cell, then the parts.
    """
    out: list[Finding] = []
    for block, _ in template.review_blocks:
        cells = printed.stated(
            [
                ("review_litigation", block, "total"),
                *(("review_litigation", block, c) for c in template.review_parts),
            ]
        )
        if cells is None:
            continue
        actual, expected = _total(cells[:1]), _total(cells[1:])
        if _differs(expected, actual):
            out.append(
                Finding(
                    "review_litigation.block_total",
                    "error",
                    f"review_litigation/{block}/total",
                    f"总计 is {actual} but its four parts add up to {expected} in block {block}",
                    expected,
                    actual,
                    _refs(cells),
                )
            )
    return out


TABLE_RULES: dict[str, Callable[[Printed, t.Template], list[Finding]]] = {
    "requests.balance": check_balance,
    "requests.total_sum": check_total_sum,
    "requests.row_total": check_row_total,
    "review_litigation.block_total": check_block_total,
}
"""The arithmetic rules by id; a template lists the ids that apply to it."""

_QUOTED_NEW = re.compile(
    r"(?:收到|受理|新收|接收)[^。；;，,]{0,15}?(?:政府信息公开|依申请公开)?申请(?:共|总计|合计)?(\d+)(?:件|个|条)"
)
_NONE_RECEIVED = re.compile(r"(?:未|没有)(?:收到|受理|接收到?)[^。；;]{0,20}?申请")


def _table_new_requests(report: Report) -> Cell | None:
    """The cell of new requests in the tables, when stated and certain: table 3 一 总计, or the
    stat2014 收到申请 indicator."""
    if report.format == "stat2014":
        paths = [p for p, e in report.statistics.items() if "收到申请" in "".join(str(e["label"]).split())]
        key: Key | None = ("statistics", paths[0], "value") if paths else None
    else:
        key = ("requests", "new", "total")
    if key is None:
        return None
    cells = Printed.of(report.cells, uncertain_keys(report.findings)).stated([key])
    return cells[0] if cells else None


def _quoted_new_requests(text: str) -> int | None:
    text = "".join(text.split())
    match = _QUOTED_NEW.search(text)
    if match:
        return int(match.group(1))
    return 0 if _NONE_RECEIVED.search(text) else None


def check_text_totals(report: Report) -> list[Finding]:
    """report.text_mismatch: the number of new requests quoted in the text against the tables.

    Compared only when the table's cell is stated and certain; evidence: that cell.
    """
    cell = _table_new_requests(report)
    if cell is None or cell.value is None:
        return []
    table = cell.value
    for key in ("overview", "requests"):
        quoted = _quoted_new_requests(report.sections.get(key, ""))
        if quoted is None:
            continue
        if not _differs(quoted, table):
            return []
        return [
            Finding(
                "report.text_mismatch",
                "warning",
                f"sections/{key}",
                f"the text quotes {quoted} new requests but the table says {table}",
                table,
                quoted,
                (cell.ref(),),
            )
        ]
    return []


def table_findings(cells: list[Cell], fmt: str, uncertain: Iterable[Key] = ()) -> list[Finding]:
    """Every arithmetic rule that one report can decide; `uncertain` cells are never read."""
    template = t.template(fmt)
    if template is None:
        return []
    printed = Printed.of(cells, uncertain)
    return [
        finding
        for rule_id, rule in TABLE_RULES.items()
        if template.applies(rule_id)
        for finding in rule(printed, template)
    ]
