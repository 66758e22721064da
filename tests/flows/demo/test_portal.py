"""The demo portal on loopback: both sites, their CMS quirks, and a self-consistent ground truth."""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from datetime import date, datetime
from email.message import Message
from pathlib import Path

import pytest
import yaml

import parsers
from flows.demo.catalog import PUBDATE_FORMATS
from flows.demo.content import Defect
from flows.demo.portal import ExpectedDocument, Portal, start_portal, write_demo_registry
from parsers.history import compare_years
from parsers.model import Report

Fetched = tuple[int, Message, bytes]
PROXY = "module/web/jpage/dataproxy.jsp"
REPO = Path(__file__).resolve().parents[3]
WINDOW = {"perpage": "15", "columnid": "1229565788", "unitid": "4584", "webid": "1"}


def fetch(url: str, headers: dict[str, str] | None = None, data: bytes | None = None) -> Fetched:
    """GET (or POST with `data`) without raising on HTTP errors."""
    request = urllib.request.Request(url, data=data, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers, exc.read()


def fetch_ok(url: str, headers: dict[str, str] | None = None) -> Fetched:
    """GET, retrying 503 as a crawler does (the flaky page answers 503 twice)."""
    for _ in range(3):
        got = fetch(url, headers)
        if got[0] != 503:
            return got
    return got


@pytest.fixture(scope="module")
def portal() -> Iterator[Portal]:
    with start_portal() as running:
        yield running


def trs_list(portal: Portal, page: int) -> str:
    name = "index.html" if page == 0 else f"index_{page}.html"
    status, headers, body = fetch(portal.trs_url + "xxgk/zfxxgknb/" + name)
    assert status == 200
    assert headers["Content-Type"] == "text/html; charset=GBK"
    return body.decode("gbk")


def proxy(portal: Portal, start: int, end: int, **extra: str) -> str:
    params = {**WINDOW, "startrecord": str(start), "endrecord": str(end), **extra}
    status, headers, body = fetch(portal.hanweb_url + PROXY + "?" + urllib.parse.urlencode(params))
    assert status == 200
    assert headers["Content-Type"].startswith("text/xml")
    return body.decode("utf-8")


def test_both_sites_answer_on_loopback(portal: Portal) -> None:
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+/", portal.trs_url)
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+/", portal.hanweb_url)
    assert portal.trs_url != portal.hanweb_url
    assert fetch(portal.trs_url)[0] == 200
    assert fetch(portal.hanweb_url)[0] == 200
    assert fetch(portal.hanweb_url + "col/col1229565788/index.html")[0] == 200
    assert fetch(portal.trs_url + "no/such/page.html")[0] == 404


def test_non_loopback_host_is_refused() -> None:
    with pytest.raises(ValueError, match="loopback"):
        start_portal("0.0.0.0")


def test_trs_page_is_gbk_with_right_title(portal: Portal) -> None:
    status, headers, body = fetch(portal.trs_url + "xxgk/zfxxgknb/202401/t20240126_2829010.html")
    assert status == 200
    assert headers["Content-Type"] == "text/html; charset=GBK"
    assert b'<meta charset="gbk">' in body
    with pytest.raises(UnicodeDecodeError):
        body.decode("utf-8")
    text = body.decode("gbk")
    assert (
        "<title>西夏区科学技术和工业信息化局2023年政府信息公开工作年度报告_银川市西夏区人民政府</title>"
        in text
    )
    assert '<meta name="SiteIDCode" content="6401050001">' in text
    assert '<meta name="PubDate" content="2024-01-26 16\u223622">' in text  # U+2236 "∶"
    assert '<div class="TRS_Editor">' in text
    assert "2023年西夏区科学技术和工业信息化局未收取依申请公开信息处理费" in text  # the seed text


def test_trs_pagination_is_only_in_create_page_html(portal: Portal) -> None:
    items = 0
    for page in range(3):
        text = trs_list(portal, page)
        assert f'createPageHTML(3, {page}, "index", "html");' in text
        assert "index_1.html" not in text.replace('"_" + i', "")  # no static links to other pages
        items += len(re.findall(r'<li><a href="[^"]+" target="_blank" title=', text))
    assert items == 43
    assert fetch(portal.trs_url + "xxgk/zfxxgknb/index_3.html")[0] == 404


def test_trs_list_links_are_relative_dated_detail_pages(portal: Portal) -> None:
    first = trs_list(portal, 0)
    hrefs = re.findall(r'<li><a href="([^"]+)" target="_blank" title=', first)
    assert hrefs[0] == "./202603/t20260327_3390407.html"
    assert all(re.fullmatch(r"\./\d{6}/t\d{8}_\d{7}\.html", h) for h in hrefs)


def test_dataproxy_windows_and_total(portal: Portal) -> None:
    column = fetch(portal.hanweb_url + "col/col1229565788/index.html")[2].decode("utf-8")
    assert "/art/" not in column  # the list is not in the column page
    assert "columnid: 1229565788" in column and "unitid: '4584'" in column and "webid: 1" in column
    hanweb_pages = [
        d.url.removeprefix(portal.hanweb_url.rstrip("/"))
        for d in portal.expected.items
        if d.site == "hanweb" and d.kind == "page"
    ]
    seen: list[str] = []
    for start, end, count in ((1, 15, 15), (16, 30, 15), (31, 45, 13)):
        xml = proxy(portal, start, end)
        assert "<totalrecord>43</totalrecord>" in xml
        links = re.findall(r'<record><!\[CDATA\[\s*<li><a href="([^"]+)" title="[^"]+"', xml)
        assert len(links) == count
        seen += links
    assert seen == hanweb_pages
    long_title = "关于做好2024年度政府信息公开工作年度报告编制发布工作的通知"
    assert f'title="{long_title}" target="_blank">{long_title[:29]}…</a>' in proxy(portal, 1, 45)
    assert seen[0] == "/art/2026/7/20/art_4584_61515.html"
    assert re.findall(r'<a href="([^"]+)"', proxy(portal, 2, 3))[1:] == seen[1:3]


def test_dataproxy_post_equals_get_and_unknown_column_is_empty(portal: Portal) -> None:
    form = urllib.parse.urlencode(
        {**WINDOW, "col": "1", "appid": "1", "path": "/", "webname": "银川市人民政府"}
    )
    query = urllib.parse.urlencode({"startrecord": 16, "endrecord": 30, "perpage": 15})
    status, _, body = fetch(portal.hanweb_url + PROXY + "?" + query, data=form.encode())
    assert status == 200
    assert body.decode("utf-8") == proxy(portal, 16, 30)
    empty = proxy(portal, 1, 15, columnid="999")
    assert "<totalrecord>0</totalrecord>" in empty and "<record>" not in empty
    assert fetch(portal.hanweb_url + PROXY + "?startrecord=x")[0] == 400


def spelling_of(pubdate: str) -> int:
    """Which of the four PubDate spellings `pubdate` uses."""
    for index, spelling in enumerate(PUBDATE_FORMATS):
        try:
            datetime.strptime(pubdate, spelling)
        except ValueError:
            continue
        return index
    raise AssertionError(f"unknown PubDate spelling {pubdate!r}")


META_NAMES = (
    "SiteName",
    "SiteDomain",
    "SiteIDCode",
    "ColumnName",
    "ColumnDescription",
    "ColumnKeywords",
    "ColumnType",
    "ArticleTitle",
    "PubDate",
    "ContentSource",
)


def test_detail_pages_carry_all_meta_tags_and_four_pubdate_spellings(portal: Portal) -> None:
    for site in ("trs", "hanweb"):
        spellings = set()
        for doc in portal.expected.items:
            if doc.site != site or doc.kind != "page" or doc.role != "document":
                continue
            body = fetch_ok(doc.url)[2]
            text = body.decode("gbk" if site == "trs" else "utf-8")
            metas = dict(re.findall(r'<meta name="(\w+)" content="([^"]*)">', text))
            assert set(META_NAMES) <= set(metas)
            assert metas["ArticleTitle"] == doc.title
            assert metas["SiteIDCode"].startswith("640105" if site == "trs" else "640100")
            assert metas["PubDate"].startswith(doc.pub_date.isoformat())
            spellings.add(spelling_of(metas["PubDate"]))
        assert spellings == {0, 1, 2, 3}, site


def test_flaky_page_answers_503_twice_then_200_per_instance() -> None:
    for _ in range(2):
        with start_portal() as fresh:
            url = fresh.trs_url + "xxgk/zfxxgknb/202303/t20230328_2608904.html"
            assert [fetch(url)[0] for _ in range(4)] == [503, 503, 200, 200]
            assert [r.status for r in fresh.requests] == [503, 503, 200, 200]


def test_broken_attachment_is_404_and_linked(portal: Portal) -> None:
    (broken,) = portal.expected.broken
    assert broken.reason == "not_found" and broken.kind == "attachment"
    assert fetch(broken.url)[0] == 404
    page = next(d for d in portal.expected.documents if d.kind == "page" and d.title == broken.title)
    assert "./" + broken.url.rsplit("/", 1)[1] in fetch(page.url)[2].decode("gbk")


def test_robots_txt_disallows_the_decoy_report(portal: Portal) -> None:
    status, headers, body = fetch(portal.trs_url + "robots.txt")
    assert (status, headers["Content-Type"]) == (200, "text/plain; charset=utf-8")
    assert body == b"User-agent: *\nDisallow: /private/\nDisallow: /admin/\n"
    (decoy,) = [d for d in portal.expected.decoys if d.reason == "robots_disallowed"]
    path = decoy.url.removeprefix(portal.trs_url.rstrip("/"))
    assert path.startswith("/private/")
    assert decoy.title == "银川市西夏区民政局2023年政府信息公开工作年度报告"
    assert any(f'href="{path}"' in trs_list(portal, page) for page in range(3))
    assert portal.expected.published[("银川市西夏区民政局", 2023)] is None
    assert fetch(portal.hanweb_url + "robots.txt")[2] == b"User-agent: *\nDisallow: /admin/\n"


def test_downfile_link_without_extension_says_pdf(portal: Portal) -> None:
    (doc,) = [d for d in portal.expected.documents if "downfile.jsp" in d.url]
    assert doc.url.endswith("/module/download/downfile.jsp?id=605050")
    status, headers, body = fetch(doc.url)
    assert status == 200 and body.startswith(b"%PDF")
    assert headers["Content-Type"] == "application/pdf"
    name = urllib.parse.quote("银川市人民政府2022年政府信息公开工作年度报告.pdf")
    assert headers["Content-Disposition"].endswith(f"filename*=UTF-8''{name}")


@pytest.mark.parametrize("what", ["list", "page", "attachment", "proxy"])
def test_conditional_get_answers_304(portal: Portal, what: str) -> None:
    pdf = next(d.url for d in portal.expected.documents if d.content_type == "application/pdf")
    url = {
        "list": portal.trs_url + "xxgk/zfxxgknb/index_1.html",
        "page": portal.hanweb_url + "art/2024/1/30/art_4584_61313.html",
        "attachment": pdf,
        "proxy": portal.hanweb_url + PROXY + "?" + urllib.parse.urlencode({**WINDOW, "startrecord": 1}),
    }[what]
    status, headers, _ = fetch(url)
    assert status == 200
    etag, modified = headers["ETag"], headers["Last-Modified"]
    assert fetch(url, {"If-None-Match": etag})[0] == 304
    assert fetch(url, {"If-Modified-Since": modified})[0] == 304
    assert fetch(url, {"If-None-Match": '"other"'})[0] == 200
    assert fetch(url, {"If-Modified-Since": "Mon, 01 Jan 2018 00:00:00 GMT"})[0] == 200
    assert fetch(url, {"If-None-Match": '"other"', "If-Modified-Since": modified})[0] == 200


def test_expected_urls_answer_with_declared_types(portal: Portal) -> None:
    expected = portal.expected
    assert len(expected.documents) == 71 and len(expected.decoys) == 39
    for doc in (*expected.documents, *expected.decoys):
        status, headers, body = fetch_ok(doc.url)
        assert status == 200, doc.url
        assert headers["Content-Type"] == doc.content_type, doc.url
        assert portal.sha256(doc.url) == hashlib.sha256(body).hexdigest()
        if doc.content_type == "application/pdf":
            assert body.startswith(b"%PDF-")
        elif doc.kind == "attachment":
            assert body.startswith(b"PK")
        else:
            text = body.decode("gbk" if doc.site == "trs" else "utf-8")
            assert f'<meta name="ArticleTitle" content="{doc.title}">' in text
            assert (doc.label in text) if doc.label else True
    for doc in expected.documents:
        if doc.kind == "attachment":
            page = next(p for p in expected.documents if p.kind == "page" and p.title == doc.title)
            assert doc.label in fetch_ok(page.url)[2].decode("gbk" if doc.site == "trs" else "utf-8")


def test_expected_covers_formats_and_kinds(portal: Portal) -> None:
    docs = portal.expected.documents
    kinds = {(d.kind, d.content_type.split(";")[0]) for d in docs}
    assert kinds == {
        ("page", "text/html"),
        ("attachment", "application/pdf"),
        ("attachment", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    }
    scans = [d for d in docs if "（扫描件）" in d.label]
    assert [d.agency for d in scans] == ["银川市西夏区教育局", "银川市自然资源局"]
    assert {d.format for d in docs if d.year == 2018} == {"stat2014"}
    assert sum(1 for d in docs if d.kind == "page" and d.report_in_body) == 25
    reasons = {d.reason for d in portal.expected.decoys}
    assert reasons == {"title_excluded", "robots_disallowed"}
    for word in ("决算公开", "预算公开", "统计年报", "工作总结", "通知"):
        assert any(word in d.title for d in portal.expected.decoys), word


def test_timeliness_ground_truth_for_2023(portal: Portal) -> None:
    today = date(2026, 11, 22)
    outcome = {
        agency.name: portal.expected.status(agency.name, 2023, today) for agency in portal.expected.agencies
    }
    assert outcome == {
        "银川市西夏区人民政府": ("on_time", 0),
        "银川市西夏区科学技术和工业信息化局": ("on_time", 0),
        "银川市西夏区教育局": ("late", 15),
        "银川市西夏区民政局": ("missing", 0),
        "银川市西夏区住房和城乡建设局": ("missing", 0),
        "银川市人民政府": ("late", 12),
        "银川市科学技术局": ("on_time", 0),
        "银川市卫生健康委员会": ("on_time", 0),
        "银川市自然资源局": ("on_time", 0),
        "银川市金凤区科学技术局": ("missing", 0),
        "中卫市沙坡头区科学技术局": ("missing", 0),
    }
    published = portal.expected.published
    assert published[("银川市卫生健康委员会", 2023)] == date(2024, 1, 31)
    assert portal.expected.deadline("银川市人民政府", 2023) == date(2024, 3, 31)
    # 2018: every report was due 31 March, so a department publishing on 20 February was on time.
    assert portal.expected.status("银川市金凤区科学技术局", 2018, today) == ("on_time", 0)
    assert portal.expected.status("银川市金凤区科学技术局", 2019, today) == ("late", 10)
    assert portal.expected.status("银川市西夏区住房和城乡建设局", 2025, date(2026, 1, 31)) == ("pending", 0)
    assert all(v is None for (name, _), v in published.items() if name == "银川市西夏区住房和城乡建设局")
    for doc in portal.expected.documents:
        if doc.kind == "page":
            assert published[(doc.agency, doc.year or 0)] == doc.pub_date


def test_replace_report_serves_new_bytes() -> None:
    with start_portal() as fresh:
        pdf = next(d.url for d in fresh.expected.documents if d.content_type == "application/pdf")
        page = fresh.hanweb_url + "art/2024/1/30/art_4584_61313.html"
        for url in (pdf, page):
            status, headers, before = fetch(url)
            new_sha = fresh.replace_report(url)
            status, after_headers, after = fetch(url)
            assert status == 200 and after != before
            assert hashlib.sha256(after).hexdigest() == new_sha == fresh.sha256(url)
            assert after_headers["ETag"] != headers["ETag"]
            assert fetch(url, {"If-None-Match": headers["ETag"]})[0] == 200
            assert fetch(url, {"If-None-Match": after_headers["ETag"]})[0] == 304
            assert fresh.replace_report(url) != new_sha
        with pytest.raises(ValueError, match="not a report"):
            fresh.replace_report(fresh.trs_url + "robots.txt")


def test_requests_are_recorded_in_order(portal: Portal) -> None:
    portal.clear_requests()
    url = portal.trs_url + "xxgk/zfxxgknb/index_2.html?x=1"
    fetch(url, {"User-Agent": "nianbao-test", "If-None-Match": '"abc"'})
    form = urllib.parse.urlencode({**WINDOW, "startrecord": 1, "endrecord": 2})
    fetch(portal.hanweb_url + PROXY, data=form.encode())
    first, second = portal.requests
    assert (first.site, first.method, first.path, first.query, first.status) == (
        "trs",
        "GET",
        "/xxgk/zfxxgknb/index_2.html",
        "x=1",
        200,
    )
    assert first.headers["User-Agent"] == "nianbao-test"
    assert first.headers["If-None-Match"] == '"abc"'
    assert (second.site, second.method, second.path, second.status, second.form) == (
        "hanweb",
        "POST",
        "/" + PROXY,
        200,
        form,
    )
    portal.clear_requests()
    assert portal.requests == []


def test_registry_points_at_the_portal(portal: Portal, tmp_path: Path) -> None:
    path = write_demo_registry(portal, tmp_path / "sub" / "demo.yaml")
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert data["region"] == "640000"
    sources = {s["id"]: s for s in data["sources"]}
    assert set(sources) == {"demo-xixia-trs", "demo-yinchuan-hanweb"}
    assert sources["demo-xixia-trs"]["pagination"] == "trs"
    assert sources["demo-yinchuan-hanweb"]["pagination"] == "hanweb"
    for source in sources.values():
        (start,) = source["start_urls"]
        assert fetch(start)[0] == 200
        assert source["allowed_domains"] == ["127.0.0.1"]
        assert re.fullmatch(r"[a-z0-9-]+", source["id"])
    agencies = {a["name"]: a for a in data["agencies"]}
    assert len(agencies) == 11
    assert agencies["银川市西夏区住房和城乡建设局"]["source"] == "demo-xixia-trs"
    assert agencies["银川市人民政府"]["kind"] == "government"
    assert agencies["银川市科学技术局"]["region_code"] == "640100"
    assert all(a["source"] in sources for a in agencies.values())
    assert {a.name for a in portal.expected.agencies} == set(agencies)


def test_module_serves_until_interrupted() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "flows.demo.portal"],
        stdout=subprocess.PIPE,
        text=True,
        cwd=REPO,
    )
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        match = re.search(r"(http://127\.0\.0\.1:\d+/)", first)
        assert match, first
        assert fetch(match.group(1) + "robots.txt")[0] == 200
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_state_dir_caches_rendered_attachments(tmp_path: Path) -> None:
    with start_portal(state_dir=tmp_path) as first:
        url = next(d.url for d in first.expected.documents if d.content_type == "application/pdf")
        original = fetch(url)[2]
    cached = [p for p in (tmp_path / "demo-portal").rglob("*.bin") if p.read_bytes() == original]
    assert len(cached) == 1
    cached[0].write_bytes(b"%PDF-1.4 cached")
    with start_portal(state_dir=tmp_path) as second:
        assert fetch(url.replace(first.trs_url, second.trs_url).replace(first.hanweb_url, second.hanweb_url))[
            2
        ] == (b"%PDF-1.4 cached")


SHA_SCRIPT = """
import json
from flows.demo.portal import start_portal
with start_portal() as p:
    base = {"trs": p.trs_url, "hanweb": p.hanweb_url}
    print(json.dumps({
        d.site + ":" + d.url.removeprefix(base[d.site]): p.sha256(d.url)
        for d in p.expected.items if d.role != "broken"
    }))
"""


def served_hashes(portal: Portal) -> dict[str, str]:
    """site:path → sha256 of every URL of the ground truth that answers (pages, files, decoys)."""
    base = {"trs": portal.trs_url, "hanweb": portal.hanweb_url}
    return {
        f"{d.site}:{d.url.removeprefix(base[d.site])}": portal.sha256(d.url)
        for d in portal.expected.items
        if d.role != "broken"
    }


def test_every_url_serves_the_same_bytes_in_fresh_processes(portal: Portal) -> None:
    """Pages, PDFs, DOCX and scans: no clock, time zone or process state leaks into the bytes."""
    runs = []
    for zone in ("UTC", "Asia/Shanghai"):
        env = {**os.environ, "TZ": zone}
        out = subprocess.run(
            [sys.executable, "-c", SHA_SCRIPT],
            capture_output=True,
            text=True,
            check=True,
            cwd=REPO,
            env=env,
            timeout=300,
        )
        runs.append(json.loads(out.stdout))
    mine = served_hashes(portal)
    assert len(mine) == 110
    assert runs[0] == runs[1] == mine


def test_defects_are_exactly_the_deliberate_ones(portal: Portal) -> None:
    assert portal.expected.defects == (
        Defect(
            "银川市卫生健康委员会",
            2023,
            "history.carry_over",
            ("requests/carried_over/natural_person", "requests/carried_over/total"),
        ),
        Defect(
            "银川市西夏区教育局", 2019, "requests.balance", ("requests/*/natural_person", "requests/*/total")
        ),
    )
    assert len(portal.expected.defect_findings) == 4


ParsedDoc = tuple[ExpectedDocument, Report]


def parsed_documents(portal: Portal) -> dict[tuple[str, int], list[ParsedDoc]]:
    """Every stored document that parses into tables, by agency-year, in publication order."""
    found: dict[tuple[str, int], list[ParsedDoc]] = {}
    for doc in sorted(portal.expected.documents, key=lambda d: (d.pub_date, d.kind)):
        status, _headers, body = fetch_ok(doc.url)
        assert status == 200, doc.url
        try:
            report = parsers.parse(body, filename=doc.url.rsplit("/", 1)[-1], content_type=doc.content_type)
        except parsers.ParseError:
            continue
        if report.cells and doc.year is not None:
            found.setdefault((doc.agency, doc.year), []).append((doc, report))
    return found


def test_parsed_demo_reports_find_exactly_the_deliberate_defects(portal: Portal) -> None:
    """Parse everything as the pipeline does, check each report and each agency's consecutive years."""
    found = parsed_documents(portal)
    assert len(found) == 45  # 48 agency-years: not the robots decoy (never stored), not the 2 scans
    both = [key for key, docs in found.items() if len(docs) > 1]
    assert sorted(both) == [("银川市人民政府", 2021), ("银川市西夏区人民政府", 2021)]
    errors: list[tuple[str, int, str, str]] = []
    history_warnings: list[tuple[str, int, str, str]] = []
    for (agency, year), docs in found.items():
        values = [{(c.table, c.row, c.col): c.value for c in report.cells} for _doc, report in docs]
        assert all(v == values[0] for v in values), (agency, year)  # the page and its file agree
        previous = found.get((agency, year - 1))
        for _doc, report in docs:
            findings = list(report.findings)
            if previous is not None:
                findings += compare_years(previous[0][1], report)
            for f in findings:
                if f.severity == "error":
                    errors.append((agency, year, f.rule, f.where))
                elif f.rule.startswith("history."):
                    history_warnings.append((agency, year, f.rule, f.where))
    assert sorted(errors) == sorted(portal.expected.defect_findings)
    assert history_warnings == []
    compared = sum(1 for agency, year in found if (agency, year - 1) in found)
    assert compared == 33  # the carry-over rule really ran across the series


def test_seed_neighbours_chain_to_the_seed_zeros(portal: Portal) -> None:
    """Generated years next to a real report text agree with its zeros (the seeds cannot change)."""
    found = parsed_documents(portal)

    def cell(agency: str, year: int, table: str, row: str, col: str) -> float | int | None:
        report = found[(agency, year)][0][1]
        (value,) = [c.value for c in report.cells if (c.table, c.row, c.col) == (table, row, col)]
        return value

    xk, yk = "银川市西夏区科学技术和工业信息化局", "银川市科学技术局"
    assert cell(xk, 2022, "requests", "carried_forward", "total") == 0
    assert cell(xk, 2022, "proactive", "normative_documents", "in_force") == 0
    assert cell(xk, 2023, "requests", "carried_over", "total") == 0  # the seed
    assert cell(xk, 2024, "requests", "carried_over", "total") == 0
    assert cell(yk, 2019, "requests", "carried_forward", "total") == 0
    assert cell(yk, 2022, "requests", "carried_over", "total") == 0
    assert cell(yk, 2023, "requests", "carried_over", "total") == cell(
        yk, 2022, "requests", "carried_forward", "total"
    )
