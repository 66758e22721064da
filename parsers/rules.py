"""Every rule id a finding can carry, with its formula, severity, message and the cells it reads.

The one published list of the validation rules (DESIGN.md "Rules"): the export's `rules.json` and the
data dictionary's "rules that read it" come from here, and a test fails when a module of `parsers/`
emits a rule id that is not registered. `reads` are `table/row/col` patterns (`*` any part, fnmatch
style) of the cells the rule compares; a rule about the document as a whole reads none.
"""

from __future__ import annotations

from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Any

from parsers.model import Severity


@dataclass(frozen=True)
class Rule:
    """One validation rule as published: what it checks, how bad a break is, what the finding says."""

    id: str
    severity: Severity
    formula: str
    message: str
    scope: str  # report: one report on its own; history: against the agency's report of the year before
    reads: tuple[str, ...] = ()

    def reads_cell(self, table: str, row: str, col: str) -> bool:
        """Whether the rule compares the cell at this address."""
        return any(fnmatchcase(f"{table}/{row}/{col}", pattern) for pattern in self.reads)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "severity": self.severity,
            "scope": self.scope,
            "formula": self.formula,
            "message": self.message,
            "reads": list(self.reads),
        }


_RESULT_ROWS = (
    "requests/granted/*",
    "requests/partly_granted/*",
    "requests/withheld_*/*",
    "requests/unavailable_*/*",
    "requests/rejected_*/*",
    "requests/other*/*",
)

RULES: tuple[Rule, ...] = (
    Rule(
        "requests.balance",
        "error",
        "requests/new + requests/carried_over = requests/total + requests/carried_forward, per column "
        "(一+二 = （七）总计+四)",
        "一+二 = {left} but （七）总计+四 = {right} in column {col}",
        "report",
        ("requests/new/*", "requests/carried_over/*", "requests/total/*", "requests/carried_forward/*"),
    ),
    Rule(
        "requests.total_sum",
        "error",
        "requests/total = sum of the printed result rows (（一）…（六）), per column",
        "（七）总计 is {actual} but the result rows add up to {expected} in column {col}",
        "report",
        ("requests/total/*", *_RESULT_ROWS),
    ),
    Rule(
        "requests.row_total",
        "error",
        "requests/<row>/total = natural_person + commercial + research + social_welfare + legal_service "
        "+ other_org, per row",
        "总计 is {actual} but the applicant columns add up to {expected} in row {row}",
        "report",
        ("requests/*/*",),
    ),
    Rule(
        "review_litigation.block_total",
        "error",
        "review_litigation/<block>/total = upheld + corrected + other + pending, per block",
        "总计 is {actual} but its four parts add up to {expected} in block {block}",
        "report",
        ("review_litigation/*/*",),
    ),
    Rule(
        "report.text_mismatch",
        "warning",
        "the number of new requests quoted in 总体情况 or the requests section = requests/new/total "
        "(stat2014: the 收到申请 indicator)",
        "the text quotes {quoted} new requests but the table says {table}",
        "report",
        ("requests/new/total", "statistics/*/value"),
    ),
    Rule(
        "report.year_mismatch",
        "warning",
        "the year in the title = the statistics period the body states",
        "the title says {year} but the statistics period is {period}",
        "report",
    ),
    Rule(
        "report.missing_section",
        "warning",
        "each of the six sections (总体情况 … 其他需要报告的事项) is present",
        "section {key} not found",
        "report",
    ),
    Rule(
        "report.format_outdated",
        "warning",
        "the report's format is not older than the one its year calls for (≤2018 stat2014, 2019–2020 "
        "gov2019, from 2021 gov2021)",
        "a {year} report in the {format} format (expected {expected})",
        "report",
    ),
    Rule(
        "report.format_mixed",
        "warning",
        "the tables are of one format, not both gov2019 and gov2021",
        "tables of both gov2019 and gov2021 formats",
        "report",
    ),
    Rule(
        "report.missing_table",
        "warning",
        "every table of the format is present (gov: tables 2–4; stat2014: the statistics table)",
        "table {table} not found",
        "report",
    ),
    Rule(
        "report.missing_row",
        "warning",
        "every row of the format's tables 2–4 is printed",
        "row {row} of table {table} not printed",
        "report",
        ("proactive/*/*", "requests/*/*", "review_litigation/*/*"),
    ),
    Rule(
        "report.unparsed_cells",
        "warning",
        "every number printed in a table is read into a cell",
        "{printed} of {columns} values printed; cannot place {missing}",
        "report",
    ),
    Rule(
        "report.parse_uncertain",
        "warning",
        "cells the parser had to guess (or low-confidence OCR); no arithmetic rule reads them",
        "the parser is unsure of these cells",
        "report",
        ("*/*/*",),
    ),
    Rule(
        "report.agency_unknown",
        "info",
        "the report names its issuing agency",
        "the report does not name its issuing agency",
        "report",
    ),
    Rule(
        "report.unreadable",
        "warning",
        "the published original can be read (not a legacy .doc/.wps, OFD or password-protected file)",
        "{reason}",
        "report",
    ),
    Rule(
        "history.carry_over",
        "error",
        "requests/carried_over (t) = requests/carried_forward (t−1), per column (上年结转 = 上年报告结转下年度)",
        "上年结转（{column}）{now} ≠ 上年报告结转下年度继续办理 {before}",
        "history",
        ("requests/carried_over/*", "requests/carried_forward/*"),
    ),
    Rule(
        "history.in_force",
        "warning",
        "proactive/<row>/in_force (t) = in_force (t−1) + issued (t) − repealed (t), for regulations and "
        "normative_documents (gov2021; amendments legitimately break it)",
        "现行有效 {now} ≠ 上年现行有效 {before} + 本年制发 {issued} − 本年废止 {repealed}",
        "history",
        (
            "proactive/regulations/issued",
            "proactive/regulations/repealed",
            "proactive/regulations/in_force",
            "proactive/normative_documents/issued",
            "proactive/normative_documents/repealed",
            "proactive/normative_documents/in_force",
        ),
    ),
    Rule(
        "history.duplicate_of_previous",
        "warning",
        "the section text (years removed) or the non-zero table values are < 90% identical to last year's",
        "{what}与上年报告相同比例 {ratio}（不含年份）",
        "history",
        ("*/*/*",),
    ),
)
"""Every rule, in DESIGN.md's order within each scope."""

RULES_BY_ID: dict[str, Rule] = {rule.id: rule for rule in RULES}


def rule(rule_id: str) -> Rule:
    """The registered rule with this id (KeyError for an unregistered one)."""
    return RULES_BY_ID[rule_id]


def rules_document() -> dict[str, Any]:
    """The content of the export's `rules.json`."""
    return {"rules": [r.to_dict() for r in RULES]}
