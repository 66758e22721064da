"""The source registry: crawler/sources/*.yaml, one file per region (format: README, "The source registry").

Each file names the sites to crawl and the agencies expected to publish there. Loading validates
everything and fails with a one-line `RegistryError` of the form ``FILE:LINE: where: what``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

from crawler.pagination import STYLES as PAGINATION_STYLES
from storage.domain import AGENCY_KINDS, check_mm_dd, deadline_override_for, region_sig

SHIPPED_SOURCES_DIR = Path(__file__).resolve().parent / "sources"
DEFAULT_MAX_PAGES = 50
DEFAULT_RECHECK_DAYS = 7
DEFAULT_DISCOVER_HOPS = 3

_SOURCE_ID = re.compile(r"^[a-z0-9][a-z0-9-]*$")
_REGION_CODE = re.compile(r"^\d{6}(\d{3}(\d{3})?)?$")

_FILE_KEYS = {"region", "name", "region_deadlines", "sources", "agencies"}
_SOURCE_KEYS = {
    "id",
    "name",
    "region_code",
    "start_urls",
    "allowed_domains",
    "verified",
    "pagination",
    "list_item_selector",
    "json_api",
    "hanweb",
    "render",
    "title_include",
    "title_exclude",
    "max_pages",
    "politeness",
    "recheck_days",
    "discover_hops",
    "notes",
}
_AGENCY_KEYS = {"name", "aliases", "kind", "region_code", "source", "deadline_override", "notes"}
_POLITENESS_KEYS = {"download_delay", "concurrency_per_domain"}
_JSON_API_KEYS = {"url_template", "items", "title", "url", "date", "first_page", "total_pages"}
_HANWEB_KEYS = {"columnid", "unitid", "webid", "perpage", "method"}


class RegistryError(ValueError):
    """The registry cannot be used; one line naming the file, line and field."""


@dataclass(frozen=True)
class Politeness:
    """Per-source overrides of the crawl politeness settings (None: use settings)."""

    download_delay: float | None = None
    concurrency_per_domain: int | None = None


@dataclass(frozen=True)
class JsonApiConfig:
    """A JSON list API: `url_template` holds {page}; `items` is a dotted path to the list."""

    url_template: str
    items: str
    title: str = "title"
    url: str = "url"
    date: str = "date"
    first_page: int = 1
    total_pages: str = ""


@dataclass(frozen=True)
class HanwebConfig:
    """Hanweb (大汉) dataproxy parameters; missing ones are read from the column page."""

    columnid: str = ""
    unitid: str = ""
    webid: str = ""
    perpage: int = 0
    method: str = "GET"


@dataclass(frozen=True)
class SourceConfig:
    """One crawled site: a column listing annual reports."""

    id: str
    name: str
    region_code: str
    start_urls: tuple[str, ...]
    allowed_domains: tuple[str, ...]
    verified: bool = False
    pagination: str = "auto"
    list_item_selector: str | None = None
    json_api: JsonApiConfig | None = None
    hanweb: HanwebConfig | None = None
    render: bool = False
    """List pages are rendered in headless Chromium (crawler/render.py): the list is built by a script."""
    title_include: tuple[str, ...] = ()
    title_exclude: tuple[str, ...] = ()
    max_pages: int = DEFAULT_MAX_PAGES
    politeness: Politeness = field(default_factory=Politeness)
    recheck_days: int = DEFAULT_RECHECK_DAYS
    discover_hops: int = DEFAULT_DISCOVER_HOPS
    file: str = ""
    line: int = 0

    def as_config(self) -> dict[str, Any]:
        """The JSON stored in `sources.config` (everything but id, name, region and start URLs)."""
        return {
            "allowed_domains": list(self.allowed_domains),
            "verified": self.verified,
            "pagination": self.pagination,
            "list_item_selector": self.list_item_selector,
            "json_api": None if self.json_api is None else vars(self.json_api).copy(),
            "hanweb": None if self.hanweb is None else vars(self.hanweb).copy(),
            "render": self.render,
            "title_include": list(self.title_include),
            "title_exclude": list(self.title_exclude),
            "max_pages": self.max_pages,
            "politeness": vars(self.politeness).copy(),
            "recheck_days": self.recheck_days,
            "discover_hops": self.discover_hops,
            "file": self.file,
        }


@dataclass(frozen=True)
class AgencyConfig:
    """An agency expected to publish a report every year."""

    name: str
    kind: str
    region_code: str
    aliases: tuple[str, ...] = ()
    source: str | None = None
    deadline_override: str | None = None
    file: str = ""
    line: int = 0


@dataclass(frozen=True)
class Registry:
    """All sources and agencies of the loaded files."""

    sources: tuple[SourceConfig, ...]
    agencies: tuple[AgencyConfig, ...]
    region_deadlines: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    files: tuple[str, ...] = ()

    def source(self, source_id: str) -> SourceConfig:
        """The source with this id, or a `RegistryError` listing the known ids."""
        for source in self.sources:
            if source.id == source_id:
                return source
        known = ", ".join(s.id for s in self.sources) or "none"
        raise RegistryError(f"unknown source {source_id!r} (known: {known})")

    def agencies_of(self, source_id: str) -> tuple[AgencyConfig, ...]:
        return tuple(a for a in self.agencies if a.source == source_id)

    def deadline_override_for(self, agency: AgencyConfig) -> str | None:
        """The agency's own "MM-DD" override, else the longest matching region prefix for its kind."""
        return deadline_override_for(agency, self.region_deadlines)


class _Doc:
    """One parsed YAML file: its data and the line of every node, by path."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.lines: dict[tuple[Any, ...], int] = {}
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise RegistryError(f"{path}: cannot read: {exc}") from None
        try:
            node = yaml.compose(text, Loader=yaml.SafeLoader)
            self.data: Any = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f"{path}:{mark.line + 1}" if mark is not None else str(path)
            problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
            raise RegistryError(f"{where}: invalid YAML: {problem}") from None
        if node is not None:
            self._index(node, ())

    def _index(self, node: yaml.Node, path: tuple[Any, ...]) -> None:
        self.lines[path] = node.start_mark.line + 1
        if isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                self._index(value_node, (*path, key_node.value))
                self.lines[(*path, key_node.value)] = key_node.start_mark.line + 1
        elif isinstance(node, yaml.SequenceNode):
            for index, item in enumerate(node.value):
                self._index(item, (*path, index))

    def line(self, path: tuple[Any, ...]) -> int:
        while path and path not in self.lines:
            path = path[:-1]
        return self.lines.get(path, 1)

    def error(self, path: tuple[Any, ...], message: str) -> RegistryError:
        where = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path).lstrip(".")
        prefix = f"{self.path}:{self.line(path)}"
        return RegistryError(f"{prefix}: {where}: {message}" if where else f"{prefix}: {message}")


def _check_keys(doc: _Doc, path: tuple[Any, ...], value: Mapping[str, Any], allowed: set[str]) -> None:
    for key in value:
        if key not in allowed:
            raise doc.error(
                (*path, key), f"unknown key {key!r} (expected one of {', '.join(sorted(allowed))})"
            )


def _mapping(doc: _Doc, path: tuple[Any, ...], value: Any, allowed: set[str]) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise doc.error(path, f"expected a mapping, got {type(value).__name__}")
    _check_keys(doc, path, value, allowed)
    return value


def _string(doc: _Doc, path: tuple[Any, ...], value: Any, *, required: bool = True) -> str:
    if value is None and not required:
        return ""
    if isinstance(value, int | float) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or (required and not value.strip()):
        raise doc.error(path, "expected a non-empty string")
    return value.strip()


def _string_list(doc: _Doc, path: tuple[Any, ...], value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list):
        raise doc.error(path, "expected a list of strings")
    return tuple(_string(doc, (*path, i), item) for i, item in enumerate(value))


def _region_code(doc: _Doc, path: tuple[Any, ...], value: Any) -> str:
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not _REGION_CODE.match(value):
        raise doc.error(path, f"bad region code {value!r} (expected 6, 9 or 12 digits, quoted)")
    return value


def _mm_dd(doc: _Doc, path: tuple[Any, ...], value: Any) -> str:
    try:
        return check_mm_dd(value)
    except ValueError as exc:
        raise doc.error(path, str(exc)) from None


def _int(doc: _Doc, path: tuple[Any, ...], value: Any, *, low: int, high: int) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise doc.error(path, f"expected an integer from {low} to {high}, got {value!r}")
    return value


def _regexes(doc: _Doc, path: tuple[Any, ...], value: Any) -> tuple[str, ...]:
    patterns = _string_list(doc, path, value)
    for index, pattern in enumerate(patterns):
        try:
            re.compile(pattern)
        except re.error as exc:
            raise doc.error((*path, index), f"bad regular expression {pattern!r}: {exc}") from None
    return patterns


def _url(doc: _Doc, path: tuple[Any, ...], value: Any) -> str:
    url = _string(doc, path, value)
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise doc.error(path, f"bad URL {url!r} (expected http:// or https://)")
    return url


def _politeness(doc: _Doc, path: tuple[Any, ...], value: Any) -> Politeness:
    if value is None:
        return Politeness()
    data = _mapping(doc, path, value, _POLITENESS_KEYS)
    delay = data.get("download_delay")
    if delay is not None and (
        not isinstance(delay, int | float) or isinstance(delay, bool) or not 0 <= delay <= 600
    ):
        raise doc.error((*path, "download_delay"), f"expected seconds from 0 to 600, got {delay!r}")
    concurrency = data.get("concurrency_per_domain")
    if concurrency is not None:
        _int(doc, (*path, "concurrency_per_domain"), concurrency, low=1, high=8)
    return Politeness(
        download_delay=None if delay is None else float(delay), concurrency_per_domain=concurrency
    )


def _json_api(doc: _Doc, path: tuple[Any, ...], value: Any) -> JsonApiConfig | None:
    if value is None:
        return None
    data = _mapping(doc, path, value, _JSON_API_KEYS)
    template = _string(doc, (*path, "url_template"), data.get("url_template"))
    if "{page}" not in template:
        raise doc.error((*path, "url_template"), "url_template must contain {page}")
    first_page = data.get("first_page", 1)
    return JsonApiConfig(
        url_template=template,
        items=_string(doc, (*path, "items"), data.get("items")),
        title=_string(doc, (*path, "title"), data.get("title", "title")),
        url=_string(doc, (*path, "url"), data.get("url", "url")),
        date=_string(doc, (*path, "date"), data.get("date", "date")),
        first_page=_int(doc, (*path, "first_page"), first_page, low=0, high=1),
        total_pages=_string(doc, (*path, "total_pages"), data.get("total_pages"), required=False),
    )


def _hanweb(doc: _Doc, path: tuple[Any, ...], value: Any) -> HanwebConfig | None:
    if value is None:
        return None
    data = _mapping(doc, path, value, _HANWEB_KEYS)
    method = str(data.get("method", "GET")).upper()
    if method not in ("GET", "POST"):
        raise doc.error((*path, "method"), f"expected GET or POST, got {method!r}")
    perpage = data.get("perpage", 0)
    return HanwebConfig(
        columnid=_string(doc, (*path, "columnid"), data.get("columnid"), required=False),
        unitid=_string(doc, (*path, "unitid"), data.get("unitid"), required=False),
        webid=_string(doc, (*path, "webid"), data.get("webid"), required=False),
        perpage=_int(doc, (*path, "perpage"), perpage, low=0, high=500),
        method=method,
    )


def _source(doc: _Doc, path: tuple[Any, ...], value: Any, file_region: str) -> SourceConfig:
    data = _mapping(doc, path, value, _SOURCE_KEYS)
    source_id = _string(doc, (*path, "id"), data.get("id"))
    if not _SOURCE_ID.match(source_id):
        raise doc.error((*path, "id"), f"bad source id {source_id!r} (expected [a-z0-9-]+)")
    region_code = _region_code(doc, (*path, "region_code"), data.get("region_code", file_region))
    if not region_code.startswith(region_sig(file_region)):
        raise doc.error((*path, "region_code"), f"region code {region_code} is outside {file_region}")
    start_urls_raw = data.get("start_urls")
    if not start_urls_raw:
        raise doc.error((*path, "start_urls"), "at least one start URL is required")
    if isinstance(start_urls_raw, str):
        start_urls_raw = [start_urls_raw]
    if not isinstance(start_urls_raw, list):
        raise doc.error((*path, "start_urls"), "expected a list of URLs")
    start_urls = tuple(_url(doc, (*path, "start_urls", i), u) for i, u in enumerate(start_urls_raw))
    domains = _string_list(doc, (*path, "allowed_domains"), data.get("allowed_domains"))
    if not domains:
        domains = tuple(dict.fromkeys(urlsplit(u).hostname or "" for u in start_urls))
    pagination = data.get("pagination") or "auto"
    if pagination not in PAGINATION_STYLES:
        raise doc.error(
            (*path, "pagination"),
            f"unknown pagination style {pagination!r} (expected one of {', '.join(PAGINATION_STYLES)})",
        )
    style = PAGINATION_STYLES[pagination]
    if style.needs and data.get(style.needs) is None:
        raise doc.error(
            (*path, "pagination"), f"pagination {pagination} needs a {style.needs}: {style.needs_hint}"
        )
    json_api = _json_api(doc, (*path, "json_api"), data.get("json_api"))
    selector = data.get("list_item_selector")
    if selector is not None:
        selector = _string(doc, (*path, "list_item_selector"), selector)
    verified = data.get("verified", False)
    if not isinstance(verified, bool):
        raise doc.error((*path, "verified"), f"expected true or false, got {verified!r}")
    render = data.get("render", False)
    if not isinstance(render, bool):
        raise doc.error((*path, "render"), f"expected true or false, got {render!r}")
    if render and pagination == "json_api":
        raise doc.error(
            (*path, "render"), "render does nothing with pagination json_api (its list is the API)"
        )
    return SourceConfig(
        id=source_id,
        name=_string(doc, (*path, "name"), data.get("name")),
        region_code=region_code,
        start_urls=start_urls,
        allowed_domains=domains,
        verified=verified,
        pagination=pagination,
        list_item_selector=selector,
        json_api=json_api,
        hanweb=_hanweb(doc, (*path, "hanweb"), data.get("hanweb")),
        render=render,
        title_include=_regexes(doc, (*path, "title_include"), data.get("title_include")),
        title_exclude=_regexes(doc, (*path, "title_exclude"), data.get("title_exclude")),
        max_pages=_int(
            doc, (*path, "max_pages"), data.get("max_pages", DEFAULT_MAX_PAGES), low=1, high=10000
        ),
        politeness=_politeness(doc, (*path, "politeness"), data.get("politeness")),
        recheck_days=_int(
            doc, (*path, "recheck_days"), data.get("recheck_days", DEFAULT_RECHECK_DAYS), low=0, high=3650
        ),
        discover_hops=_int(
            doc, (*path, "discover_hops"), data.get("discover_hops", DEFAULT_DISCOVER_HOPS), low=0, high=6
        ),
        file=str(doc.path),
        line=doc.line(path),
    )


def _agency(doc: _Doc, path: tuple[Any, ...], value: Any, file_region: str) -> AgencyConfig:
    data = _mapping(doc, path, value, _AGENCY_KEYS)
    kind = data.get("kind")
    if kind not in AGENCY_KINDS:
        raise doc.error((*path, "kind"), f"unknown agency kind {kind!r} (expected government or department)")
    region_code = _region_code(doc, (*path, "region_code"), data.get("region_code"))
    if not region_code.startswith(region_sig(file_region)):
        raise doc.error((*path, "region_code"), f"region code {region_code} is outside {file_region}")
    override = data.get("deadline_override")
    source = data.get("source")
    return AgencyConfig(
        name=_string(doc, (*path, "name"), data.get("name")),
        kind=kind,
        region_code=region_code,
        aliases=_string_list(doc, (*path, "aliases"), data.get("aliases")),
        source=None if source is None else _string(doc, (*path, "source"), source),
        deadline_override=None if override is None else _mm_dd(doc, (*path, "deadline_override"), override),
        file=str(doc.path),
        line=doc.line(path),
    )


def _region_deadlines(doc: _Doc, file_region: str, value: Any) -> dict[str, dict[str, str]]:
    path: tuple[Any, ...] = ("region_deadlines",)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise doc.error(path, "expected a mapping of region-code prefix to {kind: MM-DD}")
    result: dict[str, dict[str, str]] = {}
    for prefix, by_kind in value.items():
        key = str(prefix)
        if not re.fullmatch(r"\d{2,12}", key):
            raise doc.error((*path, prefix), f"bad region-code prefix {key!r} (digits, quoted)")
        if not (key.startswith(region_sig(file_region)) or region_sig(file_region).startswith(key)):
            raise doc.error((*path, prefix), f"region-code prefix {key} is outside {file_region}")
        kinds = _mapping(doc, (*path, prefix), by_kind, set(AGENCY_KINDS))
        result[key] = {k: _mm_dd(doc, (*path, prefix, k), v) for k, v in kinds.items()}
    return result


def _registry_files(paths_or_dir: str | Path | Sequence[str | Path] | None) -> list[Path]:
    if paths_or_dir is None or paths_or_dir == "":
        from storage.settings import get_settings

        configured = get_settings().sources_dir
        paths_or_dir = Path(configured) if configured else SHIPPED_SOURCES_DIR
    items: Iterable[str | Path] = (
        [paths_or_dir] if isinstance(paths_or_dir, str | Path) else list(paths_or_dir)
    )
    files: list[Path] = []
    for item in items:
        path = Path(item)
        if path.is_dir():
            found = sorted([*path.glob("*.yaml"), *path.glob("*.yml")])
            if not found:
                raise RegistryError(f"{path}: no *.yaml source files")
            files.extend(found)
        elif path.is_file():
            files.append(path)
        else:
            raise RegistryError(f"{path}: no such file or directory")
    return files


def load_registry(paths_or_dir: str | Path | Sequence[str | Path] | None = None) -> Registry:
    """Load and validate registry files (default: settings.sources_dir, else the shipped ones)."""
    sources: list[SourceConfig] = []
    agencies: list[AgencyConfig] = []
    deadlines: dict[str, dict[str, str]] = {}
    agency_docs: list[tuple[_Doc, tuple[Any, ...], AgencyConfig]] = []
    seen_sources: dict[str, SourceConfig] = {}
    seen_agencies: dict[str, AgencyConfig] = {}
    files = _registry_files(paths_or_dir)
    for file in files:
        doc = _Doc(file)
        data = _mapping(doc, (), doc.data if doc.data is not None else {}, _FILE_KEYS)
        file_region = _region_code(doc, ("region",), data.get("region"))
        _string(doc, ("name",), data.get("name"))
        for prefix, by_kind in _region_deadlines(doc, file_region, data.get("region_deadlines")).items():
            for kind, mm_dd in by_kind.items():
                if deadlines.get(prefix, {}).get(kind, mm_dd) != mm_dd:
                    raise doc.error(("region_deadlines", prefix, kind), "conflicts with another file")
                deadlines.setdefault(prefix, {})[kind] = mm_dd
        raw_sources = data.get("sources") or []
        if not isinstance(raw_sources, list):
            raise doc.error(("sources",), "expected a list of sources")
        for index, raw in enumerate(raw_sources):
            source = _source(doc, ("sources", index), raw, file_region)
            if source.id in seen_sources:
                first = seen_sources[source.id]
                raise doc.error(
                    ("sources", index, "id"),
                    f"duplicate source id {source.id!r} (first at {first.file}:{first.line})",
                )
            seen_sources[source.id] = source
            sources.append(source)
        raw_agencies = data.get("agencies") or []
        if not isinstance(raw_agencies, list):
            raise doc.error(("agencies",), "expected a list of agencies")
        for index, raw in enumerate(raw_agencies):
            agency = _agency(doc, ("agencies", index), raw, file_region)
            if agency.name in seen_agencies:
                first_agency = seen_agencies[agency.name]
                raise doc.error(
                    ("agencies", index, "name"),
                    f"duplicate agency {agency.name!r} (first at {first_agency.file}:{first_agency.line})",
                )
            seen_agencies[agency.name] = agency
            agencies.append(agency)
            agency_docs.append((doc, ("agencies", index, "source"), agency))
    for doc, path, agency in agency_docs:
        if agency.source is not None and agency.source not in seen_sources:
            raise doc.error(path, f"agency {agency.name!r} points at unknown source {agency.source!r}")
    return Registry(
        sources=tuple(sources),
        agencies=tuple(agencies),
        region_deadlines=deadlines,
        files=tuple(str(f) for f in files),
    )
