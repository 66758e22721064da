"""Scratch databases for the benchmarks: a migrated SQLite file or a PostgreSQL database of its own.

PostgreSQL comes from NIANBAO_TEST_PG_URL (default the local server, trust auth), as in the tests."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from storage.db import dispose_engines, upgrade

DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


def _admin_url() -> str:
    from sqlalchemy.engine import make_url

    server = make_url(os.environ.get("NIANBAO_TEST_PG_URL", DEFAULT_PG_URL))
    return server.set(drivername="postgresql").render_as_string(hide_password=False)


def create_scratch_database(backend: str, home: Path, *, migrate: bool = True) -> str:
    """The URL of a new database, migrated to head unless not `migrate` (e.g. for a Prefect server):
    `home`/bench.db, or `nianbao_bench_<random>`."""
    if backend == "sqlite":
        url = f"sqlite:///{home / 'bench.db'}"
    else:
        import psycopg
        from sqlalchemy.engine import make_url

        name = f"nianbao_bench_{secrets.token_hex(5)}"
        with psycopg.connect(_admin_url(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        server = make_url(os.environ.get("NIANBAO_TEST_PG_URL", DEFAULT_PG_URL))
        url = server.set(database=name).render_as_string(hide_password=False)
    if migrate:
        upgrade(url)
    return url


def drop_scratch_database(url: str) -> None:
    """Close this process's engines for `url` and drop it if it is a PostgreSQL database."""
    dispose_engines(url)
    if not url.startswith("postgresql"):
        return
    import psycopg
    from sqlalchemy.engine import make_url

    with psycopg.connect(_admin_url(), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)')


@contextmanager
def scratch_database(backend: str, home: Path) -> Iterator[str]:
    """A migrated empty database for the length of the block, dropped after."""
    url = create_scratch_database(backend, home)
    try:
        yield url
    finally:
        drop_scratch_database(url)
