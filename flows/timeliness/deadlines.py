"""When each agency's annual report is due, and which calendar day a moment falls on in China.

Statute (DOMAIN.md, "The law and its deadlines"): reports for 2018 and earlier were due 31 March of the
next year for everyone (2007 条例 第三十一条); from report year 2019 departments publish by 31 January and
people's governments by 31 March (2019 条例 第四十九条). A registry `deadline_override` ("MM-DD" of the next
year; the crawler resolves region_deadlines into it) replaces the statutory date for every report year:
it is explicit configuration for an agency whose local rule differs (乡镇, city rules).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Protocol

# China has kept UTC+8 without daylight saving since 1991, so a fixed offset is exact for every report
# year and needs no tz database on the host.
SHANGHAI = timezone(timedelta(hours=8), "Asia/Shanghai")

FIRST_2019_REGIME_YEAR = 2019
_OVERRIDE = re.compile(r"^(\d{2})-(\d{2})$")


class AgencyLike(Protocol):
    """What deadline and matching code needs of an agency (the ORM `Agency` or a registry entry)."""

    @property
    def name(self) -> str: ...

    @property
    def kind(self) -> str: ...

    @property
    def region_code(self) -> str: ...

    @property
    def deadline_override(self) -> str | None: ...


class DeadlineError(ValueError):
    """A deadline override that is not a valid "MM-DD"."""


def statutory_deadline(kind: str, report_year: int) -> date:
    """The deadline the law sets for a report year: 31 March, or 31 January for departments from 2019."""
    if report_year >= FIRST_2019_REGIME_YEAR and kind == "department":
        return date(report_year + 1, 1, 31)
    return date(report_year + 1, 3, 31)


def parse_override(override: str, report_year: int) -> date:
    """An "MM-DD" override as a date of the year after the report year."""
    match = _OVERRIDE.match(override.strip())
    if match is None:
        raise DeadlineError(f"deadline override {override!r} is not MM-DD")
    try:
        return date(report_year + 1, int(match.group(1)), int(match.group(2)))
    except ValueError as exc:
        raise DeadlineError(f"deadline override {override!r} is not a valid day: {exc}") from exc


def region_override(
    region_code: str, kind: str, region_deadlines: Mapping[str, Mapping[str, str]]
) -> str | None:
    """The "MM-DD" of the longest region-code prefix in `region_deadlines` that sets one for `kind`."""
    best: tuple[int, str] | None = None
    for prefix, by_kind in region_deadlines.items():
        value = by_kind.get(kind)
        if value and region_code.startswith(str(prefix)) and (best is None or len(str(prefix)) > best[0]):
            best = (len(str(prefix)), value)
    return best[1] if best else None


def deadline_for(
    agency: AgencyLike,
    report_year: int,
    region_deadlines: Mapping[str, Mapping[str, str]] | None = None,
) -> date:
    """The last day (Asia/Shanghai) on which `agency` may publish its report for `report_year`.

    The agency's own override wins, then the longest matching region prefix of `region_deadlines`
    (normally already folded into `deadline_override` by the registry sync), then the statute.
    """
    if agency.deadline_override:
        return parse_override(agency.deadline_override, report_year)
    if region_deadlines:
        override = region_override(agency.region_code or "", agency.kind, region_deadlines)
        if override:
            return parse_override(override, report_year)
    return statutory_deadline(agency.kind, report_year)


def as_utc(moment: datetime) -> datetime:
    """A timezone-aware moment; naive values (SQLite drops the offset) are UTC by the DB convention."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def shanghai_date(moment: datetime) -> date:
    """The calendar day of a moment in Asia/Shanghai (a 15:30 UTC moment is 23:30 the same day)."""
    return as_utc(moment).astimezone(SHANGHAI).date()


def start_of_day(day: date) -> datetime:
    """Midnight Asia/Shanghai of a calendar day, as an aware datetime."""
    return datetime(day.year, day.month, day.day, tzinfo=SHANGHAI)
