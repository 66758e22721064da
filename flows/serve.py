"""Served mode: Prefect deployments with schedules, the stored-document event path, and a failure Automation.

`nianbao serve` needs a Prefect API (`PREFECT_API_URL`). It serves the deployments — `crawl`,
`ingest-pending` (the safety net for lost events), `timeliness` and `export` (the open dataset to the
object store) on their crons, `ingest`, `review-finding` and `reparse` on demand — and, in a thread
beside them, the event path of `flows.eventpath`: the relay that turns `nianbao.document.stored` events
into background ingest task runs and one task worker that runs them (more with `nianbao worker`). The
Automation notifies on any flow run that enters Failed or Crashed — server side, because client-side
hooks do not run when a process dies.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit, urlunsplit
from uuid import UUID

from storage.settings import Settings

AUTOMATION_NAME = "nianbao: flow run failed or crashed"
NOTIFY_SUBJECT = "[nianbao] flow run {{ flow_run.name }} entered {{ flow_run.state.name }}"
NOTIFY_BODY = (
    "Flow: {{ flow.name }}\nRun: {{ flow_run.name }} ({{ flow_run.id }})\n"
    "State: {{ flow_run.state.name }}: {{ flow_run.state.message }}\n"
)


def build_deployments(settings: Settings) -> list[Any]:
    """The deployments `nianbao serve` runs: five on schedules or events, `review-finding` and `reparse`
    on demand (UI)."""
    from prefect.schedules import Cron

    from flows.export import export_flow
    from flows.flows import (
        crawl_flow,
        ingest_flow,
        ingest_pending_flow,
        review_finding_flow,
        timeliness_flow,
    )
    from flows.reparse import reparse_flow

    return [
        crawl_flow.to_deployment(
            name="crawl", schedule=Cron(settings.crawl_cron, timezone=settings.timezone)
        ),
        ingest_flow.to_deployment(name="ingest"),
        ingest_pending_flow.to_deployment(
            name="ingest-pending", schedule=Cron(settings.ingest_pending_cron, timezone=settings.timezone)
        ),
        timeliness_flow.to_deployment(
            name="timeliness", schedule=Cron(settings.timeliness_cron, timezone=settings.timezone)
        ),
        review_finding_flow.to_deployment(name="review-finding"),
        export_flow.to_deployment(
            name="export", schedule=Cron(settings.export_cron, timezone=settings.timezone)
        ),
        reparse_flow.to_deployment(name="reparse"),
    ]


def webhook_for(url: str) -> tuple[str, dict[str, Any]] | None:
    """Map an apprise URL to a plain HTTP webhook and JSON body a Prefect notification block can call.

    JSON webhooks, DingTalk and WeCom robots are plain JSON POSTs; other schemes (email, Feishu, Slack)
    have no such mapping and are left to the client-side alerts.
    """
    parts = urlsplit(url)
    text = "{{subject}}\n{{body}}"
    if parts.scheme in ("json", "jsons", "http", "https"):
        scheme = "https" if parts.scheme in ("jsons", "https") else "http"
        return urlunsplit((scheme, parts.netloc, parts.path, parts.query, "")), {
            "title": "{{subject}}",
            "message": "{{body}}",
            "type": "failure",
        }
    if parts.scheme == "dingtalk":
        token = parts.netloc.split("@")[-1] or parts.path.strip("/")
        return f"https://oapi.dingtalk.com/robot/send?access_token={token}", {
            "msgtype": "text",
            "text": {"content": text},
        }
    if parts.scheme == "wecombot":
        key = parts.netloc or parts.path.strip("/")
        return f"https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key={key}", {
            "msgtype": "text",
            "text": {"content": text},
        }
    return None


def ensure_failure_automation(settings: Settings) -> list[str]:
    """Create (or re-create) the Automation; returns the webhook URLs it notifies."""
    from prefect.automations import Automation
    from prefect.blocks.notifications import CustomWebhookNotificationBlock
    from prefect.events.actions import SendNotification
    from prefect.events.schemas.automations import EventTrigger, Posture

    targets = [mapped for url in settings.alert_urls if (mapped := webhook_for(url)) is not None]
    actions: list[Any] = []
    for index, (url, body) in enumerate(targets):
        block = CustomWebhookNotificationBlock(
            name=f"nianbao-alert-{index}", url=url, json_data=body, headers=None, cookies=None
        )
        block_id: UUID = block.save(f"nianbao-alert-{index}", overwrite=True)  # type: ignore[assignment]
        actions.append(SendNotification(block_document_id=block_id, subject=NOTIFY_SUBJECT, body=NOTIFY_BODY))
    try:
        existing: Automation = Automation.read(name=AUTOMATION_NAME)  # type: ignore[assignment]
        existing.delete()
    except ValueError:
        pass
    if actions:
        Automation(
            name=AUTOMATION_NAME,
            description="Notify operators when any nianbao flow run fails or crashes.",
            trigger=EventTrigger(
                expect={"prefect.flow-run.Failed", "prefect.flow-run.Crashed"},
                match={"prefect.resource.id": "prefect.flow-run.*"},
                posture=Posture.Reactive,
                threshold=1,
            ),
            actions=actions,
        ).create()
    return [url for url, _ in targets]


def serve(settings: Settings, *, task_worker: bool = True) -> None:
    """Register the Automation, start the event path (relay, and a task worker unless `task_worker` is
    off) in a daemon thread, and serve the deployments until interrupted."""
    import threading

    from prefect import serve as prefect_serve

    from flows.eventpath import run_event_path

    ensure_failure_automation(settings)
    threading.Thread(
        target=run_event_path,
        args=(settings,),
        kwargs={"serve_tasks": task_worker},
        name="nianbao-event-path",
        daemon=True,
    ).start()
    prefect_serve(*build_deployments(settings), print_starting_message=True)
