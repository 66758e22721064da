"""The in-report consistency rules of DESIGN.md, each a small function from cells to findings."""

from __future__ import annotations

import re
from collections.abc import Callable

from parsers import templates as t
from parsers.model import Cell, Finding, Report

Values = dict[tuple[str, str, str], float | int | None]
_TOLERANCE = 1e-6


def values_of(cells: list[Cell]) -> Values:
    return {(c.table, c.row, c.col): c.value for c in cells}


def _sum(values: Values, keys: list[tuple[str, str, str]]) -> float | int | None:
    """Sum of the cells, blanks counting 0; None when any cell is absent (not printed)."""
    if any(k not in values for k in keys):
        return None
    return sum(values[k] or 0 for k in keys)


def _differs(a: float | int, b: float | int) -> bool:
    return abs(a - b) > _TOLERANCE


def check_balance(values: Values, fmt: str) -> list[Finding]:
    """requests.balance: 一 + 二 = （七）总计 + 四, per column (the table's own corner note)."""
    out: list[Finding] = []
    for col, _ in t.REQUEST_COLUMNS:
        left = _sum(values, [("requests", "new", col), ("requests", "carried_over", col)])
        right = _sum(values, [("requests", "total", col), ("requests", "carried_forward", col)])
        if left is not None and right is not None and _differs(left, right):
            out.append(
                Finding(
                    "requests.balance",
                    "error",
                    f"requests/*/{col}",
                    f"一+二 = {left} but （七）总计+四 = {right} in column {col}",
                    right,
                    left,
                )
            )
    return out


def check_total_sum(values: Values, fmt: str) -> list[Finding]:
    """requests.total_sum: （七）总计 = the sum of every result row, per column."""
    out: list[Finding] = []
    rows = t.result_rows(fmt)
    for col, _ in t.REQUEST_COLUMNS:
        total = values.get(("requests", "total", col))
        present = [("requests", r, col) for r in rows if ("requests", r, col) in values]
        if ("requests", "total", col) not in values or not present:
            continue
        expected = _sum(values, present)
        actual = total or 0
        if expected is not None and _differs(expected, actual):
            out.append(
                Finding(
                    "requests.total_sum",
                    "error",
                    f"requests/total/{col}",
                    f"（七）总计 is {actual} but the result rows add up to {expected} in column {col}",
                    expected,
                    actual,
                )
            )
    return out


def check_row_total(values: Values, fmt: str) -> list[Finding]:
    """requests.row_total: the 总计 column = the six applicant columns, row by row."""
    out: list[Finding] = []
    for row in t.request_rows(fmt):
        expected = _sum(values, [("requests", row.key, col) for col in t.APPLICANT_COLUMNS])
        if expected is None or ("requests", row.key, "total") not in values:
            continue
        actual = values[("requests", row.key, "total")] or 0
        if _differs(expected, actual):
            out.append(
                Finding(
                    "requests.row_total",
                    "error",
                    f"requests/{row.key}/total",
                    f"总计 is {actual} but the applicant columns add up to {expected} in row {row.key}",
                    expected,
                    actual,
                )
            )
    return out


def check_block_total(values: Values, fmt: str) -> list[Finding]:
    """review_litigation.block_total: each block's 总计 = its four parts."""
    out: list[Finding] = []
    for block, _ in t.REVIEW_BLOCKS:
        expected = _sum(values, [("review_litigation", block, col) for col in t.REVIEW_PARTS])
        if expected is None or ("review_litigation", block, "total") not in values:
            continue
        actual = values[("review_litigation", block, "total")] or 0
        if _differs(expected, actual):
            out.append(
                Finding(
                    "review_litigation.block_total",
                    "error",
                    f"review_litigation/{block}/total",
                    f"总计 is {actual} but its four parts add up to {expected} in block {block}",
                    expected,
                    actual,
                )
            )
    return out


TABLE_RULES: tuple[Callable[[Values, str], list[Finding]], ...] = (
    check_balance,
    check_total_sum,
    check_row_total,
    check_block_total,
)

_QUOTED_NEW = re.compile(
    r"(?:收到|受理|新收|接收)[^。；;，,]{0,15}?(?:政府信息公开|依申请公开)?申请(?:共|总计|合计)?(\d+)(?:件|个|条)"
)
_NONE_RECEIVED = re.compile(r"(?:未|没有)(?:收到|受理|接收到?)[^。；;]{0,20}?申请")


def _table_new_requests(report: Report) -> float | int | None:
    """New requests by the tables: table 3 一 总计, or the stat2014 收到申请 indicator."""
    if report.format == "stat2014":
        for entry in report.statistics.values():
            if "收到申请" in "".join(str(entry["label"]).split()):
                value = entry["value"]
                return value if isinstance(value, (int, float)) else 0
        return None
    if not any(c.table == "requests" and c.row == "new" and c.col == "total" for c in report.cells):
        return None
    return report.value("requests", "new", "total") or 0


def _quoted_new_requests(text: str) -> int | None:
    text = "".join(text.split())
    match = _QUOTED_NEW.search(text)
    if match:
        return int(match.group(1))
    return 0 if _NONE_RECEIVED.search(text) else None


def check_text_totals(report: Report) -> list[Finding]:
    """report.text_mismatch: the number of new requests quoted in the text against the tables."""
    table = _table_new_requests(report)
    if table is None:
        return []
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
            )
        ]
    return []


def table_findings(cells: list[Cell], fmt: str) -> list[Finding]:
    """Every arithmetic rule that one report can decide."""
    if fmt not in ("gov2021", "gov2019"):
        return []
    values = values_of(cells)
    return [finding for rule in TABLE_RULES for finding in rule(values, fmt)]
