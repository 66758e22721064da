"""A hostile corpus built from generated reports: each file attacks one limit of the parse."""

from __future__ import annotations

import io
import zipfile

from flows.demo import reportgen as g


def _rezip(data: bytes, member: str, body: bytes) -> bytes:
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            target.writestr(info, body if info.filename == member else source.read(info.filename))
    return out.getvalue()


def docx_giant_span() -> bytes:
    """A generated DOCX whose first table cell spans 10⁹ columns (python-docx would expand it)."""
    data = g.render_docx(g.make_spec(1, "gov2021"))
    xml = zipfile.ZipFile(io.BytesIO(data)).read("word/document.xml")
    xml = xml.replace(b"<w:tcPr>", b'<w:tcPr><w:gridSpan w:val="1000000000"/>', 1)
    return _rezip(data, "word/document.xml", xml)


def docx_zip_bomb() -> bytes:
    """A generated DOCX with a member of 300 MB of zeros (a few hundred KB packed)."""
    data = g.render_docx(g.make_spec(1, "gov2021"))
    out = io.BytesIO(data)
    with (
        zipfile.ZipFile(out, "a", zipfile.ZIP_DEFLATED) as target,
        target.open("word/media/bomb.bin", "w", force_zip64=True) as member,
    ):
        for _ in range(300):
            member.write(bytes(1024 * 1024))
    return out.getvalue()


def docx_bad_xml() -> bytes:
    """A generated DOCX whose document.xml uses an undeclared namespace prefix."""
    data = g.render_docx(g.make_spec(1, "gov2021"))
    xml = zipfile.ZipFile(io.BytesIO(data)).read("word/document.xml")
    return _rezip(data, "word/document.xml", xml.replace(b"<w:body>", b"<x:body>", 1))


def docx_bad_deflate() -> bytes:
    """A generated DOCX whose document.xml deflate stream is damaged (the ZIP directory is intact)."""
    data = bytearray(g.render_docx(g.make_spec(1, "gov2021")))
    info = zipfile.ZipFile(io.BytesIO(bytes(data))).getinfo("word/document.xml")
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    for offset in range(start + 20, start + 60):
        data[offset] ^= 0x5A
    return bytes(data)


def html_huge(megabytes: int = 50) -> bytes:
    """A generated report page padded with `megabytes` MB of paragraphs."""
    page = g.render_html(g.make_spec(1, "gov2021"))
    filler = b"<p>" + "本机关依法公开政府信息。".encode() * 20 + b"</p>\n"
    body = filler * (megabytes * 1024 * 1024 // len(filler))
    return page.replace(b"</body>", body + b"</body>", 1)


def html_deep(depth: int = 100_000) -> bytes:
    """A generated report page with `depth` nested <div>s around its body."""
    page = g.render_html(g.make_spec(1, "gov2021"))
    return page.replace(b"<body>", b"<body>" + b"<div>" * depth, 1)


def html_giant_span() -> bytes:
    """A generated report page whose first table cell has colspan and rowspan of 10⁹."""
    page = g.render_html(g.make_spec(1, "gov2021"))
    return page.replace(b"<td", b'<td colspan="1000000000" rowspan="1000000000"', 1)


def html_many_spans() -> bytes:
    """A table of 2,000 cells each spanning 64 × 64 slots (within the span limit, not the slots)."""
    cells = b'<td colspan="64" rowspan="64">1</td>' * 40
    rows = (b"<tr>" + cells + b"</tr>") * 50
    return (
        b"<html><head><meta charset=utf-8><title>t</title></head><body><table>"
        + rows
        + b"</table></body></html>"
    )


HOSTILE = {
    "docx_giant_span": (docx_giant_span, "report.docx"),
    "docx_zip_bomb": (docx_zip_bomb, "report.docx"),
    "html_huge": (html_huge, "report.html"),
    "html_deep": (html_deep, "report.html"),
    "html_giant_span": (html_giant_span, "report.html"),
    "html_many_spans": (html_many_spans, "report.html"),
}
