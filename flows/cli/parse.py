"""`nianbao parse FILE [--json]`: one document through the parser, for a person or a program.

Exit codes: 0 parsed (whatever the findings), 1 parse error (one line on stderr), 2 usage.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from flows.cli.app import app, fail

if TYPE_CHECKING:
    from parsers.model import Report


def _row_label(fmt: str, table: str, row: str) -> str:
    """The row's printed label in the report's template (the key where the template has none)."""
    from parsers import templates as t

    return (t.template(fmt) or t.GOV2021).row_label(table, row)


def _fmt(value: object) -> str:
    return "—" if value is None else str(value)


def render_table_view(report: Report) -> str:
    """Title, agency, year, format, then each table as printed (rows with labels), then findings."""
    lines = [
        f"标题 title:  {report.title or '—'}",
        f"机关 agency: {report.agency or '(unknown)'}",
        f"年度 year:   {_fmt(report.year)}    format: {report.format}    status: {report.status}",
        f"parser:      {report.parser.source_kind}, {_fmt(report.parser.pages)} pages, {report.parser.seconds:.2f} s",
    ]
    names = {"proactive": "表2 主动公开", "requests": "表3 申请办理", "review_litigation": "表4 复议诉讼"}
    for table, rows in report.tables.items():
        if table == "statistics":
            lines.append("\n统计表 statistics")
            for path, entry in rows.items():
                lines.append(
                    f"  {path:<10} {entry['label'][:36]:<38} {entry['unit']:<4} {_fmt(entry['value'])}"
                )
            continue
        lines.append(f"\n{names.get(table, table)}")
        cols: list[str] = []
        for values in rows.values():
            cols += [c for c in values if c not in cols]
        lines.append(f"  {'':<34}" + "".join(f"{c[:14]:>16}" for c in cols))
        for row, values in rows.items():
            label = _row_label(report.format, table, row)[:16]
            cells = "".join(f"{_fmt(values[c]) if c in values else '':>16}" for c in cols)
            lines.append(f"  {label:<18}{row[:16]:<16}{cells}")
    lines.append(f"\nfindings ({len(report.findings)})")
    for finding in report.findings:
        numbers = (
            f" expected={finding.expected} actual={finding.actual}" if finding.expected is not None else ""
        )
        lines.append(f"  [{finding.severity}] {finding.rule} {finding.where}: {finding.message}{numbers}")
    return "\n".join(lines)


@app.command("parse")
def parse_command(
    file: Annotated[
        Path, typer.Argument(help="A report document: PDF, DOCX, DOC/WPS, XLS/XLSX, OFD, HTML or text.")
    ],
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the canonical JSON instead of tables.")
    ] = False,
) -> None:
    """Parse one report document and print its tables and findings."""
    if not file.is_file():
        fail(f"no such file: {file}", code=2)
    from flows.convert import parse_document
    from parsers.errors import ParseError

    try:
        report = parse_document(file.read_bytes(), filename=file.name)
    except ParseError as exc:
        fail(f"{file.name}: {exc}")
    if as_json:
        typer.echo(json.dumps(report.to_json(), ensure_ascii=False, indent=2))
    else:
        typer.echo(render_table_view(report))
