"""`kill -9` of `nianbao ingest --pending` at random points, then re-runs: the end state equals an
uninterrupted run's (documents, reports, cells, findings, alerts) and no process is left behind."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from crawler.lifeline import descendants, pid_alive
from flows.demo.reportgen import break_identity, make_spec, render_docx, render_html, render_pdf
from storage import models
from storage.db import session_scope, upgrade
from storage.settings import Settings
from tests.flows.test_ingest import AGENCY, register_agency, store_document
from tests.parsers import hostile

NIANBAO = str(Path(sys.executable).parent / "nianbao")
KILLS = 4
KILL_WITHIN = 0.5
"""Each run is killed at a random time up to this many seconds after its first, second or third
claim: a document takes a few tenths of a second, so kills fall in parses, loads, alert deliveries
and between them."""
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def corpus() -> list[tuple[bytes, str, str]]:
    """Six years of one agency (cross-year checks), an identity broken (error findings → alerts),
    DOCX, HTML, another agency's report and a hostile DOCX (a failed document)."""
    broken = break_identity(make_spec(52, "gov2021", agency=AGENCY, year=2022), "requests.balance")
    return [
        (
            render_pdf(make_spec(51, "gov2021", agency=AGENCY, year=2021)),
            "http://k.example/2021.pdf",
            "application/pdf",
        ),
        (render_pdf(broken), "http://k.example/2022.pdf", "application/pdf"),
        (render_docx(make_spec(53, "gov2021", agency=AGENCY, year=2023)), "http://k.example/2023.docx", DOCX),
        (
            render_html(make_spec(54, "gov2019", agency=AGENCY, year=2020)),
            "http://k.example/2020.html",
            "text/html",
        ),
        (
            render_pdf(make_spec(55, "gov2021", agency=AGENCY, year=2024)),
            "http://k.example/2024.pdf",
            "application/pdf",
        ),
        (render_docx(make_spec(56, "gov2019", agency=AGENCY, year=2019)), "http://k.example/2019.docx", DOCX),
        (hostile.docx_giant_span(), "http://k.example/span.docx", DOCX),
        (render_pdf(make_spec(57, "gov2021", year=2023)), "http://k.example/other.pdf", "application/pdf"),
    ]


def snapshot(settings: Settings) -> dict[str, Any]:
    """Everything an ingest produces, keyed by document URL (ids differ between databases)."""
    with session_scope(settings) as session:
        urls = {d.id: d.url for d in session.scalars(select(models.Document))}
        documents = sorted((d.url, d.status, d.last_error) for d in session.scalars(select(models.Document)))
        reports = {r.id: urls[r.document_id] for r in session.scalars(select(models.Report))}
        report_rows = sorted(
            (urls[r.document_id], r.year, r.format, r.status) for r in session.scalars(select(models.Report))
        )
        cells = sorted(
            (reports[c.report_id], c.table_name, c.row_key, c.col_key, c.value, c.raw)
            for c in session.scalars(select(models.ReportCell))
        )
        findings = sorted(
            (reports[f.report_id], f.rule, f.location, f.severity)
            for f in session.scalars(select(models.Finding))
        )
        alerts = sorted((a.key, a.kind, a.status) for a in session.scalars(select(models.Alert)))
        never = [d.url for d in session.scalars(select(models.Document)) if d.status == "stored"]
    return {
        "documents": documents,
        "reports": report_rows,
        "cells": cells,
        "findings": findings,
        "alerts": alerts,
        "never ingested": never,
    }


def delivered(received: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """The alerts a webhook received, without the original's link (each database has its own store)."""
    return sorted((a["title"], a["message"].split("\n原件 original:")[0]) for a in received)


def attempts(settings: Settings) -> int:
    """Ingest attempts claimed so far, over all documents (a claim counts one before its parse)."""
    with session_scope(settings) as session:
        return sum(d.attempts for d in session.scalars(select(models.Document)))


def ingest(env: dict[str, str], kill: tuple[Settings, int, float] | None) -> tuple[int | None, list[int]]:
    """Run `nianbao ingest --pending`; with `kill` = (its settings, claims, seconds), SIGKILL it that
    many seconds after it has claimed that many documents (so that every kill falls in the ingest
    itself, never in the start-up) and return the processes it had started. Returns (exit code,
    its processes at the kill)."""
    process = subprocess.Popen(
        [NIANBAO, "ingest", "--pending"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    if kill is None:
        return process.wait(600), []
    claimed, claims, seconds = kill
    before = attempts(claimed)
    deadline: float | None = None
    tree: dict[int, str] = {}
    while process.poll() is None and (deadline is None or time.monotonic() < deadline):
        tree = descendants(process.pid) or tree
        if deadline is None and attempts(claimed) >= before + claims:
            deadline = time.monotonic() + seconds
        time.sleep(0.02)
    if process.poll() is not None:
        return process.returncode, []
    tree = descendants(process.pid) or tree
    process.send_signal(signal.SIGKILL)
    process.wait(30)
    return None, list(tree)


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("object_store_config", ["local"], indirect=True)
def test_kill_9_at_random_points_then_rerun_equals_an_uninterrupted_ingest(
    settings: Settings, tmp_path: Path, webhook: Any
) -> None:
    baseline = Settings(
        home=tmp_path / "baseline",
        database_url=f"sqlite:///{tmp_path / 'baseline.db'}",
        object_store=str(tmp_path / "baseline-objects"),
    )
    upgrade(baseline.resolved_database_url)
    for target in (settings, baseline):
        register_agency(target)
        for data, url, content_type in corpus():
            store_document(target, data, url, content_type)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_API")}
    env.update(
        PREFECT_HOME=str(tmp_path / "prefect"),
        NIANBAO_MAX_INGEST_ATTEMPTS="10",
        NIANBAO_ALERT_URLS=webhook.apprise_url,
        NIANBAO_TASK_RETRY_DELAY="0.5",
    )
    base_env = {
        **env,
        "NIANBAO_HOME": str(baseline.home),
        "NIANBAO_DATABASE_URL": baseline.resolved_database_url,
        "NIANBAO_OBJECT_STORE": baseline.object_store,
    }
    assert ingest(base_env, None)[0] == 1  # the hostile document failed
    expected = snapshot(baseline)
    expected_sent = delivered(webhook.received)
    webhook.received.clear()

    rng = random.Random(12)
    kills = leftovers = 0
    progress: list[int] = []  # documents touched (claimed or done) at each kill
    while kills < KILLS:
        code, tree = ingest(env, (settings, rng.randint(1, 3), rng.uniform(0.0, KILL_WITHIN)))
        if code is not None:  # finished before its kill: nothing left to interrupt
            break
        kills += 1
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and any(pid_alive(pid) for pid in tree):
            time.sleep(0.2)
        leftovers += sum(1 for pid in tree if pid_alive(pid))
        progress.append(sum(1 for d in snapshot(settings)["documents"] if d[1] != "stored"))
    ingest(env, None)  # exit 1 only if the hostile document is first tried in this run
    got = snapshot(settings)
    sent = delivered(webhook.received)
    lost = sum(len(set(expected[k]) - set(got[k])) for k in expected)
    extra = sum(len(set(got[k]) - set(expected[k])) for k in expected)
    print(
        f"\ningest kill -9: kills {kills} (documents touched at each: {progress}), lost {lost}, extra {extra}, leftover processes {leftovers}, "
        f"alerts sent {len(sent)} (uninterrupted {len(expected_sent)}), sent twice {len(sent) - len(set(sent))}"
    )
    assert kills >= 2
    assert got == expected
    assert leftovers == 0
    assert expected["never ingested"] == [] and len(expected["alerts"]) > 0
    assert all(status == "sent" for _, _, status in got["alerts"])
    assert sent == expected_sent  # each alert delivered exactly once across the kills
