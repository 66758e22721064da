"""The `nianbao` Typer application that every command module registers on.

Command modules import heavy libraries (Prefect, Scrapy, pdfplumber) inside their functions,
so `nianbao parse` and `nianbao --help` start quickly.
"""

from __future__ import annotations

import sys
from typing import NoReturn

import typer

app = typer.Typer(
    name="nianbao",
    help="Watch, archive, parse and check 政府信息公开工作年度报告.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


class CommandError(Exception):
    """A failure the user can act on; printed as one line, exit code 1."""

    exit_code = 1


class ExpectedFailure(CommandError):
    """A request that cannot be served as asked (an unknown id, source or directory, no database):
    one line, exit code 2, before any flow starts."""

    exit_code = 2


def fail(message: str, code: int = 1) -> NoReturn:
    """Print a one-line reason to stderr and exit."""
    typer.echo(f"nianbao: {message}", err=True)
    raise typer.Exit(code)


def progress(message: str) -> None:
    """A progress line for long work, on stderr so --json output stays clean."""
    print(message, file=sys.stderr, flush=True)
