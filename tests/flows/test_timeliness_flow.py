"""The timeliness flow: a Prefect table artifact and one alert per agency-year per status change."""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime
from typing import Any

import pytest

from storage.db import session_scope
from storage.models import Agency, CrawlRun, Document, Report, Source
from storage.settings import Settings, get_settings

pytestmark = [
    pytest.mark.usefixtures("prefect_api"),
    pytest.mark.parametrize("db_url", ["sqlite"], indirect=True),
    pytest.mark.parametrize("object_store_config", ["local"], indirect=True),
]


def publish(settings: Settings, agency_name: str, when: datetime) -> None:
    """A loaded 2023 report of the agency, published (PubDate) at `when`."""
    with session_scope(settings) as session:
        agency = session.query(Agency).filter_by(name=agency_name).one()
        digest = hashlib.sha256(agency_name.encode() + when.isoformat().encode()).hexdigest()
        document = Document(
            url=f"http://xixia.example/{digest[:8]}.html",
            sha256=digest,
            object_key=f"originals/{digest[:2]}/{digest}",
            page_pub_date=when,
            status="parsed",
        )
        session.add(document)
        session.flush()
        session.add(
            Report(
                document_id=document.id,
                agency_id=agency.id,
                agency_name=agency.name,
                year=2023,
                format="gov2021",
                published_at=when,
                published_at_source="pubdate",
            )
        )


def read_artifact_rows(key: str) -> list[dict[str, Any]]:
    import json

    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey

    with get_client(sync_client=True) as client:
        artifacts = client.read_artifacts(artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=[key])))
    newest = max(artifacts, key=lambda a: str(a.created))
    data = newest.data
    return json.loads(data) if isinstance(data, str) else list(data)  # type: ignore[arg-type]


def read_markdown_artifact(key: str) -> str:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey

    with get_client(sync_client=True) as client:
        artifacts = client.read_artifacts(artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=[key])))
    return str(max(artifacts, key=lambda a: str(a.created)).data)


def test_alerts_once_per_status_change_and_publishes_the_table(
    settings: Settings, webhook: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from flows.flows import timeliness_flow

    monkeypatch.setenv("NIANBAO_ALERT_URLS", webhook.apprise_url)
    get_settings.cache_clear()
    with session_scope(settings) as session:
        # The site was crawled successfully after the deadline: what was not found there is missing.
        session.add(Source(id="xixia", name="西夏区", region_code="640105"))
        session.flush()
        crawled = datetime(2024, 5, 1, 1, 0, tzinfo=UTC)
        session.add(CrawlRun(source_id="xixia", status="ok", started_at=crawled, finished_at=crawled))
        for name in ("西夏区教育局", "西夏区民政局", "西夏区科信局"):
            session.add(Agency(name=name, kind="department", region_code="640105", source_id="xixia"))
    publish(settings, "西夏区教育局", datetime(2024, 2, 15, 2, 0, tzinfo=UTC))
    publish(settings, "西夏区科信局", datetime(2024, 1, 26, 2, 0, tzinfo=UTC))

    first = timeliness_flow(2023, date(2024, 6, 1))
    titles_first = sorted(alert["title"] for alert in webhook.received)
    second = timeliness_flow(2023, date(2024, 6, 2))
    after_second = len(webhook.received)
    publish(settings, "西夏区民政局", datetime(2024, 6, 10, 2, 0, tzinfo=UTC))
    third = timeliness_flow(2023, date(2024, 6, 11))

    assert first == second == {"on_time": 1, "late": 1, "missing": 1}
    assert titles_first == [
        "[nianbao] 西夏区教育局 2023年报: late",
        "[nianbao] 西夏区民政局 2023年报: missing",
    ]
    assert after_second == 2
    assert third == {"on_time": 1, "late": 2}
    assert [alert["title"] for alert in webhook.received[2:]] == ["[nianbao] 西夏区民政局 2023年报: late"]
    assert "was missing" in webhook.received[2]["message"]
    rows = {row["agency"]: row for row in read_artifact_rows("timeliness-2023")}
    assert {name: (row["status"], row["days_late"]) for name, row in rows.items()} == {
        "西夏区教育局": ("late", "15"),
        "西夏区民政局": ("late", "131"),
        "西夏区科信局": ("on_time", "0"),
    }
    heat_map = read_markdown_artifact("timeliness-heatmap-2023").splitlines()
    assert heat_map[4:] == [
        "| agency | region | 2023 |",
        "|---|---|---|",
        "| 西夏区教育局 | 640105 | 🟧 逾期 late +15d |",
        "| 西夏区民政局 | 640105 | 🟧 逾期 late +131d |",
        "| 西夏区科信局 | 640105 | 🟩 按时 on_time |",
        "",
        "按时 on_time: 1, 逾期 late: 2, 未发布 missing: 0, 未到期 pending: 0, 逾期后替换 changed: 0, 未核查 unchecked: 0",
    ]
