"""`nianbao export`: the open dataset (cells, reports, findings, timeliness, dictionary, rules) to a directory."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from flows.cli.app import CommandError, app, fail, progress


@app.command("export")
def export_command(
    output: Annotated[Path, typer.Option("--output", help="Directory to write the dataset to.")],
    output_format: Annotated[str, typer.Option("--format", help="parquet | csv | jsonl")] = "parquet",
    year: Annotated[str | None, typer.Option("--year", help="Report year, or a range 2021-2024.")] = None,
    region: Annotated[str | None, typer.Option("--region", help="Division code, e.g. 640105.")] = None,
    agency: Annotated[str | None, typer.Option("--agency", help="Agencies whose name contains TEXT.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
) -> None:
    """Write the open dataset, partitioned by year and region, streaming (flat memory at any size)."""
    from flows.export import FORMATS, export_open_dataset, parse_span
    from flows.pipeline import prepare_database
    from storage.errors import StorageError
    from storage.settings import SettingsError, get_settings

    try:
        if output_format not in FORMATS:
            raise CommandError(f"--format {output_format!r}: expected one of {', '.join(FORMATS)}")
        try:
            years = parse_span(year)
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        prepare_database()
        summary = export_open_dataset(
            get_settings(),
            output,
            output_format,
            years=years,
            region=region,
            agency=agency,
            progress=progress,
        )
    except (CommandError, StorageError, SettingsError) as exc:
        fail(str(exc))
    except OSError as exc:
        fail(f"cannot write {output}: {exc.strerror or exc}")
    if as_json:
        typer.echo(json.dumps(summary.to_dict(), ensure_ascii=False))
        return
    counts = ", ".join(f"{rows} {name}" for name, rows in summary.rows.items())
    typer.echo(f"exported {counts} as {output_format} to {output} ({len(summary.files)} files)")
