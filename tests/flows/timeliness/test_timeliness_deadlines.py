"""Deadlines by report year, agency kind and overrides; Shanghai calendar days; publication dates."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

import pytest

from flows.timeliness.publication import publication_date
from flows.timeliness.status import classify
from storage.domain import (
    DeadlineError,
    deadline_for,
    region_override,
    shanghai_date,
    statutory_deadline,
)


@dataclass
class Ag:
    name: str
    kind: str
    region_code: str = "640105"
    deadline_override: str | None = None


GOV = Ag("银川市西夏区人民政府", "government")
DEPT = Ag("银川市西夏区科学技术和工业信息化局", "department")


@pytest.mark.parametrize(
    ("agency", "year", "expected"),
    [
        (DEPT, 2018, date(2019, 3, 31)),  # before the 2019 revision: 31 March for everyone
        (GOV, 2018, date(2019, 3, 31)),
        (DEPT, 2019, date(2020, 1, 31)),  # from report year 2019 departments: 31 January
        (GOV, 2019, date(2020, 3, 31)),
        (DEPT, 2023, date(2024, 1, 31)),
        (GOV, 2023, date(2024, 3, 31)),
        (Ag("镇北堡镇人民政府", "government", "640105100", "02-20"), 2023, date(2024, 2, 20)),
        (Ag("某局", "department", "640105", "02-29"), 2023, date(2024, 2, 29)),  # leap year
    ],
)
def test_deadline_for(agency: Ag, year: int, expected: date) -> None:
    assert deadline_for(agency, year) == expected


def test_agency_override_applies_to_every_report_year() -> None:
    agency = Ag("某镇人民政府", "government", "640105100", "02-20")
    assert deadline_for(agency, 2017) == date(2018, 2, 20)
    assert deadline_for(agency, 2024) == date(2025, 2, 20)


def test_region_override_longest_prefix_and_kind() -> None:
    region_deadlines = {"64": {"department": "02-10"}, "640105": {"department": "02-20"}}
    assert region_override("640105", "department", region_deadlines) == "02-20"
    assert region_override("640104", "department", region_deadlines) == "02-10"
    assert region_override("640105", "government", region_deadlines) is None
    assert deadline_for(DEPT, 2023, region_deadlines) == date(2024, 2, 20)
    assert deadline_for(GOV, 2023, region_deadlines) == date(2024, 3, 31)
    assert deadline_for(Ag("x", "department", "650100"), 2023, region_deadlines) == date(2024, 1, 31)
    # The agency's own override beats the region's.
    own = Ag("某局", "department", "640105", "03-15")
    assert deadline_for(own, 2023, region_deadlines) == date(2024, 3, 15)


def test_statutory_deadline_boundary_2018_2019() -> None:
    assert statutory_deadline("department", 2018) == date(2019, 3, 31)
    assert statutory_deadline("department", 2019) == date(2020, 1, 31)


@pytest.mark.parametrize("bad", ["2-20", "02/20", "13-01", "02-30", "soon"])
def test_bad_override_is_a_one_line_error(bad: str) -> None:
    with pytest.raises(DeadlineError, match=r"deadline override"):
        deadline_for(Ag("某局", "department", "640105", bad), 2023)


def test_shanghai_date_of_utc_moments() -> None:
    assert shanghai_date(datetime(2024, 1, 31, 15, 30, tzinfo=UTC)) == date(2024, 1, 31)
    assert shanghai_date(datetime(2024, 1, 31, 16, 0, tzinfo=UTC)) == date(2024, 2, 1)
    # Naive values (SQLite) are UTC by the DB convention.
    assert shanghai_date(datetime(2024, 1, 31, 16, 0)) == date(2024, 2, 1)


@dataclass
class Doc:
    page_pub_date: datetime | None = None
    list_date: date | None = None
    first_seen_at: datetime = datetime(2024, 3, 5, 2, 0, tzinfo=UTC)


def test_publication_date_prefers_pubdate_then_list_then_first_seen() -> None:
    pub = datetime(2024, 1, 20, 1, 59, tzinfo=UTC)
    chosen = publication_date(Doc(page_pub_date=pub, list_date=date(2024, 1, 25)))
    assert (chosen.at, chosen.source, chosen.upper_bound) == (pub, "pubdate", False)
    listed = publication_date(Doc(list_date=date(2024, 1, 25)))
    assert listed.source == "list" and not listed.upper_bound
    assert listed.at == datetime(2024, 1, 24, 16, 0, tzinfo=UTC)  # midnight Shanghai
    assert shanghai_date(listed.at) == date(2024, 1, 25)
    seen = publication_date(Doc())
    assert (seen.at, seen.source, seen.upper_bound) == (
        datetime(2024, 3, 5, 2, 0, tzinfo=UTC),
        "first_seen",
        True,
    )


def test_attachment_takes_its_parent_pages_dates() -> None:
    parent = Doc(page_pub_date=datetime(2024, 1, 10, 8, 0, tzinfo=UTC))
    attachment = Doc(first_seen_at=datetime(2024, 2, 1, 0, 0, tzinfo=UTC))
    chosen = publication_date(attachment, parent)
    assert (chosen.at, chosen.source) == (datetime(2024, 1, 10, 8, 0, tzinfo=UTC), "pubdate")
    listed = publication_date(attachment, Doc(list_date=date(2024, 1, 12)))
    assert (shanghai_date(listed.at), listed.source) == (date(2024, 1, 12), "list")
    # A parent without dates: the attachment's own first sight is the upper bound.
    seen = publication_date(attachment, Doc(first_seen_at=datetime(2023, 1, 1, tzinfo=UTC)))
    assert (seen.at, seen.source, seen.upper_bound) == (datetime(2024, 2, 1, tzinfo=UTC), "first_seen", True)


DEADLINE = date(2024, 1, 31)


@pytest.mark.parametrize(
    ("today", "published", "replaced", "expected"),
    [
        (date(2024, 1, 30), None, None, ("pending", None)),
        (date(2024, 1, 31), None, None, ("pending", None)),
        (date(2024, 2, 1), None, None, ("missing", None)),
        (date(2024, 1, 30), date(2024, 1, 30), None, ("on_time", 0)),
        (date(2024, 1, 31), date(2024, 1, 31), None, ("on_time", 0)),
        (date(2024, 2, 1), date(2024, 1, 31), None, ("on_time", 0)),
        (date(2024, 2, 1), date(2024, 2, 1), None, ("late", 1)),
        (date(2024, 3, 1), date(2024, 2, 10), None, ("late", 10)),
        (date(2024, 1, 30), date(2024, 1, 31), None, ("pending", None)),  # not yet published as of today
        (date(2024, 2, 1), date(2024, 2, 5), None, ("missing", None)),
        (date(2024, 3, 1), date(2024, 1, 20), date(2024, 1, 25), ("on_time", 0)),  # fixed before the deadline
        (date(2024, 3, 1), date(2024, 1, 20), date(2024, 2, 25), ("changed", 0)),
        (
            date(2024, 2, 20),
            date(2024, 1, 20),
            date(2024, 2, 25),
            ("on_time", 0),
        ),  # replacement in the future
        (date(2024, 3, 1), date(2024, 2, 3), date(2024, 2, 25), ("changed", 3)),
    ],
)
def test_classify(
    today: date, published: date | None, replaced: date | None, expected: tuple[str, int | None]
) -> None:
    assert classify(DEADLINE, today, published, replaced) == expected
