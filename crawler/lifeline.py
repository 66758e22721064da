"""Child processes die with their parent: no crawler or parser left running after its command.

Linux delivers SIGKILL to a process whose parent dies once it has asked with PR_SET_PDEATHSIG; the
child calls `die_with_parent` first thing (never as a preexec hook, which is unsafe in a threaded
parent) and exits at once if the parent is already gone.
"""

from __future__ import annotations

import os
import signal
import sys
from contextlib import suppress

PARENT_PID_ENV = "NIANBAO_PARENT_PID"
"""The environment variable a parent sets to its pid for `die_with_parent`."""

PR_SET_PDEATHSIG = 1


def die_with_parent(parent_pid: int | None) -> None:
    """Get SIGKILL when the parent dies (Linux); exit now if `parent_pid` is no longer the parent."""
    if sys.platform.startswith("linux"):
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if parent_pid and os.getppid() != parent_pid:
        os._exit(1)


def parent_pid_from_env() -> int | None:
    """The parent pid a parent put in the environment (None when started by hand)."""
    value = os.environ.get(PARENT_PID_ENV, "")
    return int(value) if value.isdigit() else None


def pid_alive(pid: int) -> bool:
    """Whether a process with this pid exists on this host (zombies count as dead)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as stat:
            return stat.read().rsplit(")", 1)[-1].split()[0] != "Z"
    except OSError:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True


def _stat(pid: int) -> list[str] | None:
    """The fields of /proc/<pid>/stat after the command name (state is [0], ppid [1], start time [19])."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as stat:
            return stat.read().rsplit(")", 1)[-1].split()
    except OSError:
        return None


def descendants(pid: int) -> dict[int, str]:
    """Every live process below `pid`, with its start time (to tell a reused pid)."""
    parents: dict[int, list[tuple[int, str]]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit() and (fields := _stat(int(entry))) is not None:
            parents.setdefault(int(fields[1]), []).append((int(entry), fields[19]))
    found: dict[int, str] = {}
    todo = [pid]
    while todo:
        for child, started in parents.get(todo.pop(), []):
            if child not in found:
                found[child] = started
                todo.append(child)
    return found


def watch(parent: int, interval: float = 0.5) -> int:
    """Until `parent` dies, remember its process tree; then SIGKILL whatever of it is left (the
    embedded Prefect server, a LibreOffice conversion…). Returns how many were killed."""
    import time

    tree: dict[int, str] = {}
    while pid_alive(parent):
        tree = descendants(parent) or tree
        time.sleep(interval)
    killed = 0
    tree.pop(os.getpid(), None)
    for pid, started in tree.items():
        fields = _stat(pid)
        if fields is not None and fields[19] == started and fields[0] != "Z":
            with suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)
                killed += 1
    return killed


def start_watchdog() -> None:
    """Start a watchdog (in its own session, so it outlives a kill of this process) that kills this
    process's leftover children once it is gone; Linux only, once per process."""
    global _WATCHDOG
    if _WATCHDOG or not sys.platform.startswith("linux"):
        return
    import subprocess

    _WATCHDOG = True
    subprocess.Popen(
        [sys.executable, "-m", "crawler.lifeline", str(os.getpid())],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


_WATCHDOG = False


if __name__ == "__main__":
    watch(int(sys.argv[1]))
