"""`nianbao store …`: put, fetch and share originals in the configured object store."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path
from typing import Any

import typer

from flows.cli.app import app, fail

store_app = typer.Typer(help="Object store of original documents.", no_args_is_help=True)
app.add_typer(store_app, name="store")


def _open_store() -> Any:
    from storage.objectstore import open_store

    return open_store()


def _parse_meta(pairs: list[str]) -> dict[str, str]:
    meta: dict[str, str] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            fail(f"--meta needs NAME=VALUE, got {pair!r}")
        meta[name.strip()] = value
    return meta


@store_app.command("put")
def put_command(
    file: Path = typer.Argument(..., help="File to store."),
    content_type: str = typer.Option("application/octet-stream", "--content-type", help="MIME type."),
    meta: list[str] = typer.Option([], "--meta", help="Metadata NAME=VALUE (repeatable)."),
) -> None:
    """Store FILE under its content key and print the key (storing the same bytes again is a no-op)."""
    from storage.errors import StorageError
    from storage.settings import SettingsError

    metadata = _parse_meta(meta)
    try:
        handle = file.open("rb")
    except OSError as exc:
        fail(f"cannot read {file}: {exc.strerror or exc}")
    try:
        with handle:
            info = _open_store().put(handle, metadata=metadata, content_type=content_type)
    except (StorageError, SettingsError) as exc:
        fail(str(exc))
    typer.echo(info.key)


@store_app.command("get")
def get_command(
    key: str = typer.Argument(..., help="Object key (originals/<aa>/<sha256>)."),
    output: Path | None = typer.Option(None, "-o", "--output", help="Write here instead of stdout."),
) -> None:
    """Stream the object KEY to a file or to stdout."""
    from storage.errors import StorageError
    from storage.settings import SettingsError

    try:
        store = _open_store()
        with store.open(key) as stream:
            if output is None:
                shutil.copyfileobj(stream, sys.stdout.buffer)
                sys.stdout.buffer.flush()
                return
            partial = output.with_name(output.name + ".part")
            try:
                with partial.open("wb") as target:
                    shutil.copyfileobj(stream, target)
                partial.replace(output)
            finally:
                partial.unlink(missing_ok=True)
    except (StorageError, SettingsError) as exc:
        fail(str(exc))
    except OSError as exc:
        fail(f"cannot write {output or 'stdout'}: {exc.strerror or exc}")


@store_app.command("url")
def url_command(
    key: str = typer.Argument(..., help="Object key (originals/<aa>/<sha256>)."),
    days: int = typer.Option(7, "--days", min=1, max=7, help="Validity of a presigned S3 URL."),
) -> None:
    """Print a URL to open the object KEY (presigned for S3, file:// for a local store)."""
    from datetime import timedelta

    from storage.errors import StorageError
    from storage.settings import SettingsError

    try:
        store = _open_store()
        if not store.exists(key):
            fail(f"no object {key} in {store.describe()}")
        typer.echo(store.url(key, expires=timedelta(days=days)))
    except (StorageError, SettingsError) as exc:
        fail(str(exc))
