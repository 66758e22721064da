"""The set-based timeliness check on a small generated country (SQLite and PostgreSQL): every edge case
at once with its expected status, and a number of queries that does not grow with the registry."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from itertools import count
from typing import Any

from sqlalchemy import event, select
from sqlalchemy.orm import Session

from flows.timeliness import StatusRow, check_timeliness, refresh_timeliness, unmatched_reports
from storage.models import Agency, CrawlRun, Document, Finding, Report, Source, Timeliness

TODAY = date(2024, 4, 15)
_serial = count(1)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def crawled(session: Session, source_id: str, region: str, runs: list[tuple[str, datetime, str]]) -> str:
    """A source and its crawl runs (status, start, reason), oldest first."""
    session.add(Source(id=source_id, name=source_id, region_code=region))
    session.flush()
    for status, started, reason in runs:
        session.add(CrawlRun(source_id=source_id, status=status, started_at=started, reason=reason))
    session.flush()
    return source_id


def agency(session: Session, name: str, region: str, source_id: str | None, **fields: Any) -> Agency:
    fields.setdefault("kind", "government" if name.endswith("人民政府") else "department")
    row = Agency(name=name, region_code=region, source_id=source_id, **fields)
    session.add(row)
    session.flush()
    return row


def document(session: Session, **fields: Any) -> Document:
    digest = hashlib.sha256(f"country-{next(_serial)}".encode()).hexdigest()
    fields.setdefault("url", f"http://127.0.0.1/art/{digest[:12]}.html")
    fields.setdefault("first_seen_at", utc(2024, 1, 1))
    row = Document(sha256=digest, object_key=f"originals/{digest}", **fields)
    session.add(row)
    session.flush()
    return row


def report(session: Session, owner: Agency | None, doc: Document, year: int = 2023, **fields: Any) -> Report:
    row = Report(
        document_id=doc.id, agency_id=owner.id if owner else None, year=year, format="gov2021", **fields
    )
    session.add(row)
    session.flush()
    return row


def published(session: Session, owner: Agency | None, at: datetime, **fields: Any) -> Report:
    """A report loaded with its publication moment (PubDate) stored, as ingest does."""
    return report(
        session,
        owner,
        document(session, page_pub_date=at),
        published_at=at,
        published_at_source="pubdate",
        **fields,
    )


def outcome(row: StatusRow) -> tuple[Any, ...]:
    return (
        row.status,
        row.deadline,
        row.days_late,
        row.report_id,
        row.published_at,
        row.published_at_source,
        row.replaced_at,
        row.carry_over_breaks,
        row.near_duplicate,
        row.unchecked_reason,
    )


def test_a_generated_country_with_every_edge_case(session: Session) -> None:
    xixia = crawled(
        session, "xixia", "640105", [("ok", utc(2024, 2, 5, 1, 0), ""), ("ok", utc(2024, 4, 2, 1, 0), "")]
    )
    xingqing = crawled(
        session,
        "xingqing",
        "640104",
        [("ok", utc(2024, 1, 10, 1, 0), ""), ("blocked", utc(2024, 4, 5, 1, 0), "HTTP 412")],
    )
    government = agency(session, "银川市西夏区人民政府", "640105", xixia)
    late = agency(session, "银川市西夏区教育局", "640105", xixia)
    several = agency(session, "银川市西夏区财政局", "640105", xixia)
    silent = agency(session, "银川市西夏区民政局", "640105", xixia)
    superseded = agency(session, "银川市西夏区审计局", "640105", xixia)
    republished = agency(session, "银川市西夏区统计局", "640105", xixia)
    future = agency(session, "银川市西夏区水务局", "640105", xixia)
    blocked_government = agency(session, "银川市兴庆区人民政府", "640104", xingqing)
    blocked = agency(session, "银川市兴庆区教育局", "640104", xingqing)
    sourceless = agency(session, "银川市兴庆区财政局", "640104", None)
    overridden = agency(session, "银川市兴庆区卫生健康委员会", "640104", xingqing, deadline_override="02-15")

    # On the deadline day by the list date (midnight Shanghai), nothing stored on the report.
    on_deadline = report(session, government, document(session, list_date=date(2024, 3, 31), source_id=xixia))
    # 10:00 Shanghai five days after the department deadline; last year's report does not count.
    five_days = published(session, late, utc(2024, 2, 5, 2, 0))
    published(session, late, utc(2023, 1, 10), year=2022)
    # Several reports: an infographic (not a report) first, a late one, then the earliest real one, a PDF
    # whose page carries the PubDate.
    published(session, several, utc(2024, 1, 5), status="not_a_report")
    published(session, several, utc(2024, 2, 10))
    page = document(session, page_pub_date=utc(2024, 1, 20, 1, 0))
    pdf = document(
        session, url="http://127.0.0.1/P020240120.pdf", parent_id=page.id, first_seen_at=utc(2024, 2, 9)
    )
    earliest = report(session, several, pdf)
    # Replaced twice: once before the deadline, then after it (the second replacement decides).
    first = document(session, page_pub_date=utc(2024, 1, 15, 1, 0), url="http://127.0.0.1/audit.html")
    original = report(
        session, superseded, first, published_at=utc(2024, 1, 15, 1, 0), published_at_source="pubdate"
    )
    second = document(session, url=first.url, previous_version_id=first.id, first_seen_at=utc(2024, 1, 25))
    document(session, url=first.url, previous_version_id=second.id, first_seen_at=utc(2024, 2, 20, 3, 0))
    for rule, severity in (
        ("history.carry_over", "error"),
        ("history.carry_over", "error"),
        ("history.duplicate_of_previous", "warning"),
        ("requests.balance", "error"),
    ):
        session.add(Finding(report_id=original.id, rule=rule, severity=severity))
    # Withdrawn and put back before the deadline: still on time.
    withdrawn = document(session, page_pub_date=utc(2024, 1, 10), url="http://127.0.0.1/stats.html")
    kept = report(
        session, republished, withdrawn, published_at=utc(2024, 1, 10), published_at_source="pubdate"
    )
    document(session, url=withdrawn.url, previous_version_id=withdrawn.id, first_seen_at=utc(2024, 1, 28))
    # Dated after today: not published yet.
    published(session, future, utc(2024, 4, 20))
    early = published(session, overridden, utc(2024, 2, 10))
    # Loaded before its agency was in the registry (no agency id), and a report nobody claims.
    newcomer_report = published(session, None, utc(2024, 1, 30), agency_name="银川市西夏区数据局")
    stray = published(session, None, utc(2024, 1, 30), agency_name="某某公司", title="某某公司2023年报")

    first_rows = refresh_timeliness(session, 2023, today=TODAY)

    expected = {
        blocked_government.name: (
            "unchecked",
            date(2024, 3, 31),
            None,
            None,
            None,
            "",
            None,
            0,
            False,
            "no successful crawl of source xingqing after 2024-03-31 (last crawl blocked: HTTP 412)",
        ),
        overridden.name: (
            "on_time",
            date(2024, 2, 15),
            0,
            early.id,
            utc(2024, 2, 10),
            "pubdate",
            None,
            0,
            False,
            "",
        ),
        blocked.name: (
            "unchecked",
            date(2024, 1, 31),
            None,
            None,
            None,
            "",
            None,
            0,
            False,
            "no successful crawl of source xingqing after 2024-01-31 (last crawl blocked: HTTP 412)",
        ),
        sourceless.name: (
            "unchecked",
            date(2024, 1, 31),
            None,
            None,
            None,
            "",
            None,
            0,
            False,
            "no source configured for this agency",
        ),
        government.name: (
            "on_time",
            date(2024, 3, 31),
            0,
            on_deadline.id,
            utc(2024, 3, 30, 16, 0),
            "list",
            None,
            0,
            False,
            "",
        ),
        late.name: (
            "late",
            date(2024, 1, 31),
            5,
            five_days.id,
            utc(2024, 2, 5, 2, 0),
            "pubdate",
            None,
            0,
            False,
            "",
        ),
        several.name: (
            "on_time",
            date(2024, 1, 31),
            0,
            earliest.id,
            utc(2024, 1, 20, 1, 0),
            "pubdate",
            None,
            0,
            False,
            "",
        ),
        silent.name: ("missing", date(2024, 1, 31), None, None, None, "", None, 0, False, ""),
        superseded.name: (
            "changed",
            date(2024, 1, 31),
            0,
            original.id,
            utc(2024, 1, 15, 1, 0),
            "pubdate",
            utc(2024, 2, 20, 3, 0),
            2,
            True,
            "",
        ),
        republished.name: (
            "on_time",
            date(2024, 1, 31),
            0,
            kept.id,
            utc(2024, 1, 10),
            "pubdate",
            None,
            0,
            False,
            "",
        ),
        future.name: ("missing", date(2024, 1, 31), None, None, None, "", None, 0, False, ""),
    }
    assert {row.agency.name: outcome(row) for row in first_rows} == expected
    # Listed by division code, then name; the attachment's own URL is the one shown.
    assert [row.agency.name for row in first_rows] == [
        name for _, name in sorted((a.region_code, a.name) for a in session.scalars(select(Agency)))
    ]
    assert (
        next(r.url for r in first_rows if r.agency.name == several.name) == "http://127.0.0.1/P020240120.pdf"
    )
    assert [r.previous_status for r in first_rows] == [None] * len(expected)
    assert [u.report_id for u in unmatched_reports(session, 2023)] == [newcomer_report.id, stray.id]

    # The agency joins the registry mid-year: its report is now attributed by name, its row is new.
    newcomer = agency(session, "银川市西夏区数据局", "640105", xixia)
    second_rows = refresh_timeliness(session, 2023, today=TODAY)
    by_name = {row.agency.name: row for row in second_rows}
    assert outcome(by_name[newcomer.name]) == (
        "on_time",
        date(2024, 1, 31),
        0,
        newcomer_report.id,
        utc(2024, 1, 30),
        "pubdate",
        None,
        0,
        False,
        "",
    )
    assert {name: outcome(row) for name, row in by_name.items() if name != newcomer.name} == expected
    assert {name: row.previous_status for name, row in by_name.items()} == {
        **{name: values[0] for name, values in expected.items()},
        newcomer.name: None,
    }
    assert [name for name, row in by_name.items() if row.needs_alert] == []
    assert [u.report_id for u in unmatched_reports(session, 2023)] == [stray.id]

    stored = {
        t.agency_id: (t.status, t.deadline, t.days_late, t.report_id, t.published_at_source)
        for t in session.scalars(select(Timeliness).where(Timeliness.year == 2023))
    }
    assert stored == {
        row.agency.id: (row.status, row.deadline, row.days_late, row.report_id, row.published_at_source)
        for row in second_rows
    }
    assert len({t.checked_at for t in session.scalars(select(Timeliness))}) == 1

    # Several years at once give what each year gives alone; a what-if stores nothing.
    both, strays = check_timeliness(session, [2022, 2023], today=TODAY, store=False)
    assert [outcome(r) for r in both] == [
        outcome(r)
        for year in (2022, 2023)
        for r in refresh_timeliness(session, year, today=TODAY, store=False)
    ]
    assert strays == unmatched_reports(session, 2022) + unmatched_reports(session, 2023)
    assert [r.status for r in both if r.year == 2022 and r.agency.name == late.name] == ["on_time"]
    assert session.scalars(select(Timeliness.year).distinct()).all() == [2023]

    # A region: only its agencies, in the same order.
    xingqing_rows = refresh_timeliness(session, 2023, today=TODAY, region="640104", store=False)
    assert [r.agency.name for r in xingqing_rows] == [
        r.agency.name for r in second_rows if r.agency.region_code == "640104"
    ]


def add_county(session: Session, index: int) -> None:
    """A county of the statement-count test: a government publishing late, departments publishing
    twice, replaced after the deadline, unattributed, not at all without a source, and a stray report."""
    region = f"6401{index:02d}"
    place = f"第{index}县"
    source = crawled(
        session,
        f"county-{index}",
        region,
        [("ok", utc(2024, 2, 5), ""), ("failed", utc(2024, 4, 1), "timeout")],
    )
    government = agency(session, f"{place}人民政府", region, source)
    education = agency(session, f"{place}教育局", region, source)
    finance = agency(session, f"{place}财政局", region, source)
    agency(session, f"{place}民政局", region, source)
    agency(session, f"{place}档案局", region, None)
    published(session, government, utc(2024, 4, 2))
    published(session, education, utc(2024, 1, 19))
    published(session, education, utc(2024, 1, 9))
    page = document(session, page_pub_date=utc(2024, 2, 1))
    report(session, finance, document(session, parent_id=page.id))
    replaced = published(session, finance, utc(2024, 1, 30))
    newer = document(session, previous_version_id=replaced.document_id, first_seen_at=utc(2024, 2, 3))
    document(session, previous_version_id=newer.id, first_seen_at=utc(2024, 2, 4))
    published(session, None, utc(2024, 1, 9), agency_name=f"{place}民政局")
    published(session, None, utc(2024, 1, 9), agency_name=f"{place}某某公司")


@contextmanager
def statements(session: Session) -> Iterator[Callable[[], int]]:
    """Count the SQL statements the session's engine executes (an executemany counts once)."""
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        seen.append(statement)

    engine = session.get_bind()
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield lambda: len(seen)
    finally:
        event.remove(engine, "before_cursor_execute", record)


def test_the_number_of_queries_does_not_grow_with_the_registry(session: Session) -> None:
    add_county(session, 1)
    session.flush()
    with statements(session) as small:
        one = refresh_timeliness(session, 2023, today=TODAY, store=False)
        unmatched_reports(session, 2023)
    for index in range(2, 7):
        add_county(session, index)
    session.flush()
    with statements(session) as large:
        six = refresh_timeliness(session, 2023, today=TODAY, store=False)
        unmatched_reports(session, 2023)
    assert large() == small() > 0
    assert (len(one), len(six)) == (5, 30)
    assert [(r.agency.name, r.status) for r in six[:5]] == [
        ("第1县人民政府", "late"),
        ("第1县教育局", "on_time"),
        ("第1县档案局", "unchecked"),
        ("第1县民政局", "on_time"),
        ("第1县财政局", "changed"),
    ]
    assert [outcome(r) for r in six[:5]] == [outcome(r) for r in one]
    assert [u.agency_name for u in unmatched_reports(session, 2023)] == [
        f"第{i}县某某公司" for i in range(1, 7)
    ]

    # Storing: one more statement for every new row at once, and on the next run one for every row
    # found unchanged.
    with statements(session) as what_if:
        refresh_timeliness(session, 2023, today=TODAY, store=False)
    with statements(session) as first_store:
        refresh_timeliness(session, 2023, today=TODAY)
    with statements(session) as next_store:
        again = refresh_timeliness(session, 2023, today=TODAY)
    assert first_store() == next_store() == what_if() + 1
    assert [r.previous_status for r in again] == [r.status for r in six]
