"""Child processes of the tests (SeaweedFS, Prefect server, `nianbao serve`): free ports and a sure stop."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
from typing import Any


def free_ports(count: int) -> list[int]:
    """`count` distinct free TCP ports on loopback (held open together so none repeats)."""
    sockets = []
    try:
        for _ in range(count):
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.bind(("127.0.0.1", 0))
            sockets.append(sock)
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def stop_process(process: subprocess.Popen[Any], timeout: float = 10.0) -> None:
    """SIGTERM the process group, then SIGKILL it if it has not gone in `timeout` seconds."""
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=30)
    except ProcessLookupError:
        pass
