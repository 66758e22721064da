"""The report generator: consistent ground truth, exact rule breaking, and readable renderings."""

from __future__ import annotations

import importlib.util
import io
import json
import sys
import zipfile
from pathlib import Path
from types import ModuleType

import docx
import pdfplumber
import pytest
from pdfminer.pdfdocument import PDFPasswordIncorrect
from pdfplumber.utils.exceptions import PdfminerException

from flows.demo import reportgen
from flows.demo.reportgen import ReportSpec
from parsers import templates

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
GOV = ("gov2021", "gov2019")


def _value(spec: ReportSpec, table: str, row: str, col: str) -> int | float:
    found = [c for c in spec.cells if (c.table, c.row, c.col) == (table, row, col)]
    assert len(found) == 1, (table, row, col)
    return found[0].value or 0


def violations(spec: ReportSpec) -> set[tuple[str, str]]:
    """Recompute every identity of DOMAIN.md from the cells: (rule, where) of each broken one."""
    broken: set[tuple[str, str]] = set()
    results = templates.table_template(spec.format, None).result_rows
    for col, _label in templates.REQUEST_COLUMNS:
        v = {
            row.key: _value(spec, "requests", row.key, col)
            for row in templates.table_template(spec.format, None).request_rows
        }
        if v["new"] + v["carried_over"] != v["total"] + v["carried_forward"]:
            broken.add(("requests.balance", col))
        if sum(v[r] for r in results) != v["total"]:
            broken.add(("requests.total_sum", col))
    for row in templates.table_template(spec.format, None).request_rows:
        parts = sum(_value(spec, "requests", row.key, c) for c in templates.APPLICANT_COLUMNS)
        if parts != _value(spec, "requests", row.key, "total"):
            broken.add(("requests.row_total", row.key))
    for block, _label in templates.REVIEW_BLOCKS:
        parts = sum(_value(spec, "review_litigation", block, p) for p in templates.REVIEW_PARTS)
        if parts != _value(spec, "review_litigation", block, "total"):
            broken.add(("review_litigation.block_total", block))
    return broken


@pytest.mark.parametrize("fmt", GOV)
@pytest.mark.parametrize("blanks", [False, True])
def test_make_spec_identities_hold_for_many_seeds(fmt: str, blanks: bool) -> None:
    for seed in range(60):
        spec = reportgen.make_spec(seed, fmt, blanks=blanks)
        assert violations(spec) == set(), seed
        assert reportgen.identity_findings(spec) == []


@pytest.mark.parametrize("fmt", GOV)
def test_make_spec_has_every_template_cell_and_nonzero_numbers(fmt: str) -> None:
    spec = reportgen.make_spec(7, fmt)
    rows = templates.table_template(fmt, None).request_rows
    requests = [c for c in spec.cells if c.table == "requests"]
    assert [(c.row, c.col) for c in requests] == [
        (r.key, col) for r in rows for col, _label in templates.REQUEST_COLUMNS
    ]
    assert len(rows) == (25 if fmt == "gov2021" else 23)
    assert all(isinstance(c.value, int) and c.value > 0 and c.raw == str(c.value) for c in requests)
    review = [c for c in spec.cells if c.table == "review_litigation"]
    assert len(review) == 15 and all(c.value for c in review)
    proactive_rows = templates.table_template(fmt, None).proactive_rows
    expected = [(key, col) for key, _label, cols in proactive_rows for col in cols]
    assert [(c.row, c.col) for c in spec.cells if c.table == "proactive"] == expected
    assert all(c.page is None for c in spec.cells)


def test_make_spec_is_deterministic_and_seeds_differ() -> None:
    a, b = reportgen.make_spec(3, "gov2021"), reportgen.make_spec(3, "gov2021")
    assert a.cells == b.cells and a.sections == b.sections and a.published == b.published
    assert reportgen.make_spec(4, "gov2021").cells != a.cells


def test_blanks_keep_raw_marks_with_null_values() -> None:
    spec = reportgen.make_spec(9, "gov2021", blanks=True)
    regulations = [c for c in spec.cells if c.table == "proactive" and c.row == "regulations"]
    assert [(c.value, c.raw) for c in regulations] == [(None, "/")] * 3
    secret = [c for c in spec.cells if c.table == "requests" and c.row == "withheld_state_secret"]
    assert {(c.value, c.raw) for c in secret} == {(None, "—")}
    stat = reportgen.make_spec(9, "stat2014", blanks=True)
    assert stat.statistics["1.2.1"]["value"] is None
    assert stat.cell("statistics", "1.2.1", "value") == reportgen.Cell(
        "statistics", "1.2.1", "value", None, "—"
    )


def test_titles_and_section_texts() -> None:
    spec = reportgen.make_spec(1, "gov2021", agency="银川市西夏区科学技术和工业信息化局", year=2023)
    assert spec.title == "银川市西夏区科学技术和工业信息化局2023年政府信息公开工作年度报告"
    assert reportgen.make_spec(1, "gov2021", agency=None, year=2021).title == "2021年政府信息公开工作年度报告"
    assert list(spec.sections) == [
        "overview",
        "proactive",
        "requests",
        "review_litigation",
        "problems",
        "other",
    ]
    new_total = _value(spec, "requests", "new", "total")
    assert f"共受理政府信息公开申请{new_total}件" in spec.sections["overview"]
    assert f"本年新收政府信息公开申请{new_total}件" in spec.sections["requests"]


def test_stat2014_indicators_are_consistent() -> None:
    for seed in range(40):
        s = {k: v["value"] for k, v in reportgen.make_spec(seed, "stat2014").statistics.items()}
        assert s["3.1"] == sum(s[f"3.1.{i}"] for i in range(1, 5))
        assert s["3.2"] == s["3.2.1"] + s["3.2.2"] == s["3.1"]
        assert s["3.3"] == sum(s[f"3.3.{i}"] for i in range(1, 9))
        assert s["3.3.4"] == sum(s[f"3.3.4.{x}"] for x in "abcdef")
        assert s["4"] == s["4.1"] + s["4.2"] + s["4.3"]
        assert s["5"] == s["5.1"] + s["5.2"] + s["5.3"]
        assert s["8.3"] == s["8.3.1"] + s["8.3.2"]
        assert s["1"] is None and s["1.2"] is None
    spec = reportgen.make_spec(0, "stat2014")
    assert spec.statistics["7"]["unit"] == "万元" and isinstance(spec.statistics["7"]["value"], float)
    assert spec.statistics["3.3.4.a"]["label"] == "其中：涉及国家秘密"


EXPECTED_SCOPE = {
    "requests.balance": ("carried_over", 2),
    "requests.total_sum": (None, 4),
    "requests.row_total": (None, 2),
    "review_litigation.block_total": ("total", 1),
}


@pytest.mark.parametrize("fmt", GOV)
@pytest.mark.parametrize("rule", list(EXPECTED_SCOPE))
def test_break_identity_breaks_exactly_one_rule(fmt: str, rule: str) -> None:
    for seed in range(25):
        spec = reportgen.make_spec(seed, fmt, blanks=seed % 2 == 1)
        broken = reportgen.break_identity(spec, rule)
        found = violations(broken)
        assert found and {r for r, _where in found} == {rule}, (seed, found)
        changed = [(t, r, c) for t, r, c, _old, _new in broken.changes]
        assert len(changed) == EXPECTED_SCOPE[rule][1]
        differing = {(c.table, c.row, c.col) for c, o in zip(broken.cells, spec.cells, strict=True) if c != o}
        assert differing == set(changed)
        assert {f.rule for f in broken.expected_findings} == {rule}
        assert len(broken.expected_findings) == len(found)
        if rule == "requests.balance":
            assert {r for _t, r, _c in changed} == {"carried_over"}
            assert found == {(rule, col) for _t, _r, col in changed}
        if rule == "review_litigation.block_total":
            assert changed[0][2] == "total"
        assert spec.changes == [] and violations(spec) == set()


def test_break_total_sum_keeps_text_in_step_with_the_table() -> None:
    broken = reportgen.break_identity(reportgen.make_spec(11, "gov2021"), "requests.total_sum")
    new_total = _value(broken, "requests", "new", "total")
    assert f"共受理政府信息公开申请{new_total}件" in broken.sections["overview"]


@pytest.mark.parametrize("fmt", reportgen.FORMATS)
def test_break_text_mismatch_changes_only_the_quoted_total(fmt: str) -> None:
    spec = reportgen.make_spec(21, fmt)
    broken = reportgen.break_identity(spec, "report.text_mismatch")
    assert broken.cells == spec.cells and broken.statistics == spec.statistics
    table_total = (
        spec.statistics["3.1"]["value"] if fmt == "stat2014" else _value(spec, "requests", "new", "total")
    )
    (finding,) = broken.expected_findings
    assert (finding.rule, finding.severity, finding.expected) == (
        "report.text_mismatch",
        "warning",
        table_total,
    )
    assert finding.actual != table_total
    assert f"共受理政府信息公开申请{finding.actual}件" in broken.sections["overview"]
    assert f"共受理政府信息公开申请{table_total}件" not in broken.sections["overview"]
    assert {k: v for k, v in broken.sections.items() if k != "overview"} == {
        k: v for k, v in spec.sections.items() if k != "overview"
    }


def test_break_identity_rejects_unknown_and_inapplicable_rules() -> None:
    with pytest.raises(ValueError, match="unknown rule"):
        reportgen.break_identity(reportgen.make_spec(1, "gov2021"), "requests.nonsense")
    with pytest.raises(ValueError, match="does not apply"):
        reportgen.break_identity(reportgen.make_spec(1, "stat2014"), "requests.balance")
    with pytest.raises(ValueError, match="unknown format"):
        reportgen.make_spec(1, "gov2030")


def _pdf_pages(data: bytes, password: str = "") -> list[str]:
    with pdfplumber.open(io.BytesIO(data), password=password) as pdf:
        return [page.extract_text() or "" for page in pdf.pages]


def _row_line(spec: ReportSpec, row: str) -> str:
    label = next(r.label for r in templates.table_template(spec.format, None).request_rows if r.key == row)
    return " ".join([label, *(spec.raw("requests", row, col) for col, _l in templates.REQUEST_COLUMNS)])


@pytest.mark.parametrize("fmt", GOV)
def test_pdf_text_layer_has_title_numbers_and_footers(fmt: str) -> None:
    spec = reportgen.make_spec(5, fmt)
    pages = _pdf_pages(reportgen.render_pdf(spec))
    text = "\n".join(pages)
    assert spec.title in text.replace("\n", "")
    assert _row_line(spec, "new") in text
    assert _row_line(spec, "carried_forward") in text
    review = " ".join(
        spec.raw("review_litigation", b, c)
        for b, _ in templates.REVIEW_BLOCKS
        for c, _ in templates.REVIEW_COLUMNS
    )
    assert review in text
    assert [p.strip().splitlines()[-1] for p in pages] == [f"- {n} -" for n in range(1, len(pages) + 1)]


def test_pdf_stat2014_table_rows() -> None:
    spec = reportgen.make_spec(5, "stat2014")
    text = "\n".join(_pdf_pages(reportgen.render_pdf(spec)))
    assert f"（一）收到申请数 件 {spec.statistics['3.1']['value']}" in text
    assert "统计指标 单位 统计数" in text


def test_pdf_split_table_and_vertical_labels() -> None:
    spec = reportgen.make_spec(6, "gov2021")
    pages = _pdf_pages(reportgen.render_pdf(spec, split_table=True, vertical_labels=True, pages_target=6))
    assert len(pages) == 6
    first = next(i for i, p in enumerate(pages) if _row_line(spec, "new") in p)
    last = next(i for i, p in enumerate(pages) if _row_line(spec, "carried_forward") in p)
    assert last > first
    assert _is_subsequence("三、本年度办理结果", _single_char_heads(pages))
    assert not _is_subsequence(
        "三、本年度办理结果", _single_char_heads(_pdf_pages(reportgen.render_pdf(spec)))
    )


def _single_char_heads(pages: list[str]) -> str:
    """First characters of lines that start with a lone character: a vertical label read downwards."""
    lines = [line for page in pages for line in page.splitlines() if line]
    return "".join(line[0] for line in lines if len(line) == 1 or line[1] == " ")


def _is_subsequence(needle: str, haystack: str) -> bool:
    it = iter(haystack)
    return all(ch in it for ch in needle)


def test_docx_has_tables_with_merged_cells() -> None:
    spec = reportgen.make_spec(8, "gov2021")
    document = docx.Document(io.BytesIO(reportgen.render_docx(spec)))
    assert document.paragraphs[0].text == spec.title
    assert len(document.tables) == 3
    requests = document.tables[1]
    assert len(requests.rows) == 3 + 25 and len(requests.columns) == 10
    xml = requests._tbl.xml
    assert "w:gridSpan" in xml and "w:vMerge" in xml
    assert requests.cell(3, 0).text == "一、本年新收政府信息公开申请数量"
    assert requests.cell(3, 2).text == "一、本年新收政府信息公开申请数量"
    assert [requests.cell(3, c).text for c in range(3, 10)] == [
        spec.raw("requests", "new", col) for col, _l in templates.REQUEST_COLUMNS
    ]
    assert requests.cell(10, 0).text == "三、本年度办理结果"
    assert requests.cell(10, 1).text == "（三）不予公开"
    review = document.tables[2]
    assert [c.text for c in review.rows[3].cells] == [
        spec.raw("review_litigation", b, c)
        for b, _ in templates.REVIEW_BLOCKS
        for c, _ in templates.REVIEW_COLUMNS
    ]


def test_html_utf8_and_gbk() -> None:
    spec = reportgen.make_spec(10, "gov2019")
    page = reportgen.render_html(spec)
    text = page.decode("utf-8")
    assert '<meta charset="utf-8">' in text and '<div class="TRS_Editor">' in text
    assert f'<meta name="ArticleTitle" content="{spec.title}">' in text
    assert 'rowspan="20"' in text  # 三、本年度办理结果 over the 20 result rows of gov2019
    gbk = reportgen.render_html(spec, encoding="gbk")
    with pytest.raises(UnicodeDecodeError):
        gbk.decode("utf-8")
    decoded = gbk.decode("gb18030")
    assert "charset=gbk" in decoded and spec.title in decoded and "“三安全一稳定”" in decoded
    bare = reportgen.render_html(spec, chrome=False).decode("utf-8")
    assert 'class="nav"' not in bare and spec.title in bare and 'class="nav"' in text


def test_text_is_flattened_like_the_seeds() -> None:
    spec = reportgen.make_spec(12, "gov2021")
    text = reportgen.render_text(spec).decode("utf-8")
    assert text.startswith(spec.title + "\n")
    assert _row_line(spec, "new") in text.splitlines()
    assert "- 1 -" in text and "\n二、主动公开政府信息情况\n" in text


def test_scanned_pdf_has_no_text_layer() -> None:
    data = reportgen.render_scanned_pdf(reportgen.make_spec(13, "gov2021"))
    with pdfplumber.open(io.BytesIO(data)) as pdf:
        assert len(pdf.pages) >= 2
        assert all(not (page.extract_text() or "").strip() for page in pdf.pages)
        assert all(len(page.images) == 1 for page in pdf.pages)


def test_encrypted_pdf_needs_the_password() -> None:
    data = reportgen.render_encrypted_pdf(reportgen.make_spec(14, "gov2021"), password="secret")
    with pytest.raises((PdfminerException, PDFPasswordIncorrect)):
        _pdf_pages(data)
    assert len(_pdf_pages(data, password="secret")) >= 3


def test_bad_inputs() -> None:
    bad = reportgen.bad_inputs()
    assert set(bad) == {
        "empty",
        "truncated_pdf",
        "encrypted_pdf",
        "html_error_as_pdf",
        "zip",
        "scanned_pdf",
        "notice",
        "news",
    }
    assert bad["empty"][0] == b""
    assert bad["truncated_pdf"][0].startswith(b"%PDF") and b"%%EOF" not in bad["truncated_pdf"][0][-64:]
    assert bad["html_error_as_pdf"][1].endswith(".pdf") and b"404 Not Found" in bad["html_error_as_pdf"][0]
    with zipfile.ZipFile(io.BytesIO(bad["zip"][0])) as zf:
        assert "年度报告.docx" in zf.namelist()
    assert "通知" in bad["notice"][0].decode("utf-8") and "年度报告" in bad["news"][0].decode("utf-8")


def _load_generate() -> ModuleType:
    spec = importlib.util.spec_from_file_location("fixtures_generate", FIXTURES / "generate.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_generated_corpus_mixes_formats_and_kinds() -> None:
    generate = _load_generate()
    corpus = generate.generated_corpus(30)
    assert len(corpus) == 30 and len({name for name, *_ in corpus}) == 30
    assert {spec.format for *_, spec in corpus} == set(reportgen.FORMATS)
    suffixes = {Path(filename).suffix for _n, _d, filename, _s in corpus}
    assert suffixes == {".pdf", ".docx", ".html", ".txt"}
    names = " ".join(name for name, *_ in corpus)
    assert "split" in names and "vertical" in names and "gbk" in names
    gbk = next(data for name, data, _f, _s in corpus if "gbk" in name)
    assert b"charset=gbk" in gbk
    assert all(violations(spec) == set() for *_, spec in corpus if spec.format != "stat2014")


def test_committed_libreoffice_fixtures_match_the_generator() -> None:
    generate = _load_generate()
    for name, spec in generate.libreoffice_specs():
        truth = json.loads((FIXTURES / "libreoffice" / f"{name}.json").read_text(encoding="utf-8"))
        assert truth == json.loads(json.dumps(reportgen.spec_to_json(spec), ensure_ascii=False))
        with pdfplumber.open(FIXTURES / "libreoffice" / f"{name}.pdf") as pdf:
            assert "LibreOffice" in pdf.metadata.get("Producer", "")
            text = "".join("".join((p.extract_text() or "").split()) for p in pdf.pages)
        assert spec.title in text


CARRIED = {
    "natural_person": 12,
    "commercial": 0,
    "research": 3,
    "social_welfare": 1,
    "legal_service": 0,
    "other_org": 2,
}


@pytest.mark.parametrize("fmt", GOV)
def test_chained_spec_prints_last_years_carried_forward_and_keeps_the_other_draws(fmt: str) -> None:
    for seed in range(40):
        free = reportgen.make_spec(seed, fmt)
        chained = reportgen.make_spec(seed, fmt, carried_over=CARRIED)
        assert reportgen.request_row(chained, "carried_over") == {**CARRIED, "total": 18}
        assert violations(chained) == set(), seed
        moved = {(c.row, c.col) for c in chained.cells if c not in free.cells}
        assert {row for row, _col in moved} <= {"carried_over", "new"}, seed


def test_carried_over_larger_than_the_year_grows_the_results_not_the_identity() -> None:
    huge = {**CARRIED, "natural_person": 5000}
    spec = reportgen.make_spec(3, "gov2021", carried_over=huge, carried_forward=dict.fromkeys(CARRIED, 0))
    assert violations(spec) == set()
    assert reportgen.request_row(spec, "new")["natural_person"] == 0
    assert reportgen.request_row(spec, "total")["natural_person"] == 5000
    assert reportgen.request_row(spec, "carried_forward")["total"] == 0
    assert all(v >= 0 for v in reportgen.request_row(spec, "new").values())


def test_in_force_follows_last_year_and_meets_a_fixed_value() -> None:
    before = {"regulations": 40, "normative_documents": 3}
    for seed in range(40):
        spec = reportgen.make_spec(seed, "gov2021", previous_in_force=before)
        counts = reportgen.in_force_counts(spec)
        assert counts is not None
        for row, last in before.items():
            issued, repealed = (_value(spec, "proactive", row, c) for c in ("issued", "repealed"))
            assert counts[row] == last + issued - repealed >= 0, seed
            assert issued >= 1 and repealed >= 0
        fixed = reportgen.make_spec(seed, "gov2021", previous_in_force=before, in_force={"regulations": 0})
        assert _value(fixed, "proactive", "regulations", "in_force") == 0
        assert _value(fixed, "proactive", "regulations", "repealed") == 40 + _value(
            fixed, "proactive", "regulations", "issued"
        )
    assert reportgen.in_force_counts(reportgen.make_spec(1, "gov2019")) is None


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ({"natural_person": 1}, "lacks the columns"),
        ({**CARRIED, "research": -1}, "negative"),
        ({**CARRIED, "total": 1}, "not the sum"),
    ],
)
def test_chained_columns_are_validated(given: dict[str, int], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        reportgen.make_spec(1, "gov2021", carried_over=given)


@pytest.mark.parametrize("render", ["pdf", "docx", "scanned_pdf"])
def test_rendered_files_carry_the_publication_time_not_the_clock(render: str) -> None:
    spec = reportgen.make_spec(11, "gov2021")
    data = reportgen.RENDERERS[render](spec)
    assert data == reportgen.RENDERERS[render](spec)
    assert spec.published == "2024-01-14"
    if render == "docx":
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            assert {info.date_time for info in zf.infolist()} == {(2024, 1, 14, 9, 30, 0)}
        assert docx.Document(io.BytesIO(data)).core_properties.created.year == 2024
    elif render == "scanned_pdf":
        assert b"/CreationDate (D:20240114093000" in data
    else:
        assert b"/CreationDate (D:20000101000000" in data  # reportlab's invariant date
