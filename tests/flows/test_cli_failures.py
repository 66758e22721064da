"""Expected failures of the embedded commands: one line on stderr, exit code 2, no traceback, before any
flow starts; and a newcomer's directory is told which database was created."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

NIANBAO = str(Path(sys.executable).parent / "nianbao")


def newcomer_env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NIANBAO_", "PREFECT_"))}
    env["PREFECT_HOME"] = str(tmp_path / ".prefect")
    return env


def run(args: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([NIANBAO, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120)


def started_prefect(tmp_path: Path) -> bool:
    """Whether a command started the ephemeral Prefect API (it creates its database in PREFECT_HOME)."""
    return (tmp_path / ".prefect" / "prefect.db").exists()


@pytest.mark.parametrize(
    ("args", "extra_env", "message"),
    [
        (["ingest", "9999"], {}, "nianbao: no document 9999: see `nianbao documents`"),
        (
            ["run", "--source", "nope"],
            {},
            "nianbao: unknown source 'nope' (known: yinchuan-gov, yinchuan-kjj, yinchuan-xixia,"
            " yinchuan-jinfeng, zhongwei-shapotou)",
        ),
        (["run"], {"NIANBAO_SOURCES_DIR": "no-such-dir"}, "nianbao: no-such-dir: no such file or directory"),
        (["crawl", "--registry", "no-such-dir"], {}, "nianbao: no-such-dir: no such file or directory"),
        (["crawl", "--source", "nope"], {}, None),
    ],
)
def test_expected_failures_are_one_line_exit_2_before_any_flow(
    tmp_path: Path, args: list[str], extra_env: dict[str, str], message: str | None
) -> None:
    assert run(["documents"], tmp_path, newcomer_env(tmp_path)).returncode == 0  # an empty database
    result = run(args, tmp_path, {**newcomer_env(tmp_path), **extra_env})
    errors = [line for line in result.stderr.splitlines() if line.startswith("nianbao: ")]
    assert (result.returncode, len(errors), result.stdout) == (2, 1, ""), result.stderr
    assert "Traceback" not in result.stderr
    if message is not None:
        assert errors == [message]
    else:
        assert errors[0].startswith("nianbao: unknown source 'nope'")
    assert not started_prefect(tmp_path)


@pytest.mark.postgres
def test_a_postgres_database_that_does_not_exist_is_exit_2(tmp_path: Path, pg_server_url: str) -> None:
    from sqlalchemy.engine import make_url

    url = make_url(pg_server_url).set(database="nianbao_no_such_db").render_as_string(hide_password=False)
    env = {**newcomer_env(tmp_path), "NIANBAO_DATABASE_URL": url}
    for args in (["findings"], ["ingest", "1"], ["reports"]):
        result = run(args, tmp_path, env)
        assert (result.returncode, result.stdout) == (2, "")
        (line,) = result.stderr.splitlines()
        assert line.startswith("nianbao: cannot connect to database nianbao_no_such_db on ")
    assert not started_prefect(tmp_path)


def test_ingest_of_a_document_in_no_database_creates_none(tmp_path: Path) -> None:
    result = run(["ingest", "1"], tmp_path, newcomer_env(tmp_path))
    assert (result.returncode, result.stderr.splitlines()) == (
        2,
        [
            "nianbao: no database at var/nianbao.db: run `nianbao demo` or `nianbao run` first,"
            " or set NIANBAO_DATABASE_URL"
        ],
    )
    assert not (tmp_path / "var").exists()
    assert not started_prefect(tmp_path)


def test_a_newcomer_is_told_which_database_was_created(tmp_path: Path) -> None:
    result = run(["documents"], tmp_path, newcomer_env(tmp_path))
    assert result.returncode == 0, result.stderr
    assert result.stderr.splitlines() == ["created database var/nianbao.db"]
    again = run(["documents"], tmp_path, newcomer_env(tmp_path))
    assert again.stderr == ""
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {**newcomer_env(tmp_path), "NIANBAO_HOME": str(tmp_path / "var")}
    opened = run(["documents"], elsewhere, env)
    assert opened.stderr.splitlines() == [f"opened database {tmp_path / 'var' / 'nianbao.db'}"]
