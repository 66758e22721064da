"""Quiet terminal output for the embedded commands: one progress bar per stage, logs in files.

The flows report their stages here (`stage_started`, `stage_advanced`); nothing listens unless a
command installed a `StageBars` (the `demo`, `run`, `crawl` and `ingest` commands do), so served
flows are unaffected. `quiet_prefect_logs` moves Prefect's console logging into
`<NIANBAO_HOME>/logs/prefect.log`; Scrapy's children already log to `<NIANBAO_HOME>/logs/`.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

_listener: StageBars | None = None
_lock = threading.Lock()


def stage_started(stage: str, total: int | None) -> None:
    """A stage of the pipeline begins with `total` steps (None: unknown)."""
    if _listener is not None:
        _listener.start(stage, total)


def stage_advanced(stage: str, steps: int = 1) -> None:
    """`steps` more steps of a stage are done."""
    if _listener is not None:
        _listener.advance(stage, steps)


class StageBars:
    """Rich progress bars on stderr, one per stage, each finished when the next starts."""

    def __init__(self) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        self.console = Console(stderr=True)
        self.progress = Progress(
            TextColumn("{task.description:<10}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=self.console,
            transient=False,
        )
        self.tasks: dict[str, Any] = {}

    def start(self, stage: str, total: int | None) -> None:
        with _lock:
            self._finish_others(stage)
            if stage in self.tasks:
                self.progress.update(self.tasks[stage], total=total, completed=0)
            else:
                self.tasks[stage] = self.progress.add_task(stage, total=total)

    def advance(self, stage: str, steps: int) -> None:
        with _lock:
            if stage not in self.tasks:
                self.tasks[stage] = self.progress.add_task(stage, total=None)
            self.progress.advance(self.tasks[stage], steps)

    def log(self, message: str) -> None:
        """A line above the bars (a source's crawl result, a document's outcome)."""
        self.progress.console.print(message, markup=False, highlight=False)

    def _finish_others(self, stage: str) -> None:
        for name, task in self.tasks.items():
            if name != stage:
                found = self.progress.tasks[task]
                self.progress.update(task, total=found.completed if found.total is None else found.total)

    def close(self) -> None:
        with _lock:
            self._finish_others("")
        self.progress.stop()


@contextmanager
def stage_bars(enabled: bool = True) -> Iterator[StageBars | None]:
    """Show the stages' progress bars while the block runs (nothing when not `enabled`)."""
    global _listener
    if not enabled:
        yield None
        return
    bars = StageBars()
    bars.progress.start()
    _listener = bars
    try:
        yield bars
    finally:
        _listener = None
        bars.close()


def quiet_prefect_logs(home: Path) -> Path:
    """Send Prefect's terminal logging to `<home>/logs/prefect.log`; returns that file.

    Writes Prefect's own logging configuration with its console handlers turned into file handlers and
    points PREFECT_LOGGING_SETTINGS_PATH at it (Prefect reads it when it sets up logging). Logs still
    reach the Prefect API, so the UI shows them as before.
    """
    import importlib.util
    import os
    import sys

    import yaml

    logs = home / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    path = logs / "prefect.log"
    spec = importlib.util.find_spec("prefect")
    if spec is None or not spec.submodule_search_locations:
        return path
    default = Path(next(iter(spec.submodule_search_locations))) / "logging" / "logging.yml"
    config: dict[str, Any] = yaml.safe_load(default.read_text(encoding="utf-8"))
    for name in ("console", "debug"):
        handler = config["handlers"][name]
        config["handlers"][name] = {
            "level": handler.get("level", 0),
            "class": "logging.FileHandler",
            "formatter": handler.get("formatter", "standard"),
            "filename": str(path.resolve()),
            "encoding": "utf-8",
        }
    settings_path = logs / "logging.yml"
    settings_path.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    os.environ["PREFECT_LOGGING_SETTINGS_PATH"] = str(settings_path.resolve())
    if "prefect.logging.configuration" in sys.modules:
        from prefect.logging.configuration import setup_logging

        setup_logging(incremental=False)
    return path
