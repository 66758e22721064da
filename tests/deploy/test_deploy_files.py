"""deploy/ without a Docker engine: the files parse, the deployments load, the image's install works."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]


def test_compose_file_has_every_service_with_health_checks_and_volumes() -> None:
    compose = yaml.safe_load((ROOT / "deploy" / "docker-compose.yml").read_text(encoding="utf-8"))
    services = compose["services"]
    assert set(services) == {"postgres", "seaweedfs", "prefect-server", "nianbao", "worker"}
    assert services["worker"]["command"] == ["nianbao", "worker"]
    for name in ("postgres", "seaweedfs", "prefect-server"):
        assert services[name]["healthcheck"]["test"], name
    assert services["nianbao"]["depends_on"] == {
        "postgres": {"condition": "service_healthy"},
        "seaweedfs": {"condition": "service_healthy"},
        "prefect-server": {"condition": "service_healthy"},
    }
    env = services["nianbao"]["environment"]
    assert env["NIANBAO_DATABASE_URL"].startswith("postgresql+psycopg://")
    assert env["NIANBAO_OBJECT_STORE"] == "s3://nianbao-originals"
    assert env["PREFECT_API_URL"] == "http://prefect-server:4200/api"
    assert "asyncpg" in services["prefect-server"]["environment"]["PREFECT_API_DATABASE_CONNECTION_URL"]
    assert set(compose["volumes"]) == {"pgdata", "objects", "nianbao-home"}
    for mounted in ("initdb", "seaweedfs-s3.json"):
        assert (ROOT / "deploy" / mounted).exists()


def test_pool_override_runs_ingest_crawl_and_task_workers_on_the_work_pool() -> None:
    pool = yaml.safe_load((ROOT / "deploy" / "docker-compose.pool.yml").read_text(encoding="utf-8"))
    services = pool["services"]
    assert services["nianbao"]["command"][-1].endswith("nianbao worker --relay")
    assert (
        "prefect --no-prompt deploy --all --prefect-file /app/deploy/prefect.yaml"
        in services["deploy"]["command"][-1]
    )
    ingest, crawl = services["ingest-worker"]["command"], services["crawl-worker"]["command"]
    assert ingest[:5] == crawl[:5] == ["prefect", "worker", "start", "--pool", "nianbao"]
    assert ("ingest" in ingest, "crawl" in crawl, ingest[-2:], crawl[-2:]) == (
        True,
        True,
        ["--limit", "1"],
        ["--limit", "1"],
    )
    dockerfile = (ROOT / "deploy" / "Dockerfile").read_text(encoding="utf-8")
    assert "COPY deploy/prefect.yaml ./deploy/prefect.yaml" in dockerfile


def test_prefect_yaml_deployments_load_their_flows() -> None:
    from prefect.flows import load_flow_from_entrypoint

    spec = yaml.safe_load((ROOT / "deploy" / "prefect.yaml").read_text(encoding="utf-8"))
    loaded = {d["name"]: load_flow_from_entrypoint(d["entrypoint"]).name for d in spec["deployments"]}
    assert loaded == {
        "crawl": "crawl",
        "crawl-batch": "crawl batch",
        "ingest": "ingest",
        "ingest-batch": "ingest batch",
        "ingest-pending": "ingest pending",
        "timeliness": "timeliness",
        "export": "export",
        "reparse": "reparse",
    }
    # Events go to the task workers (flows/eventpath.py), never to a flow run per document.
    assert all("triggers" not in d for d in spec["deployments"])


@pytest.mark.slow
def test_the_images_install_command_works_in_a_fresh_venv(tmp_path: Path) -> None:
    """`pip install -c constraints.txt .` (the Dockerfile's), non-editable: package data must ship, the
    PDF reader's C loops are built (this machine has a C compiler, as the image's build step has), the
    [demo] extra stays out."""
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    pip = subprocess.run(
        [str(venv / "bin" / "pip"), "install", "-q", "-c", "constraints.txt", "."],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert pip.returncode == 0, pip.stderr[-3000:]
    probe = (
        "import importlib.resources as r;"
        "print(sorted(p.name for p in (r.files('crawler') / 'sources').iterdir() if p.name.endswith('.yaml')));"
        "print(any(p.name.endswith('.py') for p in (r.files('storage') / 'migrations' / 'versions').iterdir()));"
        "print(len([p for p in (r.files('flows') / 'demo' / 'content' / 'seeds').iterdir()]));"
        "import parsers.speedups as s; print(s.native is not None and s.native.__file__.endswith('.so'))"
    )
    shown = subprocess.run(
        [str(venv / "bin" / "python"), "-c", probe], cwd=tmp_path, capture_output=True, text=True, check=True
    )
    assert shown.stdout.split("\n")[:4] == ["['ningxia.yaml']", "True", "5", "True"]
    help_text = subprocess.run(
        [str(venv / "bin" / "nianbao"), "--help"], cwd=tmp_path, capture_output=True, text=True, check=True
    )
    assert "demo" in help_text.stdout
    # The image leaves out the [demo] extra: `nianbao demo` says which extra to install, in one line.
    demo = subprocess.run(
        [str(venv / "bin" / "nianbao"), "demo", "--home", str(tmp_path / "home")],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert demo.returncode == 1
    assert demo.stderr == (
        "nianbao: the demo needs the [demo] extra (reportlab, python-docx missing): pip install 'nianbao[demo]'\n"
    )
    assert not (tmp_path / "home").exists()
