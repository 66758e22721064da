"""Title, issuing agency, report year and format, from the first lines and the tables' own headers."""

from __future__ import annotations

import re
from collections import Counter

from parsers.labels import norm

_CJK = "\u4e00-\u9fff"
_TITLE_AT_END = re.compile(r"(年度报告|年报)[）)》\s]*$")
_YEAR = re.compile(r"((?:19|20)\d{2})\s*年")
_AGENCY_SUFFIX = re.compile(r"(局|委员会|委|政府|办公室|办|厅|院|中心|处|所|队|站|会|部|署|馆|集团)$")
_PERIOD = re.compile(
    r"(?:统计期限|统计数据|数据统计|所列数据)[^。]{0,20}?((?:19|20)\d{2})\s*年\s*1\s*月\s*1\s*日"
)

FORMAT_SIGNALS: dict[str, tuple[str, ...]] = {
    "gov2021": (
        "本年制发件数",
        "本年废止件数",
        "现行有效件数",
        "本年收费金额",
        "逾期不补正",
        "逾期未按收费通知",
    ),
    "gov2019": (
        "本年新制作数量",
        "本年新公开数量",
        "对外公开总数量",
        "上一年项目数量",
        "采购项目数量",
        "采购总金额",
    ),
    "stat2014": ("统计指标", "政府信息公开情况统计表"),
}


def _squeeze(text: str) -> str:
    """Remove spaces next to CJK characters ("科学技术局 2020 年" → "科学技术局2020年")."""
    text = " ".join(text.split())
    return re.sub(rf"(?<=[{_CJK}\d]) (?=[{_CJK}\d])|(?<=[{_CJK}]) | (?=[{_CJK}])", "", text)


def find_title(lines: list[str]) -> tuple[str, int]:
    """The report title and the index of its last line; ("", -1) if none.

    A single short line naming the report wins; otherwise up to three lines are joined (titles
    broken across lines in PDFs)."""
    head = lines[:15]
    for i, line in enumerate(head):
        text = _squeeze(line)
        if len(text) <= 60 and _TITLE_AT_END.search(text) and "信息公开" in text:
            return text, i
    for start in range(len(head)):
        joined = ""
        for end in range(start, min(start + 3, len(head))):
            joined = _squeeze(joined + head[end])
            if len(joined) > 60:
                break
            if _TITLE_AT_END.search(joined) and "信息公开" in joined:
                return joined, end
    return "", -1


def title_year(title: str) -> int | None:
    match = _YEAR.search(title)
    return int(match.group(1)) if match else None


def period_year(text: str) -> int | None:
    """The year of the statistics period stated in the text (…统计期限自2020年1月1日起…)."""
    match = _PERIOD.search(_squeeze(text[:4000]))
    return int(match.group(1)) if match else None


def find_agency(title: str, lines: list[str], title_line: int, text: str) -> str | None:
    """The issuing body: the title's words before the year, else an agency-like line above the title,
    widened to the fuller form the text uses (西夏区… → 银川市西夏区…)."""
    name = ""
    match = _YEAR.search(title)
    if match:
        name = title[: match.start()].strip(' 《》"“”')
    if not name and title_line > 0:
        above = _squeeze(lines[title_line - 1])
        if len(above) <= 30 and _AGENCY_SUFFIX.search(above):
            name = above
    name = re.sub(r"^(关于)", "", name)
    if len(name) < 2 or not _AGENCY_SUFFIX.search(name):
        return None
    return _widen(name, _squeeze(text))


def _widen(name: str, text: str) -> str:
    """The shortest place prefix (两个字以上 + 市/州/盟/省/地区) the text puts right before `name`."""
    found: Counter[str] = Counter()
    for match in re.finditer(re.escape(name), text):
        window = text[max(0, match.start() - 8) : match.start()]
        for size in range(3, len(window) + 1):
            prefix = window[-size:]
            if re.fullmatch(rf"[{_CJK}]{{2,7}}(?:省|自治区|市|州|盟|地区)", prefix):
                found[prefix] += 1
                break
    return min(found, key=len) + name if found else name


def format_signals(text: str) -> dict[str, int]:
    """How many header words of each format the text carries."""
    flat = norm(text)
    return {fmt: sum(1 for word in words if word in flat) for fmt, words in FORMAT_SIGNALS.items()}


def looks_like_report(title: str, text: str) -> bool:
    """Whether the document calls itself an annual information-disclosure report."""
    head = norm(title + text[:3000])
    return "信息公开" in head and ("年度报告" in head or "年报" in head or "统计表" in head)
