#!/usr/bin/env bash
# `make bench`: the engagement benchmark (docs/benchmark.md).
#
# Starts the benchmark's own PostgreSQL (durable commits) and Redis on their own ports,
# makes sure Cassandra runs (shared with development: its own keyspace), runs
# bench/engagement/run.py (servers, workers, wrk phases, verification, results), and stops
# everything it started on the way out, failure or not.
#   BENCH_PG_PORT (55532)  BENCH_REDIS_PORT (56479)  CASSANDRA_PORT (59042)
#   BENCH_SECONDS (15 per phase)  BENCH_WEB_WORKERS (one per core)  BENCH_WRK_CONNECTIONS (32)
#   BENCH_REDIS_APPENDFSYNC (everysec; "always" measures fsync per write: results go to
#   bench/results/engagement-appendfsync-always.*, the committed everysec results stay)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$(pwd)"
source platform/services/lib.sh
export BENCH_PG_PORT="${BENCH_PG_PORT:-55532}" BENCH_REDIS_PORT="${BENCH_REDIS_PORT:-56479}"
export CASSANDRA_PORT="${CASSANDRA_PORT:-59042}"
export BENCH_REDIS_APPENDFSYNC="${BENCH_REDIS_APPENDFSYNC:-everysec}"
BENCH_RUN="$ROOT/.run/bench"
mkdir -p "$BENCH_RUN/logs"
PY="$ROOT/.venv/bin/python"
started_cassandra=0

stop_started() {
  local rc=$?
  trap - EXIT INT TERM
  # The orchestrator stops its own processes; this is the backstop if it was killed.
  if [ -s "$BENCH_RUN/pids" ]; then
    while read -r pid; do kill -TERM -- "-$pid" 2>/dev/null || true; done <"$BENCH_RUN/pids"
    sleep 3
    while read -r pid; do kill -KILL -- "-$pid" 2>/dev/null || true; done <"$BENCH_RUN/pids"
    rm -f "$BENCH_RUN/pids"
  fi
  REDIS_PORT="$BENCH_REDIS_PORT" bash platform/services/redis.sh stop 2>/dev/null || true
  PG_PORT="$BENCH_PG_PORT" bash platform/services/postgres.sh stop 2>/dev/null || true
  if [ "$started_cassandra" = 1 ]; then bash platform/services/cassandra.sh stop || true; fi
  exit "$rc"
}
trap stop_started EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

command -v wrk >/dev/null || apt_install wrk

# Our own PostgreSQL, restarted so it surely runs with fsync and synchronous_commit on.
PG_PORT="$BENCH_PG_PORT" bash platform/services/postgres.sh stop 2>/dev/null || true
PG_PORT="$BENCH_PG_PORT" PG_DURABLE=1 bash platform/services/postgres.sh start >/dev/null
psql=("$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)/psql" -h 127.0.0.1 -p "$BENCH_PG_PORT" -U postgres -d postgres -qtAX)
"${psql[@]}" -c "DROP DATABASE IF EXISTS reelhouse_bench WITH (FORCE)"
"${psql[@]}" -c "CREATE DATABASE reelhouse_bench OWNER reelhouse"

REDIS_PORT="$BENCH_REDIS_PORT" REDIS_APPENDFSYNC="$BENCH_REDIS_APPENDFSYNC" bash platform/services/redis.sh start >/dev/null
# Also when a Redis of an earlier run still answers on the port (start leaves a running one alone).
redis-cli -h 127.0.0.1 -p "$BENCH_REDIS_PORT" config set appendfsync "$BENCH_REDIS_APPENDFSYNC" >/dev/null
redis-cli -h 127.0.0.1 -p "$BENCH_REDIS_PORT" flushall >/dev/null

if ! bash platform/services/cassandra.sh status >/dev/null 2>&1; then
  started_cassandra=1
  export BENCH_CASSANDRA_FRESH=1  # a cold JVM: run.py warms it up longer
  bash platform/services/cassandra.sh start >/dev/null
fi

"$PY" bench/engagement/run.py
