"""The consistency rules decide only on stated, certain numbers, and every finding names its cells.

Hand-built cell sets for each rule (exact findings with their exact evidence), then seeds 002 and 003
with one line changed, parsed end to end: a row with too few values, a stated disagreement, a column of
blank 总计 cells, a statistics row with one number too many.
"""

from __future__ import annotations

from pathlib import Path

from parsers import parse
from parsers import templates as t
from parsers.checks import check_text_totals, table_findings
from parsers.model import Cell, CellRef, Finding, ParserInfo, Report

SEEDS = Path("/work/shared/seeds")
SEED_002 = (SEEDS / "002_85f1e392ae353580.txt").read_text(encoding="utf-8")
SEED_003 = (SEEDS / "003_3992432264c18549.txt").read_text(encoding="utf-8")
APPLICANTS = t.APPLICANT_COLUMNS
RESULTS = t.GOV2021.result_rows


def _requests(**changes: int | None) -> list[Cell]:
    """A consistent gov2021 table 3 on page 4: each of the 21 result rows 1 per applicant column, 一 = 22,
    二 = 2, 四 = 3; `row__col=value` overrides a cell, None printing it as "/"."""
    values: dict[tuple[str, str], int | None] = {}
    for col in APPLICANTS:
        values |= {(row, col): 1 for row in RESULTS}
        values |= {("total", col): len(RESULTS), ("new", col): len(RESULTS) + 1}
        values |= {("carried_over", col): 2, ("carried_forward", col): 3}
    for row in [r.key for r in t.GOV2021.request_rows]:
        values[(row, "total")] = sum(values[(row, c)] or 0 for c in APPLICANTS)
    for key, value in changes.items():
        row, col = key.split("__")
        values[(row, col)] = value
    return [
        Cell("requests", row, col, v, "/" if v is None else str(v), 4) for (row, col), v in values.items()
    ]


def _ref(row: str, col: str, raw: str, table: str = "requests", page: int | None = 4) -> CellRef:
    return CellRef(table, row, col, raw, page)


def test_balance_finding_names_the_four_cells_of_its_column() -> None:
    cells = _requests(carried_over__research=5, carried_over__total=15)
    assert table_findings(cells, "gov2021") == [
        Finding(
            "requests.balance",
            "error",
            "requests/*/research",
            "一+二 = 27 but （七）总计+四 = 24 in column research",
            24,
            27,
            (
                _ref("new", "research", "22"),
                _ref("carried_over", "research", "5"),
                _ref("total", "research", "21"),
                _ref("carried_forward", "research", "3"),
            ),
        ),
        Finding(
            "requests.balance",
            "error",
            "requests/*/total",
            "一+二 = 147 but （七）总计+四 = 144 in column total",
            144,
            147,
            (
                _ref("new", "total", "132"),
                _ref("carried_over", "total", "15"),
                _ref("total", "total", "126"),
                _ref("carried_forward", "total", "18"),
            ),
        ),
    ]


def test_total_sum_finding_names_the_total_then_every_result_cell() -> None:
    # One request moved from 其他 to 法律服务机构 in （七） and 一 only: rows and the balance still hold.
    cells = _requests(total__legal_service=22, new__legal_service=23, total__other_org=20, new__other_org=21)
    finding, other = table_findings(cells, "gov2021")
    assert (other.where, other.expected, other.actual) == ("requests/total/other_org", 21, 20)
    assert (finding.rule, finding.severity, finding.where, finding.expected, finding.actual) == (
        "requests.total_sum",
        "error",
        "requests/total/legal_service",
        21,
        22,
    )
    assert finding.message == "（七）总计 is 22 but the result rows add up to 21 in column legal_service"
    assert finding.cells == (
        _ref("total", "legal_service", "22"),
        *(_ref(row, "legal_service", "1") for row in RESULTS),
    )


def test_row_total_finding_names_the_total_then_the_six_applicants() -> None:
    cells = _requests(granted__total=7, withheld_inquiry__total=5)
    got = table_findings(cells, "gov2021")
    assert got == [
        Finding(
            "requests.row_total",
            "error",
            "requests/granted/total",
            "总计 is 7 but the applicant columns add up to 6 in row granted",
            6,
            7,
            (_ref("granted", "total", "7"), *(_ref("granted", c, "1") for c in APPLICANTS)),
        ),
        Finding(
            "requests.row_total",
            "error",
            "requests/withheld_inquiry/total",
            "总计 is 5 but the applicant columns add up to 6 in row withheld_inquiry",
            6,
            5,
            (_ref("withheld_inquiry", "total", "5"), *(_ref("withheld_inquiry", c, "1") for c in APPLICANTS)),
        ),
    ]


def test_block_total_finding_names_the_total_then_the_four_parts() -> None:
    cells = [
        Cell("review_litigation", block, col, 1, "1", 5)
        for block, _ in t.REVIEW_BLOCKS
        for col in t.REVIEW_PARTS
    ]
    cells += [Cell("review_litigation", b, "total", 4, "4", 5) for b in ("review", "suit_after_review")]
    cells.append(Cell("review_litigation", "suit_direct", "total", 5, "5件", 5))
    assert table_findings(cells, "gov2021") == [
        Finding(
            "review_litigation.block_total",
            "error",
            "review_litigation/suit_direct/total",
            "总计 is 5 but its four parts add up to 4 in block suit_direct",
            4,
            5,
            (
                _ref("suit_direct", "total", "5件", "review_litigation", 5),
                *(_ref("suit_direct", c, "1", "review_litigation", 5) for c in t.REVIEW_PARTS),
            ),
        )
    ]


def test_a_column_of_blank_totals_raises_no_error() -> None:
    blanks = {f"{row.key}__total": None for row in t.GOV2021.request_rows}
    assert table_findings(_requests(**blanks), "gov2021") == []
    # The stated columns are still checked: a real disagreement beside the blank column is found.
    (finding,) = table_findings(_requests(**blanks, carried_over__commercial=3), "gov2021")
    assert (finding.rule, finding.where, finding.expected, finding.actual) == (
        "requests.balance",
        "requests/*/commercial",
        24,
        25,
    )


def test_a_blank_operand_stops_the_comparison_even_when_the_stated_ones_disagree() -> None:
    # 一 blank in column research: 二 (2) against （七）+四 (28) proves nothing.
    assert table_findings(_requests(new__research=None), "gov2021") == []
    # One result cell blank: the column's other 24 results (24) against （七） (25) prove nothing, and
    # the row's other five applicants (5) against its 总计 (6) prove nothing.
    assert table_findings(_requests(granted__research=None), "gov2021") == []
    # A blank 总计 of a block: its parts are not compared with anything.
    review = [Cell("review_litigation", "review", c, 1, "1") for c in t.REVIEW_PARTS]
    assert table_findings([*review, Cell("review_litigation", "review", "total", None, "—")], "gov2021") == []


def test_uncertain_cells_are_never_read() -> None:
    cells = _requests(granted__total=9, new__commercial=40)
    assert [(f.rule, f.where) for f in table_findings(cells, "gov2021")] == [
        ("requests.balance", "requests/*/commercial"),
        ("requests.total_sum", "requests/total/total"),
        ("requests.row_total", "requests/new/total"),
        ("requests.row_total", "requests/granted/total"),
    ]
    uncertain = {("requests", "granted", "total"), ("requests", "new", "commercial")}
    assert table_findings(cells, "gov2021", uncertain) == []


def _report(cells: list[Cell], overview: str, findings: list[Finding] | None = None) -> Report:
    return Report(
        agency="某某县教育局",
        year=2021,
        format="gov2021",
        title="某某县教育局2021年政府信息公开工作年度报告",
        parser=ParserInfo("test", "html"),
        sections={"overview": overview},
        cells=cells,
        findings=findings or [],
    )


def test_text_mismatch_reads_only_a_stated_certain_table_cell() -> None:
    quoted = "全年共受理政府信息公开申请3件。"
    stated = Cell("requests", "new", "total", 5, "5", 2)
    assert check_text_totals(_report([stated], quoted)) == [
        Finding(
            "report.text_mismatch",
            "warning",
            "sections/overview",
            "the text quotes 3 new requests but the table says 5",
            5,
            3,
            (_ref("new", "total", "5", page=2),),
        )
    ]
    blank = Cell("requests", "new", "total", None, "/", 2)
    assert check_text_totals(_report([blank], quoted)) == []
    assert check_text_totals(_report([blank], "本年度未收到政府信息公开申请。")) == []
    guessed = Finding("report.parse_uncertain", "warning", "requests/new", "…", cells=(stated.ref(),))
    assert check_text_totals(_report([stated], quoted, [guessed])) == []


def _seed_002(line: str, *replacements: tuple[str, str]) -> Report:
    text = SEED_002
    for old, new in [("（一）予以公开 0 0 0 0 0 0 0", line), *replacements]:
        assert old in text
        text = text.replace(old, new)
    return parse(text.encode(), filename="r.txt")


def test_row_with_too_few_values_is_uncertain_not_an_error() -> None:
    # Six values for seven columns: placed right-aligned, they would say 2+0+0+0+0 ≠ 5 and
    # （七）总计 0 ≠ 5, but the placement is a guess.
    report = _seed_002("（一）予以公开 2 0 0 0 0 5")
    assert [(f.rule, f.severity, f.where) for f in report.findings] == [
        ("report.agency_unknown", "info", "agency"),
        ("report.parse_uncertain", "warning", "requests/granted"),
        ("report.unparsed_cells", "warning", "requests/granted/natural_person"),
    ]
    assert (
        report.findings[1].message
        == "6 values printed for 7 columns: the placement of these 6 cells is a guess"
    )
    assert report.findings[1].cells == tuple(
        CellRef("requests", "granted", col, raw, None)
        for col, raw in zip(
            ("commercial", *APPLICANTS[2:], "total"), ("2", "0", "0", "0", "0", "5"), strict=True
        )
    )


def test_stated_numbers_that_disagree_are_errors_with_their_cells() -> None:
    report = _seed_002("（一）予以公开 2 0 0 0 0 0 3")
    errors = [f for f in report.findings if f.severity == "error"]
    assert [(f.rule, f.where, f.expected, f.actual) for f in errors] == [
        ("requests.total_sum", "requests/total/natural_person", 2, 0),
        ("requests.total_sum", "requests/total/total", 3, 0),
        ("requests.row_total", "requests/granted/total", 2, 3),
    ]
    assert errors[2].cells == (
        CellRef("requests", "granted", "total", "3", None),
        *(CellRef("requests", "granted", c, raw, None) for c, raw in zip(APPLICANTS, "200000", strict=True)),
    )
    assert [(c.row, c.raw) for c in errors[0].cells] == [("total", "0"), ("granted", "2")] + [
        (row, "0") for row in RESULTS[1:]
    ]
    data = report.to_json()["findings"]
    assert data[-1]["cells"][0] == {
        "table": "requests",
        "row": "granted",
        "col": "total",
        "raw": "3",
        "page": None,
        "year": None,
    }


def test_seed_with_a_blank_total_column_raises_nothing() -> None:
    # Every row's 总计 printed "/", with 1 new request granted to a natural person: read as 0, the
    # blanks would make three row_total errors and a total_sum error.
    ones = ("一、本年新收政府信息公开申请数量", "（七）总计")
    text = SEED_002.replace("（一）予以公开 0 0 0 0 0 0 0", "（一）予以公开 1 0 0 0 0 0 /")
    lines: list[str] = []
    for line in text.splitlines():
        if "四、政府信息公开行政复议" in line:
            lines.extend(text.splitlines()[len(lines) :])
            break
        if line.endswith(" 0 0 0 0 0 0 0"):
            first = "1" if line.startswith(ones) else "0"
            line = line.removesuffix(" 0 0 0 0 0 0 0") + f" {first} 0 0 0 0 0 /"
        elif line == "0 0 0 0 0 0 0":
            line = "0 0 0 0 0 0 /"
        lines.append(line)
    report = parse("\n".join(lines).encode(), filename="r.txt")
    assert report.value("requests", "new", "natural_person") == 1
    assert [c.raw for c in report.cells if c.table == "requests" and c.col == "total"] == ["/"] * 25
    assert [(f.rule, f.where) for f in report.findings] == [("report.agency_unknown", "agency")]


def test_statistics_row_with_an_extra_number_is_uncertain() -> None:
    # 收到申请书 printed "件 4 3" for one value column: which number is the count is a guess, so the
    # text's "未收到…申请" (0) is not compared with it.
    stated = parse(
        SEED_003.replace("（一）收到申请书\t—\t0", "（一）收到申请书\t—\t3").encode(), filename="r.txt"
    )
    assert [(f.rule, f.expected, f.actual, f.cells) for f in stated.findings] == [
        ("report.text_mismatch", 3, 0, (CellRef("statistics", "3.1", "value", "3", None),))
    ]
    guessed = parse(
        SEED_003.replace("（一）收到申请书\t—\t0", "（一）收到申请书\t件\t4\t3").encode(), filename="r.txt"
    )
    assert [(f.rule, f.severity, f.where, f.cells) for f in guessed.findings] == [
        (
            "report.parse_uncertain",
            "warning",
            "statistics/3.1",
            (CellRef("statistics", "3.1", "value", "3", None),),
        )
    ]
