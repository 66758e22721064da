"""Cross-year checks on pairs of hand-built reports: carry-over, in-force arithmetic, copying."""

from __future__ import annotations

import random
from collections.abc import Sequence

from parsers.history import compare_years, lcs_length, normalise_text, table_similarity, text_similarity
from parsers.model import Cell, CellRef, Finding, ParserInfo, Report
from parsers.templates import APPLICANT_COLUMNS

INFO = ParserInfo(version="test", source_kind="text")
COLUMNS = (*APPLICANT_COLUMNS, "total")

OVERVIEW_2022 = (
    "2022年，西夏区科信局深入贯彻落实《中华人民共和国政府信息公开条例》，围绕区委、区政府中心工作，"
    "全面推进决策、执行、管理、服务、结果公开，主动公开政府信息86条，受理政府信息公开申请3件，"
    "全部按期答复，未发生因政府信息公开引起的行政复议和行政诉讼。"
)
PROBLEMS = "存在的主要问题是公开内容不够全面，解读形式较为单一。下一步将加强培训，提高公开质量。"


def report(
    year: int, cells: list[Cell], sections: dict[str, str] | None = None, fmt: str = "gov2021"
) -> Report:
    return Report(
        agency="银川市西夏区科学技术和工业信息化局",
        year=year,
        format=fmt,  # type: ignore[arg-type]
        title=f"{year}年政府信息公开工作年度报告",
        parser=INFO,
        sections=sections or {},
        cells=cells,
    )


def requests_row(row: str, values: Sequence[int | None], raws: list[str] | None = None) -> list[Cell]:
    raws = raws or ["" if v is None else str(v) for v in values]
    return [Cell("requests", row, col, v, raw) for col, v, raw in zip(COLUMNS, values, raws, strict=True)]


def proactive(row: str, issued: int, repealed: int, in_force: int) -> list[Cell]:
    return [
        Cell("proactive", row, "issued", issued, str(issued)),
        Cell("proactive", row, "repealed", repealed, str(repealed)),
        Cell("proactive", row, "in_force", in_force, str(in_force)),
    ]


def test_carry_over_per_column() -> None:
    previous = report(2022, requests_row("carried_forward", [2, 0, 0, 0, 0, 1, 3]))
    current = report(
        2023, requests_row("carried_over", [2, 1, 0, 0, 0, None, 3], ["2", "1", "0", "0", "0", "/", "3"])
    )
    # other_org: this year's "/" is not stated, so it is not compared with last year's 1.
    assert compare_years(previous, current) == [
        Finding(
            rule="history.carry_over",
            severity="error",
            where="requests/carried_over/commercial",
            message="上年结转（商业企业）1 ≠ 上年报告结转下年度继续办理 0",
            expected=0,
            actual=1,
            cells=(
                CellRef("requests", "carried_forward", "commercial", "0", None, 2022),
                CellRef("requests", "carried_over", "commercial", "1", None, 2023),
            ),
        )
    ]


def test_carry_over_consistent_or_not_comparable_gives_nothing() -> None:
    previous = report(2022, requests_row("carried_forward", [2, 0, 0, 0, 0, 1, 3]))
    assert compare_years(previous, report(2023, requests_row("carried_over", [2, 0, 0, 0, 0, 1, 3]))) == []
    # Not consecutive years: not compared.
    assert compare_years(previous, report(2024, requests_row("carried_over", [9, 0, 0, 0, 0, 0, 9]))) == []
    # Missing row on either side: nothing to compare.
    assert (
        compare_years(report(2022, []), report(2023, requests_row("carried_over", [1, 0, 0, 0, 0, 0, 1])))
        == []
    )


def test_in_force_arithmetic_gov2021() -> None:
    previous = report(2022, [*proactive("regulations", 0, 0, 4), *proactive("normative_documents", 3, 1, 20)])
    current = report(2023, [*proactive("regulations", 1, 0, 5), *proactive("normative_documents", 4, 2, 21)])
    assert compare_years(previous, current) == [
        Finding(
            rule="history.in_force",
            severity="warning",
            where="proactive/normative_documents/in_force",
            message="现行有效 21 ≠ 上年现行有效 20 + 本年制发 4 − 本年废止 2",
            expected=22,
            actual=21,
            cells=(
                CellRef("proactive", "normative_documents", "in_force", "20", None, 2022),
                CellRef("proactive", "normative_documents", "issued", "4", None, 2023),
                CellRef("proactive", "normative_documents", "repealed", "2", None, 2023),
                CellRef("proactive", "normative_documents", "in_force", "21", None, 2023),
            ),
        )
    ]
    # gov2019 reports have no 现行有效 column: the rule does not apply.
    assert compare_years(previous, report(2023, current.cells, fmt="gov2019")) == []


def test_duplicate_text_with_only_the_year_changed() -> None:
    sections_2022 = {"overview": OVERVIEW_2022, "problems": PROBLEMS}
    sections_2023 = {"overview": OVERVIEW_2022.replace("2022", "2023"), "problems": PROBLEMS}
    findings = compare_years(report(2022, [], sections_2022), report(2023, [], sections_2023))
    assert [(f.rule, f.severity, f.where, f.expected, f.actual) for f in findings] == [
        ("history.duplicate_of_previous", "warning", "sections", 0.9, 1.0)
    ]


def test_rewritten_text_is_not_a_duplicate() -> None:
    rewritten = (
        "2023年，本局以数字政府建设为抓手，新增政策解读专栏，发布图解和视频解读12期，"
        "办理依申请公开7件，其中予以公开5件，无法提供2件，全年未收取信息处理费，"
        "也未发生行政复议和诉讼。今后将完善公开目录并开展第三方评估。"
    )
    previous = report(2022, [], {"overview": OVERVIEW_2022, "problems": PROBLEMS})
    current = report(
        2023, [], {"overview": rewritten, "problems": "公开平台栏目设置有待优化，将于明年完成改版。"}
    )
    ratio = text_similarity(previous, current)
    assert ratio is not None and ratio < 0.5
    assert compare_years(previous, current) == []


def test_near_duplicate_text_ratio_is_reported() -> None:
    previous = report(2022, [], {"overview": OVERVIEW_2022, "problems": PROBLEMS})
    edited = OVERVIEW_2022.replace("2022", "2023").replace("86条", "91条")
    current = report(2023, [], {"overview": edited, "problems": PROBLEMS})
    (finding,) = compare_years(previous, current)
    assert finding.where == "sections"
    assert finding.actual is not None and 0.97 < finding.actual < 1.0


def table_cells(new: list[int], granted: list[int]) -> list[Cell]:
    return [
        *requests_row("new", new),
        *requests_row("granted", granted),
        *requests_row("carried_forward", [1, 0, 0, 0, 0, 0, 1]),
        *proactive("regulations", 0, 0, 4),
    ]


def test_duplicate_tables_share_of_identical_non_zero_cells() -> None:
    previous = report(2022, table_cells([5, 1, 0, 0, 0, 2, 8], [3, 1, 0, 0, 0, 1, 5]))
    same = report(2023, table_cells([5, 1, 0, 0, 0, 2, 8], [3, 1, 0, 0, 0, 1, 5]))
    assert [(f.rule, f.where, f.expected, f.actual) for f in compare_years(previous, same)] == [
        ("history.duplicate_of_previous", "tables", 0.9, 1.0)
    ]
    # 11 addresses non-zero in either year, one changed: 10/11 = 0.9091 ≥ 0.9.
    one_changed = report(2023, table_cells([5, 1, 0, 0, 0, 3, 8], [3, 1, 0, 0, 0, 1, 5]))
    assert table_similarity(previous, one_changed) == 10 / 11
    assert [(f.where, f.actual) for f in compare_years(previous, one_changed)] == [("tables", 0.9091)]
    # Two changed: 9/11 < 0.9.
    two_changed = report(2023, table_cells([5, 1, 0, 0, 0, 2, 8], [3, 1, 0, 0, 0, 2, 6]))
    assert table_similarity(previous, two_changed) == 9 / 11
    assert compare_years(previous, two_changed) == []
    # A value that becomes zero still counts against the copy.
    zeroed = report(2023, table_cells([5, 1, 0, 0, 0, 0, 6], [3, 1, 0, 0, 0, 1, 5]))
    assert table_similarity(previous, zeroed) == 9 / 11


def test_too_little_to_judge_is_not_a_duplicate() -> None:
    empty = report(2022, [Cell("requests", "new", "total", 1, "1")], {"overview": "无"})
    again = report(2023, [Cell("requests", "new", "total", 1, "1")], {"overview": "无"})
    assert text_similarity(empty, again) is None
    assert table_similarity(empty, again) is None
    assert compare_years(empty, again) == []


def test_normalise_text_strips_years_and_punctuation() -> None:
    assert normalise_text("2023年度，本局（ 二〇二三年 ）共 86 条。") == "本局共86条"


def test_blank_or_uncertain_cells_are_not_compared_across_years() -> None:
    previous = report(
        2022, [*proactive("regulations", 0, 0, 4), *requests_row("carried_forward", [2, 0, 0, 0, 0, 1, 3])]
    )
    # 本年废止 printed "/": 4 + 1 − ? cannot be checked against 6.
    blank = [
        Cell("proactive", "regulations", "issued", 1, "1"),
        Cell("proactive", "regulations", "repealed", None, "/"),
    ]
    current = report(2023, [*blank, Cell("proactive", "regulations", "in_force", 6, "6")])
    assert compare_years(previous, current) == []
    # Last year's 结转 of 其他 was a guess of the parser: this year's 0 is not compared with it.
    guessed = Finding(
        "report.parse_uncertain",
        "warning",
        "requests/carried_forward",
        "…",
        cells=(CellRef("requests", "carried_forward", "other_org", "1"),),
    )
    previous.findings = [guessed]
    now = report(2023, requests_row("carried_over", [2, 0, 0, 0, 0, 0, 2]))
    assert [f.where for f in compare_years(previous, now)] == ["requests/carried_over/total"]


def test_duplicate_tables_evidence_is_the_repeated_cells() -> None:
    previous = report(2022, table_cells([5, 1, 0, 0, 0, 2, 8], [3, 1, 0, 0, 0, 1, 5]))
    one_changed = report(2023, table_cells([5, 1, 0, 0, 0, 3, 8], [3, 1, 0, 0, 0, 1, 5]))
    (finding,) = compare_years(previous, one_changed)
    assert [(c.row, c.col, c.raw, c.year) for c in finding.cells] == [
        ("new", "natural_person", "5", 2023),
        ("new", "commercial", "1", 2023),
        ("new", "total", "8", 2023),
        ("granted", "natural_person", "3", 2023),
        ("granted", "commercial", "1", 2023),
        ("granted", "other_org", "1", 2023),
        ("granted", "total", "5", 2023),
        ("carried_forward", "natural_person", "1", 2023),
        ("carried_forward", "total", "1", 2023),
        ("regulations", "in_force", "4", 2023),
    ]


def _lcs_by_table(a: str, b: str) -> int:
    """The textbook dynamic programme, to check the bit-parallel one against."""
    previous = [0] * (len(b) + 1)
    for char in a:
        current = [0]
        for j, other in enumerate(b):
            current.append(previous[j] + 1 if char == other else max(previous[j + 1], current[j]))
        previous = current
    return previous[-1]


def test_lcs_length_is_exact() -> None:
    assert lcs_length("", "公开") == 0
    assert lcs_length("政府信息公开", "政府公开信息") == 4
    assert lcs_length("ABCBDAB", "BDCABA") == 4
    rng = random.Random(16)
    for _ in range(500):
        a = "".join(rng.choice("公开信息ab") for _ in range(rng.randint(0, 60)))
        b = "".join(rng.choice("公开信息ab") for _ in range(rng.randint(0, 60)))
        assert lcs_length(a, b) == _lcs_by_table(a, b) == lcs_length(b, a), (a, b)
