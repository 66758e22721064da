"""The data dictionary of the open dataset, generated from the templates (no second list of keys).

Every table/row/column key of every format with its Chinese labels as printed (per format: 行政规范性文件
in gov2021 is 规范性文件 in gov2019), its unit, the formats it exists in and the rules that read it
(`parsers.rules`). stat2014 indicators have no fixed list: they are keyed by their number path as
printed ("3.2.1"), so the dictionary describes the key pattern and the label and unit come from the
report's own 统计指标 and 单位 columns.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from parsers import templates as t
from parsers.numbers import NULL_TOKENS, clean_cell
from parsers.rules import RULES, Rule

Address = tuple[str, str, str]

COUNT_UNIT = "件"
AS_PRINTED = "as printed"
_UNITS: dict[tuple[str, str], str] = {
    ("proactive", "amount_10k_yuan"): "万元",
    ("proactive", "prev_year_items"): "项",
    ("proactive", "change"): "项",
    ("proactive", "items"): "项",
    ("proactive", "amount"): AS_PRINTED,
}
STATISTICS_ROW = "<number path>"
STATISTICS_VALUE = "value"
STATISTICS_OTHER = "<column header>"

SEMANTICS: dict[str, str] = {
    "number": "a stated number other than zero",
    "zero": "a stated 0",
    "blank": "not stated: the cell prints nothing or a blank mark ("
    + " ".join(sorted(NULL_TOKENS - {""}))
    + ")",
    "not_applicable": "the format has no such cell (e.g. gov2021 行政许可 has no 本年制发 column), printed blank",
    "text": "the cell prints text that is not a number",
}
"""What a cell's `semantic` says; a blank is never 0."""


def unit_of(table: str, col: str) -> str:
    """The unit of a column of tables 2–4 (stat2014 units are printed per indicator)."""
    if table == "statistics":
        return AS_PRINTED
    return _UNITS.get((table, col), COUNT_UNIT)


def template_cells(template: t.Template) -> list[Address]:
    """Every cell address a complete report in this format prints, in printed order."""
    if template.statistics:
        return []
    cells: list[Address] = [
        ("proactive", row, col) for row, _, cols in template.proactive_rows for col in cols
    ]
    cells += [
        ("requests", row.key, col) for row in template.request_rows for col, _ in template.request_columns
    ]
    cells += [
        ("review_litigation", block, col)
        for block, _ in template.review_blocks
        for col, _ in template.review_columns
    ]
    return cells


def defines(template: t.Template | None, table: str, row: str, col: str) -> bool:
    """Whether the format has a cell at this address (a stat2014 indicator always does)."""
    if template is None:
        return True
    if template.statistics:
        return table == "statistics"
    return (table, row, col) in _defined(template.key)


@cache
def _defined(fmt: str) -> frozenset[Address]:
    template = t.template(fmt)
    return frozenset(template_cells(template)) if template else frozenset()


def semantic(fmt: str, table: str, row: str, col: str, value: float | None, raw: str) -> str:
    """What a stored cell says (`SEMANTICS`): a stated number, a stated zero, a blank, a cell the
    format does not have, or text."""
    if value is not None:
        return "zero" if value == 0 else "number"
    if not defines(t.template(fmt), table, row, col):
        return "not_applicable"
    return "blank" if clean_cell(raw) in NULL_TOKENS else "text"


def row_label(template: t.Template, table: str, row: str) -> str:
    """The printed row label, with its merged group label before it (e.g. （三）不予公开 / 1.属于国家秘密)."""
    if table == "requests":
        for entry in template.request_rows:
            if entry.key == row:
                return f"{entry.group} / {entry.label}" if entry.group else entry.label
    return template.row_label(table, row)


def applies(rule: Rule, template: t.Template) -> bool:
    """A rule a template lists applies to it; a rule no template lists applies to every format."""
    listed = any(rule.id in tpl.rules for tpl in t.TEMPLATES)
    return template.applies(rule.id) if listed else True


def _rules_reading(formats: list[t.Template], table: str, row: str, col: str) -> list[str]:
    return [
        rule.id
        for rule in RULES
        if rule.reads_cell(table, row, col) and any(applies(rule, tpl) for tpl in formats)
    ]


def _statistics_keys(template: t.Template) -> list[dict[str, Any]]:
    keys = []
    for col, label in (
        (STATISTICS_VALUE, "统计数（报告年度的一列：本年/本期/<年份>年度）"),
        (STATISTICS_OTHER, "其他数值列，以表头为键（如 历年累计、本年累计）"),
    ):
        keys.append(
            {
                "table": "statistics",
                "row": STATISTICS_ROW,
                "col": col,
                "row_label": "统计指标（按报告所印）",
                "col_label": label,
                "labels": {template.key: {"row": "统计指标（按报告所印）", "col": label}},
                "unit": "单位（按报告所印）",
                "formats": [template.key],
                "rules": _rules_reading([template], "statistics", STATISTICS_ROW, col),
                "pattern": True,
            }
        )
    return keys


def data_dictionary() -> dict[str, Any]:
    """Every key of every format: labels, unit, formats, rules; plus the formats and cell semantics."""
    by_address: dict[Address, list[t.Template]] = {}
    for template in t.TEMPLATES:
        for address in template_cells(template):
            by_address.setdefault(address, []).append(template)
    keys: list[dict[str, Any]] = []
    for (table, row, col), formats in by_address.items():
        newest = max(formats, key=lambda tpl: tpl.age)
        keys.append(
            {
                "table": table,
                "row": row,
                "col": col,
                "row_label": row_label(newest, table, row),
                "col_label": newest.column_label(table, col),
                "labels": {
                    tpl.key: {"row": row_label(tpl, table, row), "col": tpl.column_label(table, col)}
                    for tpl in formats
                },
                "unit": unit_of(table, col),
                "formats": [tpl.key for tpl in formats],
                "rules": _rules_reading(formats, table, row, col),
                "pattern": False,
            }
        )
    for template in t.TEMPLATES:
        if template.statistics:
            keys.extend(_statistics_keys(template))
    return {
        "formats": [
            {
                "format": tpl.key,
                "defined_by": tpl.defined_by,
                "first_year": tpl.first_year,
                "last_year": tpl.last_year,
                "tables": list(tpl.tables),
                "sections": [{"key": key, "label": label} for key, label in tpl.sections],
                "rules": list(tpl.rules),
            }
            for tpl in t.TEMPLATES
        ],
        "semantics": dict(SEMANTICS),
        "keys": keys,
    }
