"""CPU priority of deferred work. Linux schedules each session as a group ("autogroup") and
weighs the groups against each other, not the processes: a process's own nice only counts
inside its group. So lowering a process below the web server takes its group's nice too."""

import contextlib
import os
from pathlib import Path


def group_nice(pid: int | str, nice: int) -> int | None:
    """Set the autogroup nice of ``pid``'s session ("self" for ours); returns the old value,
    or None where the kernel has no autogroups (or the group is not ours to change)."""
    path = Path(f"/proc/{pid}/autogroup")
    try:
        old = int(path.read_text().split("nice")[1])
        path.write_text(str(nice))
    except (OSError, IndexError, ValueError):
        return None
    return old


def lower_cpu_priority(nice: int) -> None:
    """Run this process (and what it forks) at ``nice``, its session's group included. At 19,
    the lowest nice, also under SCHED_IDLE: a web thread that wakes (a Redis answer arrived)
    then preempts the worker at once instead of waiting for the worker's time slice to end."""
    if nice <= 0:
        return
    group_nice("self", nice)
    os.nice(nice)
    if nice >= 19 and hasattr(os, "SCHED_IDLE"):
        with contextlib.suppress(OSError):  # not allowed here: nice alone
            os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))
