"""Generate realistic 政府信息公开工作年度报告 with known ground truth.

Two users: the parser tests (every generated cell is known exactly, and `break_identity` makes
variants that break exactly one consistency rule) and the demo portal (report files of several
agencies and years as HTML bodies, PDF and DOCX attachments, scans). Only runtime dependencies are
used: reportlab (PDF, built-in CID font STSong-Light), python-docx, Pillow, stdlib.

Table layouts follow 国办公开办函〔2021〕30号 / 〔2019〕60号 and the 国办发〔2014〕32号 statistics table;
row/column keys and labels come from `parsers.templates`.

Ground-truth conventions the parsers are tested against:
- `Cell.value` is None for "/" and "—" cells (their `raw` is kept); identities treat None as 0.
- stat2014 indicators are keyed by their number path: 一→"1", （二）→"1.2", 3.→"1.2.3"; unnumbered
  sub-items ("其中：…" and the rows following it) get letters: "3.3.4.a", "3.3.4.b"…; `label` is the
  printed label including its number. They are also listed in `cells` as table "statistics",
  row = path, col "value". Group rows print "—" as unit and value.
- Sections are the body text under each heading, paragraphs separated by "\n"; the preamble before
  一、 belongs to no section.
"""

from __future__ import annotations

import html
import io
import random
import zipfile
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from typing import Any

from parsers import templates
from parsers.model import SECTION_KEYS, Cell, Finding, tables_from_cells

FORMATS: tuple[str, ...] = ("gov2021", "gov2019", "stat2014")
DEFAULT_AGENCY = "银川市西夏区科学技术和工业信息化局"
DEFAULT_YEARS: dict[str, int] = {"gov2021": 2023, "gov2019": 2020, "stat2014": 2018}
BREAKABLE_RULES: tuple[str, ...] = (
    "requests.balance",
    "requests.total_sum",
    "requests.row_total",
    "review_litigation.block_total",
    "report.text_mismatch",
)
BLANK_MARKS: tuple[str, ...] = ("/", "—")
CORNER_TEXT = "（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）"
SECTION_NUMERALS: tuple[str, ...] = ("一", "二", "三", "四", "五", "六")
STAT2014_HEADINGS: tuple[str, ...] = (
    "概述",
    "主动公开政府信息情况",
    "政府信息依申请公开情况",
    "因政府信息公开申请行政复议、提起行政诉讼的情况",
    "政府信息公开工作存在的主要问题及改进措施",
    "其他需要报告的事项",
)


@dataclass
class ReportSpec:
    """A report to render and its ground truth (cells as printed, statistics, section texts)."""

    agency: str | None
    year: int
    format: str
    title: str
    sections: dict[str, str]
    cells: list[Cell]
    statistics: dict[str, dict[str, Any]]
    published: str = ""
    seed: int = 0
    blanks: bool = False
    changes: list[tuple[str, str, str, str, str]] = field(default_factory=list)
    expected_findings: list[Finding] = field(default_factory=list)
    text_override: dict[str, int] = field(default_factory=dict)

    def cell(self, table: str, row: str, col: str) -> Cell | None:
        """The ground-truth cell at table/row/col, or None when the layout has no such cell."""
        for cell in self.cells:
            if cell.table == table and cell.row == row and cell.col == col:
                return cell
        return None

    def raw(self, table: str, row: str, col: str) -> str:
        """The printed text of a cell ("" when absent)."""
        cell = self.cell(table, row, col)
        return cell.raw if cell else ""

    def number(self, table: str, row: str, col: str) -> int | float:
        """The value of a cell with blanks counted as 0 (how the identities read them)."""
        cell = self.cell(table, row, col)
        return cell.value if cell is not None and cell.value is not None else 0

    @property
    def agency_name(self) -> str:
        """How the body text names the issuing body."""
        return self.agency or "本机关"


# ---------------------------------------------------------------------------------------------
# Numbers


def _int_cell(table: str, row: str, col: str, value: int) -> Cell:
    return Cell(table, row, col, value, str(value))


def _blank_cell(table: str, row: str, col: str, mark: str) -> Cell:
    return Cell(table, row, col, None, mark)


def _partition(rng: random.Random, total: int, parts: int) -> list[int]:
    """Split `total` into `parts` non-negative integers."""
    cuts = sorted(rng.randint(0, total) for _ in range(parts - 1))
    bounds = [0, *cuts, total]
    return [bounds[i + 1] - bounds[i] for i in range(parts)]


def _chained_in_force(
    issued: int, repealed: int, before: int | None, target: int | None
) -> tuple[int, int, int | None]:
    """(issued, repealed, in_force) agreeing with last year's in_force `before` and/or a fixed `target`.

    in_force = before + issued − repealed; the draws move (more issued, fewer or more repealed), never
    the identity. None for in_force means "keep the free draw".
    """
    if before is None:
        return issued, repealed, target
    if target is None:
        repealed = min(repealed, before + issued)
        return issued, repealed, before + issued - repealed
    issued = max(issued, target - before)
    return issued, before + issued - target, target


def _proactive_cells(
    rng: random.Random,
    fmt: str,
    blanks: bool,
    previous_in_force: Mapping[str, int] | None = None,
    in_force: Mapping[str, int] | None = None,
) -> list[Cell]:
    """Table 2: random non-zero counts; regulations print "/" when `blanks` (departments make none).

    gov2021: `previous_in_force` (last year's 现行有效件数 per row) makes this year's in_force follow it;
    `in_force` fixes this year's value (what next year's report needs).
    """
    cells: list[Cell] = []
    rows = templates.PROACTIVE_ROWS_2019 if fmt == "gov2019" else templates.PROACTIVE_ROWS_2021
    for key, _label, cols in rows:
        if blanks and key == "regulations":
            cells.extend(_blank_cell("proactive", key, col, "/") for col in cols)
            continue
        if fmt == "gov2021":
            if key in ("regulations", "normative_documents"):
                issued, repealed = rng.randint(1, 12), rng.randint(1, 6)
                count = rng.randint(repealed + issued, 80)
                issued, repealed, chained = _chained_in_force(
                    issued,
                    repealed,
                    (previous_in_force or {}).get(key),
                    (in_force or {}).get(key),
                )
                count = count if chained is None else chained
                values: dict[str, int] = {"issued": issued, "repealed": repealed, "in_force": count}
                cells.extend(_int_cell("proactive", key, c, values[c]) for c in cols)
            elif key == "fees":
                amount = rng.randint(1, 9999) / 100
                cells.append(Cell("proactive", key, "amount_10k_yuan", amount, f"{amount:.2f}"))
            else:
                cells.append(_int_cell("proactive", key, "decisions", rng.randint(1, 900)))
            continue
        if key in ("regulations", "normative_documents"):
            produced = rng.randint(1, 15)
            published = rng.randint(1, produced)
            values = {"produced": produced, "published": published, "total_public": rng.randint(20, 200)}
            cells.extend(_int_cell("proactive", key, c, values[c]) for c in cols)
        elif key == "procurement":
            cells.append(_int_cell("proactive", key, "items", rng.randint(1, 40)))
            amount = rng.randint(10, 900) * 1000
            raw = f"{amount}元" if rng.random() < 0.5 else str(amount)
            cells.append(Cell("proactive", key, "amount", amount, raw))
        else:
            values = {
                "prev_year_items": rng.randint(1, 60),
                "change": rng.choice((-3, -2, -1, 1, 2, 3, 5)),
                "decisions": rng.randint(1, 600),
            }
            cells.extend(_int_cell("proactive", key, c, values[c]) for c in cols)
    return cells


def _request_cells(
    rng: random.Random,
    fmt: str,
    blanks: bool,
    carried_over: Mapping[str, int] | None = None,
    carried_forward: Mapping[str, int] | None = None,
) -> list[Cell]:
    """Table 3: random results; （七） = Σ results, 一 = （七） + 四 − 二; 总计 column = Σ applicants.

    `carried_over` (二, last year's 四) and `carried_forward` (四, what next year's report carries over)
    fix those rows per applicant column; the results grow when 一 would otherwise be negative.
    """
    rows = templates.request_rows(fmt)
    results = templates.result_rows(fmt)
    blank_row = "withheld_state_secret" if blanks else ""
    grid: dict[str, dict[str, int]] = {r.key: {} for r in rows}
    for col in templates.APPLICANT_COLUMNS:
        top = 30 if col == "natural_person" else 6
        for key in results:
            grid[key][col] = 0 if key == blank_row else rng.randint(1, top)
        total = sum(grid[key][col] for key in results)
        forward = rng.randint(1, top)
        back = rng.randint(1, min(top, total + forward))
        if carried_forward is not None:
            forward = carried_forward[col]
        if carried_over is not None:
            back = carried_over[col]
        if total + forward < back:
            grid["granted"][col] += back - forward - total
            total = back - forward
        grid["total"][col] = total
        grid["carried_forward"][col] = forward
        grid["carried_over"][col] = back
        grid["new"][col] = total + forward - back
    for values in grid.values():
        values["total"] = sum(values[c] for c in templates.APPLICANT_COLUMNS)
    cells: list[Cell] = []
    for row in rows:
        for col, _label in templates.REQUEST_COLUMNS:
            if row.key == blank_row:
                cells.append(_blank_cell("requests", row.key, col, "—"))
            else:
                cells.append(_int_cell("requests", row.key, col, grid[row.key][col]))
    return cells


def _review_cells(rng: random.Random) -> list[Cell]:
    """Table 4: three blocks of four random parts and their total."""
    cells: list[Cell] = []
    for block, _label in templates.REVIEW_BLOCKS:
        parts = [rng.randint(1, 9) for _ in templates.REVIEW_PARTS]
        cells.extend(
            _int_cell("review_litigation", block, p, v)
            for p, v in zip(templates.REVIEW_PARTS, parts, strict=True)
        )
        cells.append(_int_cell("review_litigation", block, "total", sum(parts)))
    return cells


@dataclass(frozen=True)
class Indicator:
    """One row of the 2014 statistics table: number path, printed label, unit ("—" for groups)."""

    path: str
    label: str
    unit: str


STAT2014_INDICATORS: tuple[Indicator, ...] = (
    Indicator("1", "一、主动公开情况", "—"),
    Indicator("1.1", "（一）主动公开政府信息数", "条"),
    Indicator("1.1.a", "其中：主动公开规范性文件数", "条"),
    Indicator("1.1.b", "制发规范性文件总数", "件"),
    Indicator("1.2", "（二）通过不同渠道和方式公开政府信息的情况", "—"),
    Indicator("1.2.1", "1.政府公报公开政府信息数", "条"),
    Indicator("1.2.2", "2.政府网站公开政府信息数", "条"),
    Indicator("1.2.3", "3.政务微博公开政府信息数", "条"),
    Indicator("1.2.4", "4.政务微信公开政府信息数", "条"),
    Indicator("1.2.5", "5.其他方式公开政府信息数", "条"),
    Indicator("2", "二、回应解读情况", "—"),
    Indicator("2.1", "（一）回应公众关注热点或重大舆情数", "次"),
    Indicator("2.2", "（二）通过不同渠道和方式回应解读的情况", "—"),
    Indicator("2.2.1", "1.参加或举办新闻发布会总次数", "次"),
    Indicator("2.2.1.a", "其中：主要负责同志参加新闻发布会次数", "次"),
    Indicator("2.2.2", "2.政府网站在线访谈次数", "次"),
    Indicator("2.2.2.a", "其中：主要负责同志参加政府网站在线访谈次数", "次"),
    Indicator("2.2.3", "3.政策解读稿件发布数", "篇"),
    Indicator("2.2.4", "4.微博微信回应事件数", "次"),
    Indicator("2.2.5", "5.其他方式回应事件数", "次"),
    Indicator("3", "三、依申请公开情况", "—"),
    Indicator("3.1", "（一）收到申请数", "件"),
    Indicator("3.1.1", "1.当面申请数", "件"),
    Indicator("3.1.2", "2.传真申请数", "件"),
    Indicator("3.1.3", "3.网络申请数", "件"),
    Indicator("3.1.4", "4.信函申请数", "件"),
    Indicator("3.2", "（二）申请办结数", "件"),
    Indicator("3.2.1", "1.按时办结数", "件"),
    Indicator("3.2.2", "2.延期办结数", "件"),
    Indicator("3.3", "（三）申请答复数", "件"),
    Indicator("3.3.1", "1.属于已主动公开范围数", "件"),
    Indicator("3.3.2", "2.同意公开答复数", "件"),
    Indicator("3.3.3", "3.同意部分公开答复数", "件"),
    Indicator("3.3.4", "4.不同意公开答复数", "件"),
    Indicator("3.3.4.a", "其中：涉及国家秘密", "件"),
    Indicator("3.3.4.b", "涉及商业秘密", "件"),
    Indicator("3.3.4.c", "涉及个人隐私", "件"),
    Indicator("3.3.4.d", "危及国家安全、公共安全、经济安全和社会稳定", "件"),
    Indicator("3.3.4.e", "不是《条例》所指政府信息", "件"),
    Indicator("3.3.4.f", "法律法规规定的其他情形", "件"),
    Indicator("3.3.5", "5.不属于本行政机关公开数", "件"),
    Indicator("3.3.6", "6.申请信息不存在数", "件"),
    Indicator("3.3.7", "7.告知作出更改补充数", "件"),
    Indicator("3.3.8", "8.告知通过其他途径办理数", "件"),
    Indicator("4", "四、行政复议数量", "件"),
    Indicator("4.1", "（一）维持具体行政行为数", "件"),
    Indicator("4.2", "（二）被依法纠错数", "件"),
    Indicator("4.3", "（三）其他情形数", "件"),
    Indicator("5", "五、行政诉讼数量", "件"),
    Indicator("5.1", "（一）维持具体行政行为或者驳回原告诉讼请求数", "件"),
    Indicator("5.2", "（二）被依法纠错数", "件"),
    Indicator("5.3", "（三）其他情形数", "件"),
    Indicator("6", "六、举报投诉数量", "件"),
    Indicator("7", "七、依申请公开信息收取的费用", "万元"),
    Indicator("8", "八、机构建设和保障经费情况", "—"),
    Indicator("8.1", "（一）政府信息公开工作专门机构数", "个"),
    Indicator("8.2", "（二）设置政府信息公开查阅点数", "个"),
    Indicator("8.3", "（三）从事政府信息公开工作人员数", "人"),
    Indicator("8.3.1", "1.专职人员数（不包括政府公报及政府网站工作人员数）", "人"),
    Indicator("8.3.2", "2.兼职人员数", "人"),
    Indicator(
        "8.4",
        "（四）政府信息公开专项经费（不包括用于政府公报编辑管理及政府网站建设维护等方面的经费）",
        "万元",
    ),
    Indicator("9", "九、政府信息公开会议和培训情况", "—"),
    Indicator("9.1", "（一）召开政府信息公开工作会议或专题会议数", "次"),
    Indicator("9.2", "（二）举办各类培训班数", "次"),
    Indicator("9.3", "（三）接受培训人员数", "人次"),
)
STAT2014_VALUE_HEADER = "统计数"


def _stat_values(rng: random.Random) -> dict[str, int | float]:
    """Consistent random statistics: sums where the 2014 table implies them."""
    v: dict[str, int | float] = {}
    channels = [
        rng.randint(0, 3),
        rng.randint(20, 300),
        rng.randint(10, 400),
        rng.randint(5, 300),
        rng.randint(0, 20),
    ]
    for i, n in enumerate(channels, 1):
        v[f"1.2.{i}"] = n
    v["1.1"] = rng.randint(max(channels), sum(channels))
    v["1.1.b"] = rng.randint(1, 15)
    v["1.1.a"] = rng.randint(1, int(v["1.1.b"]))
    v["2.1"] = rng.randint(1, 20)
    v["2.2.1"] = rng.randint(1, 10)
    v["2.2.1.a"] = rng.randint(1, int(v["2.2.1"]))
    v["2.2.2"] = rng.randint(1, 6)
    v["2.2.2.a"] = rng.randint(1, int(v["2.2.2"]))
    for key in ("2.2.3", "2.2.4", "2.2.5"):
        v[key] = rng.randint(1, 40)
    received = [rng.randint(1, 12) for _ in range(4)]
    for i, n in enumerate(received, 1):
        v[f"3.1.{i}"] = n
    total = sum(received)
    v["3.1"] = v["3.2"] = v["3.3"] = total
    v["3.2.1"], v["3.2.2"] = _partition(rng, total, 2)
    answers = _partition(rng, total, 8)
    for i, n in enumerate(answers, 1):
        v[f"3.3.{i}"] = n
    for letter, n in zip("abcdef", _partition(rng, answers[3], 6), strict=True):
        v[f"3.3.4.{letter}"] = n
    for group in ("4", "5"):
        parts = [rng.randint(0, 3) for _ in range(3)]
        for i, n in enumerate(parts, 1):
            v[f"{group}.{i}"] = n
        v[group] = sum(parts)
    v["6"] = rng.randint(0, 5)
    v["7"] = rng.randint(0, 50) / 100
    v["8.1"] = 1
    v["8.2"] = rng.randint(1, 5)
    v["8.3.1"], v["8.3.2"] = rng.randint(1, 3), rng.randint(1, 6)
    v["8.3"] = int(v["8.3.1"]) + int(v["8.3.2"])
    v["8.4"] = rng.randint(50, 500) / 100
    v["9.1"], v["9.2"] = rng.randint(1, 6), rng.randint(1, 4)
    v["9.3"] = rng.randint(10, 200)
    return v


def _stat_raw(value: int | float) -> str:
    return f"{value:.2f}" if isinstance(value, float) else str(value)


STAT2014_BLANKS: tuple[str, ...] = ("1.2.1", "2.2.5")


def _statistics(rng: random.Random, blanks: bool) -> tuple[dict[str, dict[str, Any]], list[Cell]]:
    """Indicator values; with `blanks` the channels an agency does not have print "—"."""
    values: dict[str, int | float | None] = dict(_stat_values(rng))
    if blanks:
        values.update(dict.fromkeys(STAT2014_BLANKS))
    stats: dict[str, dict[str, Any]] = {}
    cells: list[Cell] = []
    for ind in STAT2014_INDICATORS:
        value = values.get(ind.path)
        raw = "—" if value is None else _stat_raw(value)
        stats[ind.path] = {
            "label": ind.label,
            "unit": ind.unit,
            "value": value,
            "values": {STAT2014_VALUE_HEADER: value},
        }
        cells.append(Cell("statistics", ind.path, "value", value, raw))
    return stats, cells


# ---------------------------------------------------------------------------------------------
# Body text


_MANAGEMENT = (
    "严格落实“三审三校”制度，明确信息发布的审核流程，做到先审查后公开、一稿一审、全面审查。",
    "及时调整政府信息公开工作领导小组，明确分管领导和具体责任人，确保信息公开工作有人管、有人抓。",
    "严格执行政府信息公开保密审查制度，坚持“涉密信息不上网、上网信息不涉密”，全年未发生失泄密问题。",
    "系统梳理现行有效的规范性文件，及时更新政府信息公开指南和主动公开目录，提升信息管理规范化水平。",
)
_PLATFORM = (
    "充分发挥政府门户网站第一平台作用，规范栏目设置，强化搜索检索功能，及时更新各类政务信息。",
    "加强政务新媒体运营管理，保证微信公众号、政务微博正常运营，全年未发生长期不更新等问题。",
    "依托12345政务服务便民热线和网站留言板等渠道，加强政民互动交流，做到有诉即办、有诉必办。",
    "推进政务数据资源开放工作，梳理完成政务数据资源共享和开放目录，按要求挂载数据资源。",
)
_SUPERVISION = (
    "将政务公开工作纳入年度目标责任考核，定期对各科室信息报送数量和质量进行通报。",
    "组织干部职工参加全市政务公开专题培训班，提高依法依规公开意识和业务能力。",
    "通过调查问卷、座谈会等方式开展社会评议，对合理可行的意见建议及时督促整改到位。",
    "明确政务公开责任追究办法，本年度未发生因政务公开工作被责任追究的情况。",
)
_PADDING = (
    "围绕优化营商环境、科技创新、产业发展等重点领域，及时公开相关政策文件和工作动态，持续加大政策解读力度，"
    "综合运用图片图表、音频视频、问答等形式开展多元化解读，帮助企业和群众准确理解政策内容。",
    "坚持以公开为常态、不公开为例外，落实公文公开属性源头认定机制，拟制公文时明确主动公开、依申请公开或不予公开属性，"
    "随公文一并报批，对拟不公开的依法依规说明理由。",
    "持续推进基层政务公开标准化规范化建设，对照相关领域基层政务公开标准指引，动态调整公开事项目录，"
    "细化公开内容、公开时限和公开方式，提升基层政务公开的针对性和实效性。",
    "常态化开展“政府开放日”活动，邀请人大代表、政协委员、企业代表和群众代表走进机关，"
    "面对面听取意见建议，推动政民互动由“单向发布”向“双向交流”转变。",
    "加强政府信息公开工作机构和队伍建设，配齐配强政务公开工作人员，建立健全信息公开协调机制，"
    "形成主要领导亲自抓、分管领导具体抓、办公室统筹协调、各科室密切配合的工作格局。",
    "严格落实政府信息公开申请登记、审核、办理、答复、归档等各环节工作规范，规范答复文书格式，"
    "确保依申请公开工作依法依规、及时准确。",
)


def _ideology(year: int) -> str:
    return "党的二十大精神" if year >= 2022 else "党的十九大和十九届历次全会精神"


def _overview(spec: ReportSpec, rng: random.Random) -> str:
    name, year = spec.agency_name, spec.year
    quoted = spec.text_override.get("new", int(spec.number("requests", "new", "total")))
    if spec.format == "stat2014":
        quoted = spec.text_override.get("new", int(spec.number("statistics", "3.1", "value")))
    website = rng.randint(20, 300)
    parts = _partition(rng, website, 3)
    wechat = rng.randint(30, 500)
    paragraphs = [
        f"{year}年，{name}坚持以习近平新时代中国特色社会主义思想为指导，深入贯彻{_ideology(year)}，"
        "认真落实《中华人民共和国政府信息公开条例》和上级关于政务公开工作的决策部署，围绕中心工作和群众关切，"
        "扎实做好主动公开、依申请公开、政府信息管理、平台建设、监督保障等各项工作。",
        f"（一）主动公开情况。全年通过政府门户网站主动公开政府信息{website}条，其中政策文件{parts[0]}条、"
        f"工作动态{parts[1]}条、预决算及其他信息{parts[2]}条；通过政务微信公众号、政务微博发布信息{wechat}条。",
        f"（二）依申请公开情况。全年共受理政府信息公开申请{quoted}件，均严格按照法定程序和时限办理答复。",
        "（三）政府信息管理情况。" + "".join(rng.sample(_MANAGEMENT, 2)),
        "（四）平台建设情况。" + "".join(rng.sample(_PLATFORM, 2)),
        "（五）监督保障情况。" + "".join(rng.sample(_SUPERVISION, 2)),
    ]
    return "\n".join(paragraphs)


def _proactive_text(spec: ReportSpec) -> str:
    if spec.format == "stat2014":
        total = spec.number("statistics", "1.1", "value")
        site = spec.number("statistics", "1.2.2", "value")
        return (
            f"{spec.year}年，{spec.agency_name}主动公开政府信息{total}条，其中通过政府网站公开政府信息{site}条。"
            "主动公开的信息主要包括机构职能、政策文件、财政预决算、重点工作进展等内容。"
        )
    return f"{spec.year}年，{spec.agency_name}主动公开政府信息情况如下："


def _requests_text(spec: ReportSpec) -> str:
    if spec.format == "stat2014":
        s = {p: spec.number("statistics", p, "value") for p in ("3.1", "3.1.3", "3.2", "3.3.2", "3.3.3")}
        return (
            f"{spec.year}年，共收到政府信息公开申请{s['3.1']}件，其中网络申请{s['3.1.3']}件；"
            f"已办结{s['3.2']}件，其中同意公开{s['3.3.2']}件、同意部分公开{s['3.3.3']}件。"
        )
    n = {k: spec.number("requests", k, "total") for k in ("new", "carried_over", "total", "carried_forward")}
    return (
        f"{spec.year}年，本年新收政府信息公开申请{n['new']}件，上年结转{n['carried_over']}件，"
        f"本年度办理完毕{n['total']}件，结转下年度继续办理{n['carried_forward']}件。具体情况如下："
    )


def _review_text(spec: ReportSpec) -> str:
    if spec.format == "stat2014":
        review, suit = spec.number("statistics", "4", "value"), spec.number("statistics", "5", "value")
    else:
        review = spec.number("review_litigation", "review", "total")
        suit = spec.number("review_litigation", "suit_direct", "total") + spec.number(
            "review_litigation", "suit_after_review", "total"
        )
    return f"{spec.year}年，因政府信息公开工作被申请行政复议{review}件，被提起行政诉讼{suit}件。"


def _problems_text(spec: ReportSpec, rng: random.Random) -> str:
    problems = [
        "信息公开的及时性还需进一步提升",
        "政策解读形式较为单一，实质性解读不够深入",
        "政务新媒体互动功能发挥不够充分",
    ]
    rng.shuffle(problems)
    return "\n".join(
        [
            f"{spec.year}年，{spec.agency_name}政府信息公开工作取得了一定成效，但仍存在一些不足：一是{problems[0]}；"
            f"二是{problems[1]}。",
            f"{spec.year + 1}年，将从以下几个方面加以改进：一是加强组织领导，压实工作责任；"
            "二是丰富政策解读方式，提升解读质量；三是加强业务培训，不断提高政府信息公开工作的质量和水平。",
        ]
    )


def _other_text(spec: ReportSpec) -> str:
    if spec.format == "gov2021":
        return (
            f"{spec.year}年，{spec.agency_name}未收取政府信息公开信息处理费。\n本年度无其他需要报告的事项。"
        )
    return "无。"


def _sections(spec: ReportSpec) -> dict[str, str]:
    """Body texts of the six sections, written from the spec's printed numbers."""
    rng = random.Random(spec.seed * 7919 + 17)
    texts = {
        "overview": _overview(spec, rng),
        "proactive": _proactive_text(spec),
        "requests": _requests_text(spec),
        "review_litigation": _review_text(spec),
        "problems": _problems_text(spec, rng),
        "other": _other_text(spec),
    }
    return {key: texts[key] for key in SECTION_KEYS}


def section_headings(fmt: str) -> list[str]:
    """The six printed headings of a format, numbered 一、…六、."""
    names = STAT2014_HEADINGS if fmt == "stat2014" else tuple(label for _k, label in templates.SECTIONS)
    return [f"{n}、{label}" for n, label in zip(SECTION_NUMERALS, names, strict=True)]


def preamble(spec: ReportSpec) -> str:
    """The paragraph before 一、: legal basis, statistics period, where to get the report."""
    basis = {
        "gov2021": "和《国务院办公厅政府信息与政务公开办公室关于印发〈中华人民共和国"
        "政府信息公开工作年度报告格式〉的通知》（国办公开办函〔2021〕30号）要求",
        "gov2019": "和《国务院办公厅政府信息与政务公开办公室关于政府信息公开工作年度报告有关事项的通知》"
        "（国办公开办函〔2019〕60号）要求",
        "stat2014": "规定",
    }[spec.format]
    return (
        f"本报告根据《中华人民共和国政府信息公开条例》{basis}，由{spec.agency_name}编制。"
        f"报告中所列数据的统计期限自{spec.year}年1月1日起至{spec.year}年12月31日止。"
        "如对本报告有疑问，请与本机关办公室联系。"
    )


# ---------------------------------------------------------------------------------------------
# Spec construction


def _check_columns(name: str, given: Mapping[str, int] | None) -> None:
    """A per-column mapping must name every applicant column with a count ≥ 0 (and a consistent total)."""
    if given is None:
        return
    missing = [c for c in templates.APPLICANT_COLUMNS if c not in given]
    if missing:
        raise ValueError(f"{name} lacks the columns {', '.join(missing)}")
    if any(given[c] < 0 for c in templates.APPLICANT_COLUMNS):
        raise ValueError(f"{name} has a negative count")
    if "total" in given and given["total"] != sum(given[c] for c in templates.APPLICANT_COLUMNS):
        raise ValueError(f"{name}: total {given['total']} is not the sum of the applicant columns")


def request_row(spec: ReportSpec, row: str) -> dict[str, int]:
    """One row of table 3 per column (blanks as 0), e.g. `carried_forward` to chain the next year."""
    return {col: int(spec.number("requests", row, col)) for col, _label in templates.REQUEST_COLUMNS}


def in_force_counts(spec: ReportSpec) -> dict[str, int] | None:
    """gov2021: 现行有效件数 per row (blanks as 0), to chain the next year; None for other formats."""
    if spec.format != "gov2021":
        return None
    return {
        row: int(spec.number("proactive", row, "in_force")) for row in ("regulations", "normative_documents")
    }


def _title(agency: str | None, year: int, fmt: str) -> str:
    kind = "政府信息公开工作年度报告"
    return f"{agency or ''}{year}年{kind}"


def make_spec(
    seed: int,
    fmt: str,
    *,
    agency: str | None = DEFAULT_AGENCY,
    year: int | None = None,
    blanks: bool = False,
    carried_over: Mapping[str, int] | None = None,
    carried_forward: Mapping[str, int] | None = None,
    previous_in_force: Mapping[str, int] | None = None,
    in_force: Mapping[str, int] | None = None,
) -> ReportSpec:
    """A random report with non-zero, consistent numbers (deterministic for a seed).

    Chaining a series of years (every argument per key, None = draw freely, as before):
    - `carried_over`: 二、上年结转 per applicant column (last year's 四、结转下年度继续办理); a
      "total" entry, if present, must be their sum.
    - `carried_forward`: 四 per applicant column, when next year's report is fixed already.
    - `previous_in_force` (gov2021): last year's 现行有效件数 per row (regulations,
      normative_documents), so that in_force = previous + issued − repealed.
    - `in_force` (gov2021): this year's 现行有效件数 per row, when next year's report is fixed.
    The other draws adjust; the in-report identities always hold.
    """
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}, expected one of {', '.join(FORMATS)}")
    for name, given in (("carried_over", carried_over), ("carried_forward", carried_forward)):
        _check_columns(name, given)
    rng = random.Random(seed)
    year = year if year is not None else DEFAULT_YEARS[fmt]
    statistics: dict[str, dict[str, Any]] = {}
    if fmt == "stat2014":
        statistics, cells = _statistics(rng, blanks)
    else:
        cells = [
            *_proactive_cells(rng, fmt, blanks, previous_in_force, in_force),
            *_request_cells(rng, fmt, blanks, carried_over, carried_forward),
            *_review_cells(rng),
        ]
    published = f"{year + 1}-{rng.choice((1, 1, 2, 3)):02d}-{rng.randint(10, 28):02d}"
    spec = ReportSpec(
        agency=agency,
        year=year,
        format=fmt,
        title=_title(agency, year, fmt),
        sections={},
        cells=cells,
        statistics=statistics,
        published=published,
        seed=seed,
        blanks=blanks,
    )
    spec.sections = _sections(spec)
    return spec


# ---------------------------------------------------------------------------------------------
# Inconsistent variants


def _set_value(
    cells: list[Cell], table: str, row: str, col: str, delta: int
) -> tuple[list[Cell], tuple[str, str, str, str, str]]:
    out: list[Cell] = []
    change: tuple[str, str, str, str, str] | None = None
    for cell in cells:
        if cell.table == table and cell.row == row and cell.col == col:
            if not isinstance(cell.value, int):
                raise ValueError(f"cannot change blank cell {table}/{row}/{col}")
            new = cell.value + delta
            out.append(replace(cell, value=new, raw=str(new)))
            change = (table, row, col, cell.raw, str(new))
        else:
            out.append(cell)
    if not change:
        raise ValueError(f"no cell {table}/{row}/{col}")
    return out, change


def _requests_sum(spec: ReportSpec, rows: Iterable[str], col: str) -> int | float:
    return sum(spec.number("requests", r, col) for r in rows)


def break_identity(spec: ReportSpec, rule: str) -> ReportSpec:
    """A copy of `spec` whose printed cells break exactly `rule` and no other rule.

    `changes` lists every changed cell (table, row, col, old raw, new raw) and
    `expected_findings` the findings a checker should report (one per broken column/row/block):
    - requests.balance: 二 of one applicant column and of 总计 +d (row totals still hold);
      breaks the balance of that column and of 总计.
    - requests.total_sum: （七） and 一 of one applicant column and of 总计 +d (balance and row
      totals hold); breaks Σ results = （七） in that column and in 总计.
    - requests.row_total: 总计 of one result row +d and of another −d (column sums hold);
      breaks the row total of both rows.
    - review_litigation.block_total: one block's 总计 +d.
    - report.text_mismatch: the count quoted in 一、总体情况 (共受理政府信息公开申请N件) +d.
    Section texts are rewritten from the new printed numbers, so only the named rule breaks.
    """
    if rule not in BREAKABLE_RULES:
        raise ValueError(f"unknown rule {rule!r}, expected one of {', '.join(BREAKABLE_RULES)}")
    if spec.format == "stat2014" and rule != "report.text_mismatch":
        raise ValueError(f"{rule} does not apply to stat2014 reports")
    rng = random.Random(f"{spec.seed}:{rule}")
    delta = rng.randint(1, 5)
    cells = list(spec.cells)
    changes: list[tuple[str, str, str, str, str]] = []
    findings: list[Finding] = []
    override: dict[str, int] = {}

    def change(table: str, row: str, col: str, d: int) -> None:
        nonlocal cells
        cells, record = _set_value(cells, table, row, col, d)
        changes.append(record)

    applicant = rng.choice(templates.APPLICANT_COLUMNS)
    results = templates.result_rows(spec.format)
    if rule == "requests.balance":
        for col in (applicant, "total"):
            change("requests", "carried_over", col, delta)
    elif rule == "requests.total_sum":
        for col in (applicant, "total"):
            change("requests", "total", col, delta)
            change("requests", "new", col, delta)
    elif rule == "requests.row_total":
        usable = [r for r in results if spec.number("requests", r, "total") > delta]
        up, down = rng.sample(usable, 2)
        change("requests", up, "total", delta)
        change("requests", down, "total", -delta)
    elif rule == "review_litigation.block_total":
        block = rng.choice([b for b, _ in templates.REVIEW_BLOCKS])
        change("review_litigation", block, "total", delta)
    else:
        table_new = (
            spec.number("statistics", "3.1", "value")
            if spec.format == "stat2014"
            else spec.number("requests", "new", "total")
        )
        override["new"] = int(table_new) + delta
        findings.append(
            Finding(
                rule,
                "warning",
                "sections/overview",
                f"一、总体情况 quotes 共受理政府信息公开申请{override['new']}件, the table says {table_new}",
                expected=table_new,
                actual=override["new"],
            )
        )
    broken = replace(
        spec,
        cells=cells,
        changes=[*spec.changes, *changes],
        text_override={**spec.text_override, **override},
    )
    broken.sections = _sections(broken)
    if rule != "report.text_mismatch":
        findings = [f for f in identity_findings(broken) if f.rule == rule]
    broken.expected_findings = [*spec.expected_findings, *findings]
    return broken


def identity_findings(spec: ReportSpec) -> list[Finding]:
    """The table identities of DOMAIN.md evaluated on the printed cells (None counts as 0).

    Independent of the parsers; used to document what `break_identity` breaks.
    """
    if spec.format == "stat2014":
        return []
    findings: list[Finding] = []
    rows = [r.key for r in templates.request_rows(spec.format)]
    results = templates.result_rows(spec.format)
    cols = [c for c, _ in templates.REQUEST_COLUMNS]
    for col in cols:
        left = spec.number("requests", "new", col) + spec.number("requests", "carried_over", col)
        right = spec.number("requests", "total", col) + spec.number("requests", "carried_forward", col)
        if left != right:
            findings.append(
                Finding(
                    "requests.balance",
                    "error",
                    f"requests/*/{col}",
                    "一+二 ≠ （七）+四",
                    expected=right,
                    actual=left,
                )
            )
        summed = _requests_sum(spec, results, col)
        printed = spec.number("requests", "total", col)
        if summed != printed:
            findings.append(
                Finding(
                    "requests.total_sum",
                    "error",
                    f"requests/total/{col}",
                    "Σ results ≠ （七）总计",
                    summed,
                    printed,
                )
            )
    for row in rows:
        summed = sum(spec.number("requests", row, c) for c in templates.APPLICANT_COLUMNS)
        printed = spec.number("requests", row, "total")
        if summed != printed:
            findings.append(
                Finding(
                    "requests.row_total",
                    "error",
                    f"requests/{row}/total",
                    "Σ applicants ≠ 总计",
                    summed,
                    printed,
                )
            )
    for block, _label in templates.REVIEW_BLOCKS:
        summed = sum(spec.number("review_litigation", block, p) for p in templates.REVIEW_PARTS)
        printed = spec.number("review_litigation", block, "total")
        if summed != printed:
            findings.append(
                Finding(
                    "review_litigation.block_total",
                    "error",
                    f"review_litigation/{block}/total",
                    "Σ parts ≠ 总计",
                    summed,
                    printed,
                )
            )
    return findings


# ---------------------------------------------------------------------------------------------
# Table layouts: a grid of (possibly merged) cells shared by every renderer


@dataclass(frozen=True)
class GridCell:
    """A printed table cell at (row, col) of the layout grid, spanning rowspan × colspan."""

    row: int
    col: int
    text: str
    rowspan: int = 1
    colspan: int = 1
    header: bool = False
    vertical: bool = False


@dataclass
class Grid:
    """One printed table: its merged cells, relative column widths, and how many header rows."""

    name: str
    nrows: int
    widths: tuple[float, ...]
    cells: list[GridCell]
    header_rows: int = 0

    @property
    def ncols(self) -> int:
        return len(self.widths)

    def at(self, row: int) -> list[GridCell]:
        """The cells whose top-left corner is on `row`, left to right."""
        return sorted((c for c in self.cells if c.row == row), key=lambda c: c.col)


_ITEM_OF_ROW = {
    "regulations": "（一）",
    "normative_documents": "（一）",
    "licensing": "（五）",
    "other_services": "（五）",
    "penalty": "（六）",
    "coercion": "（六）",
    "fees": "（八）",
    "procurement": "（九）",
}


def proactive_grid(spec: ReportSpec) -> Grid:
    """Table 2: one 4-column table of sub-tables headed 第二十条第（N）项."""
    rows = templates.PROACTIVE_ROWS_2019 if spec.format == "gov2019" else templates.PROACTIVE_ROWS_2021
    labels = dict(
        templates.PROACTIVE_COLUMNS_2019 if spec.format == "gov2019" else templates.PROACTIVE_COLUMNS_2021
    )
    cells: list[GridCell] = []
    r = 0
    item = ""
    for key, label, cols in rows:
        if _ITEM_OF_ROW[key] != item:
            item = _ITEM_OF_ROW[key]
            cells.append(GridCell(r, 0, f"第二十条第{item}项", colspan=4, header=True))
            cells.append(GridCell(r + 1, 0, "信息内容", header=True))
            cells.extend(_spread(r + 1, [labels[c] for c in cols], header=True))
            r += 2
        cells.append(GridCell(r, 0, label))
        cells.extend(_spread(r, [spec.raw("proactive", key, c) for c in cols]))
        r += 1
    return Grid("proactive", r, (2.2, 1.6, 1.6, 1.6), cells)


def _spread(row: int, texts: list[str], header: bool = False) -> list[GridCell]:
    """Texts over grid columns 1–3, the last one widened to fill the row."""
    out = []
    for i, text in enumerate(texts):
        span = 3 - i if i == len(texts) - 1 else 1
        out.append(GridCell(row, 1 + i, text, colspan=span, header=header))
    return out


def requests_grid(spec: ReportSpec, *, vertical: bool = False) -> Grid:
    """Table 3: three header rows, then one row per template row with merged group labels."""
    rows = templates.request_rows(spec.format)
    cells = [
        GridCell(0, 0, CORNER_TEXT, rowspan=3, colspan=3, header=True),
        GridCell(0, 3, "申请人情况", colspan=7, header=True),
        GridCell(1, 3, "自然人", rowspan=2, header=True, vertical=vertical),
        GridCell(1, 4, "法人或其他组织", colspan=5, header=True),
        GridCell(1, 9, "总计", rowspan=2, header=True, vertical=vertical),
    ]
    cells.extend(
        GridCell(2, 4 + i, label, header=True, vertical=vertical)
        for i, (_k, label) in enumerate(templates.REQUEST_COLUMNS[1:-1])
    )
    results_label = next(r.group for r in rows if r.key == "granted")
    first = 3
    seen: set[str] = set()
    for i, row in enumerate(rows):
        r = first + i
        if not row.group:
            cells.append(GridCell(r, 0, row.label, colspan=3))
        elif row.group == results_label:
            cells.append(GridCell(r, 1, row.label, colspan=2))
        else:
            if row.group not in seen:
                span = sum(1 for x in rows if x.group == row.group)
                cells.append(GridCell(r, 1, row.group, rowspan=span, vertical=vertical))
            cells.append(GridCell(r, 2, row.label))
        if row.group and results_label not in seen:
            cells.append(GridCell(r, 0, results_label, rowspan=len(rows) - 3, vertical=vertical))
            seen.add(results_label)
        seen.add(row.group)
        cells.extend(
            GridCell(r, 3 + j, spec.raw("requests", row.key, col))
            for j, (col, _l) in enumerate(templates.REQUEST_COLUMNS)
        )
    widths = (1.1, 1.5, 4.4, *(0.9,) * 7)
    return Grid("requests", first + len(rows), widths, cells, header_rows=3)


def review_grid(spec: ReportSpec, *, vertical: bool = False) -> Grid:
    """Table 4: 行政复议 | 行政诉讼 {未经复议直接起诉, 复议后起诉}, then one data row of 15 cells."""
    blocks = [label for _k, label in templates.REVIEW_BLOCKS]
    parts = [label for _k, label in templates.REVIEW_COLUMNS]
    cells = [
        GridCell(0, 0, blocks[0], colspan=5, header=True),
        GridCell(0, 5, "行政诉讼", colspan=10, header=True),
    ]
    cells.extend(GridCell(1, i, p, rowspan=2, header=True, vertical=vertical) for i, p in enumerate(parts))
    cells.append(GridCell(1, 5, blocks[1], colspan=5, header=True))
    cells.append(GridCell(1, 10, blocks[2], colspan=5, header=True))
    cells.extend(GridCell(2, 5 + i, parts[i % 5], header=True, vertical=vertical) for i in range(10))
    values = [
        spec.raw("review_litigation", block, col)
        for block, _l in templates.REVIEW_BLOCKS
        for col, _c in templates.REVIEW_COLUMNS
    ]
    cells.extend(GridCell(3, i, v) for i, v in enumerate(values))
    return Grid("review_litigation", 4, (1.0,) * 15, cells, header_rows=3)


def statistics_grid(spec: ReportSpec) -> Grid:
    """The 2014 statistics table: 统计指标 | 单位 | 统计数."""
    cells = [
        GridCell(0, 0, "统计指标", header=True),
        GridCell(0, 1, "单位", header=True),
        GridCell(0, 2, STAT2014_VALUE_HEADER, header=True),
    ]
    for i, ind in enumerate(STAT2014_INDICATORS, 1):
        cells.append(GridCell(i, 0, ind.label))
        cells.append(GridCell(i, 1, ind.unit))
        cells.append(GridCell(i, 2, spec.raw("statistics", ind.path, "value")))
    return Grid("statistics", len(STAT2014_INDICATORS) + 1, (6.0, 1.0, 1.2), cells, header_rows=1)


def section_tables(spec: ReportSpec, *, vertical: bool = False) -> dict[str, list[Grid]]:
    """Which tables follow which section text (stat2014: the statistics table is an appendix)."""
    if spec.format == "stat2014":
        return {}
    return {
        "proactive": [proactive_grid(spec)],
        "requests": [requests_grid(spec, vertical=vertical)],
        "review_litigation": [review_grid(spec, vertical=vertical)],
    }


def appendix_title(spec: ReportSpec) -> str:
    return f"{spec.agency or ''}{spec.year}年政府信息公开情况统计表"


def split_grid(grid: Grid, at: int) -> tuple[Grid, Grid]:
    """Cut a grid before row `at` as Word does at a page break: merged cells continue empty."""
    top: list[GridCell] = []
    bottom: list[GridCell] = []
    for c in grid.cells:
        end = c.row + c.rowspan
        if end <= at:
            top.append(c)
        elif c.row >= at:
            bottom.append(replace(c, row=c.row - at))
        else:
            top.append(replace(c, rowspan=at - c.row))
            bottom.append(replace(c, row=0, rowspan=end - at, text=""))
    first = Grid(grid.name, at, grid.widths, top, grid.header_rows)
    return first, Grid(grid.name, grid.nrows - at, grid.widths, bottom, 0)


# ---------------------------------------------------------------------------------------------
# Text (as pdftotext flattens a report)


def _wrap(text: str, width: int) -> list[str]:
    return [text[i : i + width] for i in range(0, len(text), width)] or [""]


def _grid_text(grid: Grid) -> list[str]:
    """Header labels one per line, data rows as "label v v v", long labels wrapped above values."""
    lines: list[str] = []
    for r in range(grid.nrows):
        row = grid.at(r)
        labels = [c for c in row if c.header or c.col < _first_value_col(grid)]
        values = [c.text for c in row if not c.header and c.col >= _first_value_col(grid)]
        if grid.name == "statistics":
            lines.append("\t".join(c.text for c in row))
            continue
        if not values:
            texts = [c.text for c in labels if c.text]
            lines.extend([" ".join(texts)] if grid.name == "proactive" else texts)
            continue
        texts = [c.text for c in labels if c.text]
        for text in texts[:-1]:
            lines.extend(_wrap(text, 8))
        last = texts[-1] if texts else ""
        if len(last) > 24:
            lines.extend(_wrap(last, 22))
            lines.append(" ".join(values))
        else:
            lines.append(" ".join([last, *values]).strip())
    return lines


def _first_value_col(grid: Grid) -> int:
    return {"proactive": 1, "requests": 3, "review_litigation": 0, "statistics": 1}[grid.name]


def render_text(spec: ReportSpec) -> bytes:
    """UTF-8 text flattened like the seeds: tables as label and number lines, page footers."""
    blocks: list[list[str]] = [[spec.title], [preamble(spec)]]
    tables = section_tables(spec)
    for heading, key in zip(section_headings(spec.format), SECTION_KEYS, strict=True):
        blocks.append([heading])
        blocks.append(spec.sections[key].split("\n"))
        for grid in tables.get(key, []):
            blocks.append(_grid_text(grid))
    if spec.format == "stat2014":
        blocks.append(["附件：", appendix_title(spec)])
        blocks.append(_grid_text(statistics_grid(spec)))
    out: list[str] = []
    page, used = 1, 0
    for block in blocks:
        size = sum(len(line) for line in block)
        if used and used + size > 1400:
            out.extend(["", f"- {page} -", ""])
            page, used = page + 1, 0
        out.extend([*block, ""])
        used += size
    out.extend([f"- {page} -", ""])
    return "\n".join(out).encode("utf-8")


# ---------------------------------------------------------------------------------------------
# HTML (the article page of a TRS-style portal)


def site_name(agency: str | None) -> str:
    """The portal publishing an agency's report: its district/county/city government."""
    if not agency:
        return "银川市人民政府"
    for mark in ("区", "县", "市"):
        if mark in agency:
            return agency[: agency.index(mark) + 1] + "人民政府"
    return agency


def _html_table(grid: Grid) -> str:
    rows = []
    for r in range(grid.nrows):
        tds = []
        for c in grid.at(r):
            attrs = ""
            if c.rowspan > 1:
                attrs += f' rowspan="{c.rowspan}"'
            if c.colspan > 1:
                attrs += f' colspan="{c.colspan}"'
            text = html.escape(c.text)
            tds.append(
                f'<td{attrs} valign="center"><p style="text-align:center"><span>{text}</span></p></td>'
            )
        rows.append("<tr>" + "".join(tds) + "</tr>")
    return (
        '<table class="MsoNormalTable" border="1" cellspacing="0" cellpadding="0" width="100%" '
        'style="border-collapse:collapse">\n<tbody>\n' + "\n".join(rows) + "\n</tbody>\n</table>"
    )


def _html_paragraphs(text: str) -> list[str]:
    return [f'<p style="text-indent:2em">{html.escape(p)}</p>' for p in text.split("\n") if p]


def _html_body(spec: ReportSpec) -> str:
    parts = [f'<p style="text-indent:2em">{html.escape(preamble(spec))}</p>']
    tables = section_tables(spec)
    for heading, key in zip(section_headings(spec.format), SECTION_KEYS, strict=True):
        parts.append(f'<p style="text-indent:2em"><strong>{html.escape(heading)}</strong></p>')
        parts.extend(_html_paragraphs(spec.sections[key]))
        parts.extend(_html_table(g) for g in tables.get(key, []))
    if spec.format == "stat2014":
        parts.append("<p>附件：</p>")
        parts.append(f'<p style="text-align:center"><strong>{html.escape(appendix_title(spec))}</strong></p>')
        parts.append(_html_table(statistics_grid(spec)))
    return "\n".join(parts)


def render_html(spec: ReportSpec, *, encoding: str = "utf-8", chrome: bool = True) -> bytes:
    """An article page with the report as its body (div.TRS_Editor); `encoding` "gbk" gives GBK bytes."""
    charset = "gbk" if encoding.lower() in ("gbk", "gb2312", "gb18030") else "utf-8"
    meta = (
        f'<meta http-equiv="Content-Type" content="text/html; charset={charset}">'
        if charset == "gbk"
        else '<meta charset="utf-8">'
    )
    title = html.escape(spec.title)
    site = html.escape(site_name(spec.agency))
    source = html.escape(spec.agency or site_name(None))
    body = f'<div class="TRS_Editor">\n{_html_body(spec)}\n</div>'
    if chrome:
        page = f"""<!DOCTYPE html>
<html lang="zh-CN">
<head>
{meta}
<title>{title}_{site}</title>
<meta name="SiteName" content="{site}">
<meta name="SiteDomain" content="www.example.gov.cn">
<meta name="SiteIDCode" content="6401050001">
<meta name="ColumnName" content="政府信息公开年报">
<meta name="ColumnType" content="政府信息公开年报">
<meta name="ArticleTitle" content="{title}">
<meta name="PubDate" content="{html.escape(spec.published)} 09:30">
<meta name="ContentSource" content="{source}">
<link rel="stylesheet" href="/css/style.css">
</head>
<body>
<div class="header"><div class="logo">{site}</div>
<ul class="nav"><li><a href="/">首页</a></li><li><a href="/zwgk/">政务公开</a></li>
<li><a href="/zwfw/">政务服务</a></li><li><a href="/hdjl/">互动交流</a></li></ul></div>
<div class="position">当前位置：<a href="/">首页</a> &gt; <a href="../">政府信息公开</a> &gt;
<a href="./">政府信息公开年报</a></div>
<div class="article">
<h1 class="title">{title}</h1>
<div class="info"><span>发布时间：{html.escape(spec.published)}</span><span>来源：{source}</span></div>
{body}
</div>
<div class="footer"><p>主办单位：{site}办公室</p><p>网站标识码：6401050001 宁ICP备05000000号</p></div>
</body>
</html>
"""
    else:
        head = f"<head>\n{meta}\n<title>{title}</title>\n</head>"
        page = f"<!DOCTYPE html>\n<html>\n{head}\n<body>\n{body}\n</body>\n</html>\n"
    return page.encode(charset, errors="xmlcharrefreplace")


# ---------------------------------------------------------------------------------------------
# PDF (reportlab platypus, ruled tables as Word prints them)

FONT = "STSong-Light"


def _register_font() -> None:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont

    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(FONT))


def _pdf_styles() -> dict[str, Any]:
    from reportlab.lib.enums import TA_CENTER
    from reportlab.lib.styles import ParagraphStyle

    base = ParagraphStyle("body", fontName=FONT, fontSize=12, leading=21, firstLineIndent=24, wordWrap="CJK")
    return {
        "title": ParagraphStyle(
            "title",
            parent=base,
            fontSize=18,
            leading=28,
            alignment=TA_CENTER,
            firstLineIndent=0,
            spaceAfter=14,
        ),
        "heading": ParagraphStyle(
            "heading", parent=base, fontSize=14, leading=24, spaceBefore=6, spaceAfter=4
        ),
        "body": base,
        "cell": ParagraphStyle(
            "cell", parent=base, fontSize=8, leading=10, firstLineIndent=0, alignment=TA_CENTER
        ),
        "appendix": ParagraphStyle(
            "appendix", parent=base, fontSize=14, leading=24, alignment=TA_CENTER, firstLineIndent=0
        ),
    }


def _pdf_table(grid: Grid, width: float, styles: dict[str, Any]) -> Any:
    from reportlab.lib import colors
    from reportlab.platypus import Paragraph, Table, TableStyle

    data: list[list[Any]] = [["" for _ in range(grid.ncols)] for _ in range(grid.nrows)]
    commands: list[tuple[Any, ...]] = [
        ("GRID", (0, 0), (-1, -1), 0.6, colors.black),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("LEFTPADDING", (0, 0), (-1, -1), 2),
        ("RIGHTPADDING", (0, 0), (-1, -1), 2),
    ]
    for c in grid.cells:
        text = html.escape(c.text)
        if c.vertical:
            text = "<br/>".join(html.escape(ch) for ch in c.text)
        data[c.row][c.col] = Paragraph(text, styles["cell"])
        if c.rowspan > 1 or c.colspan > 1:
            commands.append(("SPAN", (c.col, c.row), (c.col + c.colspan - 1, c.row + c.rowspan - 1)))
    total = sum(grid.widths)
    widths = [width * w / total for w in grid.widths]
    return Table(data, colWidths=widths, style=TableStyle(commands), hAlign="CENTER")


def _pdf_story(
    spec: ReportSpec, width: float, *, split_table: bool, vertical_labels: bool, padding: list[str]
) -> list[Any]:
    from reportlab.platypus import PageBreak, Paragraph, Spacer

    styles = _pdf_styles()
    story: list[Any] = [
        Paragraph(html.escape(spec.title), styles["title"]),
        Paragraph(html.escape(preamble(spec)), styles["body"]),
    ]
    tables = section_tables(spec, vertical=vertical_labels)
    for heading, key in zip(section_headings(spec.format), SECTION_KEYS, strict=True):
        story.append(Paragraph(html.escape(heading), styles["heading"]))
        paragraphs = spec.sections[key].split("\n")
        if key == "overview":
            paragraphs = [*paragraphs, *padding]
        story.extend(Paragraph(html.escape(p), styles["body"]) for p in paragraphs if p)
        for grid in tables.get(key, []):
            story.append(Spacer(1, 4))
            if split_table and grid.name == "requests":
                top, bottom = split_grid(grid, grid.header_rows + 10)
                story.extend([_pdf_table(top, width, styles), PageBreak(), _pdf_table(bottom, width, styles)])
            else:
                story.append(_pdf_table(grid, width, styles))
            story.append(Spacer(1, 6))
    if spec.format == "stat2014":
        story.extend(
            [
                PageBreak(),
                Paragraph("附件：", styles["heading"]),
                Paragraph(html.escape(appendix_title(spec)), styles["appendix"]),
            ]
        )
        story.append(_pdf_table(statistics_grid(spec), width, styles))
    return story


def _footer(canvas: Any, doc: Any) -> None:
    canvas.saveState()
    canvas.setFont(FONT, 10)
    canvas.drawCentredString(doc.pagesize[0] / 2, 36, f"- {doc.page} -")
    canvas.restoreState()


def _build_pdf(
    spec: ReportSpec, *, split_table: bool, vertical_labels: bool, padding: list[str], encrypt: Any = None
) -> tuple[bytes, int]:
    from reportlab.lib.pagesizes import A4
    from reportlab.platypus import SimpleDocTemplate

    _register_font()
    buf = io.BytesIO()
    doc = SimpleDocTemplate(
        buf,
        pagesize=A4,
        leftMargin=72,
        rightMargin=72,
        topMargin=72,
        bottomMargin=72,
        title=spec.title,
        author=spec.agency or "",
        creator="Microsoft® Word 2016",
        encrypt=encrypt,
        invariant=True,
    )
    story = _pdf_story(
        spec, doc.width, split_table=split_table, vertical_labels=vertical_labels, padding=padding
    )
    doc.build(story, onFirstPage=_footer, onLaterPages=_footer)
    return buf.getvalue(), doc.page


def padding_paragraphs(spec: ReportSpec, count: int) -> list[str]:
    """Extra realistic paragraphs (appended to 一、总体情况) to make a report longer."""
    rng = random.Random(spec.seed * 31 + 7)
    order = rng.sample(_PADDING, len(_PADDING))
    return [order[i % len(order)] for i in range(count)]


def render_pdf(
    spec: ReportSpec, *, split_table: bool = False, vertical_labels: bool = False, pages_target: int = 0
) -> bytes:
    """A text PDF: ruled tables, page footers "- N -"; optionally table 3 split over two pages,
    vertical group labels, or body padding to about `pages_target` pages (extra overview paragraphs)."""
    kwargs: dict[str, Any] = {"split_table": split_table, "vertical_labels": vertical_labels}
    data, pages = _build_pdf(spec, padding=[], **kwargs)
    if pages >= pages_target:
        return data
    # Grow the padding by pages' worth, then shrink it paragraph by paragraph to land on the target.
    count = 0
    builds: dict[int, tuple[bytes, int]] = {0: (data, pages)}
    while pages < pages_target and count < 400:
        count += max(1, (pages_target - pages) * 5)
        builds[count] = data, pages = _build_pdf(spec, padding=padding_paragraphs(spec, count), **kwargs)
    while pages > pages_target and count > 0 and (count - 1) not in builds:
        count -= 1
        builds[count] = _build_pdf(spec, padding=padding_paragraphs(spec, count), **kwargs)
        if builds[count][1] < pages_target:
            return data
        data, pages = builds[count]
    return data


def render_encrypted_pdf(spec: ReportSpec, password: str = "nianbao") -> bytes:
    """The PDF of `spec` protected with a user password (unreadable without it)."""
    from reportlab.lib.pdfencrypt import StandardEncryption

    encrypt = StandardEncryption(password, ownerPassword=password + "-owner", canPrint=1, strength=128)
    data, _pages = _build_pdf(spec, split_table=False, vertical_labels=False, padding=[], encrypt=encrypt)
    return data


# ---------------------------------------------------------------------------------------------
# Scanned PDF (an image per page, no text layer)

_CJK_FONTS = (
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/arphic/uming.ttc",
)


def _scan_font(size: int) -> tuple[Any, bool]:
    """A CJK TrueType font when the system has one (else Pillow's default: CJK drawn as grey bars)."""
    from pathlib import Path

    from PIL import ImageFont

    for path in _CJK_FONTS:
        if Path(path).exists():
            return ImageFont.truetype(path, size), True
    return ImageFont.load_default(size), False


def _scan_pages(spec: ReportSpec) -> list[Any]:
    from PIL import Image, ImageDraw

    width, height, margin = 1240, 1754, 120
    font, has_cjk = _scan_font(26)
    lines: list[str] = [spec.title, ""]
    for heading, key in zip(section_headings(spec.format), SECTION_KEYS, strict=True):
        lines.append(heading)
        for para in spec.sections[key].split("\n"):
            lines.extend(_wrap("　　" + para, 36))
    pages: list[Any] = []
    image = draw = None
    y = height
    step = 44

    def new_page() -> None:
        nonlocal image, draw, y
        image = Image.new("L", (width, height), 250)
        draw = ImageDraw.Draw(image)
        pages.append(image)
        y = margin

    def text(x: int, yy: int, s: str) -> None:
        assert draw is not None
        if has_cjk or s.isascii():
            draw.text((x, yy), s, fill=20, font=font)
        else:
            draw.rectangle((x, yy + 8, x + 26 * len(s), yy + 22), fill=120)

    for line in lines:
        if y + step > height - margin:
            new_page()
        text(margin, y, line)
        y += step
    grid = requests_grid(spec) if spec.format != "stat2014" else statistics_grid(spec)
    new_page()
    col_w = [(width - 2 * margin) * w / sum(grid.widths) for w in grid.widths]
    xs = [margin + sum(col_w[:i]) for i in range(len(col_w) + 1)]
    row_h = min(52, (height - 2 * margin) // grid.nrows)
    assert draw is not None
    for c in grid.cells:
        x0, x1 = xs[c.col], xs[c.col + c.colspan]
        y0 = margin + c.row * row_h
        draw.rectangle((x0, y0, x1, y0 + c.rowspan * row_h), outline=0, width=2)
        text(int(x0) + 4, y0 + 8, c.text[: max(1, int((x1 - x0) // 26))])
    for number, page in enumerate(pages, 1):
        ImageDraw.Draw(page).text((width // 2 - 30, height - 80), f"- {number} -", fill=20, font=font)
    return [p.rotate(0.4, fillcolor=250) for p in pages]


def document_time(spec: ReportSpec) -> datetime:
    """The fixed creation time written into a file's metadata: its publication day (repeatable bytes)."""
    try:
        day = date.fromisoformat(spec.published)
    except ValueError:
        day = date(spec.year + 1, 1, 1)
    return datetime(day.year, day.month, day.day, 9, 30, tzinfo=UTC)


def render_scanned_pdf(spec: ReportSpec) -> bytes:
    """An image-only PDF as a scanner produces it: JPEG pages at 150 dpi, no text layer."""
    pages = _scan_pages(spec)
    buf = io.BytesIO()
    when = document_time(spec).timetuple()
    pages[0].save(
        buf,
        "PDF",
        resolution=150.0,
        save_all=True,
        append_images=pages[1:],
        quality=70,
        creationDate=when,
        modDate=when,
    )
    return buf.getvalue()


# ---------------------------------------------------------------------------------------------
# DOCX (python-docx, real merged cells)


def _docx_run(
    paragraph: Any, text: str, size: float, *, bold: bool = False, east: str = "仿宋_GB2312"
) -> Any:
    from docx.oxml.ns import qn
    from docx.shared import Pt

    run = paragraph.add_run(text)
    run.font.size = Pt(size)
    run.bold = bold
    run.font.name = "Times New Roman"
    rpr = run._element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = rpr.makeelement(qn("w:rFonts"), {})
        rpr.insert(0, fonts)
    fonts.set(qn("w:eastAsia"), east)
    return run


TEXT_WIDTH_CM = 15.6


def _docx_table(document: Any, grid: Grid) -> Any:
    from docx.enum.table import WD_TABLE_ALIGNMENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Cm
    from docx.table import _Cell

    table = document.add_table(rows=grid.nrows, cols=grid.ncols)
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    total = sum(grid.widths)
    widths = [Cm(TEXT_WIDTH_CM * w / total) for w in grid.widths]
    for column, width in zip(table.columns, widths, strict=True):
        column.width = width
    # Collect the <w:tc> elements once: table.cell() rescans the whole table on every call.
    tcs = [list(tr.tc_lst) for tr in table._tbl.tr_lst]
    for row in tcs:
        for tc, width in zip(row, widths, strict=True):
            tc.width = width
    for c in sorted(grid.cells, key=lambda c: (c.row, c.col)):
        cell = _Cell(tcs[c.row][c.col], table)
        if c.rowspan > 1 or c.colspan > 1:
            cell.merge(_Cell(tcs[c.row + c.rowspan - 1][c.col + c.colspan - 1], table))
        paragraph = cell.paragraphs[0]
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
        _docx_run(paragraph, c.text, 9, east="宋体")
    return table


def _docx_footer(document: Any) -> None:
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    paragraph = document.sections[0].footer.paragraphs[0]
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    paragraph.add_run("- ")
    field_ = OxmlElement("w:fldSimple")
    field_.set(qn("w:instr"), "PAGE")
    run = OxmlElement("w:r")
    text = OxmlElement("w:t")
    text.text = "1"
    run.append(text)
    field_.append(run)
    paragraph._p.append(field_)
    paragraph.add_run(" -")


def render_docx(spec: ReportSpec) -> bytes:
    """A Word document: title, sections, tables with merged cells (gridSpan / vMerge)."""
    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Cm, Pt

    document = Document()
    section = document.sections[0]
    section.page_width, section.page_height = Cm(21.0), Cm(29.7)
    section.left_margin = section.right_margin = Cm(2.7)
    section.top_margin, section.bottom_margin = Cm(3.7), Cm(3.5)
    document.core_properties.title = spec.title
    document.core_properties.author = spec.agency or ""
    title = document.add_paragraph()
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _docx_run(title, spec.title, 22, east="方正小标宋简体")

    def body(text: str) -> None:
        paragraph = document.add_paragraph()
        paragraph.paragraph_format.first_line_indent = Pt(32)
        _docx_run(paragraph, text, 16)

    body(preamble(spec))
    tables = section_tables(spec)
    for heading, key in zip(section_headings(spec.format), SECTION_KEYS, strict=True):
        paragraph = document.add_paragraph()
        paragraph.paragraph_format.first_line_indent = Pt(32)
        _docx_run(paragraph, heading, 16, east="黑体")
        for para in spec.sections[key].split("\n"):
            if para:
                body(para)
        for grid in tables.get(key, []):
            _docx_table(document, grid)
    if spec.format == "stat2014":
        document.add_page_break()
        _docx_run(document.add_paragraph(), "附件：", 16, east="黑体")
        caption = document.add_paragraph()
        caption.alignment = WD_ALIGN_PARAGRAPH.CENTER
        _docx_run(caption, appendix_title(spec), 18, east="方正小标宋简体")
        _docx_table(document, statistics_grid(spec))
    _docx_footer(document)
    when = document_time(spec)
    document.core_properties.created = document.core_properties.modified = when.replace(tzinfo=None)
    document.core_properties.last_printed = when.replace(tzinfo=None)
    buf = io.BytesIO()
    document.save(buf)
    return _fixed_zip_times(buf.getvalue(), when)


def _fixed_zip_times(data: bytes, when: datetime) -> bytes:
    """The same ZIP with every member dated `when` (python-docx stamps the current time)."""
    stamp = (when.year, when.month, when.day, when.hour, when.minute, when.second)
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=stamp)
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = info.external_attr
            target.writestr(fixed, source.read(info))
    return out.getvalue()


# ---------------------------------------------------------------------------------------------
# Things a crawler meets that are not (readable) reports


def _article(title: str, paragraphs: list[str], published: str) -> bytes:
    body = "\n".join(f'<p style="text-indent:2em">{html.escape(p)}</p>' for p in paragraphs)
    page = f"""<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<meta name="ArticleTitle" content="{html.escape(title)}">
<meta name="PubDate" content="{published}">
<meta name="ColumnName" content="通知公告">
</head><body>
<div class="article"><h1 class="title">{html.escape(title)}</h1>
<div class="TRS_Editor">
{body}
</div></div></body></html>
"""
    return page.encode("utf-8")


def notice_html(year: int = 2024) -> bytes:
    """An HTML notice (关于开展…的通知) from a report column: not a report."""
    return _article(
        f"关于开展{year}年度政府信息公开工作年度报告编制发布工作的通知",
        [
            "各乡镇人民政府、街道办事处，区政府各部门：",
            "根据《中华人民共和国政府信息公开条例》规定，"
            f"现就做好{year - 1}年度政府信息公开工作年度报告编制发布工作通知如下：",
            "一、各部门应于1月31日前在区政府门户网站公布本部门上一年度政府信息公开工作年度报告。",
            "二、年度报告应严格按照国办公开办函〔2021〕30号文件规定的格式编制，确保数据准确、勾稽关系正确。",
            "三、请各单位于发布后3个工作日内将报告链接报送区政务公开办公室。",
        ],
        f"{year}-01-05",
    )


def news_html(year: int = 2024) -> bytes:
    """A news item about disclosure work: mentions 年度报告 but is not one."""
    return _article(
        "区政务公开办召开政府信息公开工作年度报告编制培训会",
        [
            f"{year}年1月10日，区政务公开办召开政府信息公开工作年度报告编制培训会，各部门政务公开工作人员共60余人参加。",
            "会议解读了年度报告格式要求，通报了上一年度年度报告评估中发现的数据不准确、勾稽关系错误等问题。",
            "会议要求，各部门要高度重视年度报告编制工作，按时保质完成发布任务。",
        ],
        f"{year}-01-10",
    )


ERROR_404 = (
    b"<html>\r\n<head><title>404 Not Found</title></head>\r\n<body>\r\n"
    b"<center><h1>404 Not Found</h1></center>\r\n"
    b"<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
)


def bad_inputs() -> dict[str, tuple[bytes, str]]:
    """Inputs the pipeline must reject with a clear status: name → (bytes, filename)."""
    spec = make_spec(101, "gov2021")
    pdf = render_pdf(spec)
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("年度报告.docx", render_docx(spec))
        zf.writestr("说明.txt", "附件为年度报告。".encode())
    return {
        "empty": (b"", "P020240125000000000000.pdf"),
        "truncated_pdf": (pdf[: len(pdf) // 3], "P020240125000000000001.pdf"),
        "encrypted_pdf": (render_encrypted_pdf(spec), "P020240125000000000002.pdf"),
        "html_error_as_pdf": (ERROR_404, "P020240125000000000003.pdf"),
        "zip": (archive.getvalue(), "年度报告.zip"),
        "scanned_pdf": (render_scanned_pdf(spec), "P020240125000000000004.pdf"),
        "notice": (notice_html(), "t20240105_100001.html"),
        "news": (news_html(), "t20240110_100002.html"),
    }


def spec_to_json(spec: ReportSpec) -> dict[str, Any]:
    """The ground truth in the shape of the JSON contract (plus the changes and expected findings)."""
    return {
        "agency": spec.agency,
        "year": spec.year,
        "format": spec.format,
        "title": spec.title,
        "published": spec.published,
        "seed": spec.seed,
        "sections": dict(spec.sections),
        "tables": tables_from_cells(spec.cells, spec.statistics),
        "cells": [c.to_dict() for c in spec.cells],
        "findings": [f.to_dict() for f in spec.expected_findings],
        "changes": [list(c) for c in spec.changes],
    }


RENDERERS: dict[str, Callable[[ReportSpec], bytes]] = {
    "pdf": render_pdf,
    "docx": render_docx,
    "html": render_html,
    "text": render_text,
    "scanned_pdf": render_scanned_pdf,
}
