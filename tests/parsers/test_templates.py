"""The report formats as `Template` objects: what each owns, and that code asks them.

The last test builds a provincial variant as one more object and shows the table reader and the
rules follow it with no other change — the point of formats being objects rather than strings.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from parsers import checks
from parsers import templates as t
from parsers.checks import TABLE_RULES
from parsers.model import Cell
from parsers.tables import Candidate, match_tables


def test_each_format_has_one_template_with_its_own_tables() -> None:
    assert [tpl.key for tpl in t.TEMPLATES] == ["stat2014", "gov2019", "gov2021"]
    assert [tpl.age for tpl in t.TEMPLATES] == [0, 1, 2]
    assert t.GOV2021.tables == t.GOV2019.tables == ("proactive", "requests", "review_litigation")
    assert t.STAT2014.tables == ("statistics",)
    assert len(t.GOV2021.request_rows) == 25 and len(t.GOV2019.request_rows) == 23
    assert t.GOV2021.result_rows[0] == "granted" and t.GOV2021.result_rows[-1] == "other"
    assert len(t.GOV2021.result_rows) == 21 and len(t.GOV2019.result_rows) == 19
    assert t.GOV2021.applicant_columns == (
        "natural_person",
        "commercial",
        "research",
        "social_welfare",
        "legal_service",
        "other_org",
    )
    assert t.GOV2021.review_parts == ("upheld", "corrected", "other", "pending")
    assert [key for key, _, _ in t.GOV2019.proactive_rows][-1] == "procurement"
    assert "procurement" not in t.GOV2021.row_keys("proactive")


def test_labels_come_from_the_template() -> None:
    assert t.GOV2021.row_label("requests", "other") == "3.其他"
    assert t.GOV2019.row_label("requests", "other") == "（六）其他处理"
    assert t.GOV2019.row_label("proactive", "normative_documents") == "规范性文件"
    assert t.GOV2021.row_label("proactive", "normative_documents") == "行政规范性文件"
    assert t.GOV2021.column_label("proactive", "amount_10k_yuan") == "本年收费金额（单位：万元）"
    assert t.GOV2021.column_label("review_litigation", "pending") == "尚未审结"
    assert t.GOV2021.row_label("requests", "no_such_row") == "no_such_row"


@pytest.mark.parametrize(
    ("year", "key"),
    [
        (2007, "stat2014"),
        (2018, "stat2014"),
        (2019, "gov2019"),
        (2020, "gov2019"),
        (2021, "gov2021"),
        (2030, "gov2021"),
    ],
)
def test_the_statutory_format_of_a_year(year: int, key: str) -> None:
    template = t.template_for_year(year)
    assert template is not None and template.key == key
    assert template.covers(year)


def test_unknown_year_and_format_have_no_template_and_tables_fall_back_to_the_newest() -> None:
    assert t.template_for_year(None) is None
    assert t.template("unknown") is None
    assert t.table_template("unknown", None) is t.GOV2021
    assert t.table_template("unknown", 2020) is t.GOV2019
    assert t.table_template("stat2014", 2017) is t.GOV2021


def test_rules_that_apply_are_the_templates() -> None:
    assert set(TABLE_RULES) == set(t.ARITHMETIC_RULES)
    assert all(t.GOV2021.applies(rule) and t.GOV2019.applies(rule) for rule in t.ARITHMETIC_RULES)
    assert not any(t.STAT2014.applies(rule) for rule in t.ARITHMETIC_RULES)
    assert t.GOV2021.applies("history.in_force") and not t.GOV2019.applies("history.in_force")
    assert t.GOV2021.applies("report.missing_section") and not t.STAT2014.applies("report.missing_section")


def _row(label: str, *values: str) -> Candidate:
    return Candidate(label, (), tuple(values), 1)


def test_a_provincial_variant_is_one_more_object() -> None:
    """A variant that prints only rows 一, 二, （一）, （七）, 四 and checks only the balance: the reader
    matches its rows, the missing-row list and the rules follow it."""
    short_rows = tuple(
        r
        for r in t.GOV2021.request_rows
        if r.key in ("new", "carried_over", "granted", "total", "carried_forward")
    )
    variant = replace(t.GOV2021, request_rows=short_rows, rules=("requests.balance",))
    assert variant.result_rows == ("granted",)
    sevens = ("1", "0", "0", "0", "0", "0", "1")
    result = match_tables(
        [
            _row("一、本年新收政府信息公开申请数量", *sevens),
            _row("二、上年结转政府信息公开申请数量", "0", "0", "0", "0", "0", "0", "0"),
            _row("（一）予以公开", *sevens),
            _row("（七）总计", *sevens),
            _row("四、结转下年度继续办理", "0", "0", "0", "0", "0", "0", "1"),
        ],
        variant,
    )
    assert result.rows_found["requests"] == {"new", "carried_over", "granted", "total", "carried_forward"}
    assert variant.row_keys("requests") == ("new", "carried_over", "granted", "total", "carried_forward")
    cells = [Cell(c.table, c.row, c.col, c.value, c.raw) for c in result.cells]
    balance = checks.check_balance(checks.Printed.of(cells, ()), variant)
    assert [(f.rule, f.where, f.expected, f.actual) for f in balance] == [
        ("requests.balance", "requests/*/total", 2, 1)
    ]
