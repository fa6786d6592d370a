"""The processes of a benchmark run (web, websockets, Celery, beat, the live-counter pusher),
the CPU each component uses (from /proc), and the benchmark's Cassandra keyspace."""

import contextlib
import os
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path
from typing import Any

from bench.engagement.config import (
    BIN,
    CASSANDRA_PORT,
    CELERY_CONCURRENCY,
    ENV,
    HTTP_PORT,
    KEYSPACE,
    LOGS,
    PG_PORT,
    PIDS,
    REDIS_PORT,
    ROOT,
    RUN,
    WEB_THREADS,
    WEB_WORKERS,
    WORKER_ENV,
    WS_PORT,
    log,
)


class Stack:
    """Every long-running process of the run, each in its own process group (killed as one)."""

    def __init__(self) -> None:
        self.procs: dict[str, subprocess.Popen] = {}

    def start(self, name: str, argv: list[str], env: dict[str, str] | None = None) -> subprocess.Popen:
        out = open(LOGS / f"{name}.log", "ab")  # noqa: SIM115 - lives as long as the process
        proc = subprocess.Popen(  # noqa: S603 - our own argv
            argv, cwd=ROOT, env={**ENV, **(env or {})}, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
        self.procs[name] = proc
        with PIDS.open("a") as pids:
            pids.write(f"{proc.pid}\n")
        return proc

    def kill(self, name: str, sig: int = signal.SIGKILL) -> None:
        proc = self.procs[name]
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, sig)
        proc.wait(timeout=30)

    def stop_all(self) -> None:
        for proc in self.procs.values():
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + 15
        for proc in self.procs.values():
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)
        self.procs.clear()
        PIDS.unlink(missing_ok=True)


def manage(*args: str, timeout: float = 600) -> str:
    result = subprocess.run(  # noqa: S603 - our own argv
        [str(BIN / "python"), "manage.py", *args], cwd=ROOT, env=ENV, capture_output=True, text=True, timeout=timeout
    )
    if result.returncode != 0:
        raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result.stdout


def wait_until(what: str, check: Any, timeout: float, interval: float = 0.2) -> float:
    start = time.monotonic()
    while True:
        with contextlib.suppress(Exception):
            if check():
                return time.monotonic() - start
        if time.monotonic() - start > timeout:
            raise RuntimeError(f"{what}: not ready after {timeout:.0f}s")
        time.sleep(interval)


def http_ok(path: str) -> bool:
    with urllib.request.urlopen(f"http://127.0.0.1:{HTTP_PORT}{path}", timeout=2) as response:
        return response.status == 200


def port_open(port: int) -> bool:
    with socket.create_connection(("127.0.0.1", port), timeout=1):
        return True


def worker_argv(name: str) -> list[str]:
    return [str(BIN / "celery"), "-A", "workers.celery", "worker", "-Q", "engagement,notifications,default",
            "-c", str(CELERY_CONCURRENCY), "-n", f"{name}@%h", "-l", "WARNING", "--without-gossip", "--without-mingle"]  # fmt: skip


def start_stack(stack: Stack) -> None:
    # As platform/entrypoints/web.sh: granian WSGI workers, threads, keep-alive.
    stack.start("web", [str(BIN / "granian"), "--interface", "wsgi", "--host", "127.0.0.1", "--port", str(HTTP_PORT),
                        "--workers", str(WEB_WORKERS), "--blocking-threads", str(WEB_THREADS), "--no-ws",
                        "--backlog", "2048", "--log-level", "warning", "settings.wsgi:application"])  # fmt: skip
    stack.start("uvicorn", [str(BIN / "uvicorn"), "settings.asgi:application", "--host", "127.0.0.1",
                            "--port", str(WS_PORT), "--no-access-log", "--log-level", "warning"])  # fmt: skip
    # As platform/entrypoints/worker.sh: below the web processes' CPU priority (WORKER_NICE).
    stack.start("worker1", worker_argv("bench1"), WORKER_ENV)
    stack.start("worker2", worker_argv("bench2"), WORKER_ENV)
    stack.start("beat", [str(BIN / "celery"), "-A", "workers.celery", "beat", "-l", "WARNING",
                         "-s", str(RUN / "celerybeat-schedule")])  # fmt: skip
    stack.start("pusher", [str(BIN / "python"), "manage.py", "engagement_pusher"])
    took = wait_until("web", lambda: http_ok("/health/live"), 60)
    wait_until("uvicorn", lambda: port_open(WS_PORT), 60)
    log(
        f"servers up ({took:.1f}s): granian x{WEB_WORKERS} workers x{WEB_THREADS} threads (keep-alive), uvicorn, 2 Celery workers x{CELERY_CONCURRENCY},"
        " beat, live-counter pusher"
    )


# --- where the CPU goes ------------------------------------------------------------------------------

CLK_TCK = os.sysconf("SC_CLK_TCK")


def _tree(pid: int) -> list[int]:
    out, todo = [], [pid]
    while todo:
        current = todo.pop()
        out.append(current)
        for task in Path(f"/proc/{current}/task").glob("*"):
            with contextlib.suppress(OSError):
                todo += [int(c) for c in (task / "children").read_text().split()]
    return out


def _cpu_s(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / CLK_TCK  # utime + stime


def _pidfile(path: Path) -> int | None:
    with contextlib.suppress(OSError, ValueError):
        return int(path.read_text().split()[0])
    return None


def cassandra_pid() -> int | None:
    """Our node's pid file, else the one CassandraDaemon on this machine (a node started from
    another checkout serves the same port)."""
    pid = _pidfile(ROOT / ".run" / "cassandra" / "cassandra.pid")
    if pid and Path(f"/proc/{pid}").exists():
        return pid
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        with contextlib.suppress(OSError):
            if b"org.apache.cassandra.service.CassandraDaemon" in cmdline.read_bytes():
                return int(cmdline.parent.name)
    return None


def cpu_snapshot(stack: Stack, extra: dict[str, int] | None = None) -> dict[str, float]:
    """CPU seconds used so far per component (process trees), and by the whole machine."""
    roots: dict[str, list[int]] = {}
    for name, proc in stack.procs.items():
        roots.setdefault("celery" if name.startswith("worker") else name, []).append(proc.pid)
    state = Path(os.environ.get("REELHOUSE_STATE_DIR", "/var/tmp/reelhouse"))  # noqa: S108 - platform/services/lib.sh
    pg = _pidfile(state / f"pg-{PG_PORT}" / "postmaster.pid")
    redis_pid = _pidfile(ROOT / ".run" / f"redis-{REDIS_PORT}" / "redis.pid")
    cassandra = cassandra_pid()
    for name, pid in (
        ("postgres", pg),
        ("redis", redis_pid),
        ("cassandra (shared)", cassandra),
        *(extra or {}).items(),
    ):
        if pid:
            roots.setdefault(name, []).append(pid)
    ours: set[int] = set()
    snap: dict[str, Any] = {}
    for name, pids in roots.items():
        tree = [p for root in pids for p in _tree(root)]
        ours.update(tree)
        snap[name] = sum(_cpu_s(p) for p in tree)
    stat = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    snap["machine"] = (sum(stat[:8]) - stat[3] - stat[4]) / CLK_TCK  # all but idle and iowait (guest is in user)
    snap["_kernel"] = {"softirq": stat[6] / CLK_TCK, "steal": stat[7] / CLK_TCK}
    others = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and int(entry.name) not in ours:
            with contextlib.suppress(OSError, IndexError):
                head, tail = (entry / "stat").read_text().rsplit(")", 1)
                fields = tail.split()
                others[int(entry.name)] = (head.split("(", 1)[1], (int(fields[11]) + int(fields[12])) / CLK_TCK)
    snap["_others"] = others
    return snap


def cpu_cores(before: dict[str, float], after: dict[str, float], seconds: float) -> dict[str, float]:
    """Average cores busy per component between two snapshots; "other" is everything else."""
    used: dict[str, Any] = {
        name: max(0.0, after[name] - before.get(name, 0.0)) / seconds for name in after if not name.startswith("_")
    }
    used["other (not this benchmark)"] = max(0.0, used["machine"] - sum(v for k, v in used.items() if k != "machine"))
    result: dict[str, Any] = {name: round(value, 2) for name, value in used.items()}
    result["kernel"] = {k: round((after["_kernel"][k] - before["_kernel"][k]) / seconds, 2) for k in after["_kernel"]}
    by_name: dict[str, float] = {}
    for pid, (name, cpu) in after["_others"].items():
        start = before["_others"].get(pid, (name, 0.0))[1]
        by_name[name] = by_name.get(name, 0.0) + max(0.0, cpu - start) / seconds
    top = sorted(by_name.items(), key=lambda item: -item[1])[:4]
    result["top_other_processes"] = {name: round(value, 2) for name, value in top if value >= 0.01}
    return result


def drop_keyspace() -> None:
    from cassandra.cluster import Cluster
    from cassandra.policies import RoundRobinPolicy

    cluster = Cluster(["127.0.0.1"], port=CASSANDRA_PORT, protocol_version=4, load_balancing_policy=RoundRobinPolicy())
    try:
        session = cluster.connect()
        session.execute(f"DROP KEYSPACE IF EXISTS {KEYSPACE}", timeout=60)
    finally:
        cluster.shutdown()
