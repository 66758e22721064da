"""Child processes of the tests (SeaweedFS, Prefect server, `nianbao serve`): free ports and a sure stop."""

from __future__ import annotations

import os
import random
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
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


def lasting_ports(count: int) -> list[int]:
    """`count` distinct free TCP ports on loopback below the kernel's ephemeral range, for a server
    that a test stops and starts again on the same ports. A port from `free_ports` is in that range,
    and while its server is down any outgoing connection of any process may be given it (a SeaweedFS
    restart once failed so: "bind: address already in use"); ports below the range are only ever
    taken by a bind that asks for them."""
    first_ephemeral = int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    candidates = random.sample(range(10_000, first_ephemeral), k=min(200, first_ephemeral - 10_000))
    sockets: list[socket.socket] = []
    try:
        for port in candidates:
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                sock.close()
                continue
            sockets.append(sock)
            if len(sockets) == count:
                return [s.getsockname()[1] for s in sockets]
        raise RuntimeError(f"no {count} free ports below {first_ephemeral}")
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


class ServerDidNotStart(RuntimeError):
    """A child server exited or did not answer in time; the message ends with its log's tail."""


@dataclass
class PrefectServer:
    """A `prefect server start` process on loopback with its own PREFECT_HOME."""

    process: subprocess.Popen[bytes]
    api_url: str
    home: str

    def env(self) -> dict[str, str]:
        """This process's environment pointed at the server."""
        return {
            **os.environ,
            "PREFECT_API_URL": self.api_url,
            "PREFECT_HOME": self.home,
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        }


@contextmanager
def running_prefect_server(home: Path, extra_env: dict[str, str] | None = None) -> Iterator[PrefectServer]:
    """`prefect server start` on a free loopback port with PREFECT_HOME `home` (and `extra_env`, e.g. its
    database URL), stopped on exit; raises ServerDidNotStart when /health does not answer in 120 s."""
    port = free_ports(1)[0]
    env = {
        **os.environ,
        "PREFECT_HOME": str(home),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        **(extra_env or {}),
    }
    env.pop("PREFECT_API_URL", None)
    prefect = str(Path(sys.executable).parent / "prefect")
    with (home / "server.log").open("wb") as log:
        process = subprocess.Popen(
            [prefect, "server", "start", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        api_url = f"http://127.0.0.1:{port}/api"
        try:
            deadline = time.monotonic() + 120
            while not _answers(f"{api_url}/health"):
                if process.poll() is not None or time.monotonic() > deadline:
                    tail = (home / "server.log").read_text(errors="replace")[-2000:]
                    raise ServerDidNotStart(f"prefect server did not start on {api_url}:\n{tail}")
                time.sleep(0.5)
            yield PrefectServer(process, api_url, str(home))
        finally:
            stop_process(process)


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return bool(response.status == 200)
    except OSError:
        return False
