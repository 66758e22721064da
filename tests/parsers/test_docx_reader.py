"""The DOCX reader (parsers/docx.py: lxml and one XSLT pass) against python-docx, the reader it replaced.

`python_docx_blocks` is the former reader, kept here as the reference: python-docx opens the package,
`Paragraph.text` gives a paragraph's text and `_Row.cells` a row's cells (a cell repeated over its
gridSpan, a vMerge continuation as the cell above it). On generated reports in every format and
layout, and on a body written by hand with every construct the reader treats specially (hyperlinks,
tabs, breaks of each type, non-breaking hyphens, carriage returns, runs the reader must skip, chained
vertical merges under horizontal spans, gridBefore, legacy hMerge, nested tables), both must give the
same lines and grids.
"""

from __future__ import annotations

import io
import zipfile
from typing import Any

import pytest

from flows.demo import reportgen as g
from parsers.document import Grid, GridRow, Line
from parsers.docx import read_docx
from parsers.errors import CorruptDocument
from tests.parsers.layouts import LAYOUTS

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def python_docx_blocks(data: bytes) -> list[Line | Grid]:
    """The former reader: python-docx's paragraphs and `_Row.cells`; a cell object met again (its
    span, a vertical merge) or continuing a legacy hMerge is a covered slot."""
    import docx
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    document = docx.Document(io.BytesIO(data))
    blocks: list[Line | Grid] = []
    for child in document.element.body.iterchildren():
        if child.tag == f"{W}p":
            text = " ".join(Paragraph(child, document).text.split())
            if text:
                blocks.append(Line(text))
        elif child.tag == f"{W}tbl":
            seen: dict[int, Any] = {}
            rows: list[GridRow] = []
            for row in Table(child, document).rows:
                cells: list[str | None] = []
                for cell in row.cells:
                    tc_pr = cell._tc.find(f"{W}tcPr")
                    merge = tc_pr.find(f"{W}hMerge") if tc_pr is not None else None
                    if id(cell._tc) in seen or (merge is not None and merge.get(f"{W}val") != "restart"):
                        cells.append(None)
                        continue
                    seen[id(cell._tc)] = cell._tc
                    cells.append("\n".join(p.text for p in cell.paragraphs))
                rows.append(GridRow(tuple(cells)))
            blocks.append(Grid(rows, sum(isinstance(b, Grid) for b in blocks)))
    return blocks


def _with_body(body: str) -> bytes:
    """A generated report whose document body is replaced by `body` (WordprocessingML, `w:` bound)."""
    data = g.render_docx(g.make_spec(3, "gov2021"))
    xml = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" '
        'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
        f"<w:body>{body}<w:sectPr/></w:body></w:document>"
    ).encode()
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            target.writestr(info, xml if info.filename == "word/document.xml" else source.read(info.filename))
    return out.getvalue()


def _p(*runs: str) -> str:
    return f"<w:p>{''.join(runs)}</w:p>"


def _r(inner: str) -> str:
    return f"<w:r><w:rPr><w:b/></w:rPr>{inner}</w:r>"


def _t(text: str) -> str:
    return _r(f'<w:t xml:space="preserve">{text}</w:t>')


def _tc(text: str, props: str = "") -> str:
    return f"<w:tc><w:tcPr><w:tcW w:w='100' w:type='dxa'/>{props}</w:tcPr>{_p(_t(text))}</w:tc>"


HAND_WRITTEN = "".join(
    [
        _p(_t("标题"), '<w:hyperlink r:id="rId99">', _t("链接"), _t("文字"), "</w:hyperlink>", _t("尾")),
        _p(
            _r(
                "<w:t>a</w:t><w:tab/><w:t>b</w:t><w:ptab w:relativeTo='margin' w:alignment='left' w:leader='none'/>"
            )
        ),
        _p(_r('<w:t>c</w:t><w:br/><w:t>d</w:t><w:br w:type="page"/><w:t>e</w:t><w:br w:type="column"/>')),
        _p(_r("<w:t>f</w:t><w:cr/><w:t>g</w:t><w:noBreakHyphen/><w:t>h</w:t><w:softHyphen/><w:t/>")),
        _p(
            _t("见"),
            f"<w:ins w:id='1' w:author='x'>{_t('插入')}</w:ins>",
            f"<w:fldSimple w:instr='PAGE'>{_t('7')}</w:fldSimple>",
            f"<w:smartTag w:uri='u' w:element='e'>{_t('标记')}</w:smartTag>",
            _r("<w:delText>删</w:delText><w:instrText>PAGE</w:instrText>"),
            _t("  空  格  "),
        ),
        "<w:sdt><w:sdtContent>" + _p(_t("内容控件里的段落")) + "</w:sdtContent></w:sdt>",
        _p(),
        "<w:tbl><w:tblPr/><w:tblGrid/>",
        "<w:tr>",
        _tc("一", "<w:gridSpan w:val='2'/><w:vMerge w:val='restart'/>"),
        _tc("二", "<w:vMerge w:val='restart'/>"),
        _tc("三"),
        "</w:tr><w:tr>",
        _tc("", "<w:gridSpan w:val='2'/><w:vMerge/>"),
        _tc("x", "<w:vMerge w:val='continue'/>"),
        _tc("四"),
        "</w:tr><w:tr>",
        _tc("", "<w:gridSpan w:val='2'/><w:vMerge/>"),
        _tc("五", "<w:vMerge w:val='restart'/>"),
        _tc("六", "<w:hMerge w:val='restart'/>"),
        "</w:tr><w:tr><w:trPr><w:gridBefore w:val='1'/><w:gridAfter w:val='1'/></w:trPr>",
        _tc("七"),
        _tc("", "<w:vMerge/>"),
        _tc("", "<w:hMerge/>"),
        "</w:tr><w:tr>",
        "<w:tc><w:tcPr/>" + _p(_t("第一段")) + _p() + _p(_t("第三段")),
        "<w:tbl><w:tr>" + _tc("嵌套") + "</w:tr></w:tbl>" + _p(_t("嵌套后")) + "</w:tc>",
        _tc("八", "<w:gridSpan w:val='3'/>"),
        "</w:tr></w:tbl>",
        _p(_t("表后")),
        "<w:tbl><w:tr><w:tc><w:p/></w:tc></w:tr></w:tbl>",
    ]
)


def _generated() -> list[tuple[str, bytes]]:
    cases: list[tuple[str, bytes]] = []
    for seed, fmt in ((1, "gov2021"), (2, "gov2019"), (3, "stat2014")):
        spec = g.make_spec(seed, fmt)
        cases.append((f"report/{fmt}", g.render_docx(spec)))
        for merge in ("span", "empty_cell", "hmerge"):
            if fmt != "stat2014":
                cases.append((f"label_{merge}/{fmt}", g.render_label_cells(spec, "docx", merge)))
        if fmt != "stat2014":
            cases.append((f"blank_rows/{fmt}", g.render_blank_rows(g.blank_rows(spec), "docx")))
    cases.append(("blanks/gov2019", g.render_docx(g.make_spec(4, "gov2019", blanks=True))))
    for name, build in sorted(LAYOUTS.items()):
        layout = build()
        if layout.filename.endswith(".docx"):
            cases.append((f"layout/{name}", layout.data))
    return cases


@pytest.mark.parametrize(("name", "data"), _generated(), ids=lambda v: v if isinstance(v, str) else "")
def test_generated_docx_reads_as_python_docx_reads_it(name: str, data: bytes) -> None:
    blocks = read_docx(data).blocks
    assert any(isinstance(b, Grid) for b in blocks), name
    assert blocks == python_docx_blocks(data), name


def test_hand_written_body_reads_as_python_docx_reads_it() -> None:
    data = _with_body(HAND_WRITTEN)
    blocks = read_docx(data).blocks
    assert blocks == python_docx_blocks(data)
    lines = [b.text for b in blocks if isinstance(b, Line)]
    assert lines == ["标题链接文字尾", "a b", "c de", "f g-h", "见 空 格", "表后"]
    grid = next(b for b in blocks if isinstance(b, Grid))
    assert [row.cells for row in grid.rows] == [
        ("一", None, "二", "三"),
        (None, None, None, "四"),
        (None, None, "五", "六"),
        ("七", None, None),
        ("第一段\n\n第三段\n嵌套后", "八", None, None),
    ]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            "<w:tbl><w:tr>" + _tc("", "<w:vMerge/>") + "</w:tr></w:tbl>",
            "damaged DOCX: a merged cell continues from above the first row",
        ),
        (
            "<w:tbl><w:tr>"
            + _tc("一")
            + "</w:tr><w:tr>"
            + _tc("二")
            + _tc("", "<w:vMerge/>")
            + "</w:tr></w:tbl>",
            "damaged DOCX: a merged cell continues no cell above it (column 1)",
        ),
        (
            "<w:tbl><w:tr>" + _tc("一", "<w:gridSpan/>") + "</w:tr></w:tbl>",
            "damaged DOCX: a table span or grid count without a value",
        ),
        (
            "<w:tbl><w:tr>" + _tc("一", "<w:gridSpan w:val='two'/>") + "</w:tr></w:tbl>",
            "damaged DOCX: table span 'two' is not a number",
        ),
    ],
)
def test_a_table_python_docx_cannot_read_is_a_corrupt_document(body: str, message: str) -> None:
    data = _with_body(body)
    with pytest.raises(Exception):  # noqa: B017 - python-docx raises ValueError or its InvalidXmlError
        python_docx_blocks(data)
    with pytest.raises(CorruptDocument) as caught:
        read_docx(data)
    assert str(caught.value) == message


def test_a_package_whose_main_part_is_not_a_word_document_is_refused() -> None:
    """A macro-enabled document (.docm content type) is refused, as python-docx refuses it."""
    data = g.render_docx(g.make_spec(3, "gov2021"))
    out = io.BytesIO()
    main = b"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
    macro = b"application/vnd.ms-word.document.macroEnabled.main+xml"
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            body = source.read(info.filename)
            target.writestr(
                info, body.replace(main, macro) if info.filename == "[Content_Types].xml" else body
            )
    with pytest.raises(ValueError, match="is not a Word file"):
        python_docx_blocks(out.getvalue())
    with pytest.raises(CorruptDocument) as caught:
        read_docx(out.getvalue())
    assert str(caught.value) == f"damaged DOCX: the main part is not a Word document ({macro.decode()})"
