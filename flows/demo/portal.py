"""The demo portal: two fake 政府网站 on loopback that a correct crawl can harvest exactly.

Layout (paths relative to each site's base URL; both sites also serve `/`, `/index.html`, `/robots.txt`):

TRS site (`portal.trs_url`, 银川市西夏区人民政府, SiteIDCode 6401050001, pages GBK with `<meta charset="gbk">`
and `Content-Type: text/html; charset=GBK`):
- column `xxgk/zfxxgknb/index.html`, then `index_1.html`, `index_2.html`; 15 items a page, newest first,
  `<li><a href="./202401/t20240126_2829010.html" title="…">…</a><span>2024-01-26</span></li>`; the page
  count is only in `<script>createPageHTML(3, 0, "index", "html");</script>` (0 = current page index).
- detail `xxgk/zfxxgknb/YYYYMM/tYYYYMMDD_N.html`, body in `div.TRS_Editor`, attachments linked inside it
  as `./P0YYYYMMDD…pdf|docx` (same folder as the page).
- robots.txt disallows `/private/`; list page 1 links (absolute path) to a decoy report under
  `/private/zfxxgknb/…` that a correct crawler never fetches.
- one detail page answers 503 twice, then 200 (per portal instance); one attachment link answers 404.

Hanweb site (`portal.hanweb_url`, 银川市人民政府, SiteIDCode 6401000001, UTF-8):
- column `col/col1229565788/index.html` holds no list, only the jpage config: `<div id="4584">` and a
  script with `proxyUrl: "/module/web/jpage/dataproxy.jsp"`, `perPage: 15` and
  `ajaxParam: {… webid: 1, … columnid: 1229565788, … unitid: '4584', …}`.
- `module/web/jpage/dataproxy.jsp` (GET or POST form) with `startrecord`, `endrecord` (1-based,
  inclusive), `perpage`, `columnid`, `unitid`, `webid` answers `<datastore><nextgroup>…</nextgroup>
  <recordset><record><![CDATA[<li><a href="/art/…" title="full title">shown</a><span>Y-M-D</span></li>]]>
  </record>…</recordset><totalrecord>N</totalrecord></datastore>`; unknown columnid → 0 records.
- detail `art/Y/M/D/art_4584_N.html` (no zero padding), body in `div#zoom`, attachments after it in
  `div.fujian` as `/attach/0/<hex>.pdf|docx`, one as `/module/download/downfile.jsp?id=N` (no extension;
  `Content-Type: application/pdf` and `Content-Disposition: …; filename*=UTF-8''<name>.pdf`).

Both: every detail page carries SiteName, SiteDomain, SiteIDCode, ColumnName, ColumnDescription,
ColumnKeywords, ColumnType, ArticleTitle, PubDate (all four spellings occur on each site), ContentSource.
Pages and files send ETag and Last-Modified and answer 304 to If-None-Match / If-Modified-Since.
Non-report articles have look-alike titles (…决算公开, …预算公开, …统计年报, …工作总结, 关于…的通知).
The ground truth is `portal.expected` (`Expected`); `write_demo_registry` writes the matching registry.

Timeliness of report year 2023 (statutory deadlines: departments 31 Jan, governments 31 Mar; ≤ 2018 all
31 Mar): on time 西夏区人民政府 (28 Mar), 西夏区科信局 (seed text), 银川市科学技术局, 银川市卫生健康委员会
(31 Jan, the deadline day), 银川市自然资源局; late 西夏区教育局 (15 days), 银川市人民政府 (12 days);
missing 西夏区民政局 (its 2023 report is the robots decoy), 西夏区住房和城乡建设局 (never publishes),
金凤区科学技术局 (only 2018 stat2014 seed, on time under the old rule, and 2019, 10 days late), 沙坡头区科学技术局
(only 2020). `Expected.status(agency, year, today)` gives every agency-year.

Numbers: every agency's reports form a consistent series (this year's 二、上年结转 = last year's
四、结转下年度继续办理 per column; gov2021 现行有效 = last year's + 本年制发 − 本年废止; the seed texts'
zeros included), and a page and its attachment of the same agency-year print the same numbers. The only
error findings a correct pipeline reports are `Expected.defects`: 银川市卫生健康委员会 2023
history.carry_over (natural persons and 总计) and 银川市西夏区教育局 2019 requests.balance.
"""

from __future__ import annotations

import argparse
import hashlib
import ipaddress
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import partial
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from pathlib import Path
from types import TracebackType
from typing import Any, Literal, Protocol
from urllib.parse import parse_qsl, unquote, urlsplit

import yaml

from flows.demo.catalog import (
    AGENCIES,
    AGENCY_BY_NAME,
    REPORT_YEARS,
    SITES,
    Agency,
    SiteKey,
    deadline_for,
)
from flows.demo.content import Defect, defects
from flows.demo.sites import (
    DOCX,
    HANWEB_COLUMN,
    PDF,
    TEXT,
    TRS_COLUMN,
    Link,
    Response,
    Site,
    build_site,
    html_type,
    rerender,
    resource_key,
)

Role = Literal["document", "decoy", "broken"]
TimelinessStatus = Literal["on_time", "late", "missing", "pending"]


@dataclass(frozen=True)
class RequestRecord:
    """One request as the portal saw it. `headers` keys are Title-Case; `form` is a POSTed body."""

    site: SiteKey
    method: str
    path: str
    query: str
    headers: dict[str, str]
    status: int
    form: str = ""


@dataclass(frozen=True)
class ExpectedDocument:
    """A URL of the ground truth.

    `role`: "document" (a correct crawl stores it), "decoy" (it must not: `reason` "title_excluded" or
    "robots_disallowed") or "broken" (linked from a report page, answers 404: `reason` "not_found").
    `kind`: "page" (a detail page) or "attachment". `title` is the list/page title, `label` the link
    text of an attachment. `report_in_body`: the page body itself holds the report (tables and text),
    not only a pointer to its attachments.
    """

    url: str
    kind: Literal["page", "attachment"]
    title: str
    pub_date: date
    agency: str
    year: int | None
    content_type: str
    site: SiteKey
    role: Role
    reason: str = ""
    label: str = ""
    format: str | None = None
    report_in_body: bool = False


@dataclass(frozen=True)
class Expected:
    """What a correct crawl of the portal finds, and what the timeliness monitor must conclude."""

    items: tuple[ExpectedDocument, ...]
    agencies: tuple[Agency, ...]
    published: Mapping[tuple[str, int], date | None]
    defects: tuple[Defect, ...] = ()

    @property
    def defect_findings(self) -> frozenset[tuple[str, int, str, str]]:
        """(agency, year, rule, where) of every error finding a correct pipeline reports on the demo."""
        return frozenset((d.agency, d.year, d.rule, where) for d in self.defects for where in d.where)

    @property
    def documents(self) -> tuple[ExpectedDocument, ...]:
        return tuple(d for d in self.items if d.role == "document")

    @property
    def decoys(self) -> tuple[ExpectedDocument, ...]:
        return tuple(d for d in self.items if d.role == "decoy")

    @property
    def broken(self) -> tuple[ExpectedDocument, ...]:
        return tuple(d for d in self.items if d.role == "broken")

    def by_url(self, url: str) -> ExpectedDocument:
        for item in self.items:
            if item.url == url:
                return item
        raise KeyError(url)

    def deadline(self, agency: str, year: int) -> date:
        """The statutory deadline of an agency-year (no regional overrides in the demo registry)."""
        return deadline_for(AGENCY_BY_NAME[agency], year)

    def status(self, agency: str, year: int, today: date | None = None) -> tuple[TimelinessStatus, int]:
        """(status, days late) of an agency-year as of `today` (default: the real date)."""
        today = today or date.today()
        deadline = self.deadline(agency, year)
        published = self.published.get((agency, year))
        if published is None:
            return ("pending", 0) if today <= deadline else ("missing", 0)
        late = (published - deadline).days
        return ("late", late) if late > 0 else ("on_time", 0)


def _expected(sites: Mapping[SiteKey, Site], base: Mapping[SiteKey, str]) -> Expected:
    items: list[ExpectedDocument] = []
    published: dict[tuple[str, int], date | None] = {
        (a.name, y): None for a in AGENCIES for y in REPORT_YEARS
    }
    for key, site in sites.items():
        for link in site.links:
            items.append(_expected_item(site, link, base[key]))
            art = link.article
            if art.is_report and link.attachment is None and art.year is not None:
                known = published.get((art.agency, art.year))
                published[(art.agency, art.year)] = min(known, art.pub_date) if known else art.pub_date
    return Expected(tuple(items), AGENCIES, published, defects())


def _expected_item(site: Site, link: Link, base: str) -> ExpectedDocument:
    art, att = link.article, link.attachment
    role: Role = "document"
    reason = ""
    if art.robots_decoy:
        role, reason = "decoy", "robots_disallowed"
    elif not art.is_report:
        role, reason = "decoy", "title_excluded"
    elif att is not None and att.missing:
        role, reason = "broken", "not_found"
    attachment_type = DOCX if att is not None and att.fmt == "docx" else PDF
    ctype = html_type(site.info.encoding) if att is None else attachment_type
    return ExpectedDocument(
        url=base + link.path.lstrip("/"),
        kind="page" if att is None else "attachment",
        title=art.title,
        pub_date=art.pub_date,
        agency=art.agency,
        year=art.year,
        content_type=ctype,
        site=site.info.key,
        role=role,
        reason=reason,
        label=att.label if att is not None else "",
        format=art.report_format,
        report_in_body=att is None and art.body in ("report", "seed"),
    )


class RequestLog(Protocol):
    """Where a site server records each request it answered (a `Portal`, a `Fleet`)."""

    def _record(self, record: RequestRecord) -> None: ...


class _SiteServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def __init__(self, address: tuple[str, int], site: Site, portal: RequestLog) -> None:
        super().__init__(address, _Handler)
        self.site = site
        self.portal = portal


class _Handler(BaseHTTPRequestHandler):
    server: _SiteServer
    protocol_version = "HTTP/1.1"
    server_version = "nginx"
    sys_version = ""

    def do_GET(self) -> None:
        self._handle("GET")

    def do_HEAD(self) -> None:
        self._handle("HEAD")

    def do_POST(self) -> None:
        self._handle("POST")

    def log_message(self, format: str, *args: Any) -> None:
        """Silent: the portal records requests in `Portal.requests` instead."""

    def _handle(self, method: str) -> None:
        parts = urlsplit(self.path)
        path = unquote(parts.path) or "/"
        params = dict(parse_qsl(parts.query, keep_blank_values=True))
        form = ""
        length = int(self.headers.get("Content-Length") or 0)
        if length > 0:
            form = self.rfile.read(length).decode("utf-8", errors="replace")
            if method == "POST":
                params.update(parse_qsl(form, keep_blank_values=True))
        headers = {k.title(): v for k, v in self.headers.items()}
        try:
            response = self.server.site.respond(method, path, params, headers)
        except Exception as exc:  # a rendering bug must not kill the connection silently
            response = Response(500, f"500 {type(exc).__name__}: {exc}".encode(), (("Content-Type", TEXT),))
        self.server.portal._record(
            RequestRecord(
                self.server.site.info.key, method, path, parts.query, headers, response.status, form
            )
        )
        self.send_response(response.status)
        for name, value in response.headers:
            self.send_header(name, value)
        if response.status != 304:
            self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        if method != "HEAD" and response.status != 304:
            self.wfile.write(response.body)


@dataclass
class Portal:
    """A running demo portal: two sites, their request log and their ground truth."""

    sites: dict[SiteKey, Site]
    servers: dict[SiteKey, _SiteServer]
    host: str
    _requests: list[RequestRecord] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _variants: dict[str, int] = field(default_factory=dict)

    @property
    def trs_url(self) -> str:
        return self._base("trs")

    @property
    def hanweb_url(self) -> str:
        return self._base("hanweb")

    @property
    def trs_start_url(self) -> str:
        """The TRS column's first list page."""
        return f"{self.trs_url}{TRS_COLUMN.lstrip('/')}index.html"

    @property
    def hanweb_start_url(self) -> str:
        """The Hanweb column page."""
        return f"{self.hanweb_url}{HANWEB_COLUMN.lstrip('/')}"

    def _base(self, key: SiteKey) -> str:
        return f"http://{self.host}:{self.servers[key].server_address[1]}/"

    @property
    def expected(self) -> Expected:
        return _expected(self.sites, {k: self._base(k) for k in self.sites})

    @property
    def requests(self) -> list[RequestRecord]:
        """A snapshot of every request so far, in arrival order."""
        with self._lock:
            return list(self._requests)

    def clear_requests(self) -> None:
        with self._lock:
            self._requests.clear()

    def _record(self, record: RequestRecord) -> None:
        with self._lock:
            self._requests.append(record)

    def _locate(self, url: str) -> tuple[Site, str]:
        parts = urlsplit(url)
        for key, server in self.servers.items():
            if parts.port == server.server_address[1]:
                params = dict(parse_qsl(parts.query))
                return self.sites[key], resource_key(unquote(parts.path) or "/", params)
        raise ValueError(f"not a URL of this portal: {url}")

    def sha256(self, url: str) -> str:
        """The sha256 of the bytes the portal serves at `url` now."""
        site, key = self._locate(url)
        res = site.resource(key)
        if res is None:
            raise ValueError(f"the portal serves nothing at {url}")
        return res.sha256

    def replace_report(self, url: str) -> str:
        """Serve new bytes (other numbers, same title) at a report page or attachment; returns their sha256."""
        site, key = self._locate(url)
        link = next((lk for lk in site.links if lk.path == key), None)
        if link is None or not link.article.is_report or not site.serves(key):
            raise ValueError(f"not a report page or attachment of this portal: {url}")
        with self._lock:
            variant = self._variants.get(key, 0) + 1
            self._variants[key] = variant
        res = rerender(site, link, variant, datetime.now(UTC))
        site.replace(key, res)
        return res.sha256

    def stop(self) -> None:
        for site in self.sites.values():
            site.stopped.set()
        for server in self.servers.values():
            server.shutdown()
            server.server_close()

    def __enter__(self) -> Portal:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


def _fingerprint() -> str:
    """Identifies the generating code, so a cache written by another version is not reused."""
    demo = resources.files("flows.demo")
    generator = sorted(
        (f for f in demo.joinpath("reportgen").iterdir() if f.name.endswith(".py")), key=lambda f: f.name
    )
    digest = hashlib.sha256()
    for source in [*(demo.joinpath(name) for name in ("catalog.py", "content.py", "sites.py")), *generator]:
        digest.update(source.read_bytes())
    return digest.hexdigest()[:16]


def start_portal(
    host: str = "127.0.0.1",
    state_dir: Path | None = None,
    *,
    port_trs: int = 0,
    port_hanweb: int = 0,
) -> Portal:
    """Start both sites on loopback (free ports unless given); attachments render in the background.

    With `state_dir`, rendered attachments are cached under `state_dir/demo-portal/` and reused.
    """
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        raise ValueError(f"the demo portal serves on a loopback address only, not {host!r}")
    cache = state_dir / "demo-portal" / _fingerprint() if state_dir is not None else None
    sites: dict[SiteKey, Site] = {key: build_site(key, cache) for key in SITES}
    servers: dict[SiteKey, _SiteServer] = {}
    portal = Portal(sites, servers, host)
    try:
        for key, port in (("trs", port_trs), ("hanweb", port_hanweb)):
            servers[key] = _SiteServer((host, port), sites[key], portal)  # type: ignore[index]
    except OSError:
        for server in servers.values():
            server.server_close()
        raise
    for key, server in servers.items():
        threading.Thread(
            target=partial(server.serve_forever, poll_interval=0.05), name=f"demo-portal-{key}", daemon=True
        ).start()
        threading.Thread(target=sites[key].warm, name=f"demo-portal-warm-{key}", daemon=True).start()
    return portal


def registry_data(portal: Portal) -> dict[str, Any]:
    """The source registry (the format of crawler/sources/*.yaml) of the portal's two sites and all its agencies."""
    starts: dict[SiteKey, str] = {"trs": portal.trs_start_url, "hanweb": portal.hanweb_start_url}
    sources = [
        {
            "id": info.source_id,
            "name": info.name,
            "region_code": info.region_code,
            "start_urls": [starts[key]],
            "allowed_domains": [portal.host],
            "verified": True,
            "pagination": key,
            "list_item_selector": None,
            "json_api": None,
            "hanweb": None,
            "title_include": [],
            "title_exclude": ["^关于.*的通知$"],
            "max_pages": 10,
            "politeness": {"download_delay": 0.0, "concurrency_per_domain": 4},
        }
        for key, info in SITES.items()
    ]
    agencies = [
        {
            "name": a.name,
            "aliases": list(a.aliases),
            "kind": a.kind,
            "region_code": a.region_code,
            "source": SITES[a.site].source_id,
            "deadline_override": None,
        }
        for a in AGENCIES
    ]
    return {"region": "640000", "name": "宁夏回族自治区", "sources": sources, "agencies": agencies}


def write_demo_registry(portal: Portal, path: Path) -> Path:
    """Write the registry YAML pointing at the running portal; returns `path`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    text = yaml.safe_dump(registry_data(portal), allow_unicode=True, sort_keys=False, width=200)
    path.write_text(
        "# Demo portal sources (generated by flows.demo.portal; ports change every start)\n" + text,
        encoding="utf-8",
    )
    return path


def _iter_lines(portal: Portal) -> Iterator[str]:
    yield f"TRS site (GBK):     {portal.trs_url}  column {portal.trs_start_url}"
    yield f"Hanweb site (UTF-8): {portal.hanweb_url}  column {portal.hanweb_start_url}"
    yield "Ctrl-C to stop."


def main(argv: list[str] | None = None) -> int:
    """`python -m flows.demo.portal`: serve the demo portal until Ctrl-C."""
    parser = argparse.ArgumentParser(prog="python -m flows.demo.portal", description=__doc__.splitlines()[0])
    parser.add_argument("--port-trs", type=int, default=0)
    parser.add_argument("--port-hanweb", type=int, default=0)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--registry", type=Path, help="also write the source registry YAML here")
    parser.add_argument("--state-dir", type=Path, help="cache rendered attachments here")
    args = parser.parse_args(argv)
    try:
        portal = start_portal(args.host, args.state_dir, port_trs=args.port_trs, port_hanweb=args.port_hanweb)
    except (OSError, ValueError) as exc:
        parser.exit(2, f"error: cannot start the demo portal: {exc}\n")
    with portal:
        for line in _iter_lines(portal):
            print(line, flush=True)
        if args.registry:
            print(f"Registry: {write_demo_registry(portal, args.registry)}", flush=True)
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            print("Stopped.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
