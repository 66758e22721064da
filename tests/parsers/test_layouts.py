"""Each layout real reports use (tests/parsers/layouts/) parses to exactly its cells — value and raw —
its metadata and its findings."""

from __future__ import annotations

import pytest

from parsers import parse
from tests.parsers.layouts import LAYOUTS


@pytest.mark.parametrize("name", sorted(LAYOUTS))
def test_layout_parses_to_exact_cells_and_findings(name: str) -> None:
    layout = LAYOUTS[name]()
    report = parse(layout.data, filename=layout.filename)
    assert report.status == "parsed"
    assert (report.format, report.year, report.agency) == (layout.format, layout.year, layout.agency)
    assert {(c.table, c.row, c.col): (c.value, c.raw) for c in report.cells} == layout.cells
    assert sorted((f.rule, f.severity, f.where) for f in report.findings) == sorted(layout.findings)
    if layout.statistics:
        assert report.statistics == layout.statistics


def test_blank_rows_are_kept_not_missing() -> None:
    report = parse(LAYOUTS["html_blank_rows"]().data, filename="blank.html")
    blank = [c for c in report.cells if c.row in ("withheld_inquiry", "rejected_confirmation", "other")]
    assert len(blank) == 21 and all((c.value, c.raw) == (None, "") for c in blank)
    assert not [f for f in report.findings if f.rule == "report.missing_row"]
