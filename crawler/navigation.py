"""Finding the 年报 column from a site's home page: pure rules over one page's HTML, no I/O.

Real portals rarely link the report column from the home page directly. The spider walks at most
`discover_hops` navigation links (政府信息公开 → 政府信息公开年报), and a column it reaches may hold year
folders (2024年度, 2023年) or put its list in a same-host frame. Each rule below names the snippet it was
written for; tests/crawler/test_navigation.py holds them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

from parsel import Selector

from crawler.discovery import clean_text

_YEAR_IN_TEXT = re.compile(r"(19|20)\d{2}|[〇零一二][〇零一二三四五六七八九]{3}")
_REPORT_COLUMN = re.compile(r"(年报|年度报告)")
_OPEN_GOVERNMENT = re.compile(
    r"^(政府信息公开|信息公开|政务公开|政府信息公开专栏|政务公开专栏|法定主动公开内容)$"
)
_MORE = ("更多", "更多>>", "更多>", "more", "more>>", ">>", "+", "更多+")
_YEAR_FOLDER = re.compile(r"^((?:19|20)\d{2})\s*年?\s*(?:度)?\s*(?:报告|年报|政府信息公开年报)?$")
MAX_WEAK_LINKS = 3


@dataclass(frozen=True)
class NavLink:
    """A navigation link worth following: `strong` when its text names the report column itself."""

    url: str
    text: str
    strong: bool


def _anchor_text(anchor: Selector) -> str:
    text = clean_text(" ".join(anchor.xpath(".//text()").getall()))
    return text or clean_text(anchor.attrib.get("title"))


def _absolute(base_url: str, href: str | None) -> str | None:
    """The absolute URL of a usable http(s) href, without fragment; None for script/mailto/anchors."""
    if not href:
        return None
    href = href.strip()
    if href.lower().startswith(("javascript:", "mailto:", "tel:", "#", "data:")):
        return None
    url = urljoin(base_url, href).split("#", 1)[0]
    return url if urlsplit(url).scheme in ("http", "https") else None


def is_report_column_text(text: str) -> bool:
    """True for a link naming the 年报 column: 政府信息公开年报, 信息公开年报, 年度报告 — no year in it.

    `<a href="/xxgk/ndbg/">政府信息公开年报</a>` is the column; `2023年政府信息公开工作年度报告` is a report.
    """
    compact = text.replace(" ", "")
    return (
        2 <= len(compact) <= 16 and bool(_REPORT_COLUMN.search(compact)) and not _YEAR_IN_TEXT.search(compact)
    )


def is_year_folder_text(text: str) -> bool:
    """True for a year sub-column's link text: 2024年度, 2023年, 2022年度报告 (no agency: not a report)."""
    return bool(_YEAR_FOLDER.match(text.replace(" ", "")))


def is_navigation_text(text: str) -> bool:
    """A link text naming a column or a year folder rather than one report (report-title look-alikes)."""
    return is_report_column_text(text) or is_year_folder_text(text)


def is_open_government_text(text: str) -> bool:
    """True for the section that usually holds the column: `<a href="/zwgk/">政府信息公开</a>`."""
    return bool(_OPEN_GOVERNMENT.match(text.replace(" ", "")))


def _more_names_column(anchor: Selector) -> bool:
    """A 更多 link whose nearest block heading names the column: `<h3>政府信息公开年报</h3>…<a>更多</a>`."""
    headings = "./descendant::*[self::h1 or self::h2 or self::h3 or self::h4 or self::span or self::b]"
    for level in ("..", "../..", "../../.."):
        block = anchor.xpath(level)
        if not block:
            return False
        texts = [clean_text(" ".join(h.xpath(".//text()").getall())) for h in block[0].xpath(headings)]
        texts = [t for t in texts if t and t.lower() not in _MORE]
        if texts:
            return any(is_report_column_text(t) for t in texts)
    return False


def navigation_links(html: str, base_url: str) -> list[NavLink]:
    """Links toward the 年报 column: strong ones (the column's own name, a 更多 under its heading) first,
    then at most MAX_WEAK_LINKS 政府信息公开-like section links; the page's own URL excluded."""
    page = Selector(text=html or "<html></html>")
    here = base_url.split("#", 1)[0]
    strong: dict[str, NavLink] = {}
    weak: dict[str, NavLink] = {}
    for anchor in page.css("a[href]"):
        url = _absolute(base_url, anchor.attrib.get("href"))
        if url is None or url == here:
            continue
        text = _anchor_text(anchor)
        if is_report_column_text(text) or (text.lower() in _MORE and _more_names_column(anchor)):
            strong.setdefault(url, NavLink(url, text, True))
        elif is_open_government_text(text):
            weak.setdefault(url, NavLink(url, text, False))
    ordered = list(strong.values())
    ordered += [link for url, link in weak.items() if url not in strong][:MAX_WEAK_LINKS]
    return ordered


def year_folders(html: str, base_url: str) -> list[NavLink]:
    """Year sub-columns of a 年报 column: `<a href="./2024/">2024年度</a>`, `2023年`, `2022年度报告`."""
    page = Selector(text=html or "<html></html>")
    found: dict[str, NavLink] = {}
    for anchor in page.css("a[href]"):
        url = _absolute(base_url, anchor.attrib.get("href"))
        text = _anchor_text(anchor).replace(" ", "")
        if url is not None and url != base_url and is_year_folder_text(text):
            found.setdefault(url, NavLink(url, text, True))
    return list(found.values())


def frame_sources(html: str, base_url: str) -> list[str]:
    """The pages a column shows in frames: `<iframe src="list.jsp?channelId=12">`, `<frame src=…>`."""
    page = Selector(text=html or "<html></html>")
    urls: list[str] = []
    for frame in page.css("iframe[src], frame[src]"):
        url = _absolute(base_url, frame.attrib.get("src"))
        if url is not None and url not in urls:
            urls.append(url)
    return urls
