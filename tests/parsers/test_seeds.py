"""The five real report texts in ../shared/seeds/: metadata, sections and every expected cell.

The expected values are read off the seed texts by hand. All table 3/4 cells of the seeds are 0, so
these tests prove the layout handling (broken labels, vertical headers, rows out of place, dropped
rows, page footers), not the arithmetic.
"""

from __future__ import annotations

from collections.abc import Set
from pathlib import Path
from typing import Any

import pytest

from parsers import parse
from parsers import templates as t
from parsers.model import SECTION_KEYS, Report

SEEDS = Path(__file__).resolve().parents[3] / "shared" / "seeds"
if not SEEDS.is_dir():
    SEEDS = Path("/work/shared/seeds")

GOV2019_T2_000 = {
    "regulations": {"produced": 0, "published": 0, "total_public": 0},
    "normative_documents": {"produced": 0, "published": 0, "total_public": 0},
    "licensing": {"prev_year_items": 0, "change": 0, "decisions": 0},
    "other_services": {"prev_year_items": 3, "change": 0, "decisions": 458},
    "penalty": {"prev_year_items": 0, "change": 0, "decisions": 0},
    "coercion": {"prev_year_items": 0, "change": 0, "decisions": 0},
    "fees": {"prev_year_items": 0, "change": 0},
    "procurement": {"items": 0, "amount": 0},
}
GOV2019_T2_001 = {
    **GOV2019_T2_000,
    "other_services": {"prev_year_items": 3, "change": 0, "decisions": 0},
    "penalty": {"prev_year_items": 2, "change": 0, "decisions": 0},
}
GOV2021_T2_002 = {
    "regulations": {"issued": 0, "repealed": 0, "in_force": 0},
    "normative_documents": {"issued": 0, "repealed": 1, "in_force": 0},
    "licensing": {"decisions": 0},
    "penalty": {"decisions": 0},
    "coercion": {"decisions": 0},
    "fees": {"amount_10k_yuan": 0},
}
GOV2021_T2_004 = {**GOV2021_T2_002, "normative_documents": {"issued": 0, "repealed": 0, "in_force": 0}}

# seed 003: path → (unit, value) for every indicator of the 2018 statistics table.
STATISTICS_003: dict[str, tuple[str, int]] = {
    "1": ("—", 139), "1.1": ("条", 28), "1.1.a": ("条", 0), "1.1.b": ("件", 0), "1.2": ("—", 0),
    "1.2.1": ("条", 0), "1.2.2": ("条", 47), "1.2.3": ("条", 64), "1.2.4": ("条", 0), "1.2.5": ("条", 0),
    "2": ("—", 0), "2.1": ("次", 0), "2.2": ("—", 0), "2.2.1": ("次", 0), "2.2.1.a": ("次", 0),
    "2.2.2": ("次", 0), "2.2.2.a": ("次", 0), "2.2.3": ("篇", 0), "2.2.4": ("次", 0), "2.2.5": ("次", 0),
    "3": ("—", 0), "3.1": ("—", 0), "3.1.1": ("件", 0), "3.1.2": ("件", 0), "3.1.3": ("件", 0),
    "3.1.4": ("件", 0), "3.2": ("件", 0), "3.2.1": ("件", 0), "3.2.2": ("件", 0), "3.3": ("件", 0),
    "3.3.1": ("件", 0), "3.3.2": ("件", 0), "3.3.3": ("件", 0), "3.3.4": ("件", 0), "3.3.4.a": ("件", 0),
    "3.3.4.b": ("件", 0), "3.3.4.c": ("件", 0), "3.3.4.d": ("件", 0), "3.3.4.e": ("件", 0),
    "3.3.4.f": ("件", 0), "3.3.5": ("件", 0), "3.3.6": ("件", 0), "3.3.7": ("件", 0), "3.3.8": ("件", 0),
    "4": ("件", 0), "4.1": ("件", 0), "4.2": ("件", 0), "4.3": ("件", 0),
    "5": ("件", 0), "5.1": ("件", 0), "5.2": ("件", 0), "5.3": ("件", 0),
    "6": ("件", 0), "7": ("万元", 0), "8": ("—", 0), "8.1": ("个", 0), "8.2": ("人", 0), "8.3": ("人", 0),
    "8.3.1": ("人", 0), "8.3.2": ("人", 0), "8.4": ("万元", 0), "9": ("—", 0), "9.1": ("次", 2),
    "9.2": ("次", 2), "9.3": ("人次", 6),
}  # fmt: skip


def _parse(name: str) -> Report:
    path = next(SEEDS.glob(f"{name}_*.txt"))
    return parse(path.read_bytes(), filename=path.name)


def _cells(report: Report, table: str) -> dict[tuple[str, str], Any]:
    return {(c.row, c.col): c.value for c in report.cells if c.table == table}


def _assert_zero_requests(
    report: Report, rows: list[str], missing: Set[tuple[str, str]] = frozenset()
) -> None:
    cols = [key for key, _ in t.REQUEST_COLUMNS]
    expected = {(r, c): 0 for r in rows for c in cols if (r, c) not in missing}
    assert _cells(report, "requests") == expected
    raws = {c.raw for c in report.cells if c.table == "requests"}
    assert raws == {"0"}


def _assert_zero_review(report: Report) -> None:
    expected = {(b, c): 0 for b, _ in t.REVIEW_BLOCKS for c, _ in t.REVIEW_COLUMNS}
    assert _cells(report, "review_litigation") == expected


def _rules(report: Report) -> list[tuple[str, str]]:
    return sorted((f.rule, f.where) for f in report.findings)


def test_seed_000_gov2019_broken_layout() -> None:
    report = _parse("000")
    assert (report.agency, report.year, report.format) == ("银川市科学技术局", 2020, "gov2019")
    assert report.title == "银川市科学技术局2020年政府信息公开工作年度报告"
    assert set(report.sections) == set(SECTION_KEYS)
    assert report.sections["problems"].startswith("五、存在的问题和工作改进措施")
    assert report.tables["proactive"] == GOV2019_T2_000
    dropped = {"rejected_excessive", "rejected_confirmation"}
    rows = [r.key for r in t.GOV2019.request_rows if r.key not in dropped]
    _assert_zero_requests(report, rows)
    assert len([c for c in report.cells if c.table == "requests"]) == 21 * 7
    _assert_zero_review(report)
    assert _rules(report) == [
        ("report.missing_row", "requests/rejected_confirmation"),
        ("report.missing_row", "requests/rejected_excessive"),
    ]
    assert report.status == "parsed"
    assert report.parser.source_kind == "text"


def test_seed_001_tab_separated_gov2019() -> None:
    report = _parse("001")
    assert (report.agency, report.year, report.format) == ("中卫市沙坡头区科学技术局", 2020, "gov2019")
    assert report.title == "沙坡头区科学技术局2020年政府信息公开工作年度报告"
    assert set(report.sections) == set(SECTION_KEYS)
    assert report.tables["proactive"] == GOV2019_T2_001
    _assert_zero_requests(report, [r.key for r in t.GOV2019.request_rows])
    assert len([c for c in report.cells if c.table == "requests"]) == 23 * 7
    _assert_zero_review(report)
    # The flattened table 4 row carries 16 zeros for 15 cells: reported, not silently dropped, and
    # its 15 placed cells are a guess that no rule reads.
    assert _rules(report) == [
        ("report.parse_uncertain", "review_litigation"),
        ("report.unparsed_cells", "review_litigation"),
    ]
    (uncertain,) = [f for f in report.findings if f.rule == "report.parse_uncertain"]
    assert [(c.row, c.col, c.raw) for c in uncertain.cells] == [
        (block, col, "0") for block, _ in t.REVIEW_BLOCKS for col, _ in t.REVIEW_COLUMNS
    ]


def test_seed_002_no_agency_gov2021_page_footer() -> None:
    report = _parse("002")
    assert report.agency is None
    assert (report.year, report.format) == (2021, "gov2021")
    assert report.title == "2021年政府信息公开工作年度报告"
    assert set(report.sections) == set(SECTION_KEYS)
    assert report.tables["proactive"] == GOV2021_T2_002
    _assert_zero_requests(report, [r.key for r in t.GOV2021.request_rows])
    assert len([c for c in report.cells if c.table == "requests"]) == 25 * 7
    _assert_zero_review(report)
    assert [(f.rule, f.severity) for f in report.findings] == [("report.agency_unknown", "info")]


def test_seed_003_stat2014_statistics() -> None:
    report = _parse("003")
    assert (report.agency, report.year, report.format) == ("金凤区科技局", 2018, "stat2014")
    assert report.title == "金凤区科技局2018年政府信息公开工作年度报告"
    assert {"overview", "proactive", "requests", "problems", "other"} <= set(report.sections)
    assert report.sections["overview"].startswith("一、概述")
    assert "section_12" in report.sections
    got = {path: (entry["unit"], entry["value"]) for path, entry in report.statistics.items()}
    assert got == STATISTICS_003
    assert report.statistics["9.3"]["label"] == "(三) 接受培训人员数"
    assert report.statistics["1.1.a"]["label"] == "其中：主动公开规范性文件数"
    cells = {(c.row, c.col): c.value for c in report.cells}
    assert cells == {(path, "value"): value for path, (_, value) in STATISTICS_003.items()}
    assert report.tables["statistics"]["1.2.3"]["values"] == {"统计数": 64}
    assert report.findings == []


def test_seed_004_gov2021_cells_lost_in_extraction() -> None:
    report = _parse("004")
    assert (report.agency, report.year, report.format) == (
        "银川市西夏区科学技术和工业信息化局",
        2023,
        "gov2021",
    )
    assert report.title == "西夏区科学技术和工业信息化局2023年政府信息公开工作年度报告"
    assert set(report.sections) == set(SECTION_KEYS)
    assert report.tables["proactive"] == GOV2021_T2_004
    # Three rows print only six numbers (the 自然人 column was swallowed by the label in extraction).
    lost = {
        ("partly_granted", "natural_person"),
        ("total", "natural_person"),
        ("carried_forward", "natural_person"),
    }
    _assert_zero_requests(report, [r.key for r in t.GOV2021.request_rows], lost)
    assert len([c for c in report.cells if c.table == "requests"]) == 25 * 7 - 3
    _assert_zero_review(report)
    assert _rules(report) == [
        ("report.parse_uncertain", "requests/carried_forward"),
        ("report.parse_uncertain", "requests/partly_granted"),
        ("report.parse_uncertain", "requests/total"),
        ("report.unparsed_cells", "requests/carried_forward/natural_person"),
        ("report.unparsed_cells", "requests/partly_granted/natural_person"),
        ("report.unparsed_cells", "requests/total/natural_person"),
    ]
    # The six values of each such row were placed right-aligned: a guess, named cell by cell.
    placed = ["commercial", "research", "social_welfare", "legal_service", "other_org", "total"]
    for finding in (f for f in report.findings if f.rule == "report.parse_uncertain"):
        row = finding.where.split("/")[1]
        assert [(c.table, c.row, c.col, c.raw) for c in finding.cells] == [
            ("requests", row, col, "0") for col in placed
        ]


@pytest.mark.parametrize("name", ["000", "001", "002", "003", "004"])
def test_seed_json_contract(name: str) -> None:
    data = _parse(name).to_json()
    assert set(data) == {
        "agency",
        "year",
        "format",
        "status",
        "title",
        "sections",
        "tables",
        "cells",
        "findings",
        "parser",
    }
    assert data["parser"]["source_kind"] == "text"
    assert all(set(cell) == {"table", "row", "col", "value", "raw", "page"} for cell in data["cells"])
