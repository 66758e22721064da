"""Real-layout score: cells right and false error findings over the generated corpus and the layouts.

Run: .venv/bin/python tests/bench/layout_score.py [N]   (N consistent generated reports, default 30)

Parses every report of tests/fixtures/generate.py (`generated_corpus(N)` and `inconsistent_corpus()`),
every layout variant of the generator (`render_layout` and flows.demo.reportgen.layouts) and every
layout of tests/parsers/layouts/, and prints per group and in total: the cells right (value
and raw equal to the ground truth; a truth cell missing or a cell the truth does not have counts as
wrong) and the false error findings (an `error` finding that the ground truth does not expect).
Asserts nothing: pytest does not collect it; the lead quotes its figures.
"""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from flows.demo import reportgen as g
from parsers import parse
from tests.fixtures.generate import generated_corpus, inconsistent_corpus
from tests.parsers.layouts import LAYOUTS

Key = tuple[str, str, str]
Truth = dict[Key, tuple[float | int | None, str]]
Case = tuple[str, bytes, str, Truth, set[tuple[str, str]]]


def generated(n: int) -> Iterable[Case]:
    for name, data, filename, spec in [*generated_corpus(n), *inconsistent_corpus()]:
        truth = {(c.table, c.row, c.col): (c.value, c.raw) for c in spec.cells}
        errors = {(f.rule, f.where) for f in spec.expected_findings if f.severity == "error"}
        yield name, data, filename, truth, errors


def _spec_case(name: str, data: bytes, filename: str, spec: g.ReportSpec) -> Case:
    truth = {(c.table, c.row, c.col): (c.value, c.raw) for c in spec.cells}
    return name, data, filename, truth, set()


def variants() -> Iterable[Case]:
    """The generator's layout variants, each in gov2021 and gov2019 (and stat2014 where it applies)."""
    gov = ("gov2021", "gov2019")
    for fmt in gov:
        spec = g.make_spec(31, fmt)
        for layout in g.LAYOUT_VARIANTS:
            data, truth = g.render_layout(spec, layout)
            yield _spec_case(f"{layout}/{fmt}", data, "t.html", truth)
        blank = g.blank_rows(spec)
        for kind, filename in (("html", "t.html"), ("pdf", "a.pdf"), ("docx", "a.docx")):
            yield _spec_case(f"blank_rows/{kind}/{fmt}", g.render_blank_rows(blank, kind), filename, blank)
        for kind, merge in (("docx", "empty_cell"), ("docx", "hmerge"), ("pdf", "empty_cell")):
            data = g.render_label_cells(spec, kind, merge)
            yield _spec_case(f"label_{merge}/{kind}/{fmt}", data, f"a.{kind}", spec)
    for fmt in (*gov, "stat2014"):
        spec = g.make_spec(31, fmt)
        yield _spec_case(f"markdown/{fmt}", g.render_markdown(spec), "r.md", spec)
        for style in g.TITLE_STYLES:
            titled = g.retitle(spec, style)
            for kind, filename in (("text", "r.txt"), ("html", "t.html")):
                data = g.render_titled(titled, style, kind)
                yield _spec_case(f"title_{style}/{kind}/{fmt}", data, filename, titled)
        for agency in g.AGENCY_NAMES:
            named = g.retitle(g.make_spec(5, fmt, agency=agency), "year_first")
            data = g.render_with_source(named, "银川市大数据管理服务局", "html")
            yield _spec_case(f"source/{agency}/{fmt}", data, "t.html", named)
    old = g.pre2014(g.make_spec(31, "stat2014"))
    for kind in ("html", "word_html"):
        yield _spec_case(f"pre2014/{kind}", g.render_pre2014(old, kind), "t.htm", old)


def layouts() -> Iterable[Case]:
    for name, build in sorted(LAYOUTS.items()):
        layout = build()
        errors = {(rule, where) for rule, severity, where in layout.findings if severity == "error"}
        yield name, layout.data, layout.filename, layout.cells, errors


def score(cases: Iterable[Case]) -> Counter[str]:
    """Counts: reports, truth cells, cells right, wrong/missing/extra cells, false errors."""
    out: Counter[str] = Counter()
    for name, data, filename, truth, errors in cases:
        out["reports"] += 1
        report = parse(data, filename=filename)
        got = {(c.table, c.row, c.col): (c.value, c.raw) for c in report.cells}
        right = sum(1 for key, want in truth.items() if got.get(key) == want)
        extra = len(set(got) - set(truth))
        out["cells"] += len(truth)
        out["right"] += right
        out["extra"] += extra
        false = [f for f in report.findings if f.severity == "error" and (f.rule, f.where) not in errors]
        out["false_errors"] += len(false)
        if right < len(truth) or extra or false:
            print(f"  {name}: {right}/{len(truth)} cells right, {extra} extra, {len(false)} false errors")
    return out


def line(label: str, c: Counter[str]) -> str:
    ratio = c["right"] / (c["cells"] + c["extra"]) if c["cells"] + c["extra"] else 1.0
    return (
        f"{label:<10} {c['reports']:>4} reports  cells right {c['right']}/{c['cells'] + c['extra']} "
        f"= {ratio:.4f}  false errors {c['false_errors']}"
    )


def main(argv: list[str]) -> int:
    n = int(argv[1]) if len(argv) > 1 else 30
    gen = score(generated(n))
    var = score(variants())
    lay = score(layouts())
    print(line("generated", gen))
    print(line("variants", var))
    print(line("layouts", lay))
    print(line("total", gen + var + lay))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
