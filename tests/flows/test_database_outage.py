"""PostgreSQL unreachable (a TCP proxy in front of it, stopped): an ingest run stops at once with
one alert naming the database and exits non-zero, no document attempt is spent, and the documents
are ingested when it is back."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.engine import make_url

from flows.demo.reportgen import make_spec, render_pdf
from storage import models
from storage.db import session_scope
from storage.settings import Settings, get_settings
from tests.flows.test_ingest import AGENCY, register_agency, store_document
from tests.tcpproxy import TcpProxy

pytestmark = pytest.mark.usefixtures("prefect_api")


@pytest.mark.parametrize("db_url", [pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True)
def test_database_outage_stops_ingest_without_spending_attempts(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, webhook: Any
) -> None:
    from flows.flows import ingest_pending_flow
    from flows.ingest import Outage

    direct = make_url(db_url)
    proxy = TcpProxy((direct.host or "127.0.0.1", direct.port or 5432)).start()
    proxied = direct.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    fields = {
        "home": tmp_path / "var",
        "database_url": proxied,
        "object_store": str(tmp_path / "objects"),
        "task_retries": 0,
        "alert_urls": webhook.apprise_url,
    }
    for name, value in fields.items():
        monkeypatch.setenv(f"NIANBAO_{name.upper()}", str(value))
    get_settings.cache_clear()
    settings = get_settings()
    direct_settings = Settings(**{**fields, "database_url": db_url, "alert_urls": []})
    register_agency(settings)
    ids = [
        store_document(
            settings,
            render_pdf(make_spec(60 + n, "gov2021", agency=AGENCY, year=2021 + n)),
            f"http://db.example/{n}.pdf",
        )
        for n in range(3)
    ]
    try:
        proxy.stop()
        for _ in range(3):
            with pytest.raises(Outage, match=r"^database unavailable: ingest stopped after 1 consecutive"):
                ingest_pending_flow()
        with session_scope(direct_settings) as session:
            documents = [
                (d.status, d.attempts)
                for d in session.scalars(select(models.Document).order_by(models.Document.id))
            ]
            alerts = list(session.scalars(select(models.Alert)))
        assert documents == [("stored", 0)] * 3
        assert alerts == []  # nowhere to record it: each run told a person directly
        assert [a["title"] for a in webhook.received] == [
            "[nianbao] database unavailable: ingest stopped"
        ] * 3
        assert "service: database" in webhook.received[0]["message"]

        proxy.start()
        outcomes = ingest_pending_flow()
    finally:
        proxy.stop()
    assert [(o.document_id, o.status) for o in outcomes] == [(i, "parsed") for i in ids]
    with session_scope(direct_settings) as session:
        assert [(d.status, d.attempts) for d in session.scalars(select(models.Document))] == [
            ("parsed", 1)
        ] * 3
