"""The engagement benchmark's configuration: paths, ports and the knobs bench/run.sh and the
environment set (docs/benchmark.md), and the environment every process of the run gets."""

import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
RUN = ROOT / ".run" / "bench"
DATA = RUN / "data"
LOGS = RUN / "logs"
PIDS = RUN / "pids"
RESULTS = ROOT / "bench" / "results"
BIN = Path(sys.executable).parent

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
# pairs (why nine, not five: docs/benchmark.md).
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
# What this process itself needs to set Django up against the benchmark's services.
OWN_ENV = ("DJANGO_SETTINGS_MODULE", "DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "CASSANDRA_PORT",
           "CASSANDRA_KEYSPACE", "ENGAGEMENT_STORE", "ENGAGEMENT_TRANSPORT")  # fmt: skip


def export_environment() -> None:
    """Point this process at the benchmark's services; before anything imports Django."""
    os.environ.update({key: ENV[key] for key in OWN_ENV})


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)
