"""Title, issuing agency, report year and format, from the first lines and the tables' own headers.

The one home of what a report says about itself: `report_year` (the year a title or text names) and
`strip_years`, `issuer_of` (the issuer part of a title) and `issuer_key` (its normalised form, for matching
against the registry), `is_companion` (an infographic or explainer of a report, never a report itself).
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections import Counter

from parsers.labels import norm

_CJK = "\u4e00-\u9fff"
_DIGIT = "0-9０-９"
_CN_ZERO = "〇○零Ｏ"
_CN_DIGITS = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
# A year as printed: 2021, ２０２１, 二〇二一 / 二○二一 / 二零二一, 一九九九.
_YEAR_NUMBER = (
    rf"(?<![{_DIGIT}])(?:19|20|１９|２０)[{_DIGIT}]{{2}}(?![{_DIGIT}])"
    rf"|(?:一九|二[{_CN_ZERO}])[{_CN_ZERO}一二三四五六七八九]{{2}}"
)
_OPEN = "（(\\[【"
_CLOSE = "）)\\]】"
# The report year: 2021年 / 2021 年度 / 二〇二一年, （2021） / (2021年度) / 【2021】, or a bare year right
# before the report phrase (2021政府信息公开工作年度报告).
_REPORT_YEAR = re.compile(
    rf"(?P<year>{_YEAR_NUMBER})\s*年"
    rf"|[{_OPEN}]\s*(?P<bracketed>{_YEAR_NUMBER})\s*(?:年度|年)?\s*[{_CLOSE}]"
    rf"|(?P<bare>{_YEAR_NUMBER})(?=\s*(?:政府信息公开|政务公开|信息公开))"
)
# Every mention of a year, with its 年/年度 and brackets (年 of 年报 stays: it is the report phrase).
_YEAR_MENTION = re.compile(rf"[{_OPEN}]?\s*(?:{_YEAR_NUMBER})\s*(?:年度|年(?!报))?\s*[{_CLOSE}]?")
_TITLE_AT_END = re.compile(
    rf"(年度报告|年报)[）)》\s]*(?:[{_OPEN}]\s*(?:{_YEAR_NUMBER})\s*(?:年度|年)?\s*[{_CLOSE}])?"
    r"(?:[（(]?(?:图解|政策解读|解读|图说)[)）]?)?\s*$"
)
_BRACKETED_YEAR_LINE = re.compile(rf"^[{_OPEN}]\s*(?:{_YEAR_NUMBER})\s*(?:年度|年)?\s*[{_CLOSE}]$")
_AGENCY_SUFFIX = re.compile(
    r"(局|委员会|委|政府|办公室|办|厅|院|中心|处|所|队|站|会|部|署|馆|集团"
    r"|区|县|市|州|盟|旗|镇|乡|街道)$"
)
_PERIOD = re.compile(
    rf"(?:统计期限|统计数据|数据统计|所列数据)[^。]{{0,20}}?(?P<year>{_YEAR_NUMBER})\s*年\s*1\s*月\s*1\s*日"
)
_REPORT_PHRASE = re.compile(r"关于|政府信息公开|信息公开|政务公开|工作年度报告|年度报告|年报|报告")
_TITLE_EDGES = " \u3000\"'“”‘’《》〈〉「」『』【】[]:：,，.。;；、·•-—_/|"
_NAME_PUNCT = re.compile(r"[\s\"'“”‘’《》〈〉「」『』【】\[\]()（）:：,，.。;；、·•\-—_/|]+")
# A site template's byline (来源：X, 信息来源：X, 发布机构：X): it may name another body than the issuer.
_SITE_LINE = re.compile(
    r"^\s*(?:信息)?(?:来源|发布机构|发布单位|发文机关|发布时间|发布日期|作者|责任编辑)\s*[:：]"
)
# Companions of a report (图解, 一图读懂, 政策解读, 图说): about a report, never a report themselves.
_COMPANION = re.compile(r"图解|一图(?:读懂|看懂|了解|速览)|图说|政策解读|解读")


def _year_value(number: str) -> int:
    """2021, ２０２１ or 二〇二一 as an int."""
    number = unicodedata.normalize("NFKC", number)
    if number.isdigit():
        return int(number)
    return int("".join(str(_CN_DIGITS.get(ch, 0)) for ch in number))


def report_year(text: str) -> int | None:
    """The year a title (or any text) names as the report's: the first 2021年 / 二〇二一年度 / （2021） /
    (2021年度) / 2021政府信息公开…; None when it names none. The one year reader of the project."""
    match = _REPORT_YEAR.search(text or "")
    if match is None:
        return None
    return _year_value(match.group("year") or match.group("bracketed") or match.group("bare"))


def strip_years(text: str) -> str:
    """`text` without any year mention (2021年, （2021年度）, 二〇二一年), e.g. to compare texts across years."""
    return _YEAR_MENTION.sub("", text)


def issuer_of(title: str) -> str:
    """The issuer part of a report title, as printed: years removed, cut at 关于 / 政府信息公开… / 年报,
    e.g. 2019年上海市人民政府办公厅政府信息公开工作年度报告 → 上海市人民政府办公厅; a companion's
    图解：/一图读懂 is no part of it."""
    text = _COMPANION.sub("", re.sub(r"\s+", "", strip_years(title)))
    text = text.strip(_TITLE_EDGES).removeprefix("关于")
    match = _REPORT_PHRASE.search(text)
    if match is not None:
        text = text[: match.start()]
    return text.strip(_TITLE_EDGES).removesuffix("的").strip(_TITLE_EDGES)


def named_agency(title: str) -> str | None:
    """The agency a title names as its issuer (issuer part ending like a body: 局, 办公室, 新区, 管委会…)."""
    name = issuer_of(title)
    return name if len(name) >= 2 and _AGENCY_SUFFIX.search(name) else None


def normalise_name(text: str) -> str:
    """An agency name for comparison: NFKC (full-width → half-width), no whitespace or punctuation."""
    return _NAME_PUNCT.sub("", unicodedata.normalize("NFKC", text))


def issuer_key(title_or_name: str) -> str:
    """The normalised issuer of a title or name, what registry matching compares."""
    return normalise_name(issuer_of(unicodedata.normalize("NFKC", title_or_name)))


def is_companion(title: str) -> bool:
    """Whether a title names an infographic or explainer of a report (图解, 一图读懂, 政策解读, 图说)."""
    return bool(_COMPANION.search(re.sub(r"\s+", "", title or "")))


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
    # 指标名称 / 计量单位: the header of the statistics tables before 2014 (…2013年度 / 历年累计).
    "stat2014": ("统计指标", "政府信息公开情况统计表", "指标名称", "计量单位"),
}


_SQUEEZED_SPACE = re.compile(rf" (?:(?<=[{_CJK}] )|(?=[{_CJK}])|(?<=\d )(?=\d))")
"""A space with a CJK character on either side, or a digit on both. The pattern starts with the space
itself, so the search skips from space to space instead of trying lookbehinds at every character."""


def _squeeze(text: str) -> str:
    """Remove spaces next to CJK characters ("科学技术局 2020 年" → "科学技术局2020年") and between
    digits."""
    return _SQUEEZED_SPACE.sub("", " ".join(text.split()))


def _is_title(text: str) -> bool:
    return len(text) <= 60 and bool(_TITLE_AT_END.search(text)) and "信息公开" in text


def _agency_line(line: str) -> str:
    """A short line that names a body (上海市人民政府办公厅), never a site template's 来源：X byline."""
    text = _squeeze(line)
    if len(text) > 30 or _SITE_LINE.match(text) or not _AGENCY_SUFFIX.search(text):
        return ""
    return text


def find_title(lines: list[str]) -> tuple[str, int]:
    """The report title and the index of its last line; ("", -1) if none.

    A single short line naming the report wins, with the issuer line above it when the line itself names
    none (上海市人民政府办公厅 / 2019年政府信息公开工作年度报告); otherwise two, then three lines are joined
    (titles broken across lines in PDFs). A bracketed year on the next line (（2021年度）) joins the title."""
    head = lines[:15]
    found: tuple[str, int] | None = None
    for i, line in enumerate(head):
        text = _squeeze(line)
        if _is_title(text):
            above = _agency_line(head[i - 1]) if i > 0 else ""
            found = (above + text if above and not issuer_of(text) else text), i
            break
    for span in (2, 3):
        for start in range(len(head) - span + 1):
            if found is not None:
                break
            joined = _squeeze("".join(head[start : start + span]))
            if _is_title(joined):
                found = joined, start + span - 1
    if found is None:
        return "", -1
    title, end = found
    if end + 1 < len(head) and _BRACKETED_YEAR_LINE.match(_squeeze(head[end + 1])):
        return title + _squeeze(head[end + 1]), end + 1
    return title, end


@functools.lru_cache(maxsize=8)
def period_year(text: str) -> int | None:
    """The year of the statistics period stated in the text (…统计期限自2020年1月1日起…)."""
    match = _PERIOD.search(_squeeze(text[:4000]))
    return _year_value(match.group("year")) if match else None


def find_agency(title: str, lines: list[str], title_line: int, text: str) -> str | None:
    """The issuing body: the title's issuer part, else an agency-like line above the title (never a site
    template's 来源：X line), widened to the fuller form the text uses (西夏区… → 银川市西夏区…)."""
    above = _agency_line(lines[title_line - 1]) if title_line > 0 else ""
    name = named_agency(title) if issuer_of(title) else named_agency(above)
    return _widen(name, _squeeze(text)) if name else None


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
    """Whether the document calls itself an annual information-disclosure report (a companion such as
    一图读懂… never does)."""
    if is_companion(title):
        return False
    head = norm(title + text[:3000])
    return "信息公开" in head and ("年度报告" in head or "年报" in head or "统计表" in head)
