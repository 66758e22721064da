"""The export's data dictionary is generated from the templates, and a committed snapshot
(docs/dictionary.json) pins it: changing a template without regenerating the dictionary fails here.

Regenerate with: .venv/bin/python -c "from flows.export import write_dictionary; write_dictionary()"
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from flows.export import SCHEMAS, dictionary_document
from parsers import templates as t
from parsers.dictionary import data_dictionary, semantic, template_cells

SNAPSHOT = Path(__file__).resolve().parents[2] / "docs" / "dictionary.json"


def key(document: dict, table: str, row: str, col: str) -> dict:
    return next(k for k in document["keys"] if (k["table"], k["row"], k["col"]) == (table, row, col))


def test_the_committed_dictionary_is_the_generated_one() -> None:
    assert json.loads(SNAPSHOT.read_text(encoding="utf-8")) == dictionary_document()


def test_a_template_change_changes_the_dictionary(monkeypatch: pytest.MonkeyPatch) -> None:
    renamed = replace(t.GOV2021, request_columns=(*t.REQUEST_COLUMNS[:-1], ("total", "合计")), key="gov2021")
    monkeypatch.setattr(t, "TEMPLATES", (t.STAT2014, t.GOV2019, renamed))
    changed = data_dictionary()
    assert key(changed, "requests", "new", "total")["labels"]["gov2021"]["col"] == "合计"
    assert changed != json.loads(SNAPSHOT.read_text(encoding="utf-8"))
    monkeypatch.undo()
    assert key(data_dictionary(), "requests", "new", "total")["labels"]["gov2021"]["col"] == "总计"


def test_every_template_cell_has_one_entry() -> None:
    document = data_dictionary()
    addresses = [(k["table"], k["row"], k["col"]) for k in document["keys"] if not k["pattern"]]
    assert len(addresses) == len(set(addresses))
    assert set(addresses) == {a for tpl in t.TEMPLATES for a in template_cells(tpl)}
    # gov2021: 6 proactive rows with 3+3+1+1+1+1 cells, 25×7 request cells, 3×5 review cells.
    assert len(template_cells(t.GOV2021)) == 10 + 175 + 15
    assert len(template_cells(t.GOV2019)) == 3 + 3 + 3 + 3 + 3 + 3 + 2 + 2 + 161 + 15


def test_entries_carry_labels_per_format_unit_and_rules() -> None:
    document = data_dictionary()
    assert key(document, "requests", "carried_over", "natural_person") == {
        "table": "requests",
        "row": "carried_over",
        "col": "natural_person",
        "row_label": "二、上年结转政府信息公开申请数量",
        "col_label": "自然人",
        "labels": {
            "gov2019": {"row": "二、上年结转政府信息公开申请数量", "col": "自然人"},
            "gov2021": {"row": "二、上年结转政府信息公开申请数量", "col": "自然人"},
        },
        "unit": "件",
        "formats": ["gov2019", "gov2021"],
        "rules": [
            "requests.balance",
            "requests.row_total",
            "report.missing_row",
            "report.parse_uncertain",
            "history.carry_over",
            "history.duplicate_of_previous",
        ],
        "pattern": False,
    }
    documents = key(document, "proactive", "normative_documents", "in_force")
    assert documents["labels"] == {"gov2021": {"row": "行政规范性文件", "col": "现行有效件数"}}
    assert "history.in_force" in documents["rules"]
    fees = key(document, "proactive", "fees", "amount_10k_yuan")
    assert (fees["unit"], fees["formats"]) == ("万元", ["gov2021"])
    withheld = key(document, "requests", "withheld_state_secret", "total")
    assert withheld["row_label"] == "（三）不予公开 / 1.属于国家秘密"
    assert key(document, "requests", "granted", "total")["row_label"] == "三、本年度办理结果 / （一）予以公开"
    stat = key(document, "statistics", "<number path>", "value")
    assert stat["formats"] == ["stat2014"] and stat["pattern"] is True
    assert stat["rules"] == [
        "report.text_mismatch",
        "report.parse_uncertain",
        "history.duplicate_of_previous",
    ]


def test_dataset_columns_are_described() -> None:
    document = dictionary_document()
    assert [c["name"] for c in document["datasets"]["cells"]] == SCHEMAS["cells"].names
    semantic_column = next(c for c in document["datasets"]["cells"] if c["name"] == "semantic")
    assert semantic_column["description"].startswith("number | zero | blank | not_applicable | text")


def test_cell_semantics_keep_blank_apart_from_zero() -> None:
    assert semantic("gov2021", "requests", "new", "total", 0.0, "0") == "zero"
    assert semantic("gov2021", "requests", "new", "total", 12.0, "12") == "number"
    assert semantic("gov2021", "requests", "new", "total", None, "/") == "blank"
    assert semantic("gov2021", "requests", "new", "total", None, "") == "blank"
    assert semantic("gov2021", "proactive", "licensing", "issued", None, "/") == "not_applicable"
    assert semantic("gov2021", "requests", "new", "total", None, "见附件") == "text"
    assert semantic("stat2014", "statistics", "3.1", "value", None, "—") == "blank"
