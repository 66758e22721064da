"""Report metadata in the layouts real reports use: year forms, issuer names, bylines, companions.

Each parse case is a real seed (002, a gov2021 report whose title names no agency) with its title lines
replaced by a layout seen on real sites, so the tables and format stay those of a real report.
"""

from __future__ import annotations

import html
from pathlib import Path

import pytest

from parsers import parse
from parsers.metadata import (
    find_agency,
    find_title,
    format_signals,
    is_companion,
    issuer_of,
    report_year,
    strip_years,
)

SEEDS = Path(__file__).resolve().parents[3] / "shared" / "seeds"
if not SEEDS.is_dir():
    SEEDS = Path("/work/shared/seeds")
SEED_TITLE = " 2021年政府信息公开工作年度报告"


def _seed_body() -> str:
    text = next(SEEDS.glob("002_*.txt")).read_text(encoding="utf-8")
    assert text.startswith(SEED_TITLE + "\n")
    return text[len(SEED_TITLE) :]


def _seed_with_title(*title_lines: str) -> bytes:
    return ("\n".join(title_lines) + _seed_body()).encode("utf-8")


@pytest.mark.parametrize(
    ("text", "year"),
    [
        ("2019年上海市人民政府办公厅政府信息公开工作年度报告", 2019),
        ("成都市双流区二〇二一年政府信息公开工作年度报告", 2021),
        ("成都市双流区二○二一年度政府信息公开工作年度报告", 2021),
        ("成都市双流区二零二一年政府信息公开工作年度报告", 2021),
        ("一九九九年度某县政务公开工作报告", 1999),
        ("贵安新区政府信息公开工作年度报告（2021）", 2021),
        ("湘江新区政府信息公开工作年度报告(2021年度)", 2021),
        ("【2022】银川市政府信息公开工作年度报告", 2022),
        ("西夏区科信局２０２３年度政府信息公开工作年度报告", 2023),
        ("银川市西夏区 2023 年政府信息公开年报", 2023),
        ("2021政府信息公开工作年度报告", 2021),
        ("2022-01-20 银川市2021年政府信息公开工作年度报告", 2021),
        ("根据国办公开办函〔2021〕30号要求", None),
        ("政府信息公开工作年度报告", None),
        ("办理申请12021件", None),
        ("", None),
    ],
)
def test_report_year(text: str, year: int | None) -> None:
    assert report_year(text) == year


def test_strip_years_removes_every_form_and_keeps_the_report_phrase() -> None:
    assert strip_years("二〇二一年度XX（2021年）XX2021年报") == "XXXX年报"
    assert strip_years("办理120205件") == "办理120205件"


@pytest.mark.parametrize(
    ("title", "issuer"),
    [
        ("2019年上海市人民政府办公厅政府信息公开工作年度报告", "上海市人民政府办公厅"),
        ("中国（上海）自由贸易试验区管理委员会2021年政府信息公开工作年度报告", "中国（上海）自由贸易试验区管理委员会"),
        ("《贵安新区2021年政府信息公开工作年度报告》", "贵安新区"),
        ("关于银川市人民政府办公室2021年度政府信息公开工作的报告", "银川市人民政府办公室"),
        ("2021年政府信息公开工作年度报告", ""),
        ("图解：银川市西夏区2021年政府信息公开工作年度报告", "银川市西夏区"),
        ("一图读懂银川经济技术开发区2021年政府信息公开工作年度报告", "银川经济技术开发区"),
        ("平潭综合实验区2021年政府信息公开工作年度报告政策解读", "平潭综合实验区"),
    ],
)  # fmt: skip
def test_issuer_of(title: str, issuer: str) -> None:
    assert issuer_of(title) == issuer


@pytest.mark.parametrize(
    ("title_lines", "title", "year", "agency"),
    [
        (
            ["2019年上海市人民政府办公厅政府信息公开工作年度报告"],
            "2019年上海市人民政府办公厅政府信息公开工作年度报告",
            2019,
            "上海市人民政府办公厅",
        ),
        (["成都市双流区2021年政府信息公开工作年度报告"], "成都市双流区2021年政府信息公开工作年度报告", 2021, "成都市双流区"),
        (["贵安新区政府信息公开工作年度报告（2021）"], "贵安新区政府信息公开工作年度报告（2021）", 2021, "贵安新区"),
        (
            ["湘江新区二〇二一年政府信息公开工作年度报告"],
            "湘江新区二〇二一年政府信息公开工作年度报告",
            2021,
            "湘江新区",
        ),
        (
            ["中国（上海）自由贸易试验区二○二一年度政府信息公开工作年度报告"],
            "中国（上海）自由贸易试验区二○二一年度政府信息公开工作年度报告",
            2021,
            "中国（上海）自由贸易试验区",
        ),
        (
            ["贵州双龙航空港经济区综合实验区2021年政府信息公开工作年度报告"],
            "贵州双龙航空港经济区综合实验区2021年政府信息公开工作年度报告",
            2021,
            "贵州双龙航空港经济区综合实验区",
        ),
        (
            ["银川经济技术开发区管委会二零二一年政府信息公开工作年度报告"],
            "银川经济技术开发区管委会二零二一年政府信息公开工作年度报告",
            2021,
            "银川经济技术开发区管委会",
        ),
        (
            ["石嘴山经济技术开发区(2021年度)政府信息公开工作年度报告"],
            "石嘴山经济技术开发区(2021年度)政府信息公开工作年度报告",
            2021,
            "石嘴山经济技术开发区",
        ),
        # the issuer on its own line above the title
        (
            ["上海市人民政府办公厅", "2021年政府信息公开工作年度报告"],
            "上海市人民政府办公厅2021年政府信息公开工作年度报告",
            2021,
            "上海市人民政府办公厅",
        ),
        # a title broken over two lines, and the year on a line of its own below the title
        (
            ["银川市人民政府办公室2021年政府信息", "公开工作年度报告"],
            "银川市人民政府办公室2021年政府信息公开工作年度报告",
            2021,
            "银川市人民政府办公室",
        ),
        (
            ["贵安新区政府信息公开工作年度报告", "（2021年度）"],
            "贵安新区政府信息公开工作年度报告（2021年度）",
            2021,
            "贵安新区",
        ),
        # a site template's byline above a title without issuer is not the issuer
        (["来源：银川市人民政府办公室", "2021年政府信息公开工作年度报告"], "2021年政府信息公开工作年度报告", 2021, None),
        (["信息来源：成都市双流区", "2021年政府信息公开工作年度报告"], "2021年政府信息公开工作年度报告", 2021, None),
        # nor does it override the title's issuer
        (
            ["来源：银川市人民政府办公室", "贵安新区2021年政府信息公开工作年度报告"],
            "贵安新区2021年政府信息公开工作年度报告",
            2021,
            "贵安新区",
        ),
    ],
)  # fmt: skip
def test_title_layouts_on_a_real_report(
    title_lines: list[str], title: str, year: int, agency: str | None
) -> None:
    report = parse(_seed_with_title(*title_lines), filename="report.txt")
    assert (report.title, report.year, report.agency) == (title, year, agency)
    assert (report.format, report.status) == ("gov2021", "parsed")
    assert len([c for c in report.cells if c.table == "requests"]) == 25 * 7


def test_byline_in_html_chrome_never_overrides_the_title() -> None:
    """A TRS detail page: 来源 names the site's owner, the heading names the issuer."""
    paragraphs = "".join(f"<p>{html.escape(line)}</p>" for line in _seed_body().splitlines() if line.strip())
    page = (
        '<html><head><meta name="ContentSource" content="银川市人民政府办公室">'
        "<title>贵安新区2021年政府信息公开工作年度报告</title></head><body>"
        '<div class="info"><span>发布时间：2022-01-20</span> <span>来源：银川市人民政府办公室</span></div>'
        f"<h1>贵安新区2021年政府信息公开工作年度报告</h1>{paragraphs}</body></html>"
    )
    report = parse(page.encode("utf-8"), filename="t20220120_1.html")
    assert (report.title, report.year, report.agency) == (
        "贵安新区2021年政府信息公开工作年度报告",
        2021,
        "贵安新区",
    )
    assert (report.format, report.status) == ("gov2021", "parsed")


@pytest.mark.parametrize(
    "title_lines",
    [
        ["图解：银川市西夏区2021年政府信息公开工作年度报告"],
        ["一图读懂银川市西夏区2021年政府信息公开工作年度报告"],
        ["银川市西夏区2021年政府信息公开工作年度报告政策解读"],
        ["图说《银川市西夏区2021年政府信息公开工作年度报告》"],
        ["银川市西夏区2021年政府信息公开工作年度报告（图解）"],
    ],
)
def test_companions_are_never_reports(title_lines: list[str]) -> None:
    """An infographic or explainer that repeats the report's figures is still not the report."""
    report = parse(_seed_with_title(*title_lines), filename="companion.txt")
    assert (report.status, report.format, report.year) == ("not_a_report", "unknown", 2021)
    assert is_companion(report.title)


def test_report_body_words_do_not_make_a_companion() -> None:
    """Real reports speak of 政策解读 and 图解 in their text; only the title decides."""
    body = "银川市西夏区2021年政府信息公开工作年度报告\n本年度发布政策解读稿件12篇，图解8期。"
    lines = body.splitlines()
    title, end = find_title(lines)
    assert (title, is_companion(title)) == ("银川市西夏区2021年政府信息公开工作年度报告", False)
    assert find_agency(title, lines, end, body) == "银川市西夏区"


def test_pre2014_statistics_header_alone_signals_stat2014() -> None:
    """指标名称 / 计量单位 head the statistics tables before 2014: a page with no 统计指标 and no
    政府信息公开情况统计表 is still recognised by them."""
    header = "指标名称 计量单位 2013年度 历年累计"
    assert format_signals(header) == {"gov2021": 0, "gov2019": 0, "stat2014": 2}
    assert format_signals("统计指标 单位 统计数") == {"gov2021": 0, "gov2019": 0, "stat2014": 1}
