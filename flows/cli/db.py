"""`nianbao db …`: database migrations."""

from __future__ import annotations

import typer

from flows.cli.app import app, fail

db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
app.add_typer(db_app, name="db")


@db_app.command("upgrade")
def upgrade_command(
    revision: str = typer.Option("head", "--revision", help="Target revision."),
) -> None:
    """Migrate the configured database (NIANBAO_DATABASE_URL) to the newest schema."""
    from storage.db import current_revision, redact_url, upgrade
    from storage.errors import StorageError
    from storage.settings import SettingsError, get_settings

    try:
        url = get_settings().resolved_database_url
        upgrade(url, revision)
        reached = current_revision(url)
    except (StorageError, SettingsError) as exc:
        fail(str(exc))
    typer.echo(f"{redact_url(url)} at revision {reached or '(empty)'}")
