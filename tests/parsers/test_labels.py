"""parsers/labels.norm and metadata._squeeze: the text normalisations every label and title goes
through, checked against their definitions (a `str.translate` table, a lookaround regex) on exact
examples and on many random strings of the characters that matter."""

from __future__ import annotations

import random
import re

from parsers.labels import norm
from parsers.metadata import _CJK, _squeeze

_DEFINITION = str.maketrans(
    {"（": "(", "）": ")", "“": '"', "”": '"', "「": '"', "」": '"', "＂": '"', "．": ".", "，": ","}
    | {"：": ":", "；": ";", "／": "/", "*": None, "#": None}
)
_SQUEEZE_DEFINITION = re.compile(rf"(?<=[{_CJK}\d]) (?=[{_CJK}\d])|(?<=[{_CJK}]) | (?=[{_CJK}])")
_ALPHABET = "一二区 年4５٣ab  \u3000\t\n,，（）()“”「」＂．：；／*#、"


def _random_texts(count: int, longest: int) -> list[str]:
    rng = random.Random(20261203)
    return ["".join(rng.choice(_ALPHABET) for _ in range(rng.randint(0, longest))) for _ in range(count)]


def test_norm_folds_full_width_punctuation_and_drops_spaces_and_footnote_marks() -> None:
    assert norm(" （一）行政许可*：  ＂公开＂ ") == '(一)行政许可:"公开"'
    assert norm("第 # 1 项，共２项；“甲”／「乙」．") == '第1项,共２项;"甲"/"乙".'
    long = "（二） 收到申请数，" * 20
    assert norm(long) == "(二)收到申请数," * 20
    for text in _random_texts(3000, 30) + _random_texts(50, 400):
        assert norm(text) == "".join(text.split()).translate(_DEFINITION), text


def test_squeeze_drops_spaces_next_to_cjk_and_between_digits_only() -> None:
    assert _squeeze("科学技术局 2020 年") == "科学技术局2020年"
    assert _squeeze("  银川市\u3000 西夏区 (2021)  a b 1 2 ٣ x") == "银川市西夏区(2021) a b 12٣ x"
    for text in _random_texts(5000, 30):
        assert _squeeze(text) == _SQUEEZE_DEFINITION.sub("", " ".join(text.split())), text
