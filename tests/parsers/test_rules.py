"""The rule registry (parsers/rules.py) is the one list of rules: every rule id emitted is in it, with
the severity it is emitted with, and the published `rules.json` is generated from it."""

from __future__ import annotations

import ast
import json
from pathlib import Path

from parsers import templates as t
from parsers.checks import TABLE_RULES
from parsers.rules import RULES, RULES_BY_ID, rules_document

ROOT = Path(__file__).resolve().parents[2]


def emitted_rules() -> dict[str, set[str]]:
    """{rule id: severities} of every `Finding(...)` built with literal arguments in parsers/ and flows/."""
    found: dict[str, set[str]] = {}
    for path in [*ROOT.joinpath("parsers").rglob("*.py"), *ROOT.joinpath("flows").rglob("*.py")]:
        if "reportgen" in path.parts:
            continue  # the generator re-states findings it expects, it emits none
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Call) and getattr(node.func, "id", None) == "Finding"):
                continue
            args = {kw.arg: kw.value for kw in node.keywords}
            rule = node.args[0] if node.args else args.get("rule")
            severity = node.args[1] if len(node.args) > 1 else args.get("severity")
            if isinstance(rule, ast.Constant) and isinstance(rule.value, str):
                level = severity.value if isinstance(severity, ast.Constant) else "?"
                found.setdefault(rule.value, set()).add(str(level))
    return found


def test_every_emitted_rule_is_registered_with_its_severity() -> None:
    emitted = emitted_rules()
    assert set(emitted) <= set(RULES_BY_ID), set(emitted) - set(RULES_BY_ID)
    assert {rule: {RULES_BY_ID[rule].severity} for rule in emitted} == emitted
    # Every rule the parsers emit today is found by the scan (the scan itself works).
    assert {"requests.balance", "history.carry_over", "report.unreadable", "report.parse_uncertain"} <= set(
        emitted
    )


def test_every_rule_a_template_or_check_names_is_registered() -> None:
    named = {rule for tpl in t.TEMPLATES for rule in tpl.rules} | set(TABLE_RULES)
    assert named <= set(RULES_BY_ID)
    assert len(RULES) == len(RULES_BY_ID) == 18


def test_rules_json_entry_of_the_carry_over_rule() -> None:
    entry = next(r for r in rules_document()["rules"] if r["id"] == "history.carry_over")
    assert entry == {
        "id": "history.carry_over",
        "severity": "error",
        "scope": "history",
        "formula": "requests/carried_over (t) = requests/carried_forward (t−1), per column "
        "(上年结转 = 上年报告结转下年度)",
        "message": "上年结转（{column}）{now} ≠ 上年报告结转下年度继续办理 {before}",
        "reads": ["requests/carried_over/*", "requests/carried_forward/*"],
    }


def test_reads_patterns_match_the_cells_a_rule_compares() -> None:
    balance = RULES_BY_ID["requests.balance"]
    assert balance.reads_cell("requests", "carried_forward", "commercial")
    assert not balance.reads_cell("requests", "granted", "commercial")
    total_sum = RULES_BY_ID["requests.total_sum"]
    assert all(total_sum.reads_cell("requests", row, "total") for row in t.GOV2021.result_rows)
    assert not total_sum.reads_cell("requests", "new", "total")
    assert not RULES_BY_ID["report.agency_unknown"].reads


def test_committed_rules_json_is_generated_from_the_registry() -> None:
    committed = json.loads((ROOT / "docs" / "rules.json").read_text(encoding="utf-8"))
    assert committed == rules_document()
