"""Cell text → value: ints for counts, floats only where the text has a decimal point, None for blanks."""

from __future__ import annotations

import functools
import re

NULL_TOKENS = frozenset({"", "/", "／", "—", "——", "－", "-", "--", "–", "无", "\\", "＼"})
_UNIT = r"(?:万元|元|件|条|个|项|次|篇|人次|人|家|份|起)"
# A number may carry a note in brackets after it: "22（其中修订16件）" is 22 (the note stays in `raw`).
_NOTE = r"(?:[（(][^（()）]*[）)])?"
_NUMBER = re.compile(rf"^([+\-－−]?)(\d[\d,，]*)(?:[.．](\d+))?{_UNIT}?{_NOTE}$")
_FOOTER = re.compile(
    r"^[-－—–]\s*\d{1,3}\s*[-－—–]$|^第\s*\d+\s*页(\s*[，,]?\s*共\s*\d+\s*页)?$|^\d{1,3}\s*/\s*\d{1,3}$"
)


@functools.lru_cache(maxsize=65536)
def is_footer(text: str) -> bool:
    """A page number line ("- 4 -", "第 3 页 共 6 页") that PDF text puts inside tables."""
    return bool(_FOOTER.match(text.strip()))


def clean_cell(raw: str) -> str:
    return "".join(raw.split())


@functools.lru_cache(maxsize=65536)
def is_value(raw: str) -> bool:
    """True for a number (with an optional unit) or a blank marker."""
    text = clean_cell(raw)
    return text in NULL_TOKENS or bool(_NUMBER.match(text))


@functools.lru_cache(maxsize=65536)
def parse_value(raw: str) -> float | int | None:
    """The number in a cell ("251000元" → 251000, "1.50" → 1.5, "/" → None); None if not a number."""
    match = _NUMBER.match(clean_cell(raw))
    if not match:
        return None
    sign, whole, frac = match.groups()
    digits = whole.replace(",", "").replace("，", "")
    negative = sign in ("-", "－", "−")
    if frac is not None:
        number = float(f"{digits}.{frac}")
        return -number if negative else number
    return -int(digits) if negative else int(digits)
