"""Each layout variant of the report generator parses back to exactly the spec's cells, no findings."""

from __future__ import annotations

import pytest

from flows.demo import reportgen as g
from flows.demo.reportgen.variants import LAYOUT_VARIANTS, render_layout
from parsers import parse


@pytest.mark.parametrize("fmt", ["gov2021", "gov2019"])
@pytest.mark.parametrize("layout", LAYOUT_VARIANTS)
def test_layout_variant_parses_to_the_spec(layout: str, fmt: str) -> None:
    data, spec = render_layout(g.make_spec(31, fmt), layout)
    report = parse(data, filename="t1.html")
    assert (report.format, report.year, report.agency) == (spec.format, spec.year, spec.agency)
    assert {(c.table, c.row, c.col): (c.value, c.raw) for c in report.cells} == {
        (c.table, c.row, c.col): (c.value, c.raw) for c in spec.cells
    }
    assert report.findings == []


def test_variants_change_the_page() -> None:
    spec = g.make_spec(31, "gov2021")
    plain = g.render_html(spec)
    for layout in LAYOUT_VARIANTS:
        assert render_layout(spec, layout)[0] != plain
    assert b"&nbsp;</td>" in render_layout(spec, "merged_empty_td")[0]
