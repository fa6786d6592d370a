#!/usr/bin/env bash
# PostgreSQL on loopback for tests, the benchmark and local full-stack runs.
# usage: postgres.sh install|start|stop|status|wait|restart
#   PG_PORT (55432)  PG_DURABLE=1 keeps fsync/synchronous_commit on (the benchmark sets it)
set -euo pipefail
source "$(dirname "$0")/lib.sh"

PORT="${PG_PORT:-55432}"
DATA="$STATE_DIR/pg-$PORT"
PGUSER_NAME=reelhouse
PGDB=reelhouse

pg_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }

as_pg() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

install() {
  if [ -z "$(pg_bin)" ] || [ ! -x "$(pg_bin)/initdb" ]; then
    log "installing PostgreSQL from Debian's packages"
    apt_install postgresql postgresql-contrib
  fi
}

ready() { "$(pg_bin)/pg_isready" -q -h 127.0.0.1 -p "$PORT"; }

start() {
  install
  local bin; bin="$(pg_bin)"
  if [ ! -s "$DATA/PG_VERSION" ]; then
    mkdir -p "$DATA"
    [ "$(id -u)" -eq 0 ] && chown postgres:postgres "$DATA" "$STATE_DIR" 2>/dev/null || true
    chmod 700 "$DATA"
    as_pg "$bin/initdb" -D "$DATA" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
  fi
  if ! ready; then
    local durable="off"; [ "${PG_DURABLE:-0}" = "1" ] && durable="on"
    as_pg "$bin/pg_ctl" -D "$DATA" -l "$DATA/server.log" -w -t 60 \
      -o "-c listen_addresses=127.0.0.1 -p $PORT -c unix_socket_directories=$DATA -c max_connections=200 \
          -c fsync=$durable -c synchronous_commit=$durable -c full_page_writes=$durable \
          -c shared_buffers=256MB" start >/dev/null
  fi
  wait_for 60 "PostgreSQL on :$PORT" ready
  local psql=("$bin/psql" -h 127.0.0.1 -p "$PORT" -U postgres -d postgres -qtAX)
  if [ "$("${psql[@]}" -c "select 1 from pg_roles where rolname='$PGUSER_NAME'")" != "1" ]; then
    "${psql[@]}" -c "create role $PGUSER_NAME login superuser"
  fi
  if [ "$("${psql[@]}" -c "select 1 from pg_database where datname='$PGDB'")" != "1" ]; then
    "${psql[@]}" -c "create database $PGDB owner $PGUSER_NAME"
  fi
  echo "postgres://$PGUSER_NAME@127.0.0.1:$PORT/$PGDB"
}

stop() {
  if [ -s "$DATA/postmaster.pid" ]; then as_pg "$(pg_bin)/pg_ctl" -D "$DATA" -m fast -w stop >/dev/null || true; fi
  log "stopped"
}

case "${1:-start}" in
  install) install ;;
  start) start ;;
  stop) stop ;;
  restart) stop; start ;;
  status|wait) ready ;;
  *) echo "usage: $0 install|start|stop|status|restart" >&2; exit 2 ;;
esac
