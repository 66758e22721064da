"""A fleet of small demo sites on loopback: N distinct hosts for crawling many sources at once.

Each site is a TRS site of the demo portal (`flows.demo.sites.build_trs`) with its own name, site code
and bytes, listing four articles of the catalog on one list page (`/xxgk/zfxxgknb/index.html`): two
reports in the page body, one report page with a PDF attachment and a look-alike 统计年报 that a
correct crawl skips, so a first crawl stores four documents a site and a crawl of the unchanged fleet
is robots.txt plus one 304 list page a site.

Every site listens on its own loopback address (127.1.x.y, port chosen by the system), because
Scrapy's per-domain politeness (download slots, delays, robots.txt) is keyed by host name: sites on
one address with different ports would share one slot and crawl one at a time. One thread multiplexes
the listening sockets and each connection is served by its own thread (`ThreadingHTTPServer`).
"""

from __future__ import annotations

import argparse
import ipaddress
import selectors
import socketserver
import threading
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

import yaml

from crawler.lifeline import die_with_parent, parent_pid_from_env
from flows.demo.catalog import SiteInfo, articles
from flows.demo.portal import ExpectedDocument, RequestRecord, _expected_item, _SiteServer
from flows.demo.sites import TRS_COLUMN, Site, build_trs

FLEET_ARTICLES = (3117206, 2864305, 2938740, 2871117)
"""Catalog numbers of what every fleet site lists: a report with a PDF, two HTML reports, a 统计年报."""
FIRST_ADDRESS = ipaddress.IPv4Address("127.1.0.1")
HOSTS_PER_BLOCK = 250
MAX_SITES = 250 * 256


def site_address(index: int) -> str:
    """The loopback address of site `index` (0-based): 127.1.0.1 … 127.1.0.250, 127.1.1.1 …"""
    if not 0 <= index < MAX_SITES:
        raise ValueError(f"a fleet has at most {MAX_SITES} sites, not site {index}")
    block, offset = divmod(index, HOSTS_PER_BLOCK)
    return str(FIRST_ADDRESS + block * 256 + offset)


def fleet_site_info(index: int) -> SiteInfo:
    """The identity of site `index`: a county government of its own (GBK pages like the TRS site)."""
    return SiteInfo(
        key="trs",
        source_id=f"fleet-{index + 1:05d}",
        name=f"演示{index + 1}县人民政府",
        domain=f"www.fleet{index + 1}.gov.cn",
        region_code="640105",
        site_id_code=f"64{index + 1:08d}",
        column_name="政府信息公开年报",
        encoding="gbk",
    )


def build_fleet_site(index: int, cache: Path | None = None) -> Site:
    """Render site `index` (its attachment renders on first use, cached under `cache` if given)."""
    wanted = {a.number: a for a in articles("trs") if a.number in FLEET_ARTICLES}
    items = tuple(wanted[number] for number in FLEET_ARTICLES)
    return build_trs(fleet_site_info(index), cache, items)


class _FleetServer(_SiteServer):
    def server_bind(self) -> None:
        """Bind without `HTTPServer.server_bind`'s reverse lookup of the address (a DNS query per site)."""
        socketserver.TCPServer.server_bind(self)
        self.server_name = str(self.server_address[0])
        self.server_port = int(self.server_address[1])


@dataclass
class Fleet:
    """Running fleet sites, their request counts and their ground truth."""

    sites: list[Site]
    servers: list[_FleetServer]
    keep_requests: bool = True
    statuses: Counter[int] = field(default_factory=Counter)
    _requests: list[RequestRecord] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _stopped: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def base_url(self, index: int) -> str:
        server = self.servers[index]
        return f"http://{server.server_name}:{server.server_port}/"

    def start_url(self, index: int) -> str:
        """The list page of site `index`."""
        return f"{self.base_url(index)}{TRS_COLUMN.lstrip('/')}index.html"

    def source_id(self, index: int) -> str:
        return self.sites[index].info.source_id

    def expected(self, index: int) -> list[ExpectedDocument]:
        """Every URL site `index` links to, with what a correct crawl does with it."""
        site = self.sites[index]
        return [_expected_item(site, link, self.base_url(index)) for link in site.links]

    def documents(self, index: int) -> set[str]:
        """The URLs a correct crawl of site `index` stores."""
        return {d.url for d in self.expected(index) if d.role == "document"}

    @property
    def requests(self) -> list[RequestRecord]:
        """Every request so far (empty when started with `keep_requests=False`)."""
        with self._lock:
            return list(self._requests)

    @property
    def request_count(self) -> int:
        with self._lock:
            return sum(self.statuses.values())

    def _record(self, record: RequestRecord) -> None:
        with self._lock:
            self.statuses[record.status] += 1
            if self.keep_requests:
                self._requests.append(record)

    def _serve(self) -> None:
        """Accept on every listening socket from one thread; each connection gets its own thread."""
        with selectors.DefaultSelector() as selector:
            for server in self.servers:
                selector.register(server, selectors.EVENT_READ)
            while not self._stopped.is_set():
                for key, _ in selector.select(timeout=0.1):
                    key.fileobj._handle_request_noblock()  # type: ignore[union-attr]

    def stop(self) -> None:
        self._stopped.set()
        if self._thread is not None:
            self._thread.join()
        for server in self.servers:
            server.server_close()

    def __enter__(self) -> Fleet:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


def start_fleet(count: int, cache: Path | None = None, *, keep_requests: bool = True) -> Fleet:
    """Start `count` fleet sites on loopback (127.1.x.y, free ports)."""
    fleet = Fleet([], [], keep_requests=keep_requests)
    try:
        for index in range(count):
            site = build_fleet_site(index, cache)
            fleet.sites.append(site)
            fleet.servers.append(_FleetServer((site_address(index), 0), site, fleet))
    except OSError:
        fleet.stop()
        raise
    fleet._thread = threading.Thread(target=fleet._serve, name="demo-fleet", daemon=True)
    fleet._thread.start()
    return fleet


def fleet_registry_data(fleet: Fleet, politeness: dict[str, Any] | None = None) -> dict[str, Any]:
    """A registry (crawler/sources/*.yaml format) of every fleet site; politeness: the settings' own
    unless given. No agencies: the fleet is for crawling."""
    sources = []
    for index, site in enumerate(fleet.sites):
        source: dict[str, Any] = {
            "id": site.info.source_id,
            "name": site.info.name,
            "region_code": site.info.region_code,
            "start_urls": [fleet.start_url(index)],
            "allowed_domains": [site_address(index)],
            "verified": True,
            "pagination": "trs",
        }
        if politeness is not None:
            source["politeness"] = dict(politeness)
        sources.append(source)
    return {"region": "640000", "name": "演示站群", "sources": sources}


def write_fleet_registry(fleet: Fleet, path: Path, politeness: dict[str, Any] | None = None) -> Path:
    """Write the fleet's registry YAML; returns `path`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    text = yaml.safe_dump(fleet_registry_data(fleet, politeness), allow_unicode=True, sort_keys=False)
    path.write_text("# Demo fleet sources (generated by flows.demo.fleet)\n" + text, encoding="utf-8")
    return path


def main(argv: list[str] | None = None) -> int:
    """`python -m flows.demo.fleet N --registry FILE`: serve N sites until stdin closes or Ctrl-C."""
    import sys

    parser = argparse.ArgumentParser(prog="python -m flows.demo.fleet", description=__doc__.splitlines()[0])
    parser.add_argument("sites", type=int)
    parser.add_argument("--registry", type=Path, required=True, help="write the source registry YAML here")
    parser.add_argument("--state-dir", type=Path, help="cache rendered attachments here")
    parser.add_argument("--delay", type=float, default=None, help="politeness download_delay of every source")
    args = parser.parse_args(argv)
    die_with_parent(parent_pid_from_env())  # a benchmark that dies takes its fleet with it
    cache = args.state_dir / "demo-fleet" if args.state_dir else None
    with start_fleet(args.sites, cache, keep_requests=False) as fleet:
        politeness = None if args.delay is None else {"download_delay": args.delay}
        write_fleet_registry(fleet, args.registry, politeness)
        print(f"serving {args.sites} sites; registry {args.registry}", flush=True)
        try:
            for line in sys.stdin:
                if line.strip() == "requests":
                    print(fleet.request_count, flush=True)
        except KeyboardInterrupt:
            pass
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
