"""`nianbao findings`: list the checks' findings with their evidence, and confirm or dismiss them."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from flows.cli.app import ExpectedFailure, app

SEVERITIES = ("error", "warning", "info")

findings_app = typer.Typer(
    help="Findings of the checks, with the cells they are about; confirm or dismiss them.",
    invoke_without_command=True,
)
app.add_typer(findings_app, name="findings")


@findings_app.callback()
def findings(
    ctx: typer.Context,
    severity: Annotated[str | None, typer.Option(help="Only error, warning or info.")] = None,
    rule: Annotated[str | None, typer.Option(help="Only this rule, or rule family (history).")] = None,
    agency: Annotated[str | None, typer.Option(help="Only agencies whose name contains TEXT.")] = None,
    year: Annotated[int | None, typer.Option(help="Only reports on this year.")] = None,
    report: Annotated[int | None, typer.Option("--report", help="Only findings of this report.")] = None,
    open_only: Annotated[bool, typer.Option("--open", help="Only findings nobody has judged yet.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON list.")] = False,
) -> None:
    """List findings: agency, year, rule, where, expected vs actual, evidence cells, the original, the review."""
    if ctx.invoked_subcommand is not None:
        return
    if severity is not None and severity not in SEVERITIES:
        raise ExpectedFailure(f"--severity {severity!r}: expected one of {', '.join(SEVERITIES)}")
    from flows.pipeline import prepare_database
    from flows.reportview import finding_lines
    from flows.review import finding_views
    from storage.db import session_scope
    from storage.settings import get_settings

    prepare_database(must_exist=True)
    settings = get_settings()
    with session_scope(settings) as session:
        views = finding_views(
            session,
            settings,
            severity=severity,
            rule=rule,
            agency=agency,
            year=year,
            report_id=report,
            open_only=open_only,
        )
    if as_json:
        typer.echo(json.dumps([v.to_dict() for v in views], ensure_ascii=False))
        return
    if not views:
        typer.echo("no findings" + (" open" if open_only else ""))
        return
    for line in finding_lines(views):
        typer.echo(line)
    counts: dict[str, int] = {}
    for view in views:
        counts[view.severity] = counts.get(view.severity, 0) + 1
    judged = sum(1 for v in views if v.review is not None)
    shown = ", ".join(f"{s} {counts[s]}" for s in SEVERITIES if s in counts)
    typer.echo(f"\n{len(views)} finding(s): {shown}; {judged} reviewed, {len(views) - judged} open")


def _review(finding_id: int, action: str, note: str, as_json: bool) -> None:
    from flows.pipeline import prepare_database
    from flows.review import review_finding
    from storage.db import session_scope
    from storage.errors import RecordNotFound, StorageError
    from storage.settings import get_settings

    if not note.strip():
        raise ExpectedFailure(f"{action} needs --note saying why")
    prepare_database(must_exist=True)
    settings = get_settings()
    try:
        with session_scope(settings) as session:
            view = review_finding(session, settings, finding_id, action, note)
    except RecordNotFound:
        raise ExpectedFailure(f"no finding {finding_id}: see `nianbao findings`") from None
    except StorageError as exc:
        raise ExpectedFailure(str(exc)) from None
    if as_json:
        typer.echo(json.dumps(view.to_dict(), ensure_ascii=False))
        return
    decision = view.review.line() if view.review is not None else ""
    typer.echo(f"finding {view.id} ({view.agency} {view.year or '?'} {view.rule} at {view.where}) {decision}")
    typer.echo(f"fingerprint {view.fingerprint}: the decision holds for this finding after re-ingest")


@findings_app.command()
def confirm(
    finding_id: Annotated[int, typer.Argument(metavar="ID", help="The finding id (nianbao findings).")],
    note: Annotated[str, typer.Option("--note", help="Why: what you checked in the original.")] = "",
    as_json: Annotated[bool, typer.Option("--json", help="Print the reviewed finding as JSON.")] = False,
) -> None:
    """Confirm a finding: the report really is wrong there (it is not alerted again)."""
    _review(finding_id, "confirm", note, as_json)


@findings_app.command()
def dismiss(
    finding_id: Annotated[int, typer.Argument(metavar="ID", help="The finding id (nianbao findings).")],
    note: Annotated[str, typer.Option("--note", help="Why: a false alarm, or known and accepted.")] = "",
    as_json: Annotated[bool, typer.Option("--json", help="Print the reviewed finding as JSON.")] = False,
) -> None:
    """Dismiss a finding (a false alarm, or known and accepted): gone from --open, never alerted again."""
    _review(finding_id, "dismiss", note, as_json)
