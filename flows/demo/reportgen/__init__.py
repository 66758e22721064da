"""Generate realistic 政府信息公开工作年度报告 with known ground truth.

Two users: the parser tests (every generated cell is known exactly, and `break_identity` makes
variants that break exactly one consistency rule) and the demo portal (report files of several
agencies and years as HTML bodies, PDF and DOCX attachments, scans). Libraries: reportlab (PDF,
built-in CID font STSong-Light; the `[demo]` extra), python-docx, Pillow, stdlib.

One module per concern: `spec` (the `ReportSpec` data model and `make_spec`), `figures` (the numbers),
`prose` (the body text), `layout` (the printed table grids), one renderer per file kind (`as_text`,
`as_html`, `as_pdf`, `as_docx`, `as_scan`), `variants` (broken reports and bad inputs) and `layouts`
(the layouts real reports use: blank rows, label cells, pre-2014 statistics, Markdown, titles). This
package re-exports the names its users call.

Table layouts follow 国办公开办函〔2021〕30号 / 〔2019〕60号 and the 国办发〔2014〕32号 statistics table;
row/column keys and labels come from `parsers.templates`.

Ground-truth conventions the parsers are tested against:
- `Cell.value` is None for "/" and "—" cells (their `raw` is kept); identities treat None as 0.
- stat2014 indicators are keyed by their number path: 一→"1", （二）→"1.2", 3.→"1.2.3"; unnumbered
  sub-items ("其中：…" and the rows following it) get letters: "3.3.4.a", "3.3.4.b"…; `label` is the
  printed label including its number. They are also listed in `cells` as table "statistics",
  row = path, col "value". Group rows print "—" as unit and value.
- Sections are the body text under each heading, paragraphs separated by "\n"; the preamble before
  一、 belongs to no section.
"""

from __future__ import annotations

from collections.abc import Callable

from flows.demo.reportgen.as_docx import render_docx
from flows.demo.reportgen.as_html import render_html
from flows.demo.reportgen.as_pdf import FONT, register_font, render_encrypted_pdf, render_pdf
from flows.demo.reportgen.as_scan import render_scanned_pdf
from flows.demo.reportgen.as_text import render_text
from flows.demo.reportgen.layouts import (
    AGENCY_NAMES,
    COMPANION_KINDS,
    LABEL_MERGES,
    TITLE_STYLES,
    blank_rows,
    companion_page,
    pre2014,
    render_blank_rows,
    render_label_cells,
    render_markdown,
    render_pre2014,
    render_titled,
    render_with_source,
    render_word_html,
    retitle,
)
from flows.demo.reportgen.spec import (
    FORMATS,
    ReportSpec,
    in_force_counts,
    make_spec,
    request_row,
    spec_to_json,
)
from flows.demo.reportgen.variants import (
    BREAKABLE_RULES,
    LAYOUT_VARIANTS,
    bad_inputs,
    break_identity,
    identity_findings,
    render_layout,
)
from parsers.model import Cell

RENDERERS: dict[str, Callable[[ReportSpec], bytes]] = {
    "pdf": render_pdf,
    "docx": render_docx,
    "html": render_html,
    "text": render_text,
    "scanned_pdf": render_scanned_pdf,
}

__all__ = [
    "AGENCY_NAMES",
    "BREAKABLE_RULES",
    "COMPANION_KINDS",
    "FONT",
    "FORMATS",
    "LABEL_MERGES",
    "LAYOUT_VARIANTS",
    "RENDERERS",
    "TITLE_STYLES",
    "Cell",
    "ReportSpec",
    "bad_inputs",
    "blank_rows",
    "break_identity",
    "companion_page",
    "identity_findings",
    "in_force_counts",
    "make_spec",
    "pre2014",
    "register_font",
    "render_blank_rows",
    "render_docx",
    "render_encrypted_pdf",
    "render_html",
    "render_label_cells",
    "render_layout",
    "render_markdown",
    "render_pdf",
    "render_pre2014",
    "render_scanned_pdf",
    "render_text",
    "render_titled",
    "render_with_source",
    "render_word_html",
    "request_row",
    "retitle",
    "spec_to_json",
]
