"""Child processes die with their parent: no crawler or parser left running after its command.

Linux delivers SIGKILL to a process whose parent dies once it has asked with PR_SET_PDEATHSIG; the
child calls `die_with_parent` first thing (never as a preexec hook, which is unsafe in a threaded
parent) and exits at once if the parent is already gone.
"""

from __future__ import annotations

import os
import signal
import sys

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
