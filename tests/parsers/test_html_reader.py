"""parsers/html.py's one-pass helpers against the per-element code they replace: every cell's text from
the XSLT pass (`cell_texts`) against `cell_text`, the XPath depth check against a walk of the tree."""

from __future__ import annotations

import lxml.html
import pytest
from lxml import etree

from parsers.errors import ResourceLimit
from parsers.html import _html_parser, cell_text, cell_texts, check_depth, read_html

PAGE = """<html><head><title>表</title></head><body>
<table>
<tr><td>第一<span>行</span>尾</td><td><p>一段</p><p>二段</p></td><td>甲<br>乙<br/>丙</td></tr>
<tr><th><div>块<b>粗</b></div>后</th><td>前<!-- 注释 -->后<?pi 指令?>尾</td><td> &nbsp;12&nbsp; </td></tr>
<tr><td><o:p>Word</o:p><span lang=EN-US>3</span><o:p></o:p></td><td><ul><li>一</li><li>二</li></ul></td><td></td></tr>
<tr><td><table><tr><td>嵌套<p>段</p></td></tr></table>外</td><td>a<center>b</center>c</td>
<td><h3>标题</h3>正文<blockquote>引</blockquote></td></tr>
</table></body></html>"""


def test_cell_texts_are_cell_text_for_every_cell() -> None:
    root = lxml.html.document_fromstring(PAGE, parser=_html_parser())
    texts = cell_texts(root)
    cells = root.xpath("//td|//th")
    assert len(texts) == len(cells) == 13
    assert [texts[td] for td in cells] == [cell_text(td) for td in cells]
    assert [texts[td] for td in cells[:9]] == [
        "第一行尾",
        "一段 二段",
        "甲 乙 丙",
        "块粗 后",
        "前后尾",
        "12",
        "Word3",
        "一 二",
        "",
    ]
    assert texts.longest == len("标题 正文 引")


def _nested(depth: int) -> bytes:
    """A page whose deepest element is `depth` levels below <html> (html, body, then divs)."""
    divs = depth - 2
    return f"<html><body>{'<div>' * divs}x{'</div>' * divs}</body></html>".encode()


def _walked_depth(root: etree._Element) -> int:
    depth = deepest = 0
    for event, _ in etree.iterwalk(root, events=("start", "end")):
        depth += 1 if event == "start" else -1
        deepest = max(deepest, depth)
    return deepest


@pytest.mark.parametrize("depth", [3, 49, 50, 51, 120])
def test_depth_check_refuses_exactly_what_a_walk_finds_too_deep(depth: int) -> None:
    root = lxml.html.document_fromstring(_nested(depth), parser=_html_parser())
    assert _walked_depth(root) == depth
    if depth > 50:
        with pytest.raises(ResourceLimit, match=r"^HTML nested more than 50 elements deep$"):
            check_depth(root, 50)
    else:
        check_depth(root, 50)


def test_a_page_at_the_default_depth_limit_reads() -> None:
    assert [line.text for line in read_html(_nested(200)).lines] == ["x"]
    with pytest.raises(ResourceLimit):
        read_html(_nested(201))
