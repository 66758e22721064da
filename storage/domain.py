"""What the registry and the statute define: an agency's shape, region codes, deadlines, Shanghai days.

One home for these rules, below the crawler (which folds region deadlines into each agency) and the flows
(which judge timeliness). Statute (DOMAIN.md, "The law and its deadlines"): reports for 2018 and earlier
were due 31 March of the next year for everyone (2007 条例 第三十一条); from report year 2019 departments
publish by 31 January and people's governments by 31 March (2019 条例 第四十九条). A `deadline_override`
("MM-DD" of the next year) replaces the statutory date for every report year: explicit configuration for
an agency whose local rule differs (乡镇, city rules).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Protocol

# China has kept UTC+8 without daylight saving since 1991, so a fixed offset is exact for every report
# year and needs no tz database on the host.
SHANGHAI = timezone(timedelta(hours=8), "Asia/Shanghai")

AGENCY_KINDS: tuple[str, ...] = ("government", "department")
FIRST_2019_REGIME_YEAR = 2019
_MM_DD = re.compile(r"^(\d{2})-(\d{2})$")

RegionDeadlines = Mapping[str, Mapping[str, str]]


class AgencyLike(Protocol):
    """An agency as the registry defines it: the ORM `Agency` and the registry's `AgencyConfig` both fit."""

    @property
    def name(self) -> str: ...

    @property
    def kind(self) -> str: ...

    @property
    def region_code(self) -> str: ...

    @property
    def aliases(self) -> Sequence[str]: ...

    @property
    def deadline_override(self) -> str | None: ...


class DeadlineError(ValueError):
    """A deadline override that is not a valid "MM-DD"."""


_GOVERNMENT_NAME = re.compile(r"(人民政府|政府|街道办事处|管理委员会|管委会)$")


def guess_agency_kind(name: str) -> str:
    """`government` for a 人民政府 (also 街道办事处, 管委会), else `department` (办公室, 局, 委员会…):
    a guess for a new registry entry, for a person to confirm (政府办公室 is a department)."""
    return "government" if _GOVERNMENT_NAME.search(name.strip()) else "department"


def region_sig(code: str) -> str:
    """The significant digits of a division code, the prefix every contained code starts with:
    640000 → 64, 640100 → 6401, 640105 → 640105, 640105100 → 640105100 (township), 640105000 → 640105."""
    code = (code or "").strip()
    for width in (2, 4, 6, 9):
        if code[width:].strip("0") == "":
            return code[:width]
    return code


def check_mm_dd(value: object) -> str:
    """Validate a "MM-DD" day of the year (leap day allowed); raise ValueError otherwise."""
    match = _MM_DD.match(value) if isinstance(value, str) else None
    if match is None:
        raise ValueError(f"bad MM-DD {value!r}")
    try:
        date(2024, int(match.group(1)), int(match.group(2)))
    except ValueError:
        raise ValueError(f"bad MM-DD {value!r} (no such day)") from None
    return str(value)


def parse_override(override: str, report_year: int) -> date:
    """An "MM-DD" override as a date of the year after the report year."""
    match = _MM_DD.match(override.strip())
    if match is None:
        raise DeadlineError(f"deadline override {override!r} is not MM-DD")
    try:
        return date(report_year + 1, int(match.group(1)), int(match.group(2)))
    except ValueError as exc:
        raise DeadlineError(f"deadline override {override!r} is not a valid day: {exc}") from exc


def region_override(region_code: str, kind: str, region_deadlines: RegionDeadlines) -> str | None:
    """The "MM-DD" of the longest region-code prefix in `region_deadlines` that sets one for `kind`."""
    best: tuple[int, str] | None = None
    for prefix, by_kind in region_deadlines.items():
        value = by_kind.get(kind)
        if value and region_code.startswith(str(prefix)) and (best is None or len(str(prefix)) > best[0]):
            best = (len(str(prefix)), value)
    return best[1] if best else None


def deadline_override_for(agency: AgencyLike, region_deadlines: RegionDeadlines) -> str | None:
    """The agency's own "MM-DD" override, else the longest matching region prefix for its kind."""
    return agency.deadline_override or region_override(
        agency.region_code or "", agency.kind, region_deadlines
    )


def statutory_deadline(kind: str, report_year: int) -> date:
    """The deadline the law sets for a report year: 31 March, or 31 January for departments from 2019."""
    if report_year >= FIRST_2019_REGIME_YEAR and kind == "department":
        return date(report_year + 1, 1, 31)
    return date(report_year + 1, 3, 31)


def deadline_for(
    agency: AgencyLike, report_year: int, region_deadlines: RegionDeadlines | None = None
) -> date:
    """The last day (Asia/Shanghai) on which `agency` may publish its report for `report_year`.

    The agency's own override wins, then the longest matching region prefix of `region_deadlines`
    (normally already folded into `deadline_override` by the registry sync), then the statute.
    """
    override = deadline_override_for(agency, region_deadlines or {})
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
