"""Article bodies and attachment bytes of the demo portal.

Reports come from the report generator (`crawler.demo.reportgen`) and from the real report texts shipped
in `content/seeds/`; non-report articles get a short deterministic text. Everything is a pure function of
the article, so every start serves the same bytes.
"""

from __future__ import annotations

import html
import random
import re
from functools import cache
from importlib import resources

from crawler.demo import reportgen
from crawler.demo.catalog import Article, Attachment

_HEADING = re.compile(r"^#+\s*")
_MD_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
_AUTOLINK = re.compile(r"<(https?://[^>]+)>")


@cache
def seed_text(name: str) -> str:
    """A seed report text as shipped with the package."""
    return resources.files("crawler.demo").joinpath("content", "seeds", name).read_text(encoding="utf-8")


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


def _spec(article: Article, *, variant: int = 0) -> reportgen.ReportSpec:
    """The generator's spec of a report article; `variant` > 0 gives other numbers (a replaced report)."""
    if article.year is None or article.report_format is None:
        raise ValueError(f"article {article.number} is not a report")
    return reportgen.make_spec(
        article.number + 7919 * variant, article.report_format, agency=article.agency, year=article.year
    )


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
