"""Migrations: from empty to head on SQLite and PostgreSQL, and the result matches the models."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.exc import IntegrityError

from storage.db import current_revision, head_revision, make_engine, upgrade
from storage.errors import DatabaseError
from storage.models import Base


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def empty_db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database with no tables at all."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'deep' / 'dir' / 'empty.db'}"
        return
    databases = request.getfixturevalue("pg_databases")
    url = databases.create()
    yield url
    databases.drop(url)


def _schema_diff(url: str) -> list[Any]:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(
                connection, opts={"compare_type": True, "target_metadata": Base.metadata}
            )
            return list(compare_metadata(context, Base.metadata))
    finally:
        engine.dispose()


def test_upgrade_from_empty_matches_models(empty_db_url: str) -> None:
    assert current_revision(empty_db_url) is None
    upgrade(empty_db_url)
    assert current_revision(empty_db_url) == head_revision() == "0006"
    assert _schema_diff(empty_db_url) == []
    engine = make_engine(empty_db_url)
    try:
        inspector = inspect(engine)
        assert set(inspector.get_table_names()) == set(Base.metadata.tables) | {"alembic_version"}
        uniques = {c["name"] for c in inspector.get_unique_constraints("documents")}
        assert uniques == {"uq_documents_url_sha256"}
        assert {c["name"] for c in inspector.get_unique_constraints("report_cells")} == {
            "uq_report_cells_address"
        }
        foreign = {(fk["name"], fk["referred_table"]) for fk in inspector.get_foreign_keys("reports")}
        assert foreign == {
            ("fk_reports_document_id_documents", "documents"),
            ("fk_reports_agency_id_agencies", "agencies"),
        }
        cascade = {
            fk["name"]: fk["options"].get("ondelete") for fk in inspector.get_foreign_keys("report_cells")
        }
        assert cascade == {"fk_report_cells_report_id_reports": "CASCADE"}
        # PostgreSQL also reports the index behind the unique constraint.
        indexes = {ix["name"] for ix in inspector.get_indexes("documents")} - uniques
        assert indexes == {
            "ix_documents_url",
            "ix_documents_sha256",
            "ix_documents_source_id",
            "ix_documents_status_id",
            "ix_documents_parent_id",
            "ix_documents_previous_version_id",
        }
    finally:
        engine.dispose()


def test_findings_stored_before_0002_get_an_empty_evidence_list(empty_db_url: str) -> None:
    """0002 adds `findings.cells`; a finding loaded under 0001 keeps its row with no evidence."""
    upgrade(empty_db_url, "0001")
    engine = make_engine(empty_db_url)
    try:
        with engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO documents (url, title, meta, first_seen_at, fetched_at, sha256, object_key,"
                    " content_type, size, etag, last_modified, status, attempts, retryable, last_error)"
                    " VALUES ('u', '', '{}', '2024-01-01', '2024-01-01', 's', 'k', '', 0, '', '', 'parsed',"
                    " 0, false, '')"
                )
            )
            connection.execute(
                text(
                    "INSERT INTO reports (document_id, format, status, title, published_at_source,"
                    " parser_version, source_kind, sections, statistics, loaded_at)"
                    " VALUES (1, 'gov2021', 'parsed', '', '', '', '', '{}', '{}', '2024-01-01')"
                )
            )
            connection.execute(
                text(
                    "INSERT INTO findings (report_id, rule, severity, location, message)"
                    " VALUES (1, 'requests.balance', 'error', 'requests/*/total', 'm')"
                )
            )
        upgrade(empty_db_url)
        assert current_revision(empty_db_url) == "0006"
        with engine.connect() as connection:
            stored = connection.execute(text("SELECT rule, cells FROM findings")).one()
        cells = stored.cells if isinstance(stored.cells, list) else json.loads(stored.cells)
        assert (stored.rule, cells) == ("requests.balance", [])
    finally:
        engine.dispose()


def test_upgrade_twice_is_a_no_op(empty_db_url: str) -> None:
    upgrade(empty_db_url)
    upgrade(empty_db_url)
    assert current_revision(empty_db_url) == head_revision()
    assert _schema_diff(empty_db_url) == []


def test_downgrade_to_base_drops_every_table(empty_db_url: str) -> None:
    upgrade(empty_db_url)
    from alembic import command

    from storage.db import alembic_config

    engine = make_engine(empty_db_url)
    try:
        with engine.begin() as connection:
            config = alembic_config(empty_db_url)
            config.attributes["connection"] = connection
            command.downgrade(config, "base")
        assert set(inspect(engine).get_table_names()) == {"alembic_version"}
    finally:
        engine.dispose()


def test_upgrade_works_from_any_working_directory(tmp_path: Path) -> None:
    """The migrations ship inside the package: no alembic.ini, no dependence on the cwd."""
    url = f"sqlite:///{tmp_path / 'cwd.db'}"
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    code = "import sys; from storage.db import upgrade, current_revision; upgrade(sys.argv[1]); print(current_revision(sys.argv[1]))"
    result = subprocess.run(
        [sys.executable, "-c", code, url], cwd=elsewhere, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == head_revision()


def test_sqlite_enforces_foreign_keys(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'fk.db'}"
    upgrade(url)
    engine = make_engine(url)
    try:
        with pytest.raises(IntegrityError), engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO agencies (name, aliases, kind, region_code, source_id)"
                    " VALUES ('x', '[]', 'government', '', 'no-such-source')"
                )
            )
    finally:
        engine.dispose()


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            "mysql://root:hunter2@db.example/nianbao",
            "unsupported database mysql://root:***@db.example/nianbao",
        ),
        ("not a url at all", "invalid database URL not a url at all"),
        (
            "postgresql+psycopg://postgres:hunter2@127.0.0.1:1/nianbao",
            "cannot connect to database nianbao on 127.0.0.1:1",
        ),
    ],
)
def test_bad_database_url_is_one_line_without_password(url: str, expected: str) -> None:
    with pytest.raises(DatabaseError) as caught:
        make_engine(url)
    message = str(caught.value)
    assert message.startswith(expected)
    assert "\n" not in message
    assert "hunter2" not in message


@pytest.mark.postgres
def test_missing_postgres_database_names_it(pg_server_url: str) -> None:
    from sqlalchemy.engine import make_url

    url = make_url(pg_server_url).set(database="nianbao_no_such_db", password="hunter2")
    with pytest.raises(DatabaseError) as caught:
        make_engine(url.render_as_string(hide_password=False))
    message = str(caught.value)
    assert "nianbao_no_such_db" in message
    assert "does not exist" in message
    assert "hunter2" not in message
    assert "\n" not in message


def test_sqlite_parent_directory_is_created(tmp_path: Path) -> None:
    path = tmp_path / "a" / "b" / "c.db"
    engine = make_engine(f"sqlite:///{path}")
    engine.dispose()
    assert path.is_file()


@pytest.mark.postgres
def test_lost_database_in_a_session_is_a_one_line_database_error(pg_databases: Any) -> None:
    from storage.db import session_scope

    url = pg_databases.create()
    upgrade(url)
    engine = make_engine(url)
    try:
        pg_databases.drop(url)
        with pytest.raises(DatabaseError) as caught, session_scope(engine) as session:
            session.execute(text("SELECT count(*) FROM documents"))
    finally:
        engine.dispose()
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    message = str(caught.value)
    assert message.startswith(
        f"database {parsed.database} on {parsed.host or 'localhost'}:{parsed.port or 5432} ("
    )
    assert "\n" not in message


def test_alerts_delivered_before_0004_are_sent_the_others_pending(empty_db_url: str) -> None:
    """0004 makes `alerts` an outbox: a row with `sent_at` is `sent`, one without is still to send."""
    upgrade(empty_db_url, "0003")
    engine = make_engine(empty_db_url)
    try:
        with engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO alerts (key, kind, title, body, created_at, sent_at, error) VALUES"
                    " ('a', 'finding', 't', 'b', '2024-01-01', '2024-01-02', ''),"
                    " ('b', 'finding', 't', 'b', '2024-01-01', NULL, 'HTTP 500')"
                )
            )
        upgrade(empty_db_url)
        with engine.connect() as connection:
            rows = connection.execute(text("SELECT key, status, attempts FROM alerts ORDER BY key")).all()
        assert [tuple(row) for row in rows] == [("a", "sent", 0), ("b", "pending", 0)]
    finally:
        engine.dispose()
