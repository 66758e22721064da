"""`nianbao timeliness`: which agencies published their annual report on time, late, or not at all."""

from __future__ import annotations

import json
import re
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
        render_csv,
        render_html,
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
    if output_format == "csv":
        text = render_csv(rows)
    elif output_format == "json":
        text = render_json(rows, unmatched)
    elif output_format == "html":
        stamp = f"as of {as_of.isoformat()} (Asia/Shanghai)" + (f", region {region}" if region else "")
        text = render_html(rows, unmatched, generated_at=stamp)
    else:
        text = render_table(rows, unmatched)
    if output is not None:
        try:
            output.write_text(text, encoding="utf-8")
        except OSError as exc:
            fail(f"cannot write {output}: {exc.strerror or exc}")
    else:
        typer.echo(text, nl=False)
    if json_summary:
        counts = summary(rows)
        typer.echo(json.dumps({"timeliness": counts, "unmatched": len(unmatched)}, ensure_ascii=False))
