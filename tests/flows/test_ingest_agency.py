"""Which names ingest matches against the registry: a site byline never overrides the title's agency."""

from __future__ import annotations

from dataclasses import dataclass, field

from flows.ingest import _agency_candidates
from flows.timeliness.matching import match_agency
from parsers.model import ParserInfo
from parsers.model import Report as ParsedReport
from storage.models import Document


@dataclass(frozen=True)
class Ag:
    name: str
    kind: str
    region_code: str
    aliases: tuple[str, ...] = field(default_factory=tuple)
    deadline_override: str | None = None


REGISTRY = (
    Ag("银川市人民政府", "government", "640100"),
    Ag("银川市西夏区人民政府", "government", "640105"),
    Ag("银川市西夏区教育局", "department", "640105"),
)


def _parsed(agency: str | None, title: str) -> ParsedReport:
    return ParsedReport(agency, 2021, "gov2021", title, ParserInfo("test", "html"))


def _matched(parsed: ParsedReport, page: Document) -> str | None:
    for candidate in _agency_candidates(parsed, page, None):
        found = match_agency(candidate, REGISTRY)
        if found is not None:
            return found.name
    return None


def test_byline_of_another_body_never_overrides_the_title() -> None:
    title = "银川市西夏区财政局2021年政府信息公开工作年度报告"  # an agency the registry does not know
    page = Document(title=title, meta={"ContentSource": "银川市人民政府", "ArticleTitle": title})
    assert _agency_candidates(_parsed("银川市西夏区财政局", title), page, None) == [
        "银川市西夏区财政局",
        title,
        title,
        title,
    ]
    assert _matched(_parsed("银川市西夏区财政局", title), page) is None


def test_byline_names_the_agency_when_no_title_does() -> None:
    title = "2021年政府信息公开工作年度报告"
    page = Document(title=title, meta={"ContentSource": "西夏区教育局"})
    assert _matched(_parsed(None, title), page) == "银川市西夏区教育局"
