"""Engines, sessions and migrations.

SQLite (the embedded default) gets foreign keys, WAL and `BEGIN IMMEDIATE` transactions, so
SAVEPOINTs work and two writers queue on the busy timeout instead of failing with "database is
locked"; keep sessions short. PostgreSQL goes through psycopg 3 (`postgresql+psycopg://`).
Every connection failure becomes a one-line `DatabaseError` that names host and database but
never the password.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, InterfaceError, NoSuchModuleError, OperationalError
from sqlalchemy.orm import Session

from storage.errors import DatabaseError
from storage.settings import Settings, get_settings

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
SQLITE_BUSY_TIMEOUT_SECONDS = 30
PG_CONNECT_TIMEOUT_SECONDS = 10

_engines: dict[str, Engine] = {}
_engines_lock = threading.Lock()


def redact_url(url: str | URL) -> str:
    """The URL as text with its password replaced by ***, safe for messages and logs."""
    if isinstance(url, URL):
        return url.render_as_string(hide_password=True)
    try:
        return make_url(url).render_as_string(hide_password=True)
    except (ArgumentError, ValueError):
        return re.sub(r"(://[^:/@]*):[^@]*@", r"\1:***@", url)


def _first_line(exc: BaseException) -> str:
    """The first non-empty line of an exception (psycopg adds hints on further lines)."""
    text = str(getattr(exc, "orig", None) or exc)
    for line in text.splitlines():
        if line.strip():
            return line.strip()
    return type(exc).__name__


def _describe(url: URL) -> str:
    if url.get_backend_name() == "sqlite":
        return f"SQLite database {url.database or ':memory:'}"
    where = f"{url.host or 'localhost'}:{url.port or 5432}"
    return f"database {url.database or '(default)'} on {where} ({redact_url(url)})"


def _normalise(url: URL) -> URL:
    """Pin PostgreSQL to the psycopg 3 driver, the only one installed."""
    if url.get_backend_name() == "postgresql" and url.get_driver_name() != "psycopg":
        return url.set(drivername="postgresql+psycopg")
    return url


def _sqlite_setup(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not pysqlite, emit BEGIN: pysqlite's own handling breaks SAVEPOINT.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_SECONDS * 1000}")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def make_engine(url: str) -> Engine:
    """A new engine for `url`, checked with one connection so a bad URL fails here, in one line."""
    try:
        parsed = _normalise(make_url(url))
    except (ArgumentError, ValueError):
        raise DatabaseError(f"invalid database URL {redact_url(url)}") from None
    backend = parsed.get_backend_name()
    kwargs: dict[str, Any] = {"future": True}
    if backend == "sqlite":
        database = parsed.database or ""
        if database and database != ":memory:" and not database.startswith("file:"):
            try:
                Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise DatabaseError(f"cannot create the directory of {_describe(parsed)}: {exc}") from None
        kwargs["connect_args"] = {"timeout": SQLITE_BUSY_TIMEOUT_SECONDS}
    elif backend == "postgresql":
        kwargs["connect_args"] = {"connect_timeout": PG_CONNECT_TIMEOUT_SECONDS}
        kwargs["pool_pre_ping"] = True
    else:
        raise DatabaseError(
            f"unsupported database {redact_url(parsed)}: use sqlite:/// or postgresql+psycopg://"
        )
    try:
        engine = create_engine(parsed, **kwargs)
    except (ArgumentError, NoSuchModuleError, ValueError) as exc:
        raise DatabaseError(f"invalid database URL {redact_url(parsed)}: {_first_line(exc)}") from None
    if backend == "sqlite":
        _sqlite_setup(engine)
    try:
        with engine.connect():
            pass
    except (OperationalError, InterfaceError) as exc:
        engine.dispose()
        raise DatabaseError(f"cannot connect to {_describe(parsed)}: {_first_line(exc)}") from None
    return engine


def get_engine(settings: Settings | None = None) -> Engine:
    """The process-wide engine for the configured database URL (one per URL)."""
    return engine_for_url((settings or get_settings()).resolved_database_url)


def engine_for_url(url: str) -> Engine:
    """The process-wide engine for `url`, created on first use."""
    with _engines_lock:
        engine = _engines.get(url)
        if engine is None:
            engine = _engines[url] = make_engine(url)
        return engine


def dispose_engines(url: str | None = None) -> None:
    """Close the cached engine of `url` (or all of them), e.g. before a test drops its database."""
    with _engines_lock:
        urls = [url] if url is not None else list(_engines)
        for key in urls:
            engine = _engines.pop(key, None)
            if engine is not None:
                engine.dispose()


def _engine_for(target: Engine | Settings | str | None) -> Engine:
    if isinstance(target, Engine):
        return target
    if isinstance(target, str):
        return engine_for_url(target)
    return get_engine(target)


@contextmanager
def session_scope(engine_or_settings: Engine | Settings | str | None = None) -> Iterator[Session]:
    """A session that commits when the block succeeds and rolls back when it raises.

    Objects stay usable after the block (no expiry on commit). A lost connection is raised as a
    one-line `DatabaseError`; constraint violations propagate unchanged.
    """
    engine = _engine_for(engine_or_settings)
    session = Session(bind=engine, expire_on_commit=False)
    try:
        yield session
        session.commit()
    except (OperationalError, InterfaceError) as exc:
        session.rollback()
        raise DatabaseError(f"{_describe(engine.url)}: {_first_line(exc)}") from exc
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def alembic_config(url: str) -> Any:
    """An Alembic `Config` built in code, pointing at the migrations shipped inside the package."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url: str, revision: str = "head") -> None:
    """Migrate the database at `url` to `revision` (head by default), from any working directory."""
    from alembic import command

    config = alembic_config(url)
    engine = make_engine(url)
    try:
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, revision)
    except (OperationalError, InterfaceError) as exc:
        raise DatabaseError(f"migrating {_describe(engine.url)} failed: {_first_line(exc)}") from None
    finally:
        engine.dispose()


def head_revision() -> str:
    """The newest migration revision shipped with the package."""
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()
    if head is None:
        raise DatabaseError(f"no migrations found in {MIGRATIONS_DIR}")
    return head


def current_revision(url: str) -> str | None:
    """The revision the database at `url` is at, or None for an empty database."""
    from alembic.runtime.migration import MigrationContext

    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    finally:
        engine.dispose()
