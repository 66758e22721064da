"""The `nianbao` command line: one module per command group, registered on `flows.cli.app.app`."""

from __future__ import annotations

import importlib

from flows.cli.app import CommandError, app, fail

# Each module registers its commands on `app` when imported; keep the list sorted.
COMMAND_MODULES: tuple[str, ...] = ("crawl", "db", "documents", "parse", "pipeline", "sources", "store", "timeliness")


def main() -> None:
    """Console-script entry point: one-line errors, never a traceback for expected failures."""
    from storage.settings import SettingsError

    for name in COMMAND_MODULES:
        importlib.import_module(f"flows.cli.{name}")
    try:
        app()
    except (CommandError, SettingsError) as exc:
        fail(str(exc))
