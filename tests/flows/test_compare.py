"""`flows.compare` on reports built by hand: changes need both years stated, the 现行有效 chain and the
carry-over check are marked in the year that breaks them, and a region's ranking reads the right cells."""

from __future__ import annotations

from flows.compare import agency_table, compare_agency, compare_region, section_ratio
from parsers.model import Cell, ParserInfo, Report

OVERVIEW = (
    "本机关坚持以公开为常态、不公开为例外，全面推进决策、执行、管理、服务、结果公开，回应社会关切，" * 2
)


def report(year: int, cells: list[Cell], overview: str = OVERVIEW) -> Report:
    return Report(
        agency="银川市西夏区教育局",
        year=year,
        format="gov2021",
        title=f"{year}年政府信息公开工作年度报告",
        parser=ParserInfo(version="test", source_kind="html"),
        sections={"overview": overview},
        cells=cells,
    )


def proactive(issued: int, repealed: int, in_force: int) -> list[Cell]:
    return [
        Cell("proactive", "regulations", "issued", issued, str(issued)),
        Cell("proactive", "regulations", "repealed", repealed, str(repealed)),
        Cell("proactive", "regulations", "in_force", in_force, str(in_force)),
    ]


REPORTS = {
    2021: report(
        2021,
        [
            *proactive(2, 0, 10),
            Cell("requests", "carried_forward", "total", 4, "4"),
            Cell("requests", "new", "total", 40, "40"),
        ],
    ),
    2022: report(
        2022,
        [
            *proactive(3, 1, 12),
            Cell("requests", "carried_over", "total", 4, "4"),
            Cell("requests", "carried_forward", "total", 5, "5"),
            Cell("requests", "new", "total", None, "/"),
        ],
    ),
    2023: report(
        2023,
        [
            *proactive(1, 0, 15),
            Cell("requests", "carried_over", "total", 6, "6"),
            Cell("requests", "new", "total", 30, "30"),
        ],
        overview="今年的工作重点是政务公开标准化规范化建设，" * 4,
    ),
}


def test_changes_and_breaks_across_three_years() -> None:
    comparison = compare_agency("银川市西夏区教育局", REPORTS, [2021, 2022, 2023, 2024])
    assert comparison.missing_years == [2024]
    by_key = {(r.table, r.row, r.col): r for r in comparison.rows}

    in_force = by_key[("proactive", "regulations", "in_force")]
    assert in_force.change(2022) == (2, 20.0)
    assert in_force.change(2023) == (3, 25.0)
    # 10 + 3 − 1 = 12 holds in 2022; 12 + 1 − 0 = 13 ≠ 15 breaks in 2023.
    assert {year: (b.rule, b.expected) for year, b in in_force.breaks.items()} == {
        2023: ("history.in_force", 13)
    }

    carried = by_key[("requests", "carried_over", "total")]
    assert {year: (b.rule, b.expected) for year, b in carried.breaks.items()} == {
        2023: ("history.carry_over", 5)
    }

    new = by_key[("requests", "new", "total")]
    assert new.change(2022) is None and new.change(2023) is None  # a blank is not 0
    assert by_key[("requests", "carried_forward", "total")].change(2022) == (1, 25.0)

    assert comparison.section_ratios[2022]["overview"] == 1.0
    assert comparison.section_ratios[2023]["overview"] is not None
    assert comparison.section_ratios[2023]["overview"] < 0.5

    text = agency_table(comparison)
    assert text.count("✗ 2023 ") == 2
    assert "no report loaded for 2024" in text


def test_section_ratio_ignores_years_and_short_texts() -> None:
    assert section_ratio("2022年，" + OVERVIEW, "2023年，" + OVERVIEW) == 1.0
    assert section_ratio("总体情况", OVERVIEW) is None


def test_region_ranking() -> None:
    def agency(
        new: int | None, granted: int, partly: int, total: int, corrected: int, pending: int
    ) -> Report:
        return report(
            2023,
            [
                Cell("requests", "new", "total", new, "/" if new is None else str(new)),
                Cell("requests", "granted", "total", granted, str(granted)),
                Cell("requests", "partly_granted", "total", partly, str(partly)),
                Cell("requests", "total", "total", total, str(total)),
                Cell("review_litigation", "review", "corrected", corrected, str(corrected)),
                Cell("review_litigation", "review", "pending", pending, str(pending)),
                Cell("review_litigation", "review", "total", 10, "10"),
            ],
        )

    ranking = compare_region(
        [
            ("乙局", agency(50, 10, 5, 60, 2, 2)),
            ("甲局", agency(80, 20, 0, 80, 0, 0)),
            ("丙局", agency(None, 1, 1, 4, 1, 0)),
        ]
    )
    assert [(r.rank, r.agency, r.received, r.granted_share, r.review_correction_rate) for r in ranking] == [
        (1, "甲局", 80, 0.25, 0.0),
        (2, "乙局", 50, 0.25, 0.25),
        (None, "丙局", None, 0.5, 0.1),
    ]
    assert all(r.litigation_correction_rate is None for r in ranking)
