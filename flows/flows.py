"""Prefect flows: thin orchestration over the plain functions in `flows.ingest`, `crawler.run` and
`flows.timeliness`.

Retries with exponential backoff and jitter sit on the I/O tasks only; a parse that failed because of
the bytes themselves (`parsers.errors.ParseError`) is never retried. Every outcome is written back to
the document row, so the database — not the event — is the record of what is left to do.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Any, NoReturn

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.client.schemas.objects import TaskRun
from prefect.states import State
from prefect.task_runners import ThreadPoolTaskRunner
from prefect.tasks import Task, exponential_backoff

from crawler.run import CrawlSummary
from flows.alerts import (
    deliver_pending,
    raise_alert,
    raise_alerts,
    record_crawl_trouble,
    timeliness_alert,
)
from flows.batch import BatchResult, ingest_documents
from flows.ingest import (
    IngestOutcome,
    Original,
    Outage,
    claim_attempt,
    give_up,
    is_transient_error,
    load_parsed,
    locate_original,
    outage_service,
    parse_original,
    record_failure,
    unreadable_report,
)
from flows.progress import stage_advanced, stage_started
from flows.review import review_finding
from flows.subflows import without_own_heartbeat
from parsers.errors import ParseError
from parsers.model import Report as ParsedReport
from storage.db import session_scope
from storage.domain import shanghai_date
from storage.errors import StorageError
from storage.settings import Settings, get_settings


def is_transient(task: Task[Any, Any], task_run: TaskRun, state: State[Any]) -> bool:
    """Retry I/O failures (object store, database, network); never a deterministic parse failure."""
    try:
        state.result()
    except Exception as exc:
        return is_transient_error(exc)
    return False


def _io_options(settings: Settings) -> dict[str, Any]:
    return {
        "retries": settings.task_retries,
        "retry_delay_seconds": exponential_backoff(backoff_factor=settings.task_retry_delay),
        "retry_jitter_factor": 0.5,
        "retry_condition_fn": is_transient,
    }


@task(name="locate original", task_run_name="locate document {document_id}")
def locate_original_task(document_id: int) -> Original:
    return locate_original(get_settings(), document_id)


@task(name="parse report", task_run_name="parse {original.url}")
def parse_task(original: Original) -> ParsedReport:
    return parse_original(get_settings(), original)


@task(name="load report", task_run_name="load document {original.document_id}")
def load_task(original: Original, parsed: ParsedReport) -> IngestOutcome:
    return load_parsed(get_settings(), original, parsed)


@task(name="send alerts")
def alert_findings_task(outcome: IngestOutcome) -> int:
    """Send the pending alerts: the loaded report's error findings were recorded with it (outbox)."""
    return deliver_pending(get_settings()).sent


@flow(name="ingest", flow_run_name="ingest document {document_id}", log_prints=True)
def ingest_flow(document_id: int) -> IngestOutcome:
    """Fetch the original by key → parse → validate → load → alert, for one stored document."""
    settings = get_settings()
    io = _io_options(settings)
    original = locate_original_task.with_options(**io)(document_id)
    claim_attempt(settings, document_id)
    try:
        parsed = parse_task.with_options(**io)(original)
    except ParseError as exc:
        get_run_logger().warning("document %s is not parseable: %s", document_id, exc)
        unreadable = unreadable_report(original, exc)
        if unreadable is None:
            record_failure(settings, document_id, str(exc), retryable=False)
            return IngestOutcome(
                document_id, "failed", url=original.url, sha256=original.sha256, error=str(exc)
            )
        parsed = unreadable
    except Exception as exc:
        _give_up(settings, original, exc)
        raise
    try:
        outcome = load_task.with_options(**io)(original, parsed)
    except Exception as exc:
        _give_up(settings, original, exc)
        raise
    if outcome.status == "parsed":
        alert_findings_task(outcome)
        _ingest_artifact(settings, outcome)
    return outcome


def _give_up(settings: Settings, original: Original, exc: BaseException) -> None:
    """After the retries: raise Outage for an outage (the run counts it), else the failure is recorded
    and its alert sent."""
    outage = give_up(settings, original, exc)
    if outage is not None:
        raise outage from exc
    deliver_pending(settings)


def _stop_on_outage(
    settings: Settings, service: str, exc: BaseException, waiting: int, failures: int
) -> NoReturn:
    """Circuit breaker: after `infra_failure_limit` consecutive outages, alert once (keyed by service
    and hour) and stop the run; no document's attempt was spent."""
    from datetime import UTC, datetime

    from flows.alerts import AlertMessage, notify

    cause = exc.__cause__ if isinstance(exc, Outage) and exc.__cause__ is not None else exc
    reason = f"{type(cause).__name__}: {cause}".splitlines()[0][:300]
    hour = datetime.now(UTC).strftime("%Y-%m-%dT%H")
    message = AlertMessage(
        f"outage:{service}:{hour}",
        "outage",
        f"[nianbao] {service} unavailable: ingest stopped",
        f"service: {service}\nerror: {reason}\ndocuments left pending: {waiting}",
    )
    try:
        with session_scope(settings) as session:
            raise_alert(session, settings, message)
        deliver_pending(settings)
    except Exception:  # the database is down: tell a person directly, nothing to record it in
        notify(settings.alert_urls, message.title, message.body)
    raise Outage(service, f"ingest stopped after {failures} consecutive failure(s): {reason}")


def _batch_run_name() -> str:
    from prefect.runtime import flow_run

    ids = list(flow_run.parameters.get("document_ids") or [])
    return f"ingest {len(ids)} document(s) {ids[0]}–{ids[-1]}" if ids else "ingest 0 documents"


@task(name="ingest documents", task_run_name="parse and load {document_ids[0]}…")
def ingest_documents_task(document_ids: list[int], outage_streak: int = 0) -> BatchResult:
    """Fetch and parse ahead in the parse workers, load each document in its own transaction."""
    logger = get_run_logger()

    def done(outcome: IngestOutcome) -> None:
        logger.info("document %s: %s %s", outcome.document_id, outcome.status, outcome.error)
        stage_advanced("ingest")

    return ingest_documents(get_settings(), document_ids, outage_streak=outage_streak, on_outcome=done)


@task(name="send alerts")
def send_alerts_task() -> int:
    """Send the pending alerts of the batch (each was recorded with its report: the outbox)."""
    return deliver_pending(get_settings()).sent


@flow(name="ingest batch", flow_run_name=_batch_run_name, log_prints=True)
def ingest_batch_flow(
    document_ids: list[int], outage_streak: int = 0, raise_on_outage: bool = False
) -> BatchResult:
    """Many stored documents in one flow run: parse in a pool, load one by one, alert, one artifact.

    A batch dispatched to a worker (`raise_on_outage`) fails with the outage that stopped it, so the
    run shows Failed and the failure Automation notifies; its documents stay pending."""
    result = ingest_documents_task(document_ids, outage_streak)
    send_alerts_task()
    if result.outcomes:
        batch_artifact(get_settings(), result.outcomes)
    if raise_on_outage and result.stopped_by is not None:
        raise result.stopped_by
    return result


INGEST_BATCH_DEPLOYMENT = "ingest batch/ingest-batch"
CRAWL_BATCH_DEPLOYMENT = "crawl batch/crawl-batch"


def _dispatch_to_workers(deployment_name: str, runs: list[dict[str, Any]]) -> bool:
    """On a work pool (deploy/prefect.yaml): start one run of `deployment_name` per parameter set, so
    that every worker of its queue takes a share, and return True; False when this run is not a
    deployment run or there is no such deployment (then the caller runs the batches itself). Nothing
    is dispatched while earlier runs of that deployment are still waiting or running: the next schedule
    picks up whatever they leave."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import (
        DeploymentFilter,
        DeploymentFilterId,
        FlowRunFilter,
        FlowRunFilterState,
        FlowRunFilterStateType,
    )
    from prefect.client.schemas.objects import StateType
    from prefect.deployments import run_deployment
    from prefect.exceptions import ObjectNotFound
    from prefect.runtime import deployment

    if not deployment.id:
        return False
    logger = get_run_logger()
    with get_client(sync_client=True) as client:
        try:
            target = client.read_deployment_by_name(deployment_name)
        except ObjectNotFound:
            return False
        unfinished = client.read_flow_runs(
            deployment_filter=DeploymentFilter(id=DeploymentFilterId(any_=[target.id])),
            flow_run_filter=FlowRunFilter(
                state=FlowRunFilterState(
                    type=FlowRunFilterStateType(
                        any_=[StateType.SCHEDULED, StateType.PENDING, StateType.RUNNING]
                    )
                )
            ),
        )
    if unfinished:
        logger.info("%d run(s) of %s still unfinished: nothing dispatched", len(unfinished), deployment_name)
        return True
    for parameters in runs:
        run_deployment(deployment_name, parameters=parameters, timeout=0)
    logger.info("dispatched %d run(s) of %s to the workers", len(runs), deployment_name)
    return True


@flow(name="ingest pending", log_prints=True)
def ingest_pending_flow(limit: int | None = None) -> list[IngestOutcome]:
    """Ingest every stored or retryably failed document, `ingest_batch_size` to a flow run: the
    reconcile path that makes lost events harmless. On a work pool with the `ingest-batch` deployment,
    the batches are dispatched as its runs, so that every ingest worker takes a share."""
    from storage import repository

    settings = get_settings()
    try:
        with session_scope(settings) as session:
            pending = [
                d.id
                for d in repository.pending_documents(
                    session,
                    max_attempts=settings.max_ingest_attempts,
                    limit=limit,
                    lease_seconds=settings.claim_lease_seconds,
                )
            ]
    except Exception as exc:
        if (service := outage_service(exc)) is None:
            raise
        _stop_on_outage(settings, service, exc, 0, 1)
    deliver_pending(settings)  # alerts a killed run recorded but did not send
    logger = get_run_logger()
    logger.info("%d document(s) pending", len(pending))
    stage_started("ingest", len(pending))
    outcomes: list[IngestOutcome] = []
    streak = 0
    size = settings.ingest_batch_size
    batches = [pending[i : i + size] for i in range(0, len(pending), size)]
    if batches and _dispatch_to_workers(
        INGEST_BATCH_DEPLOYMENT, [{"document_ids": batch, "raise_on_outage": True} for batch in batches]
    ):
        return outcomes
    for start in range(0, len(pending), size):
        batch = pending[start : start + size]
        try:
            with without_own_heartbeat():
                result = ingest_batch_flow(batch, streak)
        except Exception as exc:
            if (service := outage_service(exc)) is None:
                raise
            _stop_on_outage(settings, service, exc, len(pending) - start, streak + 1)
        outcomes.extend(result.outcomes)
        streak = result.outage_streak
        if result.stopped_by is not None:
            waiting = len(pending) - len(outcomes) + streak
            _stop_on_outage(settings, result.stopped_by.service, result.stopped_by, waiting, streak)
        logger.info("ingested %d/%d", len(outcomes), len(pending))
    return outcomes


CRAWL_PARALLEL_BATCHES = 2
"""Batch processes crawling side by side (each crawls `crawl_batch_concurrency` sources at once)."""
# Typed Any: Prefect's flow decorator annotation does not accept its own ThreadPoolTaskRunner (invariant generic).
CRAWL_RUNNER: Any = ThreadPoolTaskRunner(max_workers=CRAWL_PARALLEL_BATCHES)


@task(name="run scrapy", task_run_name="scrapy {label}")
def scrapy_batch_task(source_ids: list[str], label: str) -> list[CrawlSummary]:
    """One Scrapy child process for a batch of sources (`crawler.run.crawl_batch`): each source's run
    row and alert commit as soon as it finishes."""
    from crawler.run import crawl_batch
    from flows.alerts import crawl_recorder

    settings = get_settings()
    return crawl_batch(source_ids, settings=settings, on_finish=crawl_recorder(settings))


@flow(name="crawl batch", flow_run_name="crawl {label}", log_prints=True)
def crawl_batch_flow(source_ids: list[str], label: str) -> list[CrawlSummary]:
    """A batch of sources: crawl them, record each run, alert on each source that failed, came back
    empty or was blocked (as `crawl_flow` did per source); one table artifact row per source."""
    summaries = scrapy_batch_task(source_ids, label)
    settings = get_settings()
    with session_scope(settings) as session:  # recorded with each run already unless that failed
        for summary in summaries:
            record_crawl_trouble(session, settings, summary)
    deliver_pending(settings)
    troubled = [s for s in summaries if s.status != "ok"]
    create_table_artifact(
        key=f"crawl-batch-{_artifact_key(source_ids[0])}",
        table=[_crawl_row(summary) for summary in summaries],
        description=f"Crawl of {label}: {len(summaries) - len(troubled)} ok, {len(troubled)} not",
    )
    return summaries


@task(name="dispatch crawl", task_run_name="dispatch {label}")
def dispatch_crawl_task(source_ids: list[str], label: str) -> list[CrawlSummary]:
    """Start the batch's own flow run from a task, so that batches are crawled side by side."""
    with without_own_heartbeat():
        return crawl_batch_flow(source_ids, label)


@flow(name="crawl", log_prints=True, task_runner=CRAWL_RUNNER)
def crawl_flow(source_ids: list[str] | None = None) -> list[dict[str, Any]]:
    """Fan out: the sources (default: every source of the registry) in batches of `crawl_batch_size`
    (`crawler.run.plan_batches`), one `crawl batch` flow run and one Scrapy process per batch, then one
    summary table of every source.

    On a work pool with the `crawl-batch` deployment (deploy/prefect.yaml), the batches are dispatched
    as runs of that deployment instead, so that every crawl worker takes a share.

    Per-batch flow runs, not per-source ones: a flow run costs Prefect API calls and rows (a subflow run
    with a task and an artifact took 1.3 s on a local Prefect server, against the 0.2 s a source may cost
    at 30,000 sources a night); each source keeps its own crawl_runs row, alert and row in its batch's
    artifact. Returns each source's summary as the same dict `nianbao crawl
    --json` prints (without stats).
    """
    from crawler.registry import load_registry
    from crawler.run import plan_batches, sync_registry

    settings = get_settings()
    registry = load_registry(settings.sources_dir or None)
    wanted = [registry.source(source_id) for source_id in dict.fromkeys(source_ids or [])] or list(
        registry.sources
    )
    with session_scope(settings) as session:
        sync_registry(session, registry)
    batches = [[source.id for source in batch] for batch in plan_batches(wanted, settings.crawl_batch_size)]
    labels = [_batch_label(index, len(batches), batch) for index, batch in enumerate(batches, start=1)]
    if _dispatch_to_workers(
        CRAWL_BATCH_DEPLOYMENT,
        [{"source_ids": batch, "label": label} for batch, label in zip(batches, labels, strict=True)],
    ):
        return []  # on a work pool: each batch is a run of crawl-batch, with its own artifact and alerts
    stage_started("crawl", len(wanted))
    summaries: list[CrawlSummary] = []
    for future in dispatch_crawl_task.map(batches, labels):
        batch_summaries = future.result()
        summaries.extend(batch_summaries)
        for _ in batch_summaries:
            stage_advanced("crawl")
    order = {source.id: index for index, source in enumerate(wanted)}
    summaries.sort(key=lambda summary: order[summary.source_id])
    create_table_artifact(
        key="crawl-runs",
        table=[_crawl_row(summary) for summary in summaries],
        description="Crawl runs: one row per source",
    )
    return [summary.as_dict() for summary in summaries]


def _batch_label(index: int, count: int, source_ids: list[str]) -> str:
    """`batch 2/5: a … b (100 sources)`: the flow run's name."""
    ends = source_ids[0] if len(source_ids) == 1 else f"{source_ids[0]} … {source_ids[-1]}"
    return f"batch {index}/{count}: {ends} ({len(source_ids)} source{'s' if len(source_ids) != 1 else ''})"


def _crawl_row(summary: CrawlSummary) -> dict[str, Any]:
    return {
        "source": summary.source_id,
        "status": summary.status,
        "health": summary.health,
        "pages": summary.pages,
        "links found": summary.links_found,
        "new documents": summary.documents_new,
        "unchanged": summary.documents_unchanged,
        "errors": summary.errors,
        "reason": summary.reason,
    }


def _artifact_key(name: str) -> str:
    """Artifact keys allow lowercase letters, digits and dashes only."""
    return re.sub(r"[^a-z0-9-]+", "-", name.lower()).strip("-") or "source"


@flow(name="timeliness", log_prints=True)
def timeliness_flow(
    year: int | None = None, today: date | None = None, years: list[int] | None = None
) -> dict[str, int]:
    """Compute each agency-year's publication status, publish it as tables and a heat map, alert on changes.

    `years` (e.g. 2019–2023) widens the heat map; the default is `year`, else last year.
    """
    from flows.timeliness.render import artifact_rows, render_markdown
    from flows.timeliness.status import refresh_timeliness

    settings = get_settings()
    today = today or shanghai_date(datetime.now(UTC))  # deadlines are Shanghai calendar days
    report_years = sorted(set(years or [year or today.year - 1]))
    stage_started("timeliness", len(report_years))
    every = []
    with session_scope(settings) as session:
        for report_year in report_years:
            rows = refresh_timeliness(session, report_year, today=today)
            raise_alerts(session, settings, [timeliness_alert(row) for row in rows if row.needs_alert])
            every.extend(rows)
            stage_advanced("timeliness")
            create_table_artifact(
                key=f"timeliness-{report_year}",
                table=artifact_rows(rows),
                description=f"Publication status of {report_year} annual reports as of {today.isoformat()}",
            )
    deliver_pending(settings)
    span = f"{report_years[0]}" if len(report_years) == 1 else f"{report_years[0]}-{report_years[-1]}"
    create_markdown_artifact(
        key=f"timeliness-heatmap-{span}",
        markdown=render_markdown(every, title=f"政府信息公开工作年度报告 timeliness {span}"),
        description=f"Heat map of report years {span} as of {today.isoformat()}",
    )
    counts: dict[str, int] = {}
    for row in every:
        counts[row.status] = counts.get(row.status, 0) + 1
    return counts


@flow(name="review finding", flow_run_name="{action} finding {finding_id}", log_prints=True)
def review_finding_flow(finding_id: int, action: str, note: str, reviewer: str = "") -> dict[str, Any]:
    """Confirm or dismiss a finding from the Prefect UI: the same decision as `nianbao findings confirm|dismiss`.

    `action` is `confirm` or `dismiss`; `reviewer` defaults to NIANBAO_REVIEWER or the worker's OS user.
    """
    settings = get_settings()
    with session_scope(settings) as session:
        view = review_finding(session, settings, finding_id, action, note, reviewer)
    print(
        f"finding {view.id} ({view.agency} {view.year} {view.rule} at {view.where}): {view.review and view.review.line()}"
    )
    return view.to_dict()


def _original_link(settings: Settings, document_id: int) -> str:
    from storage import repository
    from storage.objectstore import open_store

    with session_scope(settings) as session:
        document = repository.find_document(session, document_id)
        if document is None:
            return ""
        try:
            return open_store(settings).url(document.object_key)
        except StorageError:
            return document.object_key


def _report_page_link(settings: Settings, outcome: IngestOutcome) -> str:
    """`nianbao show REPORT_ID --format html` stored in the object store (content-addressed), as a link."""
    from flows.reportview import report_page
    from storage.objectstore import open_store

    if outcome.report_id is None:
        return ""
    page = report_page(outcome.report_id, "html", settings)
    if page is None:
        return ""
    try:
        store = open_store(settings)
        info = store.put(
            page.encode("utf-8"),
            {"report_id": str(outcome.report_id), "document_id": str(outcome.document_id)},
            content_type="text/html; charset=utf-8",
        )
        url = store.url(info.key)
    except StorageError as exc:
        get_run_logger().warning("report page of report %s not stored: %s", outcome.report_id, exc)
        return ""
    return f"[report page]({url})"


def _ingest_artifact(settings: Settings, outcome: IngestOutcome) -> None:
    lines = [
        f"# {outcome.agency or '未识别机关'} · {outcome.year or '?'} · {outcome.format}",
        "",
        f"- document: {outcome.document_id} — [{outcome.url}]({outcome.url})",
        f"- original: {_original_link(settings, outcome.document_id)}",
        f"- report status: {outcome.report_status}; agency matched to registry: {outcome.agency_matched}",
        f"- report {outcome.report_id} as printed, with the flagged cells: {_report_page_link(settings, outcome)}"
        f" · `nianbao show {outcome.report_id}`",
        "",
        "| figure | value |",
        "|---|---|",
        *[f"| {label} | {'—' if value is None else value} |" for label, value in outcome.totals.items()],
        "",
        "## Findings",
        "",
    ]
    if outcome.findings:
        lines += ["| severity | rule | where | expected | actual | message |", "|---|---|---|---|---|---|"]
        lines += [
            f"| {f['severity']} | {f['rule']} | {f['where']} | {f.get('expected')} | {f.get('actual')} "
            f"| {f['message']} |"
            for f in outcome.findings
        ]
    else:
        lines.append("none")
    create_markdown_artifact(
        key=f"ingest-document-{outcome.document_id}",
        markdown="\n".join(lines),
        description=f"Ingest of document {outcome.document_id}",
    )


def batch_artifact(settings: Settings, outcomes: list[IngestOutcome]) -> None:
    """One table for a batch: each document's report, its findings, and links to the original and to
    the report as printed with the flagged cells."""
    rows = [
        "| document | agency | year | format | status | findings | report |",
        "|---|---|---|---|---|---|---|",
    ]
    pages_stored = True
    for outcome in outcomes:
        counts = outcome.findings_by_severity()
        findings = ", ".join(f"{n} {severity}" for severity, n in sorted(counts.items())) or "none"
        rules = sorted({f["rule"] for f in outcome.findings if f["severity"] == "error"})
        if rules:
            findings += f" ({', '.join(rules)})"
        report = ""
        if outcome.report_id is not None:
            link = _report_page_link(settings, outcome) if pages_stored else ""
            pages_stored = pages_stored and bool(link)  # the object store is down: stop trying
            report = f"{link} · `nianbao show {outcome.report_id}`"
        status = outcome.report_status or outcome.status
        if outcome.error:
            status += f": {outcome.error}".replace("|", "\\|")
        rows.append(
            f"| [{outcome.document_id}]({outcome.url}) | {outcome.agency or '—'} | {outcome.year or '—'} "
            f"| {outcome.format or '—'} | {status} | {findings} | {report} |"
        )
    first, last = outcomes[0].document_id, outcomes[-1].document_id
    create_markdown_artifact(
        key=f"ingest-batch-{first}-{last}",
        markdown=f"# Ingest of documents {first}–{last}\n\n" + "\n".join(rows),
        description=f"Ingest of {len(outcomes)} document(s), {first}–{last}",
    )
