"""`nianbao sources check [--path P]`: validate the source registry and list what it holds."""

from __future__ import annotations

from pathlib import Path

import typer

from flows.cli.app import app, fail

sources_app = typer.Typer(help="The source registry (crawler/sources/*.yaml).", no_args_is_help=True)
app.add_typer(sources_app, name="sources")


@sources_app.command("check")
def check(
    path: Path | None = typer.Option(None, "--path", help="Registry file or directory; default: settings."),
) -> None:
    """Validate the registry; list its sources and agencies (exit 1 with a one-line error)."""
    from crawler.registry import RegistryError, load_registry

    try:
        registry = load_registry(path)
    except RegistryError as exc:
        fail(str(exc))
    for source in registry.sources:
        flag = "verified" if source.verified else "unverified"
        typer.echo(f"source {source.id}\t{source.region_code}\t{source.name}\t{source.pagination}\t{flag}")
        for url in source.start_urls:
            typer.echo(f"  start {url}")
    for agency in registry.agencies:
        deadline = registry.deadline_override_for(agency) or "statute"
        typer.echo(
            f"agency {agency.name}\t{agency.kind}\t{agency.region_code}\t{agency.source or '-'}\tdeadline {deadline}"
        )
    typer.echo(
        f"ok: {len(registry.sources)} sources, {len(registry.agencies)} agencies in {len(registry.files)} file(s)"
    )
