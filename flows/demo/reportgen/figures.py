"""The figures of a report: random non-zero numbers that satisfy every identity of its tables."""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from parsers import templates
from parsers.model import Cell


def _int_cell(table: str, row: str, col: str, value: int) -> Cell:
    return Cell(table, row, col, value, str(value))


def _blank_cell(table: str, row: str, col: str, mark: str) -> Cell:
    return Cell(table, row, col, None, mark)


def partition(rng: random.Random, total: int, parts: int) -> list[int]:
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


def proactive_cells(
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
    rows = templates.table_template(fmt, None).proactive_rows
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


def request_cells(
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
    rows = templates.table_template(fmt, None).request_rows
    results = templates.table_template(fmt, None).result_rows
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


def review_cells(rng: random.Random) -> list[Cell]:
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
    v["3.2.1"], v["3.2.2"] = partition(rng, total, 2)
    answers = partition(rng, total, 8)
    for i, n in enumerate(answers, 1):
        v[f"3.3.{i}"] = n
    for letter, n in zip("abcdef", partition(rng, answers[3], 6), strict=True):
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


def stat2014_cells(rng: random.Random, blanks: bool) -> tuple[dict[str, dict[str, Any]], list[Cell]]:
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
