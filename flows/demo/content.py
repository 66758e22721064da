"""Article bodies and attachment bytes of the demo portal.

Reports come from the report generator (`flows.demo.reportgen`) and from the real report texts shipped
in `content/seeds/`; non-report articles get a short deterministic text. Everything is a pure function of
the article, so every start serves the same bytes.
"""

from __future__ import annotations

import html
import random
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from functools import cache
from importlib import resources
from types import MappingProxyType

from flows.demo import reportgen
from flows.demo.catalog import SEED_IN_FORCE, Article, Attachment, articles, report_series
from parsers import templates
from parsers.history import IN_FORCE_ROWS

_HEADING = re.compile(r"^#+\s*")
_MD_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
_AUTOLINK = re.compile(r"<(https?://[^>]+)>")


@cache
def seed_text(name: str) -> str:
    """A seed report text as shipped with the package."""
    return resources.files("flows.demo").joinpath("content", "seeds", name).read_text(encoding="utf-8")


def _clean(line: str) -> str:
    line = _HEADING.sub("", line.strip())
    line = _MD_LINK.sub(r"\1", line)
    line = _AUTOLINK.sub(r"\1", line)
    return line.removeprefix("- ").strip()


def seed_body_html(name: str) -> str:
    """The seed text as an article body: one <p> per line, tab-separated runs of lines as a <table>."""
    parts: list[str] = []
    rows: list[list[str]] = []

    def flush_table() -> None:
        if rows:
            width = max(len(r) for r in rows)
            body = "".join(
                "<tr>"
                + "".join(f"<td>{html.escape(c.strip())}</td>" for c in r + [""] * (width - len(r)))
                + "</tr>"
                for r in rows
            )
            parts.append(f'<table border="1" cellspacing="0" cellpadding="0">{body}</table>')
            rows.clear()

    for raw in seed_text(name).splitlines():
        if "\t" in raw:
            cells = raw.rstrip("\t\n ").split("\t")
            rows.append(cells)
            continue
        flush_table()
        line = _clean(raw)
        if not line or set(line) <= {"-"}:
            continue
        parts.append(f"<p>{html.escape(line)}</p>")
    flush_table()
    return "\n".join(parts)


def note_body_html(article: Article) -> str:
    """The short text of a page whose report is in its attachments."""
    return (
        f"<p>现将《{html.escape(article.title)}》予以公开，全文详见附件。</p>"
        f"<p>{html.escape(article.agency)}</p>"
        f"<p>{article.published:%Y年%-m月%-d日}</p>"
    )


_PROSE = {
    "决算": (
        "根据《中华人民共和国预算法》和财政部门关于推进部门决算公开的要求，现将{agency}部门决算公开如下。",
        "一、部门基本情况。二、收入支出决算总表。三、财政拨款收入支出决算总表。四、一般公共预算财政拨款“三公”经费支出决算表。",
    ),
    "预算": (
        "根据《中华人民共和国预算法》及有关规定，现将{agency}部门预算及相关说明公开如下。",
        "一、部门职责及机构设置。二、收支预算总表。三、一般公共预算支出表。四、政府采购预算情况说明。",
    ),
    "统计年报": (
        "为全面反映本地区有关领域发展情况，{agency}依据统计调查制度完成年度统计年报汇总工作，现予发布。",
        "本年报数据为快报数，个别指标因四舍五入存在总计与分项合计不等的情况。",
    ),
    "工作总结": (
        "今年以来，{agency}在上级党委、政府的坚强领导下，紧紧围绕年度目标任务，扎实推进各项工作。",
        "一、主要工作完成情况。二、存在的问题和不足。三、下一步工作打算。",
    ),
    "通知": (
        "各乡镇人民政府、街道办事处，区直各部门、各单位：",
        "现将有关事项通知如下，请结合实际认真抓好贯彻落实，并按时报送工作情况。",
    ),
}


def prose_body_html(article: Article) -> str:
    """A plausible non-report article: a few fixed sentences and, for budgets, a small table."""
    kind = next((k for k in _PROSE if k in article.title), "通知")
    first, second = _PROSE[kind]
    rng = random.Random(article.number)
    parts = [f"<p>{html.escape(first.format(agency=article.agency))}</p>", f"<p>{html.escape(second)}</p>"]
    if kind in ("决算", "预算"):
        rows = "".join(
            f"<tr><td>{label}</td><td>{rng.randint(50, 9000) / 10:.1f}</td></tr>"
            for label in ("一般公共预算财政拨款收入", "政府性基金预算财政拨款收入", "其他收入")
        )
        parts.append(f'<table border="1"><tr><td>项目</td><td>金额（万元）</td></tr>{rows}</table>')
    parts.append(f"<p>{html.escape(article.agency)}</p><p>{article.published:%Y年%-m月%-d日}</p>")
    return "\n".join(parts)


@dataclass(frozen=True)
class Printed:
    """What an agency-year's report prints that the next year's report must agree with."""

    carried_forward: Mapping[str, int] | None  # 四、结转下年度继续办理 per column; None: no table 3
    in_force: Mapping[str, int] | None  # gov2021 现行有效件数 per row; None otherwise
    issued_minus_repealed: Mapping[str, int] | None = None  # gov2021 本年制发 − 本年废止 per row


@dataclass(frozen=True)
class Defect:
    """A deliberate defect of the portal: the agency-year, the rule, and the `where` of each finding."""

    agency: str
    year: int
    rule: str
    where: tuple[str, ...]


_ZERO_COLUMNS: Mapping[str, int] = MappingProxyType(dict.fromkeys(templates.APPLICANT_COLUMNS, 0))


@cache
def printed(article: Article) -> Printed:
    """The chained figures of a report article: from the seed table for seeds, else from its spec."""
    if article.body == "seed":
        rows = SEED_IN_FORCE.get(article.number)
        return Printed(
            carried_forward={**_ZERO_COLUMNS, "total": 0} if article.report_format != "stat2014" else None,
            in_force={k: v[2] for k, v in rows.items()} if rows else None,
            issued_minus_repealed={k: v[0] - v[1] for k, v in rows.items()} if rows else None,
        )
    spec = _spec(article)
    has_table = spec.format != "stat2014"
    return Printed(
        carried_forward=reportgen.request_row(spec, "carried_forward") if has_table else None,
        in_force=reportgen.in_force_counts(spec),
        issued_minus_repealed=(
            {
                row: int(spec.number("proactive", row, "issued") - spec.number("proactive", row, "repealed"))
                for row in IN_FORCE_ROWS
            }
            if spec.format == "gov2021"
            else None
        ),
    )


@dataclass(frozen=True)
class Chain:
    """The `make_spec` arguments of one report article (None: drawn freely)."""

    carried_over: Mapping[str, int] | None = None
    carried_forward: Mapping[str, int] | None = None
    previous_in_force: Mapping[str, int] | None = None
    in_force: Mapping[str, int] | None = None


def chain_arguments(article: Article) -> Chain:
    """`make_spec` arguments that make a generated report agree with its agency's neighbouring years.

    The year before fixes 二、上年结转 (and gov2021 现行有效 via in_force(t−1)); a seed text the year
    after fixes 四 and 现行有效 (seeds cannot change). A `carry_over_break` adds its delta to one column.
    """
    if article.year is None:
        raise ValueError(f"article {article.number} is not a report")
    series = report_series(article.agency)
    before, after = series.get(article.year - 1), series.get(article.year + 1)
    chain = Chain()
    if before is not None:
        last = printed(before)
        if last.carried_forward is not None and article.report_format != "stat2014":
            carried = {col: last.carried_forward[col] for col in templates.APPLICANT_COLUMNS}
            if article.carry_over_break is not None:
                col, delta = article.carry_over_break
                carried[col] += delta
            chain = replace(chain, carried_over=carried)
        if last.in_force is not None and article.report_format == "gov2021":
            chain = replace(chain, previous_in_force=last.in_force)
    if after is not None and after.body == "seed" and article.report_format != "stat2014":
        chain = replace(chain, carried_forward=_ZERO_COLUMNS)
        following = printed(after)
        if article.report_format == "gov2021" and following.in_force and following.issued_minus_repealed:
            needed = {
                row: following.in_force[row] - following.issued_minus_repealed[row] for row in IN_FORCE_ROWS
            }
            chain = replace(chain, in_force=needed)
    return chain


@cache
def _spec(article: Article, *, variant: int = 0) -> reportgen.ReportSpec:
    """The generator's spec of a report article; `variant` > 0 gives other numbers (a replaced report).

    Chained to the agency's neighbouring years (`chain_arguments`); an `identity_break` is applied.
    """
    if article.year is None or article.report_format is None:
        raise ValueError(f"article {article.number} is not a report")
    chain = chain_arguments(article)
    spec = reportgen.make_spec(
        article.number + 7919 * variant,
        article.report_format,
        agency=article.agency,
        year=article.year,
        carried_over=chain.carried_over,
        carried_forward=chain.carried_forward,
        previous_in_force=chain.previous_in_force,
        in_force=chain.in_force,
    )
    if article.identity_break is not None:
        spec = reportgen.break_identity(spec, article.identity_break)
    return spec


def defects() -> tuple[Defect, ...]:
    """Every deliberate defect of the portal with the findings a correct checker reports for it."""
    found: list[Defect] = []
    for site in ("trs", "hanweb"):
        for article in articles(site):
            if article.year is None:
                continue
            if article.carry_over_break is not None:
                col, _delta = article.carry_over_break
                wheres = (f"requests/carried_over/{col}", "requests/carried_over/total")
                found.append(Defect(article.agency, article.year, "history.carry_over", wheres))
            if article.identity_break is not None:
                spec = _spec(article)
                where = tuple(f.where for f in spec.expected_findings)
                found.append(Defect(article.agency, article.year, article.identity_break, where))
    return tuple(sorted(found, key=lambda d: (d.agency, d.year, d.rule)))


_BODY_START = '<div class="TRS_Editor">\n'
_BODY_END = "\n</div>"


def report_body_html(article: Article, *, variant: int = 0) -> str:
    """The report as an article body (headings, paragraphs and the standard tables)."""
    page = reportgen.render_html(_spec(article, variant=variant), chrome=False).decode("utf-8")
    start = page.index(_BODY_START) + len(_BODY_START)
    return page[start : page.rindex(_BODY_END)]


def attachment_bytes(article: Article, attachment: Attachment, *, variant: int = 0) -> bytes:
    """The bytes of a report attachment (PDF, DOCX or a scanned PDF without a text layer)."""
    spec = _spec(article, variant=variant)
    if attachment.fmt == "docx":
        return reportgen.render_docx(spec)
    if attachment.fmt == "scanned":
        return reportgen.render_scanned_pdf(spec)
    return reportgen.render_pdf(spec)
