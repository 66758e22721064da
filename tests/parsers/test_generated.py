"""Generated reports (flows/demo/reportgen.py) with random non-zero consistent numbers parse back
exactly, in every layout and file kind; inconsistent variants produce exactly the broken rule."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from flows.demo import reportgen as g
from parsers import parse
from parsers.model import Report

KINDS: dict[str, Callable[[g.ReportSpec], bytes]] = {
    "text": g.render_text,
    "html": g.render_html,
    "html_gbk": lambda spec: g.render_html(spec, encoding="gbk"),
    "docx": g.render_docx,
    "pdf": g.render_pdf,
    "pdf_split_vertical": lambda spec: g.render_pdf(spec, split_table=True, vertical_labels=True),
}
NAMES = {"text": "report.txt", "html": "t1.html", "html_gbk": "t2.html", "docx": "report.docx"}
CASES = [
    (fmt, kind, seed, blanks)
    for fmt in g.FORMATS
    for kind in KINDS
    if not (fmt == "stat2014" and kind == "pdf_split_vertical")
    for seed, blanks in ((11, False), (12, True))
]


def _key(report_or_spec: Report | g.ReportSpec) -> dict[tuple[str, str, str], tuple[object, str]]:
    return {(c.table, c.row, c.col): (c.value, c.raw) for c in report_or_spec.cells}


@pytest.mark.parametrize(("fmt", "kind", "seed", "blanks"), CASES)
def test_generated_report_parses_back_exactly(fmt: str, kind: str, seed: int, blanks: bool) -> None:
    spec = g.make_spec(seed, fmt, blanks=blanks)
    report = parse(KINDS[kind](spec), filename=NAMES.get(kind, "P0201.pdf"))
    assert report.status == "parsed"
    assert (report.format, report.year, report.agency) == (spec.format, spec.year, spec.agency)
    assert _key(report) == _key(spec)
    if fmt == "stat2014":
        assert {p: (e["unit"], e["value"]) for p, e in report.statistics.items()} == {
            p: (e["unit"], e["value"]) for p, e in spec.statistics.items()
        }
    assert report.findings == []
    if kind.startswith("pdf"):
        assert report.parser.pages is not None and report.parser.pages >= 2
        assert all(c.page is not None and 1 <= c.page <= report.parser.pages for c in report.cells)


def test_case_count_covers_thirty_reports() -> None:
    assert len(CASES) >= 30


def test_blank_cells_keep_their_mark() -> None:
    spec = g.make_spec(12, "gov2021", blanks=True)
    blanks = [c for c in spec.cells if c.value is None]
    assert blanks, "the generator printed no blank cells"
    report = parse(g.render_html(spec))
    got = _key(report)
    assert all(got[(c.table, c.row, c.col)] == (None, c.raw) for c in blanks)


def test_unknown_agency_is_reported_not_guessed() -> None:
    spec = g.make_spec(13, "gov2021", agency=None)
    report = parse(g.render_docx(spec))
    assert report.agency is None
    assert [(f.rule, f.severity) for f in report.findings] == [("report.agency_unknown", "info")]
    assert _key(report) == _key(spec)


BROKEN = [
    (fmt, rule, kind)
    for fmt in g.FORMATS
    for rule in g.BREAKABLE_RULES
    if fmt != "stat2014" or rule == "report.text_mismatch"
    for kind in ("text", "html", "docx")
]


@pytest.mark.parametrize(("fmt", "rule", "kind"), BROKEN)
def test_broken_identity_gives_exactly_its_finding(fmt: str, rule: str, kind: str) -> None:
    original = g.make_spec(21, fmt)
    broken = g.break_identity(original, rule)
    assert parse(KINDS[kind](original)).findings == []
    report = parse(KINDS[kind](broken))
    got = sorted((f.rule, f.severity, f.where, f.expected, f.actual) for f in report.findings)
    want = sorted((f.rule, f.severity, f.where, f.expected, f.actual) for f in broken.expected_findings)
    assert want and got == want


@pytest.mark.parametrize("rule", ["requests.balance", "review_litigation.block_total"])
def test_broken_identity_in_pdf(rule: str) -> None:
    broken = g.break_identity(g.make_spec(22, "gov2019"), rule)
    report = parse(g.render_pdf(broken, split_table=True))
    assert sorted((f.rule, f.where, f.expected, f.actual) for f in report.findings) == sorted(
        (f.rule, f.where, f.expected, f.actual) for f in broken.expected_findings
    )
