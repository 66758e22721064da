"""`nianbao compare`: an agency's figures year over year, or a region's agencies side by side."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from flows.cli.app import CommandError, ExpectedFailure, app, fail

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

FORMATS = ("table", "html", "json")
DEFAULT_SPAN = 3


@app.command("compare")
def compare_command(
    agency: Annotated[
        str | None, typer.Option("--agency", help="The agency (its name or part of it).")
    ] = None,
    years: Annotated[
        str | None,
        typer.Option("--years", help="Report years, e.g. 2021-2024 (default: the last three loaded)."),
    ] = None,
    region: Annotated[
        str | None, typer.Option("--region", help="Compare a region's agencies instead.")
    ] = None,
    year: Annotated[int | None, typer.Option("--year", help="With --region: the report year.")] = None,
    output_format: Annotated[str, typer.Option("--format", help="table | html | json")] = "table",
    output: Annotated[Path | None, typer.Option("--output", help="Write the output to FILE.")] = None,
) -> None:
    """Each figure across years with change and percent change, carry-over and 现行有效 breaks marked,
    section text ratios against the year before; or (--region, --year) a region's ranking."""
    from flows import compare
    from flows.export import parse_span
    from flows.pipeline import prepare_database
    from storage import repository
    from storage.db import session_scope
    from storage.errors import StorageError
    from storage.settings import SettingsError, get_settings

    try:
        if output_format not in FORMATS:
            raise CommandError(f"--format {output_format!r}: expected one of {', '.join(FORMATS)}")
        if (agency is None) == (region is None):
            raise CommandError("give either --agency TEXT or --region CODE --year Y")
        if region is not None and year is None:
            raise CommandError("--region needs --year")
        try:
            span = parse_span(years)
        except ValueError as exc:
            raise CommandError(str(exc).replace("--year", "--years")) from None
        prepare_database()
        with session_scope(get_settings()) as session:
            if region is not None and year is not None:
                entries = [
                    (registered.name, repository.report_from_row(row))
                    for registered, row in repository.region_reports(session, region, year)
                ]
                if not entries:
                    raise ExpectedFailure(f"no parsed {year} report of an agency in region {region}")
                ranking = compare.compare_region(entries)
                if output_format == "json":
                    text = compare.as_json(
                        {"region": region, "year": year, "agencies": [r.to_dict() for r in ranking]}
                    )
                elif output_format == "html":
                    text = compare.region_html(region, year, ranking)
                else:
                    text = compare.region_table(region, year, ranking)
            else:
                name = _one_agency(session, agency or "")
                loaded = {
                    y: repository.report_from_row(row)
                    for y, row in repository.agency_report_years(session, name)
                }
                if not loaded:
                    raise ExpectedFailure(f"no parsed report of {name}")
                first, last = span or (max(min(loaded), max(loaded) - DEFAULT_SPAN + 1), max(loaded))
                comparison = compare.compare_agency(name, loaded, list(range(first, last + 1)))
                if output_format == "json":
                    text = compare.as_json(comparison.to_dict())
                elif output_format == "html":
                    text = compare.agency_html(comparison)
                else:
                    text = compare.agency_table(comparison)
    except (CommandError, StorageError, SettingsError) as exc:
        fail(str(exc), getattr(exc, "exit_code", 1))
    if output is not None:
        try:
            output.write_text(text, encoding="utf-8")
        except OSError as exc:
            fail(f"cannot write {output}: {exc.strerror or exc}")
    else:
        typer.echo(text, nl=False)


def _one_agency(session: Session, text: str) -> str:
    """The one agency `text` names: an exact name, else the only name containing it."""
    from storage import repository

    names = repository.agencies_matching(session, text)
    if text in names:
        return text
    if not names:
        raise ExpectedFailure(f"no agency matches {text!r}")
    if len(names) > 1:
        raise ExpectedFailure(f"{text!r} matches {len(names)} agencies: {', '.join(names[:8])}")
    return names[0]
