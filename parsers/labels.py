"""Label normalisation and fuzzy matching shared by the table and section parsers."""

from __future__ import annotations

import re
from difflib import SequenceMatcher
from functools import lru_cache

_FOLDS = (
    ("（", "("),
    ("）", ")"),
    ("“", '"'),
    ("”", '"'),
    ("「", '"'),
    ("」", '"'),
    ("＂", '"'),
    ("．", "."),
    ("，", ","),
    ("：", ":"),
    ("；", ";"),
    ("／", "/"),
    ("*", ""),
    ("#", ""),
)
"""Full-width punctuation folded to ASCII, and the marks labels carry for footnotes dropped. No
replacement is itself folded, so replacing them one after another is one `str.translate`, which for
CJK text looks every character up in a dict and took several times as long."""


def _fold(text: str) -> str:
    for old, new in _FOLDS:
        if old in text:
            text = text.replace(old, new)
    return text


def norm(text: str) -> str:
    """Whitespace-free text with full-width punctuation folded, for comparing labels."""
    if len(text) <= _SHORT:
        return _norm_short(text)
    return _fold("".join(text.split()))


_SHORT = 80
"""Labels and cells are short and repeat from report to report: their `norm` is remembered."""


@lru_cache(maxsize=65536)
def _norm_short(text: str) -> str:
    return _fold("".join(text.split()))


def squash_repeats(tokens: list[str]) -> list[str]:
    """Drop a token equal to the one before it ("行政许可 行政许可 0" is one label)."""
    out: list[str] = []
    for token in tokens:
        if not out or out[-1] != token:
            out.append(token)
    return out


@lru_cache(maxsize=65536)
def ratio(a: str, b: str) -> float:
    """Similarity of two normalised labels in [0, 1]."""
    if a == b:
        return 1.0
    if not a or not b:
        return 0.0
    return SequenceMatcher(None, a, b, autojunk=False).ratio()


_NUMBERING = re.compile(r"^(\(?[一二三四五六七八九十]+[)、]|\d+[.、]|\(\d+\))")


def strip_numbering(label: str) -> str:
    """ "(三)不予公开" → "不予公开", "1.属于国家秘密" → "属于国家秘密" (on normalised text)."""
    return _NUMBERING.sub("", label, count=1)
