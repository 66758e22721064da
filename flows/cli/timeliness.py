"""`nianbao timeliness`: which agencies published their annual report on time, late, or not at all."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Annotated

import typer

from flows.cli.app import CommandError, app, fail

FORMATS = ("table", "csv", "json", "html")
_YEAR_RANGE = re.compile(r"^(\d{4})(?:[-:](\d{4}))?$")
MAX_YEARS = 50


def parse_years(values: list[str]) -> list[int]:
    """Report years from `--year` values: 2023, or a range 2019-2023; sorted, without repeats."""
    years: set[int] = set()
    for value in values:
        match = _YEAR_RANGE.match(value.strip())
        if match is None:
            raise CommandError(f"--year {value!r}: expected YYYY or YYYY-YYYY")
        first = int(match.group(1))
        last = int(match.group(2) or first)
        if last < first or last - first >= MAX_YEARS or not 2000 <= first <= 2100:
            raise CommandError(f"--year {value!r}: not a range of report years")
        years.update(range(first, last + 1))
    return sorted(years)


def parse_today(value: str | None) -> date:
    """`--today` as a date; default: today in Asia/Shanghai."""
    from storage.domain import SHANGHAI

    if value is None:
        return datetime.now(SHANGHAI).date()
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"--today {value!r}: expected YYYY-MM-DD") from None


def _joined(chunks: Iterable[str], size: int = 1000) -> Iterator[str]:
    """Chunks of output joined `size` at a time: few writes, never the whole output at once."""
    batch: list[str] = []
    for chunk in chunks:
        batch.append(chunk)
        if len(batch) == size:
            yield "".join(batch)
            batch = []
    if batch:
        yield "".join(batch)


@app.command("timeliness")
def timeliness_command(
    year: Annotated[list[str], typer.Option("--year", help="Report year, or a range 2019-2023; repeatable.")],
    region: Annotated[str | None, typer.Option("--region", help="Division code, e.g. 640105.")] = None,
    output_format: Annotated[str, typer.Option("--format", help="table | csv | json | html")] = "table",
    today: Annotated[
        str | None, typer.Option("--today", help="What if it were this day (YYYY-MM-DD)? Stores nothing.")
    ] = None,
    output: Annotated[Path | None, typer.Option("--output", help="Write the output to FILE.")] = None,
    json_summary: Annotated[bool, typer.Option("--json", help="Counts by status as last line.")] = False,
) -> None:
    """Compute, store and print each expected agency's status per report year (`--today`: a what-if,
    printed but never stored)."""
    from flows.pipeline import prepare_database
    from flows.timeliness import (
        check_timeliness,
        html_lines,
        render_csv,
        render_json,
        render_table,
        summary,
    )
    from storage.db import session_scope
    from storage.errors import StorageError
    from storage.settings import SettingsError, get_settings

    try:
        if output_format not in FORMATS:
            raise CommandError(f"--format {output_format!r}: expected one of {', '.join(FORMATS)}")
        years = parse_years(year)
        as_of = parse_today(today)
        prepare_database()
        with session_scope(get_settings()) as session:
            rows, unmatched = check_timeliness(
                session, years, today=as_of, region=region, store=today is None
            )
    except (CommandError, StorageError, SettingsError) as exc:
        fail(str(exc))
    if output_format == "html":
        stamp = f"as of {as_of.isoformat()} (Asia/Shanghai)" + (f", region {region}" if region else "")
        chunks: Iterable[str] = (line + "\n" for line in html_lines(rows, unmatched, generated_at=stamp))
    elif output_format == "csv":
        chunks = [render_csv(rows)]
    elif output_format == "json":
        chunks = [render_json(rows, unmatched)]
    else:
        chunks = [render_table(rows, unmatched)]
    if output is not None:
        try:
            with output.open("w", encoding="utf-8") as handle:
                handle.writelines(chunks)
        except OSError as exc:
            fail(f"cannot write {output}: {exc.strerror or exc}")
    else:
        for text in _joined(chunks):
            typer.echo(text, nl=False)
    if json_summary:
        counts = summary(rows)
        typer.echo(json.dumps({"timeliness": counts, "unmatched": len(unmatched)}, ensure_ascii=False))
