"""`nianbao db upgrade` and `nianbao store put/get/url`, through Typer and the installed script."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

import flows.cli.db
import flows.cli.store  # noqa: F401  (registers the commands)
from flows.cli.app import app
from storage.db import head_revision
from storage.objectstore import key_for

NIANBAO = Path(sys.executable).parent / "nianbao"


def _env(fields: dict[str, Any], home: Path) -> dict[str, str]:
    env = {name: value for name, value in os.environ.items() if not name.startswith("NIANBAO_")}
    env["NIANBAO_HOME"] = str(home)
    for name, value in fields.items():
        env[f"NIANBAO_{name.upper()}"] = str(value)
    return env


@pytest.fixture(autouse=True)
def _fresh_settings() -> Any:
    from storage.settings import get_settings

    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def empty_db(request: pytest.FixtureRequest, tmp_path: Path) -> Any:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'cli' / 'nianbao.db'}", f"sqlite:///{tmp_path / 'cli' / 'nianbao.db'}"
        return
    from sqlalchemy.engine import make_url

    databases = request.getfixturevalue("pg_databases")
    url = databases.create()
    with_password = make_url(url).set(password="hunter2").render_as_string(hide_password=False)
    yield with_password, make_url(with_password).render_as_string(hide_password=True)
    databases.drop(url)


def test_db_upgrade_prints_url_without_password_and_revision(
    empty_db: tuple[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url, shown = empty_db
    monkeypatch.setenv("NIANBAO_DATABASE_URL", url)
    result = CliRunner().invoke(app, ["db", "upgrade"])
    assert result.exit_code == 0, result.output
    assert result.stdout == f"{shown} at revision {head_revision()}\n"
    assert "hunter2" not in result.output
    again = CliRunner().invoke(app, ["db", "upgrade"])
    assert (again.exit_code, again.stdout) == (0, result.stdout)


def test_db_upgrade_unreachable_is_one_line_exit_1(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NIANBAO_DATABASE_URL", "postgresql+psycopg://nb:hunter2@127.0.0.1:1/nianbao")
    result = CliRunner().invoke(app, ["db", "upgrade"])
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.startswith("nianbao: cannot connect to database nianbao on 127.0.0.1:1 ")
    assert result.stderr.count("\n") == 1 and "hunter2" not in result.stderr


def test_store_put_get_url(object_store_config: dict[str, Any], tmp_path: Path) -> None:
    """put and get through the installed console script (real exit codes); the rest through Typer."""
    env = _env(object_store_config, tmp_path / "var")
    original = tmp_path / "2023年报.pdf"
    data = "%PDF-1.4 宁夏回族自治区2023年政府信息公开工作年度报告".encode() * 1000
    original.write_bytes(data)
    key = key_for(hashlib.sha256(data).hexdigest())

    def script(*args: str) -> subprocess.CompletedProcess[bytes]:
        return subprocess.run([str(NIANBAO), *args], env=env, capture_output=True, timeout=120, cwd=tmp_path)

    put = script(
        "store",
        "put",
        str(original),
        "--content-type",
        "application/pdf",
        "--meta",
        "source-url=http://nx.gov.cn/年报.pdf",
    )
    assert (put.returncode, put.stdout.decode(), put.stderr) == (0, f"{key}\n", b"")
    to_stdout = script("store", "get", key)
    assert (to_stdout.returncode, to_stdout.stdout) == (0, data)
    missing = script("store", "get", key_for("0" * 64))
    assert missing.returncode == 1
    assert missing.stderr.decode().startswith(f"nianbao: no object {key_for('0' * 64)} in ")
    assert missing.stderr.decode().count("\n") == 1

    runner = CliRunner(env=env)
    to_file = runner.invoke(app, ["store", "get", key, "-o", str(tmp_path / "copy.pdf")])
    assert to_file.exit_code == 0, to_file.output
    assert (tmp_path / "copy.pdf").read_bytes() == data
    url = runner.invoke(app, ["store", "url", key])
    assert url.exit_code == 0
    assert url.stdout.startswith("file://" if "s3_endpoint" not in object_store_config else "http://")
    traversal = runner.invoke(app, ["store", "get", "../../etc/passwd"])
    assert (traversal.exit_code, traversal.stderr) == (
        1,
        "nianbao: invalid object key '../../etc/passwd': expected originals/<aa>/<sha256>\n",
    )
    unreadable = runner.invoke(app, ["store", "put", str(tmp_path / "nope.pdf")])
    assert (unreadable.exit_code, unreadable.stderr) == (
        1,
        f"nianbao: cannot read {tmp_path / 'nope.pdf'}: No such file or directory\n",
    )


def test_store_put_with_a_dead_s3_server_is_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with socket_port() as port:
        pass
    monkeypatch.setenv("NIANBAO_OBJECT_STORE", "s3://nianbao-nowhere")
    monkeypatch.setenv("NIANBAO_S3_ENDPOINT", f"127.0.0.1:{port}")
    original = tmp_path / "a.pdf"
    original.write_bytes(b"x")
    result = CliRunner().invoke(app, ["store", "put", str(original)])
    assert result.exit_code == 1
    assert result.stderr.startswith(
        f"nianbao: creating bucket failed: S3 http://127.0.0.1:{port} bucket nianbao-nowhere unreachable: "
    )
    assert result.stderr.count("\n") == 1


def socket_port() -> Any:
    """A port nothing listens on (bound and released)."""
    import contextlib
    import socket

    @contextlib.contextmanager
    def reserve() -> Any:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            yield sock.getsockname()[1]

    return reserve()
