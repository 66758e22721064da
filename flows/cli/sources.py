"""`nianbao sources check [--path P]`: validate the source registry and list what it holds;
`nianbao sources discover URL [--json]`: find a site's 年报 column and print a registry entry for it."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from flows.cli.app import app, fail

sources_app = typer.Typer(help="The source registry (crawler/sources/*.yaml).", no_args_is_help=True)
app.add_typer(sources_app, name="sources")


@sources_app.command("check")
def check(
    path: Path | None = typer.Option(None, "--path", help="Registry file or directory; default: settings."),
) -> None:
    """Validate the registry; list its sources and agencies (exit 1 with a one-line error). A source
    that renders its list pages is marked `render`, with a warning when this machine cannot render."""
    from crawler.registry import RegistryError, load_registry
    from crawler.render import render_unavailable

    try:
        registry = load_registry(path)
    except RegistryError as exc:
        fail(str(exc))
    unavailable = render_unavailable() if any(s.render for s in registry.sources) else None
    for source in registry.sources:
        flag = "verified" if source.verified else "unverified"
        render = "\trender" if source.render else ""
        typer.echo(
            f"source {source.id}\t{source.region_code}\t{source.name}\t{source.pagination}\t{flag}{render}"
        )
        for url in source.start_urls:
            typer.echo(f"  start {url}")
        if source.render and unavailable:
            typer.echo(f"  warning: {unavailable}")
    for agency in registry.agencies:
        deadline = registry.deadline_override_for(agency) or "statute"
        typer.echo(
            f"agency {agency.name}\t{agency.kind}\t{agency.region_code}\t{agency.source or '-'}\tdeadline {deadline}"
        )
    typer.echo(
        f"ok: {len(registry.sources)} sources, {len(registry.agencies)} agencies in {len(registry.files)} file(s)"
    )


@sources_app.command("discover")
def discover(
    url: str = typer.Argument(..., help="The site's home page (or its 政务公开 page, or the column itself)."),
    hops: int = typer.Option(3, "--hops", min=0, max=6, help="Navigation links to follow at most."),
    source_id: str | None = typer.Option(
        None, "--id", help="Source id of the entry; default: from the host."
    ),
    region: str | None = typer.Option(
        None, "--region", help="Region code for the agencies (6, 9 or 12 digits)."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
) -> None:
    """Find the 年报 column from URL (robots.txt obeyed, that host only) and print a ready-to-paste
    registry entry: the column URL, the pagination style detected, the agencies seen in report titles."""
    import yaml

    from crawler.column import DiscoveryError, discover_column
    from storage.settings import get_settings

    settings = get_settings()
    try:
        found = discover_column(
            url, hops=hops, user_agent=settings.user_agent, timeout=settings.crawl_timeout
        )
    except DiscoveryError as exc:
        fail(str(exc))
    if as_json:
        typer.echo(json.dumps(found.as_dict(source_id), ensure_ascii=False))
        return
    entry = found.source_entry(source_id)
    agencies = [
        {"name": name, "kind": kind, "region_code": region or "000000", "source": entry["id"]}
        for name, kind in found.agencies
    ]
    typer.echo(f"# found {found.column_url} via {' -> '.join(found.path)}")
    typer.echo(f"# {len(found.reports)} report(s) listed; agency kinds are guesses, region codes to confirm")
    block = {"sources": [entry], "agencies": agencies}
    typer.echo(yaml.safe_dump(block, allow_unicode=True, sort_keys=False, width=200).rstrip())
