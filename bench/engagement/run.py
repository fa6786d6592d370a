"""The engagement benchmark (``make bench`` -> bench/run.sh -> this file; docs/benchmark.md).

bench/run.sh starts the benchmark's own PostgreSQL (durable commits) and Redis and makes
sure Cassandra runs; this script does the rest and stops every process it started:

1. fresh schema (both databases), users, videos and JWT access tokens (``bench_seed``);
2. granian (WSGI workers, keep-alive) for HTTP, uvicorn for websockets, two Celery workers, beat;
3. wrk + load.lua phases over loopback: floor, like uniform, like viral, naive viral and the
   same viral load with the latency probe beside it, playback ingest (batch) and naive ingest,
   then like uniform while one Celery worker is SIGKILLed in the middle of a batch;
4. waits until the pipeline is drained, verifies expected counts against PostgreSQL, the
   Redis live counters and the engagement store, and writes bench/results/engagement.json
   and engagement.md.

Phases whose endpoints do not exist (yet) are skipped and reported as "not run".
"""

import contextlib
import io
import json
import os
import platform
import random
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
RUN = ROOT / ".run" / "bench"
DATA = RUN / "data"
LOGS = RUN / "logs"
PIDS = RUN / "pids"
RESULTS = ROOT / "bench" / "results"
BIN = Path(sys.executable).parent
sys.path.insert(0, str(ROOT))

PG_PORT = int(os.environ.get("BENCH_PG_PORT", "55532"))
REDIS_PORT = int(os.environ.get("BENCH_REDIS_PORT", "56479"))
# The bench Redis's AOF fsync policy (bench/run.sh sets it): "everysec" as deployed, "always" to
# measure what never losing an accepted event on a crash costs. Other policies get their own results files.
APPENDFSYNC = os.environ.get("BENCH_REDIS_APPENDFSYNC", "everysec")
RESULTS_NAME = "engagement" if APPENDFSYNC == "everysec" else f"engagement-appendfsync-{APPENDFSYNC}"
CASSANDRA_PORT = int(os.environ.get("CASSANDRA_PORT", "59042"))
HTTP_PORT = int(os.environ.get("BENCH_HTTP_PORT", "58100"))
WS_PORT = int(os.environ.get("BENCH_WS_PORT", "58101"))
DB_NAME = "reelhouse_bench"
KEYSPACE = os.environ.get("BENCH_KEYSPACE", "bench_reelhouse")
WEB_WORKERS = int(os.environ.get("BENCH_WEB_WORKERS", str(os.cpu_count() or 2)))
WEB_THREADS = int(os.environ.get("BENCH_WEB_THREADS", "4"))
CELERY_CONCURRENCY = int(os.environ.get("BENCH_CELERY_CONCURRENCY", "2"))
WORKER_ENV = {"WORKER_NICE": os.environ.get("BENCH_WORKER_NICE", "19")}
# Cassandra, like the Celery workers, only serves deferred work here: while the benchmark
# runs, its scheduling group gets this nice (restored afterwards; the node is shared).
CASSANDRA_NICE = int(os.environ.get("BENCH_CASSANDRA_NICE", "19"))
WRK_THREADS = int(os.environ.get("BENCH_WRK_THREADS", "2"))
WRK_CONNECTIONS = int(os.environ.get("BENCH_WRK_CONNECTIONS", "32"))
SECONDS = float(os.environ.get("BENCH_SECONDS", "15"))  # per load phase outside the like block
# The four phases the like targets compare (floor, uniform, viral, naive viral) run as ROUNDS
# slices of SLICE_S each, in an order rotated every round, and each target is the
# median of its per-round ratios: one noisy stretch (the host taking CPU, a compaction) can
# spoil one round's ratio, not decide the verdict, and no phase always runs after the same one.
# The latency probe (a websocket, counter and PostgreSQL polling, its own likes) costs CPU, so
# it runs in a slice of its own under the same viral load ("viral_probe", on another hot
# video): the slices the ratios compare all run without it.
# Nine rounds: the host's speed moves within seconds, so one run's verdict needs many short
# pairs (with five, the median of the same code's uniform/floor ratio moved 0.54-0.66).
ROUNDS = max(1, int(os.environ.get("BENCH_ROUNDS", "9")))
SLICE_S = float(os.environ.get("BENCH_SLICE_S", "3"))
LIKE_BLOCK = ("floor", "like_uniform", "like_viral", "naive_viral", "viral_probe")
# Likes before anything is measured. A Cassandra node this run started itself is a cold JVM
# (bench/run.sh sets BENCH_CASSANDRA_FRESH): its writes cost several times the CPU until the JIT
# has compiled the write path, so it gets a longer warm-up.
WARMUP_S = float(os.environ.get("BENCH_WARMUP_S", "30" if os.environ.get("BENCH_CASSANDRA_FRESH") == "1" else "6"))
PLAYBACK_WARMUP_S = WARMUP_S / 6
WARMUP_G0 = 10**9  # the warm-up's playback event ids stay clear of the measured phase's
PROBED_HOT = 1  # the probed slices' hot video: sets["viral"][1] (load.lua: one pass over the users further)
PROBE_USERS = 3000  # each probe like is by a user of its own; the rounds' probes split them
PROBE_RATE = 10  # likes/s of the latency probe during each probed viral slice
USERS = int(os.environ.get("BENCH_USERS", "60000"))  # each round's slices like as USERS / ROUNDS of them
DRAIN_TIMEOUT_S = float(os.environ.get("BENCH_DRAIN_TIMEOUT_S", "150"))
# For working on one figure: BENCH_PHASES=like_uniform,ingest runs only those load phases (and
# writes no results files); BENCH_PROFILE=<phase> samples the web server and Celery with py-spy
# during that phase (py-spy must be installed) into .run/bench/profile-<phase>-<process>.txt.
PHASES = {p for p in os.environ.get("BENCH_PHASES", "").split(",") if p}
PROFILE = os.environ.get("BENCH_PROFILE", "")
BACKSTOP_S = 60  # wrk's -d is the phase plus this; it is interrupted as soon as every thread is done

FLUSH_INTERVAL_S = float(os.environ.get("COUNTER_FLUSH_INTERVAL_S", "2"))  # the pipeline's default
LOADAVG_AT_START = os.getloadavg()[0]  # other work on the machine skews every figure

ENV = {
    **os.environ,
    "DJANGO_SETTINGS_MODULE": "settings.bench",
    "DATABASE_URL": f"postgres://reelhouse@127.0.0.1:{PG_PORT}/{DB_NAME}",
    "REDIS_URL": f"redis://127.0.0.1:{REDIS_PORT}/0",
    "CELERY_BROKER_URL": f"redis://127.0.0.1:{REDIS_PORT}/0",
    "CASSANDRA_PORT": str(CASSANDRA_PORT),
    "CASSANDRA_KEYSPACE": KEYSPACE,
    "ENGAGEMENT_STORE": "cassandra",
    "ENGAGEMENT_TRANSPORT": "redis",
    "PYTHONUNBUFFERED": "1",
}
os.environ.update({k: ENV[k] for k in ("DJANGO_SETTINGS_MODULE", "DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL",
                                       "CASSANDRA_PORT", "CASSANDRA_KEYSPACE", "ENGAGEMENT_STORE",
                                       "ENGAGEMENT_TRANSPORT")})  # fmt: skip


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


# --- processes ---------------------------------------------------------------------------------


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


def _cassandra_pid() -> int | None:
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


def cpu_snapshot(stack: "Stack", extra: dict[str, int] | None = None) -> dict[str, float]:
    """CPU seconds used so far per component (process trees), and by the whole machine."""
    roots: dict[str, list[int]] = {}
    for name, proc in stack.procs.items():
        roots.setdefault("celery" if name.startswith("worker") else name, []).append(proc.pid)
    state = Path(os.environ.get("REELHOUSE_STATE_DIR", "/var/tmp/reelhouse"))  # noqa: S108 - platform/services/lib.sh
    pg = _pidfile(state / f"pg-{PG_PORT}" / "postmaster.pid")
    redis_pid = _pidfile(ROOT / ".run" / f"redis-{REDIS_PORT}" / "redis.pid")
    cassandra = _cassandra_pid()
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


# --- load -------------------------------------------------------------------------------------------


def wanted(phase: str) -> bool:
    return not PHASES or phase in PHASES


def start_profilers(name: str, seconds: float) -> None:
    if name not in (PROFILE, f"{PROFILE}#0"):  # a sliced phase: its first slice
        return
    for proc_name in ("web", "worker1", "worker2"):
        subprocess.Popen(  # noqa: S603
            [str(BIN / "py-spy"), "record", "--pid", str(STACK.procs[proc_name].pid), "--subprocesses",
             "--duration", os.environ.get("BENCH_PROFILE_S", str(int(seconds))), "--rate", "200", "--format", "raw", "--nonblocking",
             *(["--idle"] if os.environ.get("BENCH_PROFILE_IDLE") else []),
             "--output", str(RUN / f"profile-{name}-{proc_name}.txt")],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip


def wrk(name: str, mode: str, seconds: float, sets: list[str], run_id: int, *, wait: bool = True, g0: int = 0) -> Any:
    out = RUN / f"wrk-{name}.json"
    for stale in [out, *RUN.glob(f"{out.name}.done.*")]:
        stale.unlink(missing_ok=True)
    argv = ["wrk", "-t", str(WRK_THREADS), "-c", str(WRK_CONNECTIONS), "-d", f"{int(seconds + BACKSTOP_S)}s",
            "--timeout", "10s", "-s", str(HERE / "load.lua"), f"http://127.0.0.1:{HTTP_PORT}", "--",
            mode, str(seconds), str(DATA), str(out), str(run_id), str(WRK_THREADS), str(g0), *sets]  # fmt: skip
    log_file = open(LOGS / f"wrk-{name}.log", "w")  # noqa: SIM115 - lives as long as wrk
    CPU_MARKS[name] = (time.monotonic(), cpu_snapshot(STACK))
    proc = subprocess.Popen(argv, cwd=ROOT, stdout=log_file, stderr=subprocess.STDOUT)  # noqa: S603
    WRK_PIDS[name] = proc.pid
    start_profilers(name, seconds)
    if not wait:
        return proc, out
    return finish_wrk(name, proc, out)


def finish_wrk(name: str, proc: subprocess.Popen, out: Path) -> dict[str, Any]:
    # Every thread leaves a marker once all its engagement requests are answered; wrk itself
    # would sleep until -d, so interrupt it (SIGINT: it stops, then reports through done()).
    while proc.poll() is None:
        if len(list(RUN.glob(f"{out.name}.done.*"))) >= WRK_THREADS:
            proc.send_signal(signal.SIGINT)
            break
        time.sleep(0.05)
    started, before = CPU_MARKS.pop(name)
    after = cpu_snapshot(STACK, {"wrk": proc.pid})
    if proc.wait(timeout=BACKSTOP_S + 30) != 0 or not out.exists():
        raise RuntimeError(f"wrk {name} failed; see {LOGS / f'wrk-{name}.log'}")
    result = json.loads(out.read_text())
    result["rps"] = result["answered"] / result["elapsed_s"]
    result["unresolved"] = result["issued"] - result["answered"]  # engagement requests wrk never saw answered
    result["cpu_cores"] = cpu_cores(before, after, time.monotonic() - started)
    log(
        f"{name}: {result['rps']:.0f} req/s, p50 {result['latency_us']['p50'] / 1000:.1f} ms, "
        f"p99 {result['latency_us']['p99'] / 1000:.1f} ms, accepted {result['accepted']}, "
        f"errors {result['errors']}, unresolved {result['unresolved']}, statuses {result['statuses']}"
    )
    return result


# --- the pipeline's state ---------------------------------------------------------------------------


def engagement_status() -> dict[str, int]:
    from django.core.management import call_command

    buffer = io.StringIO()
    call_command("engagement_status", stdout=buffer)
    return json.loads(buffer.getvalue())


def celery_busy() -> int:
    """Celery messages queued or being worked on: notifications the likes caused, say. The
    Redis transport indexes delivered, unacknowledged messages by delivery time in
    ``unacked_index``; those of the last minute count (a SIGKILLed worker's stay there until
    the visibility timeout, and must not hold the benchmark up)."""
    import redis

    client = redis.Redis(host="127.0.0.1", port=REDIS_PORT)
    try:
        queued = sum(client.llen(queue) for queue in ("engagement", "notifications", "default"))
        return queued + client.zcount("unacked_index", time.time() - 60, "+inf")
    finally:
        client.close()


def wait_drained(timeout: float = DRAIN_TIMEOUT_S) -> float:
    """Seconds until the stream is empty, no counter waits for its PostgreSQL flush and the
    Celery workers have nothing left (so the next phase measures a quiet machine)."""
    start = time.monotonic()
    while True:
        status = engagement_status()
        if status["stream_pending"] == 0 and status["dirty_counters"] == 0 and celery_busy() == 0:
            return time.monotonic() - start
        if time.monotonic() - start > timeout:
            raise RuntimeError(f"pipeline not drained after {timeout:.0f}s: {status}")
        time.sleep(0.1)


def counts(video_ids: list[int], field: str) -> dict[str, int]:
    """``field`` (likes or views) summed over ``video_ids`` as PostgreSQL, the Redis live
    counters and the engagement store (Cassandra) see it."""
    from concurrent.futures import ThreadPoolExecutor

    from django_redis import get_redis_connection

    from apps.engagement.store import get_store
    from apps.videos.models import Video

    column = {"likes": "like_count", "views": "view_count"}[field]
    pg = sum(Video.objects.filter(pk__in=video_ids).values_list(column, flat=True))
    pipe = get_redis_connection("default").pipeline(transaction=False)
    for pk in video_ids:
        pipe.hget(f"eng:vc:{pk}", field)
    live = sum(int(v or 0) for v in pipe.execute())
    store = get_store()
    if field == "likes":
        one = lambda pk: store.like_count(video_id=pk)  # noqa: E731
    else:
        one = lambda pk: store.count_events(video_id=pk, kind="view")  # noqa: E731
    stored = one(video_ids[0])  # connects and prepares once, before the threads share the session
    with ThreadPoolExecutor(max_workers=16) as pool:
        stored += sum(pool.map(one, video_ids[1:]))
    return {"postgres": pg, "redis": live, "store": stored}


def install_update_counter(video_ids: list[int]) -> None:
    """Count UPDATEs of the viral videos' rows exactly: a row trigger, on these ids only, in the
    benchmark database only (pg_stat_user_tables counts the whole table and lags)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE IF NOT EXISTS bench_row_updates (video_id bigint PRIMARY KEY, n bigint NOT NULL)")
        cursor.execute(
            """CREATE OR REPLACE FUNCTION bench_count_update() RETURNS trigger AS $$
            BEGIN
              INSERT INTO bench_row_updates (video_id, n) VALUES (NEW.id, 1)
              ON CONFLICT (video_id) DO UPDATE SET n = bench_row_updates.n + 1;
              RETURN NULL;
            END $$ LANGUAGE plpgsql"""
        )
        ids = ",".join(str(int(pk)) for pk in video_ids)
        cursor.execute("DROP TRIGGER IF EXISTS bench_count_update ON videos_video")
        cursor.execute(
            f"CREATE TRIGGER bench_count_update AFTER UPDATE ON videos_video FOR EACH ROW "
            f"WHEN (OLD.id IN ({ids})) EXECUTE FUNCTION bench_count_update()"
        )


def row_updates(video_ids: list[int]) -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT coalesce(sum(n), 0) FROM bench_row_updates WHERE video_id = ANY(%s)", [video_ids])
        return int(cursor.fetchone()[0])


def pool_children(pid: int) -> list[int]:
    try:
        return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def pending_by_consumer() -> dict[str, int]:
    from django_redis import get_redis_connection

    client = get_redis_connection("default")
    try:
        info = client.xpending("eng:stream", "workers")
    except Exception:
        return {}
    return {c["name"].decode() if isinstance(c["name"], bytes) else c["name"]: int(c["pending"])
            for c in info.get("consumers", [])}  # fmt: skip


# --- the phases ------------------------------------------------------------------------------------


def endpoints() -> dict[str, bool]:
    from django.urls import Resolver404, resolve

    def exists(path: str) -> bool:
        try:
            resolve(path)
            return True
        except Resolver404:
            return False

    ws = False
    with contextlib.suppress(Exception):
        from settings.routing import websocket_urlpatterns

        ws = any(str(p.pattern) == "ws/videos/<int:video_id>/" for p in websocket_urlpatterns)
    return {
        "floor": exists("/api/v1/bench/noop"),
        "naive": exists("/api/v1/bench/naive-like/1"),
        "naive_playback": exists("/api/v1/bench/naive-playback"),
        "like": exists("/api/v1/videos/1/like"),
        "playback": exists("/api/v1/engagement/playback"),
        "counters": exists("/api/v1/videos/1/counters"),
        "ws": ws,
        "status": _has_command("engagement_status"),
    }


def _has_command(name: str) -> bool:
    from django.core.management import get_commands

    return name in get_commands()


STACK: "Stack"
CPU_MARKS: dict[str, tuple[float, dict[str, float]]] = {}
WRK_PIDS: dict[str, int] = {}


def run(stack: Stack) -> dict[str, Any]:
    import django

    global STACK
    STACK = stack

    LOGS.mkdir(parents=True, exist_ok=True)
    (RUN / "celerybeat-schedule").unlink(missing_ok=True)
    log(f"schema: PostgreSQL {DB_NAME} on :{PG_PORT} (durable), keyspace {KEYSPACE} on :{CASSANDRA_PORT}")
    drop_keyspace()
    manage("migrate", "--noinput")
    # `migrate --database cassandra` (django-cassandra-engine 1.11's wrapper) fails on Django 5.2: it
    # passes migrate's options on to sync_cassandra. sync_cassandra is what it would have run.
    manage("sync_cassandra", "--database", "cassandra")
    seed_out = manage("bench_seed", "--out", str(DATA), "--users", str(USERS), "--probe-users", str(PROBE_USERS))
    log(f"seeded: {seed_out.strip()}")
    seed = json.loads((DATA / "seed.json").read_text())
    sets: dict[str, list[int]] = seed["sets"]

    django.setup()
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW synchronous_commit")
        sync_commit = cursor.fetchone()[0]
        cursor.execute("SHOW fsync")
        fsync = cursor.fetchone()[0]
    if (sync_commit, fsync) != ("on", "on"):
        raise RuntimeError(f"the benchmark needs durable commits (fsync={fsync}, synchronous_commit={sync_commit})")
    have = endpoints()
    log(f"endpoints: {have}")
    pipeline = have["like"] and have["status"]
    install_update_counter(sets["viral"])

    start_stack(stack)
    run_id = random.randrange(1, 2**31)
    results: dict[str, Any] = {"endpoints": have, "phases": {}, "not_run": []}
    phases = results["phases"]

    if pipeline:
        # Every component warm (the JVM's JIT above all) before anything is measured: likes on
        # videos of their own, not verified, then a drained pipeline.
        wrk("warmup_like", "like", WARMUP_S, ["warmup"], run_id)
        if have["playback"] and wanted("ingest"):
            # The playback write path too (watch-session maps, affinity parts, counted views): a
            # cold node had cost ingest twice Cassandra's CPU per event of a warm one. Plays of
            # the like warm-up's videos, numbered far from the measured phase's requests.
            wrk("warmup_playback", "playback", PLAYBACK_WARMUP_S, ["warmup"], run_id, g0=WARMUP_G0)
        log(f"warmed up; drained after {wait_drained():.1f}s")
    wrk("warmup", "floor", 3, [], run_id)
    wait_drained()
    probe_on = have["ws"] and have["counters"] and os.environ.get("BENCH_PROBE", "1") != "0"
    runnable = {
        "floor": wanted("floor"),
        "like_uniform": pipeline and wanted("like_uniform"),
        "like_viral": pipeline and wanted("like_viral"),
        "naive_viral": have["naive"] and wanted("naive_viral"),
        "viral_probe": pipeline and probe_on and wanted("like_viral"),
    }
    block = [name for name in LIKE_BLOCK if runnable[name]]
    slices: dict[str, list[dict[str, Any]]] = {name: [] for name in block}
    probes: list[dict[str, Any]] = []
    for round_no in range(ROUNDS if block else 0):
        order = block[round_no % len(block) :] + block[: round_no % len(block)]
        log(f"round {round_no + 1}/{ROUNDS}: {', '.join(order)}")
        for name in order:
            slices[name].append(like_slice(name, round_no, sets, run_id, probes))
    for name in block:
        phases[name] = pooled(slices[name])
    if block:
        results["rounds"] = rounds_table(slices, block)
    if probes:
        results["probe"] = pooled_probe(probes)
        log(f"probe: {json.dumps({k: v for k, v in results['probe'].items() if k not in ('like_ms', 'samples')})}")
    if "like_viral" in block and not probe_on:
        results["not_run"].append("latency probe (no websocket route or counters endpoint)")
    if not pipeline:
        results["not_run"] += ["like uniform", "like viral", "latency probe"]
    if not have["naive"]:
        results["not_run"].append("naive viral")

    if have["playback"] and have["status"] and wanted("ingest"):
        phases["ingest"] = ingest = wrk("ingest", "playback", SECONDS, ["playback"], run_id)
        t_wrk_end, before = time.monotonic(), cpu_snapshot(STACK)
        drained = wait_drained()
        ingest["drain_cpu_cores"] = cpu_cores(before, cpu_snapshot(STACK), time.monotonic() - t_wrk_end)
        ingest["drained_after_load_s"] = drained
        ingest["end_to_end_s"] = (t_wrk_end + drained) - ingest["t_first"]
        ingest["events_per_s"] = ingest["accepted"] / ingest["end_to_end_s"]
        log(f"ingest: {ingest['accepted']} events, {ingest['views']} views, drained {drained:.1f}s after the "
            f"load, {ingest['events_per_s']:.0f} events/s end to end")  # fmt: skip
    elif not (have["playback"] and have["status"]):
        results["not_run"].append("playback ingest")
    if have["naive_playback"] and wanted("naive_ingest"):
        phases["naive_ingest"] = naive = wrk("naive_ingest", "naive_playback", SECONDS, ["naive_playback"], run_id)
        naive["events_per_s"] = naive["accepted"] / naive["elapsed_s"]
    elif not have["naive_playback"]:
        results["not_run"].append("naive ingest")

    if pipeline and wanted("like_kill"):
        results["kill"] = kill_run(stack, run_id)
        phases["like_kill"] = results["kill"].pop("wrk")
        drained = wait_drained()
        log(f"drained {drained:.1f}s after the kill run")
    elif not pipeline:
        results["not_run"].append("worker SIGKILL run")

    time.sleep(1)
    results["verification"] = verify(results, sets)
    results["row_updates_viral"] = row_updates(sets["viral"]) if pipeline else None
    results["final_status"] = engagement_status() if have["status"] else None
    return results


def like_slice(
    name: str, round_no: int, sets: dict[str, list[int]], run_id: int, probes: list[dict[str, Any]]
) -> dict[str, Any]:
    """One slice of a like-block phase. Each round's slices like with their own block of users
    (g0), so no (user, video) pair repeats across rounds and the viral mix keeps one hot video.
    The probed viral slices number their requests one pass over the users further (load.lua):
    the same users, but the next hot video and other cold ones, so no pair repeats either."""
    seconds = SLICE_S
    g0 = round_no * (USERS // ROUNDS)
    tag = f"{name}#{round_no}"
    window_start = time.monotonic()  # the viral video may take likes from here (the probe starts first)
    if name == "floor":
        return wrk(tag, "floor", seconds, [], run_id, g0=g0)
    if name == "naive_viral":
        return wrk(tag, "naive", seconds, ["naive_viral", "naive_cold"], run_id, g0=g0)
    if name == "like_uniform":
        result = wrk(tag, "like", seconds, ["uniform"], run_id, g0=g0)
    elif name == "like_viral":
        result = wrk(tag, "like", seconds, ["viral", "cold"], run_id, g0=g0)
    else:
        out = RUN / f"probe-{round_no}.json"
        probe = subprocess.Popen(  # noqa: S603
            [str(BIN / "python"), str(HERE / "probe.py"), "--http", f"127.0.0.1:{HTTP_PORT}",
             "--ws", f"127.0.0.1:{WS_PORT}", "--video", str(sets["viral"][PROBED_HOT]),
             "--tokens", str(DATA / "probe_tokens.txt"), "--token-offset", str(round_no * (PROBE_USERS // ROUNDS)),
             "--dsn", ENV["DATABASE_URL"], "--seconds", str(max(1.0, seconds - 1)), "--rate", str(PROBE_RATE), "--out", str(out)],
            cwd=ROOT, env=ENV, stdout=open(LOGS / f"probe-{round_no}.log", "w"), stderr=subprocess.STDOUT,  # noqa: SIM115
        )  # fmt: skip
        result = wrk(tag, "like", seconds, ["viral", "cold"], run_id, g0=g0 + PROBED_HOT * USERS)
        if probe.wait(timeout=120) != 0:
            raise RuntimeError(f"latency probe failed; see {LOGS / f'probe-{round_no}.log'}")
        probes.append(json.loads((RUN / f"probe-{round_no}.json").read_text()))
    result["drained_after_load_s"] = drained = wait_drained()
    result["window_s"] = time.monotonic() - window_start
    log(f"drained after {drained:.1f}s")
    if result["issued"] > USERS // ROUNDS:
        log(
            f"warning: {tag} issued {result['issued']} likes, more than its {USERS // ROUNDS} users (raise BENCH_USERS)"
        )
    return result


def _median(values: list[float]) -> float:
    return statistics.median(values) if values else 0.0


def _weighted(values: list[tuple[float, Any]]) -> Any:
    """Elapsed-weighted mean of CPU dicts (nested dicts too)."""
    total = sum(w for w, _ in values) or 1.0
    first = values[0][1]
    if isinstance(first, dict):
        keys = {k for _, v in values for k in v}
        return {k: _weighted([(w, v.get(k, 0.0)) for w, v in values]) for k in keys}
    return round(sum(w * v for w, v in values) / total, 2)


def pooled(parts: list[dict[str, Any]]) -> dict[str, Any]:
    """A sliced phase as one: counts and time summed (req/s pooled), latency percentiles the
    median of the slices', CPU weighted by time; each slice kept under "slices"."""
    if len(parts) == 1:
        return {**parts[0], "slices": parts}
    out: dict[str, Any] = {}
    for key in ("accepted", "duplicates", "errors", "views", "rejected", "issued", "answered", "noops",
                "wrk_requests", "socket_errors", "timeouts", "unresolved", "elapsed_s", "drained_after_load_s"):  # fmt: skip
        if any(key in part for part in parts):
            out[key] = sum(part.get(key, 0) for part in parts)
    out["statuses"] = {}
    for part in parts:
        for code, n in part["statuses"].items():
            out["statuses"][code] = out["statuses"].get(code, 0) + n
    out["t_first"], out["t_last"] = parts[0]["t_first"], parts[-1]["t_last"]
    out["rps"] = out["answered"] / out["elapsed_s"] if out["elapsed_s"] else 0.0
    out["latency_us"] = {q: _median([part["latency_us"][q] for part in parts]) for q in ("p50", "p90", "p99", "mean")}
    out["latency_us"]["max"] = max(part["latency_us"]["max"] for part in parts)
    out["cpu_cores"] = _weighted(
        [
            (part["elapsed_s"], {k: v for k, v in part["cpu_cores"].items() if k != "top_other_processes"})
            for part in parts
        ]
    )
    out["slices"] = [
        {"rps": part["rps"], "p99_ms": part["latency_us"]["p99"] / 1000, "elapsed_s": part["elapsed_s"],
         "web_cores": part["cpu_cores"].get("web"), "steal_cores": part["cpu_cores"].get("kernel", {}).get("steal"),
         "drained_after_load_s": part.get("drained_after_load_s", 0.0), "window_s": part.get("window_s")}
        for part in parts
    ]  # fmt: skip
    return out


def rounds_table(slices: dict[str, list[dict[str, Any]]], block: list[str]) -> list[dict[str, Any]]:
    """Per round: each phase's req/s and p99, the ratios the targets compare, the most CPU the
    host took (steal) during any of its slices."""
    table = []
    for round_no in range(ROUNDS):
        row: dict[str, Any] = {
            "round": round_no + 1,
            "order": block[round_no % len(block) :] + block[: round_no % len(block)],
        }
        for name in block:
            part = slices[name][round_no]
            row[f"{name}_rps"] = part["rps"]
            row[f"{name}_p99_ms"] = part["latency_us"]["p99"] / 1000
        row["steal_max_cores"] = max(
            slices[name][round_no]["cpu_cores"].get("kernel", {}).get("steal", 0) for name in block
        )
        row["uniform_over_floor"] = ratio(row.get("like_uniform_rps"), row.get("floor_rps"))
        row["viral_over_uniform"] = ratio(row.get("like_viral_rps"), row.get("like_uniform_rps"))
        row["viral_over_naive"] = ratio(row.get("like_viral_rps"), row.get("naive_viral_rps"))
        row["p99_viral_over_naive"] = ratio(row.get("like_viral_p99_ms"), row.get("naive_viral_p99_ms"))
        table.append(row)
    return table


def pooled_probe(probes: list[dict[str, Any]]) -> dict[str, Any]:
    """The probes of every viral slice as one: samples pooled, percentiles recomputed."""
    from probe import summary  # bench/engagement/probe.py (this script's directory is on sys.path)

    samples: dict[str, list[float]] = {}
    for probe in probes:
        for key, values in probe["samples"].items():
            samples.setdefault(key, []).extend(values)
    out: dict[str, Any] = {key: sum(p[key] for p in probes) for key in ("likes_sent", "likes_accepted", "likes_failed")}
    out["like_ms"] = summary(samples.get("like_ms", []))
    for key in ("ws", "counter", "pg"):
        out[f"{key}_lag"] = summary(samples.get(key, []))
        out[f"{key}_lag_from_send"] = summary(samples.get(f"{key}_from_send", []))
    out["ws_lag"]["unresolved"] = sum(p["ws_lag"]["unresolved"] for p in probes)
    out["ws_lag"]["messages"] = sum(p["ws_lag"]["messages"] for p in probes)
    out["pg_lag"]["unresolved"] = sum(p["pg_lag"]["unresolved"] for p in probes)
    out["samples"] = samples
    return out


def kill_run(stack: Stack, run_id: int) -> dict[str, Any]:
    """Like uniform load on its own videos; once a pool process of worker 1 holds stream
    entries it has read but not acknowledged (mid-batch), SIGKILL the whole worker, then start
    it again as a supervisor would."""
    seconds = SECONDS * 0.8
    proc, out = wrk("like_kill", "like", seconds, ["kill"], run_id, wait=False)
    time.sleep(2)
    host = socket.gethostname()
    victim, pending_at_kill, deadline = "worker1", 0, time.monotonic() + seconds - 4
    while time.monotonic() < deadline and not pending_at_kill:
        pending = pending_by_consumer()
        for name in ("worker1", "worker2"):
            held = sum(pending.get(f"{host}:{child}", 0) for child in pool_children(stack.procs[name].pid))
            if held:
                victim, pending_at_kill = name, held
                break
        else:
            time.sleep(0.002)
    main_pid = stack.procs[victim].pid
    stack.kill(victim, signal.SIGKILL)
    log(f"SIGKILLed Celery {victim} (pid {main_pid}) holding {pending_at_kill} unacknowledged stream entries")
    time.sleep(2)
    stack.start(victim, worker_argv(f"{victim}b"), WORKER_ENV)
    return {"wrk": finish_wrk("like_kill", proc, out), "pending_entries_at_kill": pending_at_kill, "killed": victim}


def drop_keyspace() -> None:
    from cassandra.cluster import Cluster
    from cassandra.policies import RoundRobinPolicy

    cluster = Cluster(["127.0.0.1"], port=CASSANDRA_PORT, protocol_version=4, load_balancing_policy=RoundRobinPolicy())
    try:
        session = cluster.connect()
        session.execute(f"DROP KEYSPACE IF EXISTS {KEYSPACE}", timeout=60)
    finally:
        cluster.shutdown()


def verify(results: dict[str, Any], sets: dict[str, list[int]]) -> dict[str, Any]:
    """Expected (accepted answers) against every place that counts, per group of videos."""
    from apps.videos.models import Video
    from bench.django_app.models import NaiveLike

    phases = results["phases"]
    probe_likes = (results.get("probe") or {}).get("likes_accepted", 0)
    probed_viral = phases.get("viral_probe", {}).get("accepted", 0)  # wrk's likes beside the probe
    # (name, videos, field, phase, extra expected, most one unanswered request can add)
    plan = [
        ("like uniform", sets["uniform"], "likes", "like_uniform", 0, 1),
        ("like viral", sets["viral"] + sets["cold"], "likes", "like_viral", probe_likes + probed_viral, 1),
        ("like + SIGKILL", sets["kill"], "likes", "like_kill", 0, 1),
        ("playback views", sets["playback"], "views", "ingest", 0, 20),
    ]
    groups = [
        (name, ids, field, phases[key]["views" if field == "views" else "accepted"] + extra,
         phases[key]["unresolved"] * per_request)
        for name, ids, field, key, extra, per_request in plan
        if key in phases
    ]  # fmt: skip
    report: dict[str, Any] = {"groups": {}, "unresolved_requests": 0}
    lost = {"postgres": 0, "redis": 0, "store": 0}
    double = {"postgres": 0, "redis": 0, "store": 0}
    expected_total = counted_total = 0
    for name, ids, field, expected, slack in groups:
        got = counts(ids, field)
        report["groups"][name] = {"field": field, "expected": expected, **got}
        if slack:  # unanswered requests may or may not have been taken: a range, not a number
            report["groups"][name]["expected_max"] = expected + slack
        expected_total += expected
        counted_total += got["postgres"]
        for source, value in got.items():
            lost[source] += max(0, expected - value)
            double[source] += max(0, value - expected - slack)
    for key in ("like_uniform", "like_viral", "viral_probe", "like_kill", "ingest"):
        if key in phases:
            report["unresolved_requests"] += phases[key]["unresolved"]
    report["events_expected"] = expected_total
    report["events_counted"] = counted_total
    report["events_lost"] = max(lost.values())
    report["events_double_counted"] = max(double.values())
    report["lost_by_source"] = lost
    report["double_by_source"] = double
    if "naive_viral" in phases:
        ids = sets["naive_viral"] + sets["naive_cold"]
        rows = Video.objects.filter(pk__in=ids).values_list("like_count", flat=True)
        report["naive"] = {
            "expected": phases["naive_viral"]["accepted"],
            "like_count": sum(rows),
            "like_rows": NaiveLike.objects.filter(video_id__in=ids).count(),
        }
    log(f"verification: {json.dumps(report)}")
    return report


# --- the report -----------------------------------------------------------------------------------


def machine() -> dict[str, Any]:
    meminfo = Path("/proc/meminfo").read_text().splitlines()
    memory_kb = next(int(line.split()[1]) for line in meminfo if line.startswith("MemTotal"))
    return {
        "cores": os.cpu_count(),
        "memory_gb": round(memory_kb / 1024 / 1024, 1),
        "loadavg_1m_at_start": LOADAVG_AT_START,
        "platform": platform.platform(),
    }


def figures(results: dict[str, Any]) -> dict[str, Any]:
    phases = results["phases"]
    out: dict[str, Any] = {}

    def put(key: str, value: Any, digits: int = 1) -> None:
        if value is not None:
            out[key] = round(value, digits)

    def ms(phase: str, q: str) -> float | None:
        return phases[phase]["latency_us"][q] / 1000 if phase in phases else None

    put("floor_rps", phases.get("floor", {}).get("rps"))
    put("like_rps_uniform", phases.get("like_uniform", {}).get("rps"))
    put("like_p50_ms_uniform", ms("like_uniform", "p50"), 2)
    put("like_p99_ms_uniform", ms("like_uniform", "p99"), 2)
    put("like_rps_viral", phases.get("like_viral", {}).get("rps"))
    put("like_p50_ms_viral", ms("like_viral", "p50"), 2)
    put("like_p99_ms_viral", ms("like_viral", "p99"), 2)
    put("like_rps_viral_probed", phases.get("viral_probe", {}).get("rps"))  # beside the probe; in no ratio
    put("naive_rps_viral", phases.get("naive_viral", {}).get("rps"))
    put("naive_p50_ms_viral", ms("naive_viral", "p50"), 2)
    put("naive_p99_ms_viral", ms("naive_viral", "p99"), 2)
    put("ingest_events_per_s", phases.get("ingest", {}).get("events_per_s"))
    put("naive_ingest_events_per_s", phases.get("naive_ingest", {}).get("events_per_s"))
    probe = results.get("probe")
    if probe:
        put("ws_lag_p50_ms", probe["ws_lag"]["p50_ms"])
        put("ws_lag_p99_ms", probe["ws_lag"]["p99_ms"])
        put("ws_lag_unresolved", probe["ws_lag"]["unresolved"], 0)
        put("ws_lag_from_send_p50_ms", probe["ws_lag_from_send"]["p50_ms"])
        put("ws_lag_from_send_p99_ms", probe["ws_lag_from_send"]["p99_ms"])
        put("counter_lag_p50_ms", probe["counter_lag"]["p50_ms"])
        put("counter_lag_p99_ms", probe["counter_lag"]["p99_ms"])
        put("pg_counter_lag_p50_ms", probe["pg_lag"]["p50_ms"])
        put("pg_counter_lag_p99_ms", probe["pg_lag"]["p99_ms"])
        put("probe_like_p99_ms", probe["like_ms"]["p99_ms"])
    if results.get("row_updates_viral") is not None and "like_viral" in phases:
        from apps.videos.models import Video

        seed = json.loads((DATA / "seed.json").read_text())
        on_viral = sum(Video.objects.filter(pk__in=seed["sets"]["viral"]).values_list("like_count", flat=True))
        out["viral_video_likes"] = on_viral
        out["pg_updates_viral"] = results["row_updates_viral"]
        put("pg_updates_per_10k_viral_likes", results["row_updates_viral"] * 10000 / max(on_viral, 1), 2)
        # Flushes that can have run while a hot video took likes or waited for its flush: a
        # window of t seconds (from the slice's start, the probe's first like included, to its
        # drain) meets at most floor(t / interval) + 1 ticks of the periodic flush. The viral
        # slices' hot video and the probed slices' one each count their own windows.
        windows = phases["like_viral"]["slices"] + phases.get("viral_probe", {}).get("slices", [])
        ticks = sum(int(w["window_s"] // FLUSH_INTERVAL_S) + 1 for w in windows)
        out["flush_ticks_viral"] = ticks
        put("pg_updates_viral_per_flush_interval", results["row_updates_viral"] / max(ticks, 1), 2)
    for key in ("uniform_over_floor", "viral_over_uniform", "viral_over_naive", "p99_viral_over_naive"):
        values = [row[key] for row in results.get("rounds", []) if row.get(key) is not None]
        if values:  # the verdicts use the median of the rounds' ratios
            put(f"{key}_median", _median(values), 3)
            out[f"{key}_rounds"] = [round(value, 3) for value in values]
    verification = results["verification"]
    for key in ("events_expected", "events_counted", "events_lost", "events_double_counted"):
        out[key] = verification[key]
    out["unresolved_requests"] = verification["unresolved_requests"]
    if "kill" in results:
        out["kill_pending_entries_at_kill"] = results["kill"]["pending_entries_at_kill"]
    if "naive" in verification:
        naive = verification["naive"]
        out["naive_events_lost"] = max(0, naive["expected"] - naive["like_count"])
        out["naive_events_double_counted"] = max(0, naive["like_count"] - naive["expected"])
    out["machine"] = {k: v for k, v in machine().items() if k != "platform"}
    out["config"] = {
        "web_server": "granian (WSGI)",
        "web_workers": WEB_WORKERS,
        "web_threads": WEB_THREADS,
        "cassandra_nice": CASSANDRA_NICE,
        "worker_nice": int(WORKER_ENV["WORKER_NICE"]),
        "celery_workers": 2,
        "celery_concurrency": CELERY_CONCURRENCY,
        "wrk_threads": WRK_THREADS,
        "wrk_connections": WRK_CONNECTIONS,
        "phase_seconds": SECONDS,
        "rounds": ROUNDS,
        "slice_seconds": SLICE_S,
    }
    out["date"] = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return out


def ratio(a: float | None, b: float | None) -> float | None:
    return a / b if a is not None and b not in (None, 0) else None


def markdown(fig: dict[str, Any], results: dict[str, Any]) -> str:
    def f(value: Any, unit: str = "") -> str:
        if value is None:
            return "not run"
        return f"{value:,.0f}{unit}" if isinstance(value, int) or value >= 100 else f"{value:,.2f}{unit}"

    def verdict(ok: bool | None) -> str:
        return "not run" if ok is None else ("pass" if ok else "**FAIL**")

    like_floor = fig.get("uniform_over_floor_median")
    viral_uniform = fig.get("viral_over_uniform_median")
    viral_naive = fig.get("viral_over_naive_median")
    p99_ratio = fig.get("p99_viral_over_naive_median")
    ingest = ratio(fig.get("ingest_events_per_s"), fig.get("naive_ingest_events_per_s"))
    p99_lower = None if p99_ratio is None else p99_ratio < 1

    def per_round(key: str) -> str:
        values = fig.get(f"{key}_rounds")
        return f"; rounds {', '.join(f'{v:.2f}' for v in values)}" if values and len(values) > 1 else ""

    ran_pipeline = "like_rps_viral" in fig
    zero = (fig["events_lost"] == 0 and fig["events_double_counted"] == 0) if ran_pipeline else None

    def r(value: float | None, unit: str = "x") -> str:
        return "not run" if value is None else f"{value:.2f}{unit}"

    def ge(value: float | None, bound: float) -> bool | None:
        return None if value is None else value >= bound

    def le(value: float | None, bound: float) -> bool | None:
        return None if value is None else value <= bound

    rows = [
        ("Like ≥ 60 % of the framework floor (uniform)",
         f"{f(fig.get('like_rps_uniform'))} vs {f(fig.get('floor_rps'))} req/s{per_round('uniform_over_floor')}",
         r(like_floor), "≥ 0.60x", verdict(ge(like_floor, 0.6))),
        ("Viral ≥ 90 % of uniform",
         f"{f(fig.get('like_rps_viral'))} vs {f(fig.get('like_rps_uniform'))} req/s{per_round('viral_over_uniform')}",
         r(viral_uniform), "≥ 0.90x", verdict(ge(viral_uniform, 0.9))),
        ("≥ 3x the naive baseline, viral",
         f"{f(fig.get('like_rps_viral'))} vs {f(fig.get('naive_rps_viral'))} req/s{per_round('viral_over_naive')}",
         r(viral_naive), "≥ 3x", verdict(ge(viral_naive, 3))),
        ("… at lower p99",
         f"{f(fig.get('like_p99_ms_viral'), ' ms')} vs {f(fig.get('naive_p99_ms_viral'), ' ms')}"
         f"{per_round('p99_viral_over_naive')}",
         r(p99_ratio), "< 1x", verdict(p99_lower)),
        ("Batch ingest ≥ 25x naive per-event (events/s, end to end)",
         f"{f(fig.get('ingest_events_per_s'))} vs {f(fig.get('naive_ingest_events_per_s'))} events/s", r(ingest),
         "≥ 25x", verdict(ge(ingest, 25))),
        ("PostgreSQL UPDATEs of the viral video per 10,000 likes",
         f"{fig.get('pg_updates_viral', 'not run')} updates / {fig.get('viral_video_likes', 'not run')} likes "
         f"({f(fig.get('pg_updates_viral_per_flush_interval'))} per flush of the {fig.get('flush_ticks_viral', '?')} "
         f"that can have run while it took likes, every {FLUSH_INTERVAL_S:.0f} s)",
         f(fig.get("pg_updates_per_10k_viral_likes")), "≤ 20", verdict(le(fig.get("pg_updates_per_10k_viral_likes"), 20))),
        ("Like → websocket lag, p99", f"p50 {f(fig.get('ws_lag_p50_ms'), ' ms')}", f(fig.get("ws_lag_p99_ms"), " ms"),
         "≤ 1,000 ms", verdict(le(fig.get("ws_lag_p99_ms"), 1000))),
        ("Lost / double-counted events (incl. the SIGKILL run)",
         f"{fig['events_counted']:,} counted of {fig['events_expected']:,} expected",
         f"{fig['events_lost']} lost / {fig['events_double_counted']} double", "0 / 0", verdict(zero)),
    ]  # fmt: skip
    lines = [
        "# Engagement benchmark",
        "",
        f"Run {fig['date']} on {fig['machine']['cores']} cores, {fig['machine']['memory_gb']} GB "
        f"(`make bench`; how to read it: docs/benchmark.md). Everything on one machine over loopback: "
        f"granian x{WEB_WORKERS} WSGI workers x{WEB_THREADS} threads (keep-alive), uvicorn, 2 Celery workers x{CELERY_CONCURRENCY} + beat, "
        f"PostgreSQL 15 with durable commits, Redis (AOF, appendfsync {APPENDFSYNC}), Cassandra, and wrk ({WRK_THREADS} threads, "
        f"{WRK_CONNECTIONS} connections; {SECONDS:.0f} s per ingest phase). Load average when it started: "
        f"{fig['machine']['loadavg_1m_at_start']:.2f} (anything else running skews every figure).",
        "",
        f"The like phases ran as {ROUNDS} rounds of {SLICE_S:.0f} s slices in a rotated order; each "
        "like ratio below is the median of the rounds' ratios (the rounds are listed further down), "
        "req/s are pooled over the slices and p99 is the median of the slices' p99.",
        "",
        "| Target | Measured | Ratio / value | Target | Verdict |",
        "|---|---|---|---|---|",
        *[f"| {a} | {b} | {c} | {d} | {e} |" for a, b, c, d, e in rows],
        "",
        "## All figures",
        "",
        "| Phase | req/s | p50 ms | p99 ms | accepted | errors | unresolved | web CPU ms/req | Celery CPU ms/req |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for name, phase in results["phases"].items():
        cpu = phase.get("cpu_cores", {})
        per_request = {k: cpu.get(k, 0) * 1000 / phase["rps"] if phase["rps"] else 0 for k in ("web", "celery")}
        lines.append(
            f"| {name} | {phase['rps']:,.0f} | {phase['latency_us']['p50'] / 1000:.2f} | "
            f"{phase['latency_us']['p99'] / 1000:.2f} | {phase['accepted']:,} | {phase['errors']} | {phase['unresolved']} | "
            f"{per_request['web']:.1f} | {per_request['celery']:.1f} |"
        )
    lines += [
        "",
        "CPU ms/req divides the cores a component kept busy by the request rate: unlike req/s it does not",
        "depend on what else the machine ran. Playback requests carry 100 events each; Celery's share of the",
        "like phases includes draining what earlier requests queued.",
    ]
    rounds = results.get("rounds") or []
    if rounds:
        lines += ["", "Rounds of the like phases (req/s; ratios; the most CPU the host took, steal, in any slice):", "",
                  "| Round | order | floor | uniform | viral | naive viral | viral + probe | uniform / floor "
                  "| viral / uniform | viral / naive | p99 viral / naive | steal (cores) |", "|---" * 12 + "|"]  # fmt: skip
        for row in rounds:
            cells = [f(row.get(f"{name}_rps")) for name in LIKE_BLOCK]
            cells += [r(row.get(key)) for key in ("uniform_over_floor", "viral_over_uniform", "viral_over_naive",
                                                 "p99_viral_over_naive")]  # fmt: skip
            lines.append(f"| {row['round']} | {' → '.join(row['order'])} | " + " | ".join(cells)
                         + f" | {row['steal_max_cores']:.2f} |")  # fmt: skip
    columns = ["web", "uvicorn", "celery", "beat", "pusher", "postgres", "redis", "cassandra (shared)", "wrk",
               "other (not this benchmark)"]  # fmt: skip
    lines += ["", f"CPU during each phase, in cores busy (of {os.cpu_count()}), from /proc:", "",
              "| Phase | " + " | ".join(columns) + " | top other processes |", "|---" * (len(columns) + 2) + "|"]  # fmt: skip
    for name, phase in results["phases"].items():
        cpu = phase.get("cpu_cores", {})
        top = ", ".join(f"{k} {v:.2f}" for k, v in cpu.get("top_other_processes", {}).items()) or "-"
        lines.append(f"| {name} | " + " | ".join(f"{cpu.get(c, 0):.2f}" for c in columns) + f" | {top} |")
        if "drain_cpu_cores" in phase:  # after the load, until the pipeline has caught up
            cpu = phase["drain_cpu_cores"]
            top = ", ".join(f"{k} {v:.2f}" for k, v in cpu.get("top_other_processes", {}).items()) or "-"
            lines.append(f"| {name}: drain after the load | " + " | ".join(f"{cpu.get(c, 0):.2f}" for c in columns)
                         + f" | {top} |")  # fmt: skip
    lines += ["", f"Latency probe ({PROBE_RATE} likes/s on the hot video of the probed viral slices, "
              "beside the same viral load; the ratios above compare slices without it):", ""]  # fmt: skip
    probe = results.get("probe")
    if probe:
        lines += ["| Lag (p50 / p99) | from the like's answer | from sending the like | samples |", "|---|---|---|---|"]
        for key, label in (("ws_lag", "like → websocket message"), ("counter_lag", "like → GET /counters shows it"),
                           ("pg_lag", "like → PostgreSQL row shows it")):  # fmt: skip
            a, b = probe[key], probe[f"{key}_from_send"]
            lines.append(f"| {label} | {f(a['p50_ms'], ' ms')} / {f(a['p99_ms'], ' ms')} | "
                         f"{f(b['p50_ms'], ' ms')} / {f(b['p99_ms'], ' ms')} | {a['n']}"
                         f"{' (' + str(a['unresolved']) + ' unresolved)' if a.get('unresolved') else ''} |")  # fmt: skip
        lines.append(f"| the probe's like request itself | | {f(probe['like_ms']['p50_ms'], ' ms')} / "
                     f"{f(probe['like_ms']['p99_ms'], ' ms')} | {probe['like_ms']['n']} |")  # fmt: skip
    else:
        lines.append("- not run")
    lines += ["", "Verification after the queues drained (expected = accepted answers counted by wrk):", ""]
    for name, g in results["verification"]["groups"].items():
        lines.append(f"- {name} ({g['field']}): expected {g['expected']:,}; PostgreSQL {g['postgres']:,}, "
                     f"Redis {g['redis']:,}, engagement store {g['store']:,}")  # fmt: skip
    if "naive" in results["verification"]:
        n = results["verification"]["naive"]
        lines.append(
            f"- naive baseline: expected {n['expected']:,}; like_count {n['like_count']:,}, rows {n['like_rows']:,}"
        )
    if "kill" in results:
        lines.append(
            f"- SIGKILL run: Celery {results['kill']['killed']} was killed holding "
            f"{results['kill']['pending_entries_at_kill']} read-but-unacknowledged stream entries (0 = no batch "
            "was in flight when the wait ran out); counts above include that run."
        )
    if results["not_run"]:
        lines += ["", "Not run (endpoint missing): " + ", ".join(results["not_run"]) + "."]
    return "\n".join(lines) + "\n"


def main() -> int:
    RUN.mkdir(parents=True, exist_ok=True)
    LOGS.mkdir(parents=True, exist_ok=True)
    stack = Stack()
    previous = signal.getsignal(signal.SIGTERM)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    started = time.monotonic()
    from workers.priority import group_nice

    cassandra = _cassandra_pid()
    cassandra_nice = group_nice(cassandra, CASSANDRA_NICE) if cassandra else None
    try:
        results = run(stack)
    finally:
        stack.stop_all()
        signal.signal(signal.SIGTERM, previous)
        if cassandra and cassandra_nice is not None:
            group_nice(cassandra, cassandra_nice)
    if PHASES:  # a partial run: details only, the committed results stay those of a full run
        (RUN / "details.json").write_text(json.dumps(results, indent=2, default=str))
        log(
            f"partial run ({','.join(sorted(PHASES))}) done in {time.monotonic() - started:.0f}s: {RUN / 'details.json'}"
        )
        return 0
    fig = figures(results)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{RESULTS_NAME}.json").write_text(json.dumps(fig, indent=2) + "\n")
    (RESULTS / f"{RESULTS_NAME}.md").write_text(markdown(fig, results))
    (RUN / "details.json").write_text(json.dumps(results, indent=2, default=str))
    log(f"done in {time.monotonic() - started:.0f}s: bench/results/{RESULTS_NAME}.json, {RESULTS_NAME}.md")
    print((RESULTS / f"{RESULTS_NAME}.md").read_text())
    return 0


if __name__ == "__main__":
    sys.exit(main())
