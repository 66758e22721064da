"""The `nianbao` command line: one module per command group, registered on `flows.cli.app.app`."""

from __future__ import annotations

import importlib
import os
import sys

from flows.cli.app import CommandError, ExpectedFailure, app, fail

__all__ = ["COMMAND_MODULES", "CommandError", "ExpectedFailure", "app", "fail", "main"]

# Each module registers its commands on `app` when imported; keep the list sorted.
COMMAND_MODULES: tuple[str, ...] = (
    "compare",
    "crawl",
    "db",
    "documents",
    "export",
    "findings",
    "parse",
    "pipeline",
    "reparse",
    "reports",
    "sources",
    "store",
    "timeliness",
)


def load_commands() -> None:
    """Import every command module so its commands register on `app`."""
    for name in COMMAND_MODULES:
        importlib.import_module(f"flows.cli.{name}")


def main() -> None:
    """Console-script entry point: one-line errors, never a traceback for expected failures."""
    from storage.errors import DatabaseError, StorageError
    from storage.settings import SettingsError

    # Prefect's server sends usage analytics unless told not to; nianbao never phones home by default.
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    load_commands()
    try:
        app(standalone_mode=True)
    except (CommandError, SettingsError, StorageError) as exc:
        print(f"nianbao: {exc}", file=sys.stderr)
        # A database that cannot be opened is an expected failure (exit 2) like an unknown id.
        sys.exit(2 if isinstance(exc, DatabaseError) else getattr(exc, "exit_code", 1))
