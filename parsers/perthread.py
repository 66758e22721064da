"""One instance per thread of what lxml will not share across threads (parsers, compiled XSLT)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def per_thread(make: Callable[[], T]) -> Callable[[], T]:
    """A getter that calls `make` once in each thread and returns that thread's instance after:
    building an lxml parser or compiling a stylesheet costs as much as a fifth of a report's parse."""
    local = threading.local()

    def get() -> T:
        try:
            instance: T = local.instance
        except AttributeError:
            instance = local.instance = make()
        return instance

    return get
