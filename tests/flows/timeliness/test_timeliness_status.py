"""refresh_timeliness on a real database (SQLite and PostgreSQL): status per agency-year, stored."""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime
from itertools import count
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from flows.timeliness import refresh_timeliness, unmatched_reports
from storage.models import Agency, CrawlRun, Document, Finding, Report, Source, Timeliness

_serial = count(1)
CRAWLED = "xixia-crawled"


def crawled_source(session: Session) -> str:
    """A source crawled successfully at 09:00 Shanghai on 1 Feb and 1 Apr 2024 (after the 2023 deadlines
    of departments and governments), so that finding nothing there is `missing`."""
    if session.get(Source, CRAWLED) is None:
        session.add(Source(id=CRAWLED, name="西夏区政府网站", region_code="640105"))
        session.flush()
        for day in (utc(2024, 2, 1, 1, 0), utc(2024, 4, 1, 1, 0)):
            session.add(CrawlRun(source_id=CRAWLED, status="ok", started_at=day, finished_at=day))
        session.flush()
    return CRAWLED


def add_agency(session: Session, name: str, kind: str = "department", **fields: Any) -> Agency:
    fields.setdefault("source_id", crawled_source(session))
    agency = Agency(name=name, kind=kind, region_code=fields.pop("region_code", "640105"), **fields)
    session.add(agency)
    session.flush()
    return agency


def add_document(session: Session, url: str | None = None, **fields: Any) -> Document:
    n = next(_serial)
    digest = hashlib.sha256(f"doc-{n}".encode()).hexdigest()
    fields.setdefault("first_seen_at", datetime(2024, 3, 1, tzinfo=UTC))
    document = Document(
        url=url or f"http://127.0.0.1/art/{n}.html", sha256=digest, object_key=f"originals/{digest}", **fields
    )
    session.add(document)
    session.flush()
    return document


def add_report(
    session: Session, agency: Agency | None, document: Document, year: int = 2023, **fields: Any
) -> Report:
    report = Report(
        document_id=document.id,
        agency_id=agency.id if agency else None,
        year=year,
        format="gov2021",
        **fields,
    )
    session.add(report)
    session.flush()
    return report


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


def by_name(rows: list[Any]) -> dict[str, Any]:
    return {row.agency.name: row for row in rows}


def test_status_around_the_deadline(session: Session) -> None:
    on_deadline = add_agency(session, "银川市西夏区教育局")
    day_after = add_agency(session, "银川市西夏区财政局")
    add_agency(session, "银川市西夏区民政局")  # never publishes
    # 2023 department deadline: 2024-01-31 (Shanghai). PubDate 2024-01-31 10:00 Shanghai = 02:00 UTC.
    add_report(session, on_deadline, add_document(session, page_pub_date=utc(2024, 1, 31, 2, 0)))
    add_report(session, day_after, add_document(session, page_pub_date=utc(2024, 2, 1, 2, 0)))

    before = by_name(refresh_timeliness(session, 2023, today=date(2024, 1, 30)))
    assert {n: r.status for n, r in before.items()} == {
        "银川市西夏区教育局": "pending",
        "银川市西夏区财政局": "pending",
        "银川市西夏区民政局": "pending",
    }
    on = by_name(refresh_timeliness(session, 2023, today=date(2024, 1, 31)))
    assert {n: (r.status, r.days_late) for n, r in on.items()} == {
        "银川市西夏区教育局": ("on_time", 0),
        "银川市西夏区财政局": ("pending", None),
        "银川市西夏区民政局": ("pending", None),
    }
    after = by_name(refresh_timeliness(session, 2023, today=date(2024, 2, 1)))
    assert {n: (r.status, r.days_late) for n, r in after.items()} == {
        "银川市西夏区教育局": ("on_time", 0),
        "银川市西夏区财政局": ("late", 1),
        "银川市西夏区民政局": ("missing", None),
    }
    late = after["银川市西夏区财政局"]
    assert late.deadline == date(2024, 1, 31)
    assert late.published_at == utc(2024, 2, 1, 2, 0)
    assert late.published_at_source == "pubdate"
    assert late.previous_status == "pending"
    assert late.needs_alert


def test_timezone_edge_2330_shanghai_on_the_deadline_day(session: Session) -> None:
    edge = add_agency(session, "银川市西夏区教育局")
    past = add_agency(session, "银川市西夏区财政局")
    add_report(session, edge, add_document(session, page_pub_date=utc(2024, 1, 31, 15, 30)))  # 23:30 Shanghai
    add_report(session, past, add_document(session, page_pub_date=utc(2024, 1, 31, 16, 30)))  # 00:30 next day
    rows = by_name(refresh_timeliness(session, 2023, today=date(2024, 3, 1)))
    assert (rows["银川市西夏区教育局"].status, rows["银川市西夏区教育局"].days_late) == ("on_time", 0)
    assert (rows["银川市西夏区财政局"].status, rows["银川市西夏区财政局"].days_late) == ("late", 1)


def test_government_deadline_and_override_from_the_registry(session: Session) -> None:
    government = add_agency(session, "银川市西夏区人民政府", kind="government")
    overridden = add_agency(
        session, "镇北堡镇人民政府", kind="government", region_code="640105100", deadline_override="02-20"
    )
    add_report(session, government, add_document(session, list_date=date(2024, 3, 31)))
    add_report(session, overridden, add_document(session, list_date=date(2024, 3, 1)))
    rows = by_name(refresh_timeliness(session, 2023, today=date(2024, 4, 10)))
    gov = rows["银川市西夏区人民政府"]
    assert (gov.status, gov.deadline, gov.published_at_source) == ("on_time", date(2024, 3, 31), "list")
    town = rows["镇北堡镇人民政府"]
    assert (town.status, town.deadline, town.days_late) == ("late", date(2024, 2, 20), 10)


def test_earliest_report_wins_and_not_a_report_is_ignored(session: Session) -> None:
    agency = add_agency(session, "银川市西夏区教育局")
    add_report(session, agency, add_document(session, page_pub_date=utc(2024, 1, 5)), status="not_a_report")
    later = add_report(session, agency, add_document(session, page_pub_date=utc(2024, 2, 10)))
    earlier = add_report(session, agency, add_document(session, page_pub_date=utc(2024, 1, 20)))
    add_report(session, agency, add_document(session, page_pub_date=utc(2023, 1, 20)), year=2022)
    (row,) = refresh_timeliness(session, 2023, today=date(2024, 3, 1))
    assert (row.status, row.report_id) == ("on_time", earlier.id)
    assert later.id != earlier.id


def test_published_at_stored_on_the_report_wins_over_document_dates(session: Session) -> None:
    agency = add_agency(session, "银川市西夏区教育局")
    document = add_document(session, page_pub_date=utc(2024, 1, 5))
    add_report(session, agency, document, published_at=utc(2024, 2, 3), published_at_source="first_seen")
    (row,) = refresh_timeliness(session, 2023, today=date(2024, 3, 1))
    assert (row.status, row.days_late, row.published_at_source) == ("late", 3, "first_seen")


def test_attachment_uses_parent_page_dates_and_first_seen_is_an_upper_bound(session: Session) -> None:
    attached = add_agency(session, "银川市西夏区教育局")
    unseen = add_agency(session, "银川市西夏区财政局")
    page = add_document(session, page_pub_date=utc(2024, 1, 30, 1, 0))
    pdf = add_document(
        session, url="http://127.0.0.1/P020240130.pdf", parent_id=page.id, first_seen_at=utc(2024, 2, 9)
    )
    add_report(session, attached, pdf)
    add_report(session, unseen, add_document(session, first_seen_at=utc(2024, 2, 9)))
    rows = by_name(refresh_timeliness(session, 2023, today=date(2024, 3, 1)))
    first = rows["银川市西夏区教育局"]
    assert (first.status, first.published_at_source, first.url) == (
        "on_time",
        "pubdate",
        "http://127.0.0.1/P020240130.pdf",
    )
    second = rows["银川市西夏区财政局"]
    assert (second.status, second.days_late, second.published_at_source) == ("late", 9, "first_seen")


def test_replaced_after_the_deadline_is_changed(session: Session) -> None:
    replaced = add_agency(session, "银川市西夏区教育局")
    fixed_early = add_agency(session, "银川市西夏区财政局")
    original = add_document(
        session, url="http://127.0.0.1/a.html", page_pub_date=utc(2024, 1, 20), first_seen_at=utc(2024, 1, 21)
    )
    add_report(session, replaced, original)
    newer = add_document(
        session,
        url="http://127.0.0.1/a.html",
        page_pub_date=utc(2024, 1, 20),
        first_seen_at=utc(2024, 2, 15, 3, 0),
        previous_version_id=original.id,
    )
    add_report(session, replaced, newer)
    first = add_document(session, url="http://127.0.0.1/b.html", page_pub_date=utc(2024, 1, 10))
    add_report(session, fixed_early, first)
    add_document(
        session, url="http://127.0.0.1/b.html", first_seen_at=utc(2024, 1, 25), previous_version_id=first.id
    )

    before = by_name(refresh_timeliness(session, 2023, today=date(2024, 2, 14)))
    assert before["银川市西夏区教育局"].status == "on_time"
    rows = by_name(refresh_timeliness(session, 2023, today=date(2024, 2, 20)))
    changed = rows["银川市西夏区教育局"]
    assert (changed.status, changed.days_late, changed.previous_status) == ("changed", 0, "on_time")
    assert changed.replaced_at == utc(2024, 2, 15, 3, 0)
    assert changed.needs_alert
    assert rows["银川市西夏区财政局"].status == "on_time"


def test_status_is_stored_and_a_change_is_reported_once(session: Session) -> None:
    agency = add_agency(session, "银川市西夏区教育局")
    first = refresh_timeliness(session, 2023, today=date(2024, 2, 1))
    assert [(r.status, r.previous_status, r.needs_alert) for r in first] == [("missing", None, True)]
    second = refresh_timeliness(session, 2023, today=date(2024, 2, 2))
    assert [(r.status, r.previous_status, r.needs_alert) for r in second] == [("missing", "missing", False)]
    report = add_report(session, agency, add_document(session, page_pub_date=utc(2024, 2, 3, 2, 0)))
    third = refresh_timeliness(session, 2023, today=date(2024, 2, 5))
    assert [(r.status, r.previous_status, r.days_late, r.needs_alert) for r in third] == [
        ("late", "missing", 3, True)
    ]
    again = refresh_timeliness(session, 2023, today=date(2024, 2, 5))
    assert [(r.status, r.previous_status, r.needs_alert) for r in again] == [("late", "late", False)]
    stored = session.scalars(select(Timeliness)).all()
    assert len(stored) == 1
    assert (
        stored[0].agency_id,
        stored[0].year,
        stored[0].status,
        stored[0].days_late,
        stored[0].report_id,
    ) == (
        agency.id,
        2023,
        "late",
        3,
        report.id,
    )
    assert stored[0].deadline == date(2024, 1, 31)
    assert stored[0].published_at_source == "pubdate"


def test_unattributed_reports_are_matched_by_name_or_listed_unmatched(session: Session) -> None:
    session.add(Source(id="yinchuan-xixia", name="银川市西夏区人民政府", region_code="640105"))
    session.add(Source(id="elsewhere", name="某县", region_code="650101"))
    add_agency(session, "银川市西夏区人民政府", kind="government")
    department = add_agency(session, "银川市西夏区科学技术和工业信息化局", aliases=["西夏区科信局"])
    add_report(
        session,
        None,
        add_document(session, page_pub_date=utc(2024, 1, 9), source_id="yinchuan-xixia"),
        title="西夏区科信局2023年度政府信息公开工作年度报告",
    )
    stray = add_report(
        session,
        None,
        add_document(
            session,
            url="http://127.0.0.1/stray.html",
            page_pub_date=utc(2024, 1, 9),
            source_id="yinchuan-xixia",
        ),
        agency_name="银川市科学技术局",
        title="银川市科学技术局2023年政府信息公开工作年度报告",
    )
    add_report(session, None, add_document(session, source_id="elsewhere"), title="某县教育局2023年报")
    rows = by_name(refresh_timeliness(session, 2023, today=date(2024, 4, 1)))
    assert rows["银川市西夏区科学技术和工业信息化局"].status == "on_time"
    assert rows["银川市西夏区人民政府"].status == "missing"
    assert department.id == rows["银川市西夏区科学技术和工业信息化局"].agency.id
    local = unmatched_reports(session, 2023, region="640105")
    assert [(u.report_id, u.agency_name, u.url) for u in local] == [
        (stray.id, "银川市科学技术局", "http://127.0.0.1/stray.html")
    ]
    assert len(unmatched_reports(session, 2023)) == 2


def test_region_filter_and_history_flags(session: Session) -> None:
    xixia = add_agency(session, "银川市西夏区教育局")
    add_agency(session, "银川市兴庆区教育局", region_code="640104")
    report = add_report(session, xixia, add_document(session, page_pub_date=utc(2024, 1, 9)))
    for rule, severity in (
        ("history.carry_over", "error"),
        ("history.carry_over", "error"),
        ("history.duplicate_of_previous", "warning"),
        ("requests.balance", "error"),
    ):
        session.add(Finding(report_id=report.id, rule=rule, severity=severity))
    session.flush()
    rows = refresh_timeliness(session, 2023, today=date(2024, 2, 1), region="640105")
    assert [(r.agency.name, r.carry_over_breaks, r.near_duplicate) for r in rows] == [
        ("银川市西夏区教育局", 2, True)
    ]
    city = refresh_timeliness(session, 2023, today=date(2024, 2, 1), region="640100")
    assert sorted(r.agency.name for r in city) == ["银川市兴庆区教育局", "银川市西夏区教育局"]


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_nothing_expected_gives_no_rows(session: Session) -> None:
    assert refresh_timeliness(session, 2023, today=date(2024, 2, 1)) == []
    assert unmatched_reports(session, 2023) == []


def test_nothing_found_without_a_successful_crawl_after_the_deadline_is_unchecked(session: Session) -> None:
    """`missing` needs an `ok` crawl of the agency's source after the deadline (and by `today`)."""
    session.add_all(
        [
            Source(id="blocked", name="b", region_code="640105"),
            Source(id="down", name="d", region_code="640105"),
            Source(id="early", name="e", region_code="640105"),
        ]
    )
    session.flush()
    session.add_all(
        [
            CrawlRun(
                source_id="blocked", status="ok", started_at=utc(2024, 1, 20), finished_at=utc(2024, 1, 20)
            ),
            CrawlRun(
                source_id="blocked",
                status="blocked",
                reason="anti-bot challenge (wzws, HTTP 412)",
                started_at=utc(2024, 2, 3),
            ),
            CrawlRun(
                source_id="down",
                status="failed",
                reason="no list page could be fetched",
                started_at=utc(2024, 2, 3),
            ),
            # Ends at 23:30 Shanghai on the deadline day: still not after it.
            CrawlRun(source_id="early", status="ok", started_at=utc(2024, 1, 31, 15, 30)),
        ]
    )
    add_agency(session, "银川市西夏区民政局")
    add_agency(session, "银川市西夏区财政局", source_id="blocked")
    add_agency(session, "银川市西夏区审计局", source_id="down")
    add_agency(session, "银川市西夏区统计局", source_id="early")
    add_agency(session, "银川市西夏区档案局", source_id=None)

    rows = by_name(refresh_timeliness(session, 2023, today=date(2024, 3, 1)))

    assert {name: (row.status, row.unchecked_reason, row.needs_alert) for name, row in rows.items()} == {
        "银川市西夏区民政局": ("missing", "", True),
        "银川市西夏区财政局": (
            "unchecked",
            "no successful crawl of source blocked after 2024-01-31"
            " (last crawl blocked: anti-bot challenge (wzws, HTTP 412))",
            False,
        ),
        "银川市西夏区审计局": (
            "unchecked",
            "no successful crawl of source down after 2024-01-31 (last crawl failed: no list page could be fetched)",
            False,
        ),
        "银川市西夏区统计局": (
            "unchecked",
            "no successful crawl of source early after 2024-01-31 (last crawl ok)",
            False,
        ),
        "银川市西夏区档案局": ("unchecked", "no source configured for this agency", False),
    }
    # The crawl of 1 Feb counts from that day on; a what-if before it has not seen it yet.
    assert (
        by_name(refresh_timeliness(session, 2023, today=date(2024, 2, 1)))["银川市西夏区民政局"].status
        == "missing"
    )
    session.add(Source(id="late-ok", name="l", region_code="640105"))
    session.flush()
    session.add(CrawlRun(source_id="late-ok", status="ok", started_at=utc(2024, 3, 5, 1, 0)))
    add_agency(session, "银川市西夏区水务局", source_id="late-ok")
    before_crawl = by_name(refresh_timeliness(session, 2023, today=date(2024, 3, 1), store=False))
    assert before_crawl["银川市西夏区水务局"].status == "unchecked"


def test_a_what_if_day_stores_nothing(session: Session) -> None:
    add_agency(session, "银川市西夏区民政局")
    refresh_timeliness(session, 2023, today=date(2024, 3, 1))
    what_if = refresh_timeliness(session, 2023, today=date(2024, 1, 15), store=False)
    assert [(r.status, r.previous_status) for r in what_if] == [("pending", "missing")]
    stored = session.scalars(select(Timeliness)).one()
    assert stored.status == "missing"
