"""Site health of a crawl run (crawler.run.site_health) and how an alert states it."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from crawler.run import SITE_HEALTH, site_health
from flows.alerts import crawl_alert

MARCH, AUGUST = date(2025, 3, 10), date(2025, 8, 10)


@pytest.mark.parametrize(
    ("status", "summary", "today", "health"),
    [
        ("ok", {"pages": 3, "links_found": 9}, MARCH, "ok"),
        ("blocked", {"pages": 1, "blocked": "anti-bot challenge"}, MARCH, "blocked"),
        (
            "failed",
            {"pages": 0, "failures": [{"url": "u", "reason": "DNSLookupError"}]},
            MARCH,
            "unreachable",
        ),
        ("failed", {"pages": 2, "fatal": None, "failures": []}, MARCH, ""),
        ("failed", {"source_id": "s", "fatal": "bad registry"}, MARCH, ""),
        ("failed", None, MARCH, ""),
        ("empty", {"pages": 1, "list_links": 0, "previous_links_found": 4}, AUGUST, "empty"),
        ("empty", {"pages": 1, "list_links": 12, "previous_links_found": 4}, AUGUST, "layout_changed"),
        (
            "empty",
            {"pages": 1, "list_links": 0, "item_selector": "ul.list li", "previous_links_found": 4},
            MARCH,
            "layout_changed",
        ),
        ("empty", {"pages": 1, "list_links": 0, "previous_links_found": None}, AUGUST, "out_of_season"),
        ("empty", {"pages": 1, "list_links": 0, "previous_links_found": None}, MARCH, "empty"),
        ("empty", {"pages": 1, "list_links": 5, "previous_links_found": None}, AUGUST, "empty"),
    ],
)
def test_site_health(status: str, summary: dict[str, Any] | None, today: date, health: str) -> None:
    assert site_health(status, summary, today) == health
    assert health in (*SITE_HEALTH, "")


def test_crawl_alert_names_the_site_health() -> None:
    message = crawl_alert(
        source_id="s",
        source_name="某某县",
        run_id=7,
        status="empty",
        reason="no report links",
        last_ok_run_id=3,
        health="layout_changed",
    )
    assert message.body == (
        "source: s (某某县)\ncrawl run: 7\nstatus: empty\nreason: no report links\nsite health: layout_changed"
    )
