"""`nianbao documents`: what was stored, and where each document stands (parsed, failed and why)."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from flows.cli.app import app


@app.command()
def documents(
    status: Annotated[
        str | None, typer.Option(help="Only this status: stored, parsed, failed, not_a_report, blocked.")
    ] = None,
    limit: Annotated[int, typer.Option(help="At most this many, newest first.")] = 50,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line.")] = False,
) -> None:
    """List stored documents with their status, attempts, last error and the run ingesting each now."""
    from flows.pipeline import prepare_database
    from storage import repository
    from storage.db import session_scope
    from storage.settings import get_settings

    prepare_database()
    with session_scope(get_settings()) as session:
        rows = repository.recent_documents(session, status=status, limit=limit)
        for doc in rows:
            if as_json:
                record = {
                    "id": doc.id,
                    "status": doc.status,
                    "attempts": doc.attempts,
                    "retryable": doc.retryable,
                    "last_error": doc.last_error,
                    "url": doc.url,
                    "sha256": doc.sha256,
                    "content_type": doc.content_type,
                    "claimed_by": doc.claimed_by or None,
                    "claimed_at": doc.claimed_at.isoformat() if doc.claimed_at else None,
                }
                typer.echo(json.dumps(record, ensure_ascii=False))
            else:
                error = f"  {doc.last_error}" if doc.last_error else ""
                if doc.claimed_by and doc.claimed_at:
                    error += f"  [claimed by {doc.claimed_by} at {doc.claimed_at:%Y-%m-%d %H:%M:%S}]"
                typer.echo(f"{doc.id:>6}  {doc.status:<12} attempts {doc.attempts}  {doc.url}{error}")
    if not rows and not as_json:
        typer.echo("no documents")
