"""What the demo portal publishes: its agencies and every article, as fixed data.

The plan is deterministic (no clock, no randomness) so that every start serves the same bytes and the
ground truth in `flows.demo.portal.Expected` follows from it exactly. Dates are local (Beijing) times as
the sites print them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from types import MappingProxyType
from typing import Literal

SiteKey = Literal["trs", "hanweb"]
AgencyKind = Literal["government", "department"]
AttachmentFormat = Literal["pdf", "docx", "scanned"]
BodyKind = Literal["report", "seed", "note", "prose"]

# The four PubDate spellings seen on real 集约化 pages (../shared/DOMAIN.md); U+2236 is "∶".
PUBDATE_FORMATS: tuple[str, ...] = ("%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H\u2236%M", "%Y-%m-%d")

REPORT_YEARS: tuple[int, ...] = tuple(range(2019, 2026))


@dataclass(frozen=True)
class SiteInfo:
    """One demo site: the CMS it imitates and the portal it pretends to be."""

    key: SiteKey
    source_id: str
    name: str
    domain: str
    region_code: str
    site_id_code: str
    column_name: str
    encoding: str


SITES: dict[SiteKey, SiteInfo] = {
    "trs": SiteInfo(
        key="trs",
        source_id="demo-xixia-trs",
        name="银川市西夏区人民政府",
        domain="www.ycxixia.gov.cn",
        region_code="640105",
        site_id_code="6401050001",
        column_name="政府信息公开年报",
        encoding="gbk",
    ),
    "hanweb": SiteInfo(
        key="hanweb",
        source_id="demo-yinchuan-hanweb",
        name="银川市人民政府",
        domain="www.yinchuan.gov.cn",
        region_code="640100",
        site_id_code="6401000001",
        column_name="政府信息公开年报",
        encoding="utf-8",
    ),
}


@dataclass(frozen=True)
class Agency:
    """An agency of the demo registry; `site` is where its reports are (or would be) published."""

    name: str
    aliases: tuple[str, ...]
    kind: AgencyKind
    region_code: str
    site: SiteKey


AGENCIES: tuple[Agency, ...] = (
    Agency("银川市西夏区人民政府", ("西夏区人民政府", "西夏区政府"), "government", "640105", "trs"),
    Agency(
        "银川市西夏区科学技术和工业信息化局",
        ("西夏区科学技术和工业信息化局", "西夏区科信局"),
        "department",
        "640105",
        "trs",
    ),
    Agency("银川市西夏区教育局", ("西夏区教育局",), "department", "640105", "trs"),
    Agency("银川市西夏区民政局", ("西夏区民政局",), "department", "640105", "trs"),
    Agency(
        "银川市西夏区住房和城乡建设局",
        ("西夏区住房和城乡建设局", "西夏区住建局"),
        "department",
        "640105",
        "trs",
    ),
    Agency("银川市人民政府", ("银川市政府",), "government", "640100", "hanweb"),
    Agency("银川市科学技术局", ("银川市科技局",), "department", "640100", "hanweb"),
    Agency("银川市卫生健康委员会", ("银川市卫健委",), "department", "640100", "hanweb"),
    Agency("银川市自然资源局", (), "department", "640100", "hanweb"),
    Agency("银川市金凤区科学技术局", ("金凤区科技局", "金凤区科学技术局"), "department", "640106", "hanweb"),
    Agency(
        "中卫市沙坡头区科学技术局", ("沙坡头区科学技术局", "沙坡头区科技局"), "department", "640502", "hanweb"
    ),
)
AGENCY_BY_NAME: dict[str, Agency] = {a.name: a for a in AGENCIES}


@dataclass(frozen=True)
class Attachment:
    """A file linked from an article: how it is rendered and how the link is spelled.

    `style`: "trs" (./P0….ext next to the page), "hanweb" (/attach/0/….ext), "downfile"
    (/module/download/downfile.jsp?id=N, no extension in the URL). `missing`: the link answers 404.
    """

    label: str
    fmt: AttachmentFormat
    style: Literal["trs", "hanweb", "downfile"]
    missing: bool = False


@dataclass(frozen=True)
class Article:
    """One list entry and its detail page.

    `year` and `report_format` are set for annual reports only. `body`: "report" (the report as HTML
    tables from the generator), "seed" (a real report text from content/seeds/), "note" (a short note
    pointing to the attachments), "prose" (a non-report article). `flaky`: the first two GETs answer 503.
    `robots_decoy`: listed, but under a path robots.txt disallows. `carry_over_break` (column, delta):
    二、上年结转 of that applicant column is last year's 四 + delta (the 总计 column follows);
    `identity_break`: a rule of `reportgen.break_identity` the report breaks. Both are deliberate defects.
    """

    site: SiteKey
    number: int
    title: str
    agency: str
    published: datetime
    date_format: int
    body: BodyKind
    year: int | None = None
    report_format: str | None = None
    seed_file: str | None = None
    attachments: tuple[Attachment, ...] = ()
    flaky: bool = False
    robots_decoy: bool = False
    carry_over_break: tuple[str, int] | None = None
    identity_break: str | None = None

    @property
    def is_report(self) -> bool:
        return self.year is not None and not self.robots_decoy

    @property
    def pub_date(self) -> date:
        return self.published.date()

    @property
    def pubdate_text(self) -> str:
        """The PubDate meta value, in this article's spelling."""
        return self.published.strftime(PUBDATE_FORMATS[self.date_format])


def format_for_year(year: int) -> str:
    """The format the report year calls for (../shared/DOMAIN.md)."""
    if year <= 2018:
        return "stat2014"
    return "gov2019" if year <= 2020 else "gov2021"


_XG = "银川市西夏区人民政府"
_XK = "银川市西夏区科学技术和工业信息化局"
_XJ = "银川市西夏区教育局"
_XM = "银川市西夏区民政局"
_XZ = "银川市西夏区住房和城乡建设局"
_XC = "银川市西夏区财政局"
_YG = "银川市人民政府"
_YK = "银川市科学技术局"
_YW = "银川市卫生健康委员会"
_YZ = "银川市自然资源局"
_JK = "银川市金凤区科学技术局"
_SK = "中卫市沙坡头区科学技术局"
_YC = "银川市财政局"
_YT = "银川市统计局"

# Reports: CMS number, agency, report year, published (Beijing time), body, attachment.
# Attachment: "" none, "pdf", "docx", "scan" (image-only PDF), "downfile" (PDF behind
# downfile.jsp?id=N), "404" (a PDF link that answers 404).
_ReportRow = tuple[int, str, int, str, BodyKind, str]
# fmt: off
_REPORTS: dict[SiteKey, tuple[_ReportRow, ...]] = {
    "trs": (
        (1852101, _XG, 2019, "2020-03-25 10:12:00", "report", ""),
        (2071302, _XG, 2020, "2021-03-30 16:40:00", "note", "pdf"),
        (2315503, _XG, 2021, "2022-03-29 09:05:00", "report", "pdf"),
        (2608904, _XG, 2022, "2023-03-28 11:20:00", "note", "docx"),
        (2864305, _XG, 2023, "2024-03-28 15:02:08", "report", ""),
        (3117206, _XG, 2024, "2025-03-27 17:31:00", "note", "pdf"),
        (3390407, _XG, 2025, "2026-03-27 15:02:08", "report", ""),
        (2289608, _XK, 2021, "2022-01-27 09:48:00", "note", "pdf"),
        (2571009, _XK, 2022, "2023-01-29 10:15:00", "report", ""),
        (2829010, _XK, 2023, "2024-01-26 16:22:00", "seed", ""),
        (3089511, _XK, 2024, "2025-01-24 11:03:00", "note", "docx"),
        (3340712, _XK, 2025, "2026-01-23 09:30:00", "report", ""),
        (1811313, _XJ, 2019, "2020-01-21 15:40:00", "report", ""),
        (2041614, _XJ, 2020, "2021-01-28 10:02:00", "note", "pdf"),
        (2287815, _XJ, 2021, "2022-01-26 14:26:00", "report", "404"),
        (2583016, _XJ, 2022, "2023-01-30 17:05:00", "note", "scan"),
        (2871117, _XJ, 2023, "2024-02-15 09:12:00", "report", ""),
        (3085318, _XJ, 2024, "2025-01-22 16:45:00", "note", "pdf"),
        (2046219, _XM, 2020, "2021-01-29 11:11:00", "report", ""),
        (2292120, _XM, 2021, "2022-01-28 15:33:00", "note", "docx"),
        (2588421, _XM, 2022, "2023-01-31 10:20:00", "note", "pdf"),
        (2823722, _XM, 2023, "2024-01-25 10:00:00", "report", ""),
        (3146523, _XM, 2024, "2025-02-10 08:55:00", "report", ""),
    ),
    "hanweb": (
        (60101, _YG, 2018, "2019-03-29 10:00:00", "note", "pdf"),
        (60202, _YG, 2019, "2020-03-31 18:20:00", "note", "pdf"),
        (60303, _YG, 2020, "2021-03-26 09:40:00", "report", ""),
        (60404, _YG, 2021, "2022-03-30 15:10:00", "report", "docx"),
        (60505, _YG, 2022, "2023-03-24 11:50:00", "note", "downfile"),
        (60606, _YG, 2023, "2024-04-12 10:30:00", "report", ""),
        (60707, _YG, 2024, "2025-03-28 16:00:00", "note", "pdf"),
        (60808, _YG, 2025, "2026-06-13 14:06:00", "report", ""),
        (60909, _YK, 2019, "2020-01-17 10:20:00", "note", "pdf"),
        (61010, _YK, 2020, "2021-01-27 09:00:00", "seed", ""),
        (61111, _YK, 2021, "2022-01-25 15:45:00", "seed", ""),
        (61212, _YK, 2022, "2023-01-20 11:30:00", "note", "docx"),
        (61313, _YK, 2023, "2024-01-30 16:40:00", "report", ""),
        (61414, _YK, 2024, "2025-01-21 10:10:00", "note", "pdf"),
        (61515, _YK, 2025, "2026-07-20 09:00:00", "report", ""),
        (61616, _JK, 2018, "2019-02-20 10:00:00", "seed", ""),
        (61717, _JK, 2019, "2020-02-10 14:00:00", "note", "pdf"),
        (61818, _SK, 2020, "2021-01-25 10:30:00", "seed", ""),
        (61919, _YW, 2021, "2022-01-28 09:20:00", "note", "pdf"),
        (62020, _YW, 2022, "2023-01-18 15:00:00", "report", ""),
        (62121, _YW, 2023, "2024-01-31 23:40:00", "report", ""),
        (62222, _YW, 2024, "2025-01-27 10:45:00", "note", "docx"),
        (62323, _YZ, 2022, "2023-01-29 09:10:00", "note", "scan"),
        (62424, _YZ, 2023, "2024-01-19 14:30:00", "note", "pdf"),
        (62525, _YZ, 2024, "2025-07-14 01:59:00", "report", ""),
    ),
}

# Seed texts (content/seeds/) and the titles they were published under. 002 names no agency: it is a
# city 科技局's 2021 report (市政府门户网站, 科技局微博), published here as 银川市科学技术局's.
_SEEDS: dict[int, tuple[str, str]] = {
    2829010: ("004_9d18be2bab7761b4.txt", "西夏区科学技术和工业信息化局2023年政府信息公开工作年度报告"),
    61010: ("000_edea79ccd25fed89.txt", "银川市科学技术局2020年政府信息公开工作年度报告"),
    61111: ("002_85f1e392ae353580.txt", "银川市科学技术局2021年政府信息公开工作年度报告"),
    61616: ("003_3992432264c18549.txt", "金凤区科技局2018年政府信息公开工作年度报告"),
    61818: ("001_aa7db4a174067874.txt", "沙坡头区科学技术局2020年政府信息公开工作年度报告"),
}
# The seeds' 二、上年结转 and 四、结转下年度继续办理 are zero in every column; the gov2021 ones print these
# 第二十条第（一）项 rows as (本年制发, 本年废止, 现行有效), which the neighbouring generated years chain to.
SEED_IN_FORCE: dict[int, dict[str, tuple[int, int, int]]] = {
    2829010: {"regulations": (0, 0, 0), "normative_documents": (0, 0, 0)},
    61111: {"regulations": (0, 0, 0), "normative_documents": (0, 1, 0)},
}
# The portal's only deliberate defects; every other report agrees with itself and with its agency's
# report of the year before. 银川市卫生健康委员会 2023 carries over 3 more natural-person requests than
# its 2022 report carried forward; 银川市西夏区教育局 2019 breaks 一+二 = （七）+四 in its own table.
CARRY_OVER_BREAKS: dict[int, tuple[str, int]] = {62121: ("natural_person", 3)}
IDENTITY_BREAKS: dict[int, str] = {1811313: "requests.balance"}
_FLAKY = frozenset({2608904})  # answers 503 twice, then 200
_ROBOTS_DECOY = frozenset({2823722})  # 西夏区民政局 2023: listed, but under /private/
_FORMAT_OVERRIDE = {2292120: "gov2019"}  # a 2021 report in the 2019 format

# Non-report articles with look-alike titles: CMS number, title, agency, published.
_OTHERS: dict[SiteKey, tuple[tuple[int, str, str, str], ...]] = {
    "trs": (
        (3046724, f"{_XC}2023年部门决算公开", _XC, "2024-08-20 10:00:00"),
        (2755325, f"{_XJ}2022年部门决算公开", _XJ, "2023-08-18 15:20:00"),
        (2902526, f"{_XM}2024年部门预算公开", _XM, "2024-02-06 09:30:00"),
        (2903127, "银川市西夏区2024年政府预算公开", _XC, "2024-02-07 16:00:00"),
        (2932928, "西夏区教育局2023年教育事业统计年报", _XJ, "2024-03-05 11:00:00"),
        (2604529, "西夏区2022年农业统计年报", _XG, "2023-03-20 09:00:00"),
        (2851330, "西夏区科学技术和工业信息化局2023年工作总结和2024年工作计划", _XK, "2024-01-10 15:00:00"),
        (2558731, "西夏区民政局2022年工作总结", _XM, "2023-01-09 10:30:00"),
        (2840132, "西夏区人民政府2023年政务公开工作总结", _XG, "2024-01-05 17:00:00"),
        (2812633, "关于做好2023年度政府信息公开工作年度报告编制发布工作的通知", _XG, "2023-12-20 10:00:00"),
        (2956134, "关于印发《西夏区2024年政务公开工作要点》的通知", _XG, "2024-04-02 09:00:00"),
        (2301935, "关于调整西夏区政务公开工作领导小组成员的通知", _XG, "2022-02-16 14:00:00"),
        (2767236, f"{_XK}2022年部门决算公开", _XK, "2023-08-25 10:00:00"),
        (3052337, f"{_XZ}2023年部门决算公开", _XZ, "2024-08-26 11:00:00"),
        (2904938, f"{_XZ}2024年部门预算公开", _XZ, "2024-02-08 09:40:00"),
        (2299139, "西夏区2021年政务公开工作总结", _XG, "2022-01-12 16:00:00"),
        (2938740, "西夏区2023年统计年报", _XG, "2024-03-15 10:00:00"),
        (2515941, f"{_XG}2022年部门决算公开", _XC, "2022-09-01 09:00:00"),
        (3213542, "关于开展2024年度政府网站和政务新媒体检查工作的通知", _XG, "2025-04-10 10:00:00"),
        (3170143, f"{_XZ}2024年工作总结", _XZ, "2025-01-08 10:00:00"),
    ),
    "hanweb": (
        (62626, f"{_YC}2023年部门决算公开", _YC, "2024-08-22 10:00:00"),
        (62727, f"{_YK}2023年部门决算公开", _YK, "2024-08-23 09:30:00"),
        (62828, f"{_YW}2024年部门预算公开", _YW, "2024-02-05 16:00:00"),
        (62929, "银川市2024年市本级政府预算公开", _YC, "2024-02-02 10:00:00"),
        (63030, "银川市2023年卫生健康统计年报", _YW, "2024-04-18 11:00:00"),
        (63131, "银川市2022年劳动工资统计年报", _YT, "2023-05-10 10:00:00"),
        (63232, "银川市科学技术局2023年工作总结", _YK, "2024-01-08 09:00:00"),
        (63333, "银川市人民政府2023年政务公开工作总结", _YG, "2024-01-16 15:30:00"),
        (63434, "银川市自然资源局2024年工作总结和2025年工作计划", _YZ, "2025-01-06 10:00:00"),
        (63535, "关于做好2024年度政府信息公开工作年度报告编制发布工作的通知", _YG, "2024-12-18 10:00:00"),
        (63636, "关于印发《银川市2023年政务公开工作要点》的通知", _YG, "2023-04-11 09:00:00"),
        (63737, "关于开展政府信息公开工作年度报告质量评估的通知", _YG, "2023-02-14 10:00:00"),
        (63838, f"{_YZ}2022年部门决算公开", _YZ, "2023-08-30 10:00:00"),
        (63939, "银川市2024年国民经济和社会发展统计年报", _YT, "2025-04-20 10:00:00"),
        (64040, f"{_YW}2023年工作总结", _YW, "2024-01-12 10:00:00"),
        (64141, f"{_YK}2024年部门预算公开", _YK, "2024-02-09 10:00:00"),
        (64242, "关于进一步规范政府网站信息发布审核工作的通知", _YG, "2025-03-03 10:00:00"),
        (64343, f"{_YG}2022年部门决算公开", _YC, "2022-08-29 10:00:00"),
    ),
}
# fmt: on


def _attachments(site: SiteKey, title: str, year: int, kind: str) -> tuple[Attachment, ...]:
    style: Literal["trs", "hanweb", "downfile"] = "trs" if site == "trs" else "hanweb"
    if kind == "":
        return ()
    if kind == "docx":
        return (Attachment(f"{title}.docx", "docx", style),)
    if kind == "scan":
        return (Attachment(f"{title}（扫描件）.pdf", "scanned", style),)
    if kind == "downfile":
        return (Attachment(f"{title}.pdf", "pdf", "downfile"),)
    if kind == "404":
        return (Attachment(f"{year}年政府信息公开情况统计表.pdf", "pdf", style, missing=True),)
    return (Attachment(f"{title}.pdf", "pdf", style),)


def _report(site: SiteKey, row: _ReportRow) -> Article:
    number, agency, year, when, body, attachment = row
    seed_file, title = _SEEDS.get(number, (None, f"{agency}{year}年政府信息公开工作年度报告"))
    return Article(
        site=site,
        number=number,
        title=title,
        agency=agency,
        published=datetime.strptime(when, "%Y-%m-%d %H:%M:%S"),
        date_format=number % len(PUBDATE_FORMATS),
        body=body,
        year=year,
        report_format=_FORMAT_OVERRIDE.get(number, format_for_year(year)),
        seed_file=seed_file,
        attachments=_attachments(site, title, year, attachment),
        flaky=number in _FLAKY,
        robots_decoy=number in _ROBOTS_DECOY,
        carry_over_break=CARRY_OVER_BREAKS.get(number),
        identity_break=IDENTITY_BREAKS.get(number),
    )


def _other(site: SiteKey, number: int, title: str, agency: str, when: str) -> Article:
    return Article(
        site=site,
        number=number,
        title=title,
        agency=agency,
        published=datetime.strptime(when, "%Y-%m-%d %H:%M:%S"),
        date_format=number % len(PUBDATE_FORMATS),
        body="prose",
    )


def articles(site: SiteKey) -> tuple[Article, ...]:
    """The site's articles, newest first (the order of the list pages)."""
    items = [_report(site, row) for row in _REPORTS[site]] + [_other(site, *row) for row in _OTHERS[site]]
    return tuple(sorted(items, key=lambda a: (a.published, a.number), reverse=True))


@cache
def report_series(agency: str) -> Mapping[int, Article]:
    """An agency's report articles by year, over both sites (the robots decoy included: it exists)."""
    series: dict[int, Article] = {}
    for site in _REPORTS:
        for row in _REPORTS[site]:
            if row[1] == agency:
                article = _report(site, row)
                if article.year in series:
                    raise ValueError(f"two reports of {agency} for {article.year}")
                series[row[2]] = article
    return MappingProxyType(dict(sorted(series.items())))


def deadline_for(agency: Agency, year: int) -> date:
    """The statutory deadline (条例 第四十九条; before 2019 every report was due 31 March)."""
    if year <= 2018 or agency.kind == "government":
        return date(year + 1, 3, 31)
    return date(year + 1, 1, 31)
