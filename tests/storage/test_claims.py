"""Ingest claims (storage/claims.py): who holds a document, when a claim lapses, and the claim itself on
SQLite and PostgreSQL — two runs at once, a live run's document left alone, a dead run's taken over."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from storage import repository as repo
from storage.claims import _host, _process_start, claim_is_live, claimant
from storage.models import Document
from tests.storage.test_storage_repository import while_held

LEASE = 900.0
NOW = datetime.now(UTC)


@pytest.fixture
def other_process() -> Iterator[subprocess.Popen[bytes]]:
    """A running process of this host other than this one (a claimant that is alive)."""
    process = subprocess.Popen(["sleep", "60"])
    yield process
    process.kill()
    process.wait()


def claimant_of(process: subprocess.Popen[bytes], thread: int = 1) -> str:
    return f"{_host()}:{process.pid}:{_process_start(process.pid)}:{thread}"


def stored(session: Session, n: int = 0) -> Document:
    document, _ = repo.record_document(
        session, url=f"http://claims.example/{n}.pdf", sha256=f"{n:064x}", object_key=f"sha256/{n:064x}"
    )
    session.commit()
    return document


def test_a_claim_is_live_while_its_run_can_still_be_working(other_process: subprocess.Popen[bytes]) -> None:
    mine = claimant()
    this_process_other_thread = mine.rsplit(":", 1)[0] + ":1"
    assert claim_is_live("", NOW, LEASE) is False
    assert claim_is_live(mine, None, LEASE) is False
    assert claim_is_live(mine, NOW, LEASE) is False  # this thread's own claim (a re-run after an outage)
    assert claim_is_live(this_process_other_thread, NOW, LEASE) is True
    assert claim_is_live(claimant_of(other_process), NOW, LEASE) is True
    assert claim_is_live("elsewhere.example:12:345:6", NOW, LEASE) is True
    assert claim_is_live("elsewhere.example:12:345:6", NOW.replace(tzinfo=None), LEASE) is True  # SQLite
    assert claim_is_live("elsewhere.example:12:345:6", NOW - timedelta(seconds=LEASE), LEASE) is False
    assert claim_is_live(claimant_of(other_process), NOW - timedelta(seconds=LEASE + 1), LEASE) is False


def test_a_claim_by_a_process_that_is_gone_lapses_at_once(other_process: subprocess.Popen[bytes]) -> None:
    claimed_by = claimant_of(other_process)
    reused_pid = f"{_host()}:{other_process.pid}:1:1"  # the pid, but not the process that claimed
    assert claim_is_live(reused_pid, NOW, LEASE) is False
    other_process.kill()
    other_process.wait()
    assert _process_start(other_process.pid) == ""
    assert claim_is_live(claimed_by, NOW, LEASE) is False


def test_a_document_another_live_run_holds_is_neither_pending_nor_claimable(
    session: Session, other_process: subprocess.Popen[bytes]
) -> None:
    free, held = stored(session, 1), stored(session, 2)
    assert repo.claim_ingest_attempt(session, held.id) is not None
    held.claimed_by = claimant_of(other_process)  # as if that process had claimed it
    session.commit()

    assert [d.id for d in repo.pending_documents(session)] == [free.id]
    assert repo.claim_ingest_attempt(session, held.id) is None
    assert (held.attempts, held.status, held.claimed_by) == (1, "failed", claimant_of(other_process))

    other_process.kill()
    other_process.wait()
    assert [d.id for d in repo.pending_documents(session)] == [free.id, held.id]
    claimed = repo.claim_ingest_attempt(session, held.id, pending_only=3)
    assert claimed is not None
    assert (claimed.attempts, claimed.claimed_by) == (2, claimant())
    assert claimed.claimed_at is not None
    assert claimed.last_error == "interrupted: ingest attempt 2 did not finish"


def test_finishing_an_attempt_clears_its_claim(session: Session) -> None:
    document = stored(session)
    for finish in (
        lambda: repo.mark_document(session, document.id, "parsed", count_attempt=False),
        lambda: repo.refund_ingest_attempt(session, document.id, "object store down"),
        lambda: repo.release_ingest_attempt(session, document.id, "stored", "", False),
    ):
        repo.claim_ingest_attempt(session, document.id)
        assert document.claimed_by == claimant()
        finish()
        assert (document.claimed_by, document.claimed_at) == ("", None)


def test_a_listed_document_ingested_since_is_not_claimed_for_the_pending_path(session: Session) -> None:
    document = stored(session)
    repo.mark_document(session, document.id, "parsed")  # another run loaded it after it was listed
    assert repo.claim_ingest_attempt(session, document.id, pending_only=3) is None
    assert (document.status, document.attempts) == ("parsed", 1)
    # `nianbao ingest ID` asks for this document whatever its status: it is claimed.
    assert repo.claim_ingest_attempt(session, document.id) is not None
    assert (document.status, document.attempts) == ("failed", 2)


def test_of_two_runs_claiming_at_once_one_gets_the_document(engine: Engine) -> None:
    with Session(engine, expire_on_commit=False) as setup:
        document_id = stored(setup).id
    with Session(engine, expire_on_commit=False) as first:
        assert repo.claim_ingest_attempt(first, document_id, pending_only=3) is not None
        # another thread: another claimant, alive
        second = while_held(
            engine, first, lambda other: repo.claim_ingest_attempt(other, document_id, pending_only=3)
        )
    assert second is None
    with Session(engine) as check:
        document = check.get(Document, document_id)
        assert document is not None
        assert (document.attempts, document.claimed_by) == (1, claimant())


def test_pending_documents_reads_page_by_page_and_leaves_out_what_is_held(
    session: Session, other_process: subprocess.Popen[bytes], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(repo, "PENDING_PAGE", 2)
    ids = [stored(session, n).id for n in range(5)]
    assert repo.claim_ingest_attempt(session, ids[2]) is not None
    repo.get_document(session, ids[2]).claimed_by = claimant_of(other_process)
    session.commit()

    assert [d.id for d in repo.pending_documents(session)] == [ids[0], ids[1], ids[3], ids[4]]
    assert [d.id for d in repo.pending_documents(session, limit=3)] == [ids[0], ids[1], ids[3]]
    assert [d.id for d in repo.pending_documents(session, among=[ids[2], ids[4]])] == [ids[4]]
