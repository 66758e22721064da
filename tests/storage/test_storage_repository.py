"""Repository functions on SQLite and PostgreSQL: idempotent writes, versions, the work queue."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from operator import attrgetter
from typing import TypeVar

import pytest
from sqlalchemy import Engine, func, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from parsers.model import Cell, CellRef, ParserInfo
from parsers.model import Finding as ParsedFinding
from parsers.model import Report as ParsedReport
from storage import repository as repo
from storage.db import get_engine, session_scope
from storage.errors import RecordNotFound, StorageError
from storage.models import Agency, Alert, CrawlRun, Document, Finding, Report, ReportCell, Source, Timeliness
from storage.settings import Settings

SHA_A = "a" * 64
SHA_B = "b" * 64
SHA_C = "c" * 64
URL = "http://www.yinchuan.gov.cn/xxgk/ndbg/2023/报告.pdf"
T = TypeVar("T")


def _count(session: Session, model: type) -> int:
    return int(session.scalar(select(func.count()).select_from(model)) or 0)


def _record(session: Session, sha256: str, url: str = URL, **kwargs: object) -> tuple[Document, bool]:
    return repo.record_document(
        session, url=url, sha256=sha256, object_key=f"originals/{sha256[:2]}/{sha256}", **kwargs
    )  # type: ignore[arg-type]


def _source(session: Session, source_id: str = "nx-yinchuan") -> Source:
    return repo.upsert_source(
        session,
        id=source_id,
        name="银川市人民政府",
        region_code="640100",
        start_urls=["http://www.yinchuan.gov.cn/xxgk/ndbg/"],
        config={"allow": ["/xxgk/"]},
    )


def _parsed(values: dict[tuple[str, str, str], float | int | None], findings: int = 1) -> ParsedReport:
    return ParsedReport(
        agency="银川市西夏区科学技术和工业信息化局",
        year=2023,
        format="gov2021",
        title="银川市西夏区科学技术和工业信息化局2023年政府信息公开工作年度报告",
        parser=ParserInfo(version="1.2.3", source_kind="pdf", pages=6, seconds=0.5),
        sections={"overview": "一、总体情况", "problems": "五、存在的主要问题"},
        cells=[
            Cell(table, row, col, value, "/" if value is None else str(value), page=4)
            for (table, row, col), value in values.items()
        ],
        findings=[
            ParsedFinding(
                rule="requests.balance",
                severity="error",
                where=f"requests/*/total#{i}",
                message="一+二 ≠ （七）+四",
                expected=3153,
                actual=3152,
                cells=(
                    CellRef("requests", "new", "total", "3000", 4),
                    CellRef("requests", "carried_over", "total", "152", 4),
                    CellRef("requests", "total", "total", "3150", 5),
                    CellRef("requests", "carried_forward", "total", "/", None, 2022 + i),
                ),
            )
            for i in range(findings)
        ],
    )


CELLS: dict[tuple[str, str, str], float | int | None] = {
    ("requests", "new", "natural_person"): 12,
    ("requests", "new", "total"): 15,
    ("requests", "carried_over", "total"): 0,
    ("requests", "withheld_state_secret", "total"): None,
    ("proactive", "regulations", "issued"): 2,
    ("proactive", "fees", "amount_10k_yuan"): 1.25,
}


def test_every_model_round_trips(session: Session) -> None:
    source = _source(session)
    agency = Agency(
        name="银川市人民政府",
        aliases=["银川市政府"],
        kind="government",
        region_code="640100",
        deadline_override="01-31",
        source_id=source.id,
    )
    session.add(agency)
    run = repo.start_crawl_run(session, source.id)
    document, created = _record(
        session,
        SHA_A,
        source_id=source.id,
        crawl_run_id=run.id,
        title="2023年年报",
        list_date=date(2024, 1, 20),
        page_pub_date=datetime(2024, 1, 19, 8, 30, tzinfo=UTC),
        meta={"list_title": "年报"},
        content_type="application/pdf",
        size=1234,
        etag='"abc"',
        last_modified="Fri, 19 Jan 2024 08:30:00 GMT",
    )
    assert created is True
    report = repo.replace_report(
        session,
        document.id,
        _parsed(CELLS),
        agency_id=None,
        published_at=datetime(2024, 1, 19, tzinfo=UTC),
        published_at_source="pubdate",
    )
    session.add(
        Timeliness(
            agency_id=agency.id,
            year=2023,
            status="on_time",
            deadline=date(2024, 1, 31),
            published_at=datetime(2024, 1, 19, tzinfo=UTC),
            published_at_source="pubdate",
            days_late=0,
            report_id=report.id,
        )
    )
    alert = repo.record_alert(
        session, key="late:1:2023", kind="timeliness", title="逾期", body="银川市人民政府 2023 年报逾期"
    )
    assert alert is not None
    session.commit()
    session.expunge_all()

    loaded = session.scalars(select(Document)).one()
    assert (loaded.url, loaded.sha256, loaded.object_key) == (URL, SHA_A, f"originals/aa/{SHA_A}")
    assert (loaded.title, loaded.list_date, loaded.meta) == (
        "2023年年报",
        date(2024, 1, 20),
        {"list_title": "年报"},
    )
    assert loaded.page_pub_date is not None and loaded.page_pub_date.replace(tzinfo=UTC) == datetime(
        2024, 1, 19, 8, 30, tzinfo=UTC
    )
    assert (loaded.content_type, loaded.size, loaded.etag) == ("application/pdf", 1234, '"abc"')
    assert (loaded.status, loaded.attempts, loaded.source_id, loaded.crawl_run_id) == (
        "stored",
        0,
        "nx-yinchuan",
        run.id,
    )
    assert session.get(Source, "nx-yinchuan").start_urls == ["http://www.yinchuan.gov.cn/xxgk/ndbg/"]  # type: ignore[union-attr]
    assert session.scalars(select(Agency)).one().aliases == ["银川市政府"]
    stored = session.scalars(select(Report)).one()
    assert (stored.agency_name, stored.year, stored.format, stored.parser_version, stored.source_kind) == (
        "银川市西夏区科学技术和工业信息化局",
        2023,
        "gov2021",
        "1.2.3",
        "pdf",
    )
    assert stored.sections == {"overview": "一、总体情况", "problems": "五、存在的主要问题"}
    assert repo.cells_of(session, stored.id) == {
        key: None if v is None else float(v) for key, v in CELLS.items()
    }
    raw = session.scalars(select(ReportCell.raw).where(ReportCell.row_key == "withheld_state_secret")).one()
    assert raw == "/"
    finding = session.scalars(select(Finding)).one()
    assert (finding.rule, finding.severity, finding.expected, finding.actual) == (
        "requests.balance",
        "error",
        3153.0,
        3152.0,
    )
    assert session.scalars(select(Timeliness)).one().report_id == stored.id
    assert session.scalars(select(Alert)).one().key == "late:1:2023"


def test_same_bytes_at_same_url_return_the_existing_row(session: Session) -> None:
    first, created = _record(session, SHA_A)
    session.commit()
    fetched = first.fetched_at
    again, created_again = _record(session, SHA_A, title="changed title")
    session.commit()
    assert (created, created_again) == (True, False)
    assert again.id == first.id
    assert again.title == ""
    assert again.fetched_at >= fetched
    assert _count(session, Document) == 1


def test_direct_duplicate_insert_is_rejected(session: Session) -> None:
    _record(session, SHA_A)
    session.commit()
    session.add(Document(url=URL, sha256=SHA_A, object_key=f"originals/aa/{SHA_A}"))
    with pytest.raises(IntegrityError):
        session.flush()
    session.rollback()
    assert _count(session, Document) == 1


def test_new_bytes_at_a_known_url_are_a_new_version(session: Session) -> None:
    first, _ = _record(session, SHA_A)
    second, created = _record(session, SHA_B)
    third, _ = _record(session, SHA_C)
    other, _ = _record(session, SHA_B, url="http://www.yinchuan.gov.cn/other.pdf")
    session.commit()
    assert created is True
    assert (first.previous_version_id, second.previous_version_id, third.previous_version_id) == (
        None,
        first.id,
        second.id,
    )
    assert other.previous_version_id is None
    assert repo.latest_document(session, URL).id == third.id  # type: ignore[union-attr]
    assert repo.latest_document(session, "http://nowhere/") is None
    assert _count(session, Document) == 4


def _wait_for_lock_waiter(engine: Engine, waiter: threading.Thread) -> None:
    """On PostgreSQL, wait until another backend blocks on a lock (a duplicate insert, a locked row)."""
    if engine.dialect.name != "postgresql":
        waiter.join(timeout=0.5)
        return
    deadline = time.monotonic() + 30
    with engine.connect() as connection:
        while time.monotonic() < deadline and waiter.is_alive():
            waiting = connection.execute(
                text(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
                )
            ).scalar_one()
            connection.rollback()
            if waiting:
                return
            time.sleep(0.02)
    raise AssertionError("the concurrent transaction never blocked on a lock")


def while_held(engine: Engine, first: Session, second: Callable[[Session], T]) -> T:
    """Run `second` on a session of its own in another thread while `first`'s open transaction holds
    its locks, commit `first` once `second` waits on them, and return what `second` returned (it
    commits its session); its exception, if any, is raised here."""
    results: list[T] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            with Session(engine, expire_on_commit=False) as other:
                results.append(second(other))
                other.commit()
        except BaseException as exc:  # raised below, in the test's thread
            errors.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    _wait_for_lock_waiter(engine, thread)
    first.commit()
    thread.join(timeout=60)
    if errors:
        raise errors[0]
    (result,) = results
    return result


def test_concurrent_duplicate_insert_returns_the_winner(engine: Engine) -> None:
    with Session(engine, expire_on_commit=False) as first:
        winner, created = _record(first, SHA_A)
        document, other_created = while_held(engine, first, lambda other: _record(other, SHA_A))
    assert created is True
    assert (document.id, other_created) == (winner.id, False)
    with Session(engine) as check:
        assert _count(check, Document) == 1


def test_pending_documents_are_stored_or_retryable_failures(session: Session) -> None:
    states = [
        ("stored", False, 0),
        ("parsed", False, 1),
        ("failed", True, 1),
        ("failed", True, 3),
        ("failed", False, 1),
        ("not_a_report", False, 1),
        ("blocked", False, 0),
        ("stored", False, 2),
    ]
    ids = []
    for index, (status, retryable, attempts) in enumerate(states):
        document, _ = _record(session, f"{index:064x}", url=f"http://example.gov.cn/{index}")
        document.status, document.retryable, document.attempts = status, retryable, attempts
        ids.append(document.id)
    session.commit()
    assert [d.id for d in repo.pending_documents(session)] == [ids[0], ids[2], ids[7]]
    assert [d.id for d in repo.pending_documents(session, max_attempts=4)] == [ids[0], ids[2], ids[3], ids[7]]
    assert [d.id for d in repo.pending_documents(session, limit=2)] == [ids[0], ids[2]]


def test_mark_document_counts_attempts(session: Session) -> None:
    document, _ = _record(session, SHA_A)
    repo.mark_document(session, document.id, "failed", error="timeout fetching original", retryable=True)
    assert (document.status, document.attempts, document.retryable, document.last_error) == (
        "failed",
        1,
        True,
        "timeout fetching original",
    )
    assert [d.id for d in repo.pending_documents(session, max_attempts=2)] == [document.id]
    repo.mark_document(session, document.id, "failed", error="again", retryable=True)
    assert repo.pending_documents(session, max_attempts=2) == []
    repo.mark_document(session, document.id, "parsed", count_attempt=False)
    assert (document.status, document.attempts, document.retryable, document.last_error) == (
        "parsed",
        2,
        False,
        "",
    )
    with pytest.raises(StorageError, match="unknown document status 'done'"):
        repo.mark_document(session, document.id, "done")
    with pytest.raises(RecordNotFound, match="no documents row with id 999999"):
        repo.mark_document(session, 999999, "parsed")


def test_replace_report_is_idempotent(session: Session) -> None:
    document, _ = _record(session, SHA_A)
    session.commit()
    for _ in range(2):
        repo.replace_report(session, document.id, _parsed(CELLS, findings=2))
        session.commit()
    assert _count(session, Report) == 1
    assert _count(session, ReportCell) == len(CELLS)
    assert _count(session, Finding) == 2
    smaller = {("requests", "new", "total"): 16}
    report = repo.replace_report(session, document.id, _parsed(smaller, findings=0))
    session.commit()
    assert _count(session, Report) == 1
    assert repo.cells_of(session, report.id) == {("requests", "new", "total"): 16.0}
    assert _count(session, ReportCell) == 1
    assert _count(session, Finding) == 0


def test_report_from_row_gives_back_the_loaded_report(session: Session) -> None:
    document, _ = _record(session, SHA_A)
    original = _parsed(CELLS, findings=2)
    row = repo.replace_report(session, document.id, original)
    session.commit()
    session.expire_all()

    rebuilt = repo.report_from_row(session.get(Report, row.id))

    key = attrgetter("table", "row", "col")
    assert sorted(rebuilt.cells, key=key) == sorted(original.cells, key=key)
    assert isinstance(rebuilt.value("requests", "new", "total"), int)
    assert sorted(rebuilt.findings, key=lambda f: f.where) == original.findings
    assert rebuilt.findings[1].cells[3] == CellRef("requests", "carried_forward", "total", "/", None, 2023)
    assert (rebuilt.agency, rebuilt.year, rebuilt.format, rebuilt.title, rebuilt.sections) == (
        original.agency,
        original.year,
        original.format,
        original.title,
        original.sections,
    )


def test_replace_report_rolls_back_with_the_callers_transaction(db_url: str) -> None:
    with session_scope(db_url) as session:
        document, _ = _record(session, SHA_A)
        repo.replace_report(session, document.id, _parsed(CELLS))
    with pytest.raises(RuntimeError), session_scope(db_url) as session:
        repo.replace_report(session, document.id, _parsed({("requests", "new", "total"): 1}))
        raise RuntimeError("validation failed after the load")
    with session_scope(db_url) as session:
        assert _count(session, ReportCell) == len(CELLS)


def test_replace_report_refuses_two_cells_at_one_address(session: Session) -> None:
    document, _ = _record(session, SHA_A)
    report = _parsed(CELLS)
    report.cells.append(Cell("requests", "new", "total", 99, "99"))
    with pytest.raises(StorageError, match="two cells at requests/new/total"):
        repo.replace_report(session, document.id, report)
    assert _count(session, Report) == 0


def test_report_for_finds_by_name_alias_and_id(session: Session) -> None:
    repo.sync_agencies(
        session,
        [{"name": "银川市西夏区科学技术和工业信息化局", "aliases": ["西夏区科工信局"], "kind": "department"}],
    )
    agency = repo.agency_by_name(session, "西夏区科工信局")
    assert agency is not None and agency.name == "银川市西夏区科学技术和工业信息化局"
    document, _ = _record(session, SHA_A)
    report = repo.replace_report(session, document.id, _parsed(CELLS), agency_id=agency.id)
    assert repo.report_for(session, agency.id, 2023) is report
    assert repo.report_for(session, "银川市西夏区科学技术和工业信息化局", 2023) is report
    assert repo.report_for(session, "西夏区科工信局", 2023) is report
    assert repo.report_for(session, agency.id, 2022) is None
    assert repo.report_of_document(session, document.id) is report
    assert repo.reports_for_year(session, 2023) == [report]


def test_sync_agencies_upserts_by_name(session: Session) -> None:
    _source(session)
    agencies = [
        {
            "name": "银川市人民政府",
            "aliases": [],
            "kind": "government",
            "region_code": "640100",
            "deadline_override": None,
            "source_id": "nx-yinchuan",
        },
        {
            "name": "银川市教育局",
            "aliases": ["市教育局"],
            "kind": "department",
            "region_code": "640100",
            "deadline_override": "01-31",
            "source_id": "nx-yinchuan",
        },
    ]
    assert repo.sync_agencies(session, agencies) == 2
    assert repo.sync_agencies(session, agencies) == 0
    agencies[1] = {**agencies[1], "aliases": ["市教育局", "教育局"]}
    assert repo.sync_agencies(session, agencies) == 1
    session.commit()
    assert _count(session, Agency) == 2
    education = repo.agency_by_name(session, "教育局")
    assert education is not None and (education.aliases, education.deadline_override) == (
        ["市教育局", "教育局"],
        "01-31",
    )
    with pytest.raises(StorageError, match="agency without a name"):
        repo.sync_agencies(session, [{"kind": "department"}])


def test_crawl_runs(session: Session) -> None:
    source = _source(session)
    assert (
        repo.upsert_source(
            session, id=source.id, name="银川市政府", region_code="640100", start_urls=[], config={}
        )
        is source
    )
    first = repo.start_crawl_run(session, source.id)
    repo.finish_crawl_run(
        session,
        first.id,
        status="ok",
        pages=3,
        links_found=10,
        documents_new=2,
        documents_unchanged=8,
        stats={"http_404": 1},
    )
    second = repo.start_crawl_run(session, source.id)
    repo.finish_crawl_run(
        session, second.id, status="blocked", reason="HTTP 403 from www.yinchuan.gov.cn", errors=1
    )
    session.commit()
    assert repo.last_crawl_run(session, source.id) is second
    assert repo.last_crawl_run(session, source.id, status="ok") is first
    assert repo.last_crawl_run(session, "nobody") is None
    assert (first.pages, first.links_found, first.documents_new, first.documents_unchanged, first.stats) == (
        3,
        10,
        2,
        8,
        {"http_404": 1},
    )
    assert first.finished_at is not None and second.reason == "HTTP 403 from www.yinchuan.gov.cn"
    assert session.get(Source, source.id).name == "银川市政府"  # type: ignore[union-attr]
    with pytest.raises(StorageError, match="unknown crawl status 'great'"):
        repo.finish_crawl_run(session, first.id, status="great")
    assert _count(session, CrawlRun) == 2


def test_alerts_fire_once_per_key(session: Session) -> None:
    alert = repo.record_alert(session, key="late:640100:2023", kind="timeliness", title="逾期", body="…")
    assert alert is not None
    assert (
        repo.record_alert(session, key="late:640100:2023", kind="timeliness", title="逾期", body="again")
        is None
    )
    session.commit()
    assert _count(session, Alert) == 1
    assert repo.unsent_alerts(session) == [alert]
    repo.mark_alert_sent(session, alert.id, error="dingtalk: HTTP 500")
    assert (alert.sent_at, alert.error) == (None, "dingtalk: HTTP 500")
    repo.mark_alert_sent(session, alert.id)
    assert alert.sent_at is not None and alert.error == ""
    assert repo.unsent_alerts(session) == []


def test_alerts_in_bulk_fire_once_per_key(session: Session) -> None:
    earlier = repo.record_alert(
        session, key="timeliness:甲:2023:late", kind="timeliness", title="甲", body="…"
    )
    assert earlier is not None
    batch = [
        {"key": "timeliness:甲:2023:late", "kind": "timeliness", "title": "甲 again", "body": "again"},
        {"key": "timeliness:乙:2023:missing", "kind": "timeliness", "title": "乙", "body": "no report found"},
        {"key": "timeliness:乙:2023:missing", "kind": "timeliness", "title": "乙 twice", "body": "twice"},
        {"key": "timeliness:丙:2023:changed", "kind": "timeliness", "title": "丙", "body": "replaced"},
    ]
    assert repo.record_alerts(session, batch) == {"timeliness:乙:2023:missing", "timeliness:丙:2023:changed"}
    assert repo.record_alerts(session, batch) == set()
    assert repo.record_alerts(session, []) == set()
    session.commit()
    rows = session.scalars(select(Alert).order_by(Alert.id)).all()
    assert [(a.key, a.title, a.body, a.status, a.attempts, a.sent_at) for a in rows] == [
        ("timeliness:甲:2023:late", "甲", "…", "pending", 0, None),
        ("timeliness:乙:2023:missing", "乙", "no report found", "pending", 0, None),
        ("timeliness:丙:2023:changed", "丙", "replaced", "pending", 0, None),
    ]
    assert all(a.created_at is not None for a in rows)
    assert [a.key for a in repo.unsent_alerts(session)] == [a.key for a in rows]


def test_session_scope_commits_or_rolls_back(db_url: str) -> None:
    with session_scope(db_url) as session:
        _source(session)
    with pytest.raises(ValueError), session_scope(db_url) as session:
        _source(session, "second")
        raise ValueError("boom")
    with session_scope(Settings(database_url=db_url)) as session:
        assert session.scalars(select(Source.id)).all() == ["nx-yinchuan"]
    assert get_engine(Settings(database_url=db_url)) is get_engine(Settings(database_url=db_url))


def test_archive_and_record_an_original(settings: Settings) -> None:
    """What the crawler does: store the bytes, record the row; `get_settings()` sees the test services."""
    from storage.objectstore import open_store
    from storage.settings import get_settings

    assert get_settings().resolved_database_url == settings.resolved_database_url
    store = open_store()
    info = store.put(b"%PDF-1.7 2023", metadata={"source-url": URL}, content_type="application/pdf")
    with session_scope() as session:
        document, created = _record(session, info.sha256, content_type=info.content_type, size=info.size)
    assert created is True
    with session_scope(settings) as session:
        (pending,) = repo.pending_documents(session)
        assert (pending.id, pending.object_key) == (document.id, info.key)
    assert store.get(pending.object_key) == b"%PDF-1.7 2023"
    assert store.stat(pending.object_key).metadata == {"source-url": URL}
