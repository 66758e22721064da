"""Split the running text into the six standard sections (headings vary in wording and numbering)."""

from __future__ import annotations

import re

from parsers.labels import norm

_NUMERALS = "一二三四五六七八九十"
_HEADING = re.compile(r"^([一二三四五六七八九十]{1,3})[、.．]\s*(\S.*)$")
_BRACKETED = re.compile(r"^[（(]([一二三四五六七八九十]{1,3})[）)]\s*(\S.*)$")
# A table row, not a heading: the line ends in a number or a blank-cell mark ("四、结转下年度继续办理 0 /").
_TABLE_ROW_END = re.compile(r"(?:\d|\s(?:/|／|—+|－|--?|–|\\|＼))\s*$")
# Checked in this order: the first key whose words occur in the heading wins.
SECTION_WORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("other", ("其他需要报告", "其他事项", "其他需报告")),
    ("problems", ("问题", "改进")),
    ("review_litigation", ("复议", "诉讼")),
    ("requests", ("依申请", "收到和处理", "申请情况")),
    ("proactive", ("主动公开",)),
    ("overview", ("总体情况", "概述", "总体")),
)


def chinese_number(text: str) -> int:
    """一 → 1, 十二 → 12, 二十 → 20."""
    if text == "十":
        return 10
    if "十" in text:
        tens, _, ones = text.partition("十")
        return (_NUMERALS.index(tens) + 1 if tens else 1) * 10 + (_NUMERALS.index(ones) + 1 if ones else 0)
    return _NUMERALS.index(text) + 1


def section_key(heading: str) -> str | None:
    flat = norm(heading)
    for key, words in SECTION_WORDS:
        if any(word in flat for word in words):
            return key
    return None


def _headings(lines: list[str], pattern: re.Pattern[str]) -> list[tuple[int, int, str]]:
    """(line index, number, heading) of consecutively numbered short headings without trailing numbers."""
    found: list[tuple[int, int, str]] = []
    for i, line in enumerate(lines):
        match = pattern.match(line.strip())
        if not match or len(line.strip()) > 40 or _TABLE_ROW_END.search(line):
            continue
        number = chinese_number(match.group(1))
        if number == (found[-1][1] + 1 if found else 1):
            found.append((i, number, line.strip()))
    return found


def split_sections(lines: list[str]) -> dict[str, str]:
    """Section key → heading and body text. Headings that match no standard section are kept as
    `section_<n>` (stat2014 reports have free-form sections)."""
    headings = _headings(lines, _HEADING)
    if len(headings) < 3:
        bracketed = _headings(lines, _BRACKETED)
        if len(bracketed) > len(headings):
            headings = bracketed
    sections: dict[str, str] = {}
    for pos, (start, number, heading) in enumerate(headings):
        end = headings[pos + 1][0] if pos + 1 < len(headings) else len(lines)
        key = section_key(heading)
        if key is None or key in sections:
            key = f"section_{number}"
        sections[key] = "\n".join(line.strip() for line in lines[start:end])
    return sections
