"""Batch ingest (flows/batch.py) and the ingest claims: a document another live run holds, or has
ingested since the batch was listed, is left out of the batch; once that run is gone it is taken."""

from __future__ import annotations

import json
import subprocess

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from flows.batch import ingest_documents
from flows.demo.reportgen import make_spec, render_pdf
from storage import models, repository
from storage.db import session_scope
from storage.errors import DocumentClaimed
from storage.settings import Settings
from tests.flows.test_ingest import AGENCY, register_agency, store_document
from tests.storage.test_claims import claimant_of


def _state(settings: Settings, document_id: int) -> tuple[str, int, str]:
    with session_scope(settings) as session:
        document = repository.get_document(session, document_id)
        return document.status, document.attempts, document.claimed_by


def _reports(settings: Settings) -> list[int]:
    with session_scope(settings) as session:
        return list(session.scalars(select(models.Report.document_id).order_by(models.Report.document_id)))


@pytest.mark.parametrize("object_store_config", ["local"], indirect=True)
def test_a_batch_leaves_out_what_another_run_holds_or_has_ingested(settings: Settings) -> None:
    register_agency(settings)
    free, held, done = (
        store_document(
            settings,
            render_pdf(make_spec(60 + n, "gov2021", agency=AGENCY, year=2019 + n)),
            f"http://batch.example/{n}.pdf",
        )
        for n in range(3)
    )
    other_run = subprocess.Popen(["sleep", "60"])
    try:
        with session_scope(settings) as session:
            repository.claim_ingest_attempt(session, held)
            repository.get_document(session, held).claimed_by = claimant_of(other_run)
            repository.mark_document(session, done, "parsed")  # ingested after this batch was listed

        result = ingest_documents(settings, [free, held, done])

        assert [(o.document_id, o.status) for o in result.outcomes] == [(free, "parsed")]
        assert _state(settings, free) == ("parsed", 1, "")
        assert _state(settings, held) == ("failed", 1, claimant_of(other_run))
        assert _state(settings, done) == ("parsed", 1, "")
        assert _reports(settings) == [free]
    finally:
        other_run.kill()
        other_run.wait()

    result = ingest_documents(settings, [held])  # that run is gone: its claim has lapsed

    assert [(o.document_id, o.status) for o in result.outcomes] == [(held, "parsed")]
    assert _state(settings, held) == ("parsed", 2, "")
    assert _reports(settings) == [free, held]


@pytest.mark.parametrize("object_store_config", ["local"], indirect=True)
def test_ingest_of_a_document_another_run_holds_stops_and_names_that_run(settings: Settings) -> None:
    from flows.cli import COMMAND_MODULES, app
    from flows.ingest import claim_attempt

    for name in COMMAND_MODULES:
        __import__(f"flows.cli.{name}")

    document_id = store_document(settings, b"<html><body><p>a</p></body></html>", "http://b.example/a.html")
    other_run = subprocess.Popen(["sleep", "60"])
    try:
        holder = claimant_of(other_run)
        with session_scope(settings) as session:
            repository.claim_ingest_attempt(session, document_id)
            repository.get_document(session, document_id).claimed_by = holder

        with pytest.raises(
            DocumentClaimed,
            match=rf"document {document_id} is being ingested by another run \({holder}, since ",
        ):
            claim_attempt(settings, document_id)
        assert _state(settings, document_id) == ("failed", 1, holder)

        listed = CliRunner().invoke(app, ["documents", "--json"])
        assert listed.exit_code == 0, listed.output
        (row,) = map(json.loads, listed.output.splitlines())
        assert (row["attempts"], row["claimed_by"]) == (1, holder)
        text = CliRunner().invoke(app, ["documents"]).output
        assert f"[claimed by {holder} at " in text
    finally:
        other_run.kill()
        other_run.wait()

    claim_attempt(settings, document_id)  # that run is gone
    assert _state(settings, document_id)[:2] == ("failed", 2)
