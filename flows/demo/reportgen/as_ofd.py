"""A report as an OFD file (GB/T 33190): OFD.xml, Doc_0/Document.xml and one Content.xml per page
of positioned TextObject/TextCode and ruled PathObject cell borders, as a 版式 (fixed-layout) export
from WPS or 数科 writes it. Coordinates are millimetres, y downwards; a TextCode's Y is its baseline.
The pages are `fixed.report_pages`, the same the scanner prints."""

from __future__ import annotations

import io
import zipfile
from xml.sax.saxutils import escape, quoteattr

from flows.demo.reportgen.fixed import PAGE_H, PAGE_W, Page, advance, report_pages
from flows.demo.reportgen.spec import ReportSpec, document_time

NS = "http://www.ofdspec.org/2016"


def _objects(page: Page, first_id: int) -> list[str]:
    """The page's TextObjects (Boundary holds the line; X/Y the baseline origin inside it) and
    PathObjects (a closed stroked rectangle per cell), with IDs from `first_id`."""
    out: list[str] = []
    for rect in page.rects:
        out.append(
            f'<ofd:PathObject ID="{first_id + len(out)}" Boundary="{rect.x:.2f} {rect.y:.2f} {rect.w:.2f} '
            f'{rect.h:.2f}" LineWidth="0.25"><ofd:AbbreviatedData>M 0 0 L {rect.w:.2f} 0 L {rect.w:.2f} '
            f"{rect.h:.2f} L 0 {rect.h:.2f} C</ofd:AbbreviatedData></ofd:PathObject>"
        )
    for text in page.texts:
        advances = [advance(ch, text.size) for ch in text.text]
        delta = " ".join(f"{a:g}" for a in advances[:-1])
        top = text.baseline - text.size
        out.append(
            f'<ofd:TextObject ID="{first_id + len(out)}" Boundary="{text.x:.2f} {top:.2f} '
            f'{sum(advances):.2f} {text.size * 1.2:.2f}" Font="2" Size="{text.size:g}">'
            f'<ofd:FillColor Value="0 0 0"/><ofd:TextCode X="0" Y="{text.size:g}" DeltaX={quoteattr(delta)}>'
            f"{escape(text.text)}</ofd:TextCode></ofd:TextObject>"
        )
    return out


def render_ofd(spec: ReportSpec) -> bytes:
    """The report as an OFD package."""
    pages = report_pages(spec)
    when = document_time(spec)
    stamp = (when.year, when.month, when.day, when.hour, when.minute, when.second)
    members: dict[str, str] = {
        "OFD.xml": (
            f'<?xml version="1.0" encoding="UTF-8"?><ofd:OFD xmlns:ofd="{NS}" Version="1.0" DocType="OFD">'
            f"<ofd:DocBody><ofd:DocInfo><ofd:DocID>{spec.seed:032x}</ofd:DocID>"
            f"<ofd:Title>{escape(spec.title)}</ofd:Title><ofd:CreationDate>{when.date().isoformat()}"
            "</ofd:CreationDate></ofd:DocInfo><ofd:DocRoot>Doc_0/Document.xml</ofd:DocRoot></ofd:DocBody>"
            "</ofd:OFD>"
        ),
        "Doc_0/PublicRes.xml": (
            f'<?xml version="1.0" encoding="UTF-8"?><ofd:Res xmlns:ofd="{NS}" BaseLoc="Res"><ofd:Fonts>'
            '<ofd:Font ID="2" FontName="宋体" FamilyName="宋体"/></ofd:Fonts></ofd:Res>'
        ),
    }
    next_id = 3
    page_refs: list[str] = []
    for number, page in enumerate(pages):
        objects = _objects(page, next_id + 1)
        members[f"Doc_0/Pages/Page_{number}/Content.xml"] = (
            f'<?xml version="1.0" encoding="UTF-8"?><ofd:Page xmlns:ofd="{NS}"><ofd:Content>'
            f'<ofd:Layer ID="{next_id}">{"".join(objects)}</ofd:Layer></ofd:Content></ofd:Page>'
        )
        page_id = next_id + len(objects) + 1
        page_refs.append(f'<ofd:Page ID="{page_id}" BaseLoc="Pages/Page_{number}/Content.xml"/>')
        next_id = page_id + 1
    members["Doc_0/Document.xml"] = (
        f'<?xml version="1.0" encoding="UTF-8"?><ofd:Document xmlns:ofd="{NS}"><ofd:CommonData>'
        f"<ofd:MaxUnitID>{next_id}</ofd:MaxUnitID><ofd:PageArea><ofd:PhysicalBox>0 0 {PAGE_W:g} {PAGE_H:g}"
        "</ofd:PhysicalBox></ofd:PageArea><ofd:PublicRes>PublicRes.xml</ofd:PublicRes></ofd:CommonData>"
        f"<ofd:Pages>{''.join(page_refs)}</ofd:Pages></ofd:Document>"
    )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as package:
        for name, text in members.items():
            package.writestr(
                zipfile.ZipInfo(name, date_time=stamp), text.encode("utf-8"), zipfile.ZIP_DEFLATED
            )
    return out.getvalue()
