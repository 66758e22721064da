"""Sub-flow runs in their parent's process send no heartbeat of their own (flows/subflows.py): the
parent's heartbeats stand for the process, and a batch no longer waits half a second on average for
its own heartbeat thread to wake up and stop."""

from __future__ import annotations

import time
from typing import Any
from uuid import UUID

import pytest

from flows.demo.reportgen import make_spec, render_pdf
from storage.settings import Settings, get_settings
from tests.flows.test_ingest import AGENCY, register_agency, store_document

pytestmark = pytest.mark.usefixtures("prefect_api")


def _heartbeats(flow_run_ids: set[str]) -> dict[str, int]:
    """How many `prefect.flow-run.heartbeat` events the API holds for each of the flow runs."""
    from prefect.client.orchestration import get_client

    query = {
        "filter": {
            "event": {"prefix": ["prefect.flow-run.heartbeat"]},
            "resource": {"id": [f"prefect.flow-run.{run_id}" for run_id in flow_run_ids]},
            "occurred": {"since": "2000-01-01T00:00:00Z"},
        },
        "limit": 50,
    }
    with get_client(sync_client=True) as client:
        events: list[dict[str, Any]] = client.request("POST", "/events/filter", json=query).json()["events"]
    counts = dict.fromkeys(flow_run_ids, 0)
    for event in events:
        run_id = event["resource"]["prefect.resource.id"].removeprefix("prefect.flow-run.")
        if run_id in counts:
            counts[run_id] += 1
    return counts


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("object_store_config", ["local"], indirect=True)
def test_batches_of_ingest_pending_send_no_heartbeat_of_their_own(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterParentFlowRunId

    from flows.flows import ingest_pending_flow

    monkeypatch.setenv("NIANBAO_INGEST_BATCH_SIZE", "1")
    get_settings.cache_clear()
    register_agency(settings)
    for n in range(2):
        data = render_pdf(make_spec(60 + n, "gov2021", agency=AGENCY, year=2021 + n))
        store_document(settings, data, f"http://x.example/{n}.pdf")

    state = ingest_pending_flow(return_state=True)
    outcomes = state.result()
    assert [o.status for o in outcomes] == ["parsed", "parsed"]

    parent = str(state.state_details.flow_run_id)
    children = FlowRunFilter(parent_flow_run_id=FlowRunFilterParentFlowRunId(any_=[UUID(parent)]))
    with get_client(sync_client=True) as client:
        batches = {str(run.id) for run in client.read_flow_runs(flow_run_filter=children)}
    assert len(batches) == 2 and parent not in batches
    deadline = time.monotonic() + 30
    while (counts := _heartbeats({parent, *batches}))[parent] == 0 and time.monotonic() < deadline:
        time.sleep(0.5)  # events reach the API a moment after they are sent
    assert counts[parent] >= 1
    assert [counts[batch] for batch in batches] == [0, 0]
