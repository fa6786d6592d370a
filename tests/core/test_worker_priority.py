"""Workers yield the CPU to the web processes: their session's scheduling group too."""

import os
import subprocess
import sys

import pytest

from workers.priority import group_nice

AUTOGROUPS = os.path.exists("/proc/self/autogroup")


@pytest.mark.skipif(not AUTOGROUPS, reason="the kernel has no autogroups")
def test_lower_cpu_priority_lowers_the_process_and_its_session_group():
    code = (
        "import os; from workers.priority import lower_cpu_priority; lower_cpu_priority(19); "
        "print(os.nice(0), open('/proc/self/autogroup').read().split('nice')[1].strip(), "
        "os.sched_getscheduler(0) == os.SCHED_IDLE)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, start_new_session=True
    ).stdout.split()

    assert out == ["19", "19", "True"]  # the lowest nice also idles: preempted at once


@pytest.mark.skipif(not AUTOGROUPS, reason="the kernel has no autogroups")
def test_group_nice_returns_the_old_value_so_it_can_be_restored():
    proc = subprocess.Popen(["sleep", "30"], start_new_session=True)
    try:
        assert group_nice(proc.pid, 10) == 0
        assert group_nice(proc.pid, 0) == 10
    finally:
        proc.kill()


def test_no_priority_change_asked_changes_nothing():
    from workers.priority import lower_cpu_priority

    before = os.nice(0)
    lower_cpu_priority(0)
    assert os.nice(0) == before
