#!/usr/bin/env bash
# Redis on loopback: Celery broker, cache, live counters, rate limits, channel layer.
# usage: redis.sh install|start|stop|status|restart      REDIS_PORT (56379)
#   REDIS_AOF (yes)  REDIS_APPENDFSYNC (everysec | always | no; read at start, see docs/engagement.md)
set -euo pipefail
source "$(dirname "$0")/lib.sh"

PORT="${REDIS_PORT:-56379}"
APPENDFSYNC="${REDIS_APPENDFSYNC:-everysec}"
case "$APPENDFSYNC" in
  always|everysec|no) ;;
  *) echo "REDIS_APPENDFSYNC must be always, everysec or no (got '$APPENDFSYNC')" >&2; exit 2 ;;
esac
DIR="$RUN_DIR/redis-$PORT"

install() {
  command -v redis-server >/dev/null || { log "installing Redis from Debian's packages"; apt_install redis-server; }
}

ready() { [ "$(redis-cli -h 127.0.0.1 -p "$PORT" ping 2>/dev/null)" = "PONG" ]; }

start() {
  install
  mkdir -p "$DIR"
  if ! ready; then
    # noeviction: an evicted queue key would silently lose tasks. AOF keeps accepted
    # events across a restart. everysec: a machine crash (or a stalled disk under a killed
    # process) can lose about the last second of accepted events; always: a reply leaves
    # only after its write is fsynced (nothing accepted is lost; costs a fsync per write).
    redis-server --bind 127.0.0.1 --port "$PORT" --daemonize yes --dir "$DIR" \
      --pidfile "$DIR/redis.pid" --logfile "$DIR/redis.log" --save "" \
      --appendonly "${REDIS_AOF:-yes}" --appendfsync "$APPENDFSYNC" --maxmemory-policy noeviction \
      --protected-mode yes >/dev/null
  fi
  wait_for 30 "Redis on :$PORT" ready
  echo "redis://127.0.0.1:$PORT/0"
}

stop() {
  if ready; then redis-cli -h 127.0.0.1 -p "$PORT" shutdown nosave >/dev/null 2>&1 || true; fi
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
