#!/usr/bin/env bash
# Local single-node Apache Cassandra 5.0 for Reelhouse tests and benchmarks.
#
#   bash platform/services/cassandra.sh install|start|stop|status|wait|restart
#
# install  fetch cassandra-all + runtime jars with Maven into a cache outside the
#          repo (reused by every clone); no-op when the cache is complete.
# start    install if needed, render the config into the run dir, launch the JVM
#          detached (setsid + nohup), then wait for CQL. No-op if already up.
# wait     block until the native port answers a CQL OPTIONS frame.
# stop     SIGTERM, then SIGKILL after a grace period. No-op if not running.
# status   exit 0 iff our node is running and answering CQL.
# restart  stop + start.
#
# Environment (all optional):
#   CASSANDRA_PORT           native (CQL) port                  [59042]
#   CASSANDRA_STORAGE_PORT   internode port, loopback only; unset = the first free
#                            port from 27000-27099 (below the kernel's ephemeral
#                            range, remembered in the run dir for restarts)
#   CASSANDRA_JMX_PORT       local-only JMX port; unset = no JMX listener
#   CASSANDRA_HEAP           -Xms/-Xmx                          [1G]
#   CASSANDRA_START_TIMEOUT  seconds to wait for CQL            [180]
#   CASSANDRA_STOP_TIMEOUT   seconds between TERM and KILL      [60]
#   CASSANDRA_JAVA           java binary                        [java on PATH]
#   CASSANDRA_MLOCK          1 = let Cassandra mlockall() its memory (pins the whole heap)
#   CASSANDRA_MVN_ARGS       extra arguments for mvn (e.g. -o, -s settings.xml)
#   REELHOUSE_CACHE_DIR      jar cache root  [${XDG_CACHE_HOME:-$HOME/.cache}/reelhouse]
#   REELHOUSE_RUN_DIR        run dir root    [<repo>/.run]; node state in ./cassandra/
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
CONF_SRC="$REPO_ROOT/platform/cassandra"
POM="$CONF_SRC/pom.xml"

CASSANDRA_VERSION="$(sed -n 's:.*<cassandra.version>\(.*\)</cassandra.version>.*:\1:p' "$POM" | head -n1)"
[ -n "$CASSANDRA_VERSION" ] || { echo "cassandra: cannot read <cassandra.version> from $POM" >&2; exit 2; }

CACHE_ROOT="${REELHOUSE_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/reelhouse}"
INSTALL_DIR="$CACHE_ROOT/cassandra-$CASSANDRA_VERSION"
LIB_DIR="$INSTALL_DIR/lib"
MARKER="$INSTALL_DIR/.complete"

RUN_DIR="${REELHOUSE_RUN_DIR:-$REPO_ROOT/.run}/cassandra"
PID_FILE="$RUN_DIR/cassandra.pid"
LOG_DIR="$RUN_DIR/logs"
YAML="$RUN_DIR/cassandra.yaml"

PORT="${CASSANDRA_PORT:-59042}"
STORAGE_PORT="${CASSANDRA_STORAGE_PORT:-}"
HEAP="${CASSANDRA_HEAP:-1G}"
START_TIMEOUT="${CASSANDRA_START_TIMEOUT:-180}"
STOP_TIMEOUT="${CASSANDRA_STOP_TIMEOUT:-60}"
JAVA="${CASSANDRA_JAVA:-java}"
PYTHON="$(command -v python3 || true)"

log() { echo "cassandra: $*" >&2; }
die() { log "$*"; exit 1; }
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

# ---------------------------------------------------------------- install ---

is_installed() {
  [ -f "$MARKER" ] || return 1
  local want have
  want="$(cat "$MARKER")"
  have="$(find "$LIB_DIR" -maxdepth 1 -name '*.jar' 2>/dev/null | wc -l)"
  [ "$have" -gt 0 ] && [ "$have" = "$want" ] && [ -f "$LIB_DIR/cassandra-all-$CASSANDRA_VERSION.jar" ]
}

cmd_install() {
  if is_installed; then
    log "cassandra-all $CASSANDRA_VERSION already in $LIB_DIR ($(cat "$MARKER") jars)"
    return 0
  fi
  command -v mvn >/dev/null || die "mvn not found (needed once, to fetch cassandra-all $CASSANDRA_VERSION)"
  mkdir -p "$INSTALL_DIR"
  # Serialise concurrent installs of the same version.
  exec 8>"$INSTALL_DIR/.lock"
  command -v flock >/dev/null && flock 8
  if is_installed; then return 0; fi
  log "fetching cassandra-all $CASSANDRA_VERSION and runtime dependencies from Maven Central..."
  local t0 tmp n
  t0="$(now)"
  tmp="$INSTALL_DIR/lib.tmp.$$"
  rm -rf "$tmp"
  # shellcheck disable=SC2086
  if ! mvn -B -q -Dstyle.color=never -f "$POM" ${CASSANDRA_MVN_ARGS:-} \
      dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$tmp" >&2; then
    rm -rf "$tmp"
    die "maven fetch failed"
  fi
  [ -f "$tmp/cassandra-all-$CASSANDRA_VERSION.jar" ] || { rm -rf "$tmp"; die "maven did not produce cassandra-all-$CASSANDRA_VERSION.jar"; }
  rm -rf "$LIB_DIR"
  mv "$tmp" "$LIB_DIR"
  n="$(find "$LIB_DIR" -maxdepth 1 -name '*.jar' | wc -l)"
  echo "$n" >"$MARKER"
  log "fetched $n jars ($(du -sh "$LIB_DIR" | cut -f1)) into $LIB_DIR in $(elapsed "$t0")s"
}

# ------------------------------------------------------------------ probes ---

# Pid of our node, if the pid file names a live CassandraDaemon JVM.
node_pid() {
  [ -f "$PID_FILE" ] || return 1
  local pid
  pid="$(tr -dc '0-9' <"$PID_FILE")"
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q 'org.apache.cassandra.service.CassandraDaemon' || return 1
  echo "$pid"
}

# Real CQL check: send an OPTIONS frame, expect a SUPPORTED (0x06) reply.
cql_ready() {
  [ -n "$PYTHON" ] || die "python3 is needed for the CQL readiness probe"
  "$PYTHON" - "$PORT" <<'PY' 2>/dev/null
import socket, struct, sys
port = int(sys.argv[1])
try:
    s = socket.create_connection(("127.0.0.1", port), timeout=2)
    s.settimeout(3)
    # v4 request header: version, flags, stream id, opcode OPTIONS (0x05), body length 0
    s.sendall(struct.pack(">BBhBi", 0x04, 0, 1, 0x05, 0))
    hdr = b""
    while len(hdr) < 9:
        chunk = s.recv(9 - len(hdr))
        if not chunk:
            sys.exit(1)
        hdr += chunk
    version, _flags, _stream, opcode, _length = struct.unpack(">BBhBi", hdr)
    sys.exit(0 if (version & 0x80) and opcode == 0x06 else 1)
except Exception:
    sys.exit(1)
PY
}

# Exit 0 iff a listener could not take 127.0.0.1:PORT. SO_REUSEADDR as servers set
# it, so sockets lingering in TIME_WAIT do not count as taken.
port_in_use() {
  "$PYTHON" - "$1" <<'PY' 2>/dev/null
import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
try:
    s.bind(("127.0.0.1", int(sys.argv[1])))
    s.listen(1)
except OSError:
    sys.exit(0)
sys.exit(1)
PY
}

# The internode port only matters inside this single node, so when the caller did
# not pin one, take the first free port of a small range instead of failing on a
# port some unrelated process happens to hold.
choose_storage_port() {
  if [ -n "$STORAGE_PORT" ]; then
    choose_storage_port
    return 0
  fi
  local saved="" p
  [ -f "$RUN_DIR/storage_port" ] && saved="$(tr -dc '0-9' <"$RUN_DIR/storage_port")"
  for p in $saved $(seq 27000 27099); do
    if ! port_in_use "$p"; then
      STORAGE_PORT="$p"
      echo "$p" >"$RUN_DIR/storage_port"
      return 0
    fi
  done
  die "no free storage port in 27000-27099 (set CASSANDRA_STORAGE_PORT)"
}

log_tail() {
  local f
  for f in "$LOG_DIR/system.log" "$LOG_DIR/stdout.log"; do
    if [ -s "$f" ]; then
      echo "----- tail of $f -----" >&2
      tail -n 40 "$f" >&2
    fi
  done
}

# ---------------------------------------------------------------- commands ---

cmd_wait() {
  local t0 deadline
  t0="$(now)"
  deadline=$(( $(date +%s) + START_TIMEOUT ))
  # If we launched it, time from the launch rather than from this call.
  if [ -f "$RUN_DIR/started_at" ] && node_pid >/dev/null; then t0="$(cat "$RUN_DIR/started_at")"; fi
  while ! cql_ready; do
    # (plain kill -0: right after launch the pid may still be exec'ing into java)
    if [ -f "$PID_FILE" ] && ! kill -0 "$(tr -dc '0-9' <"$PID_FILE")" 2>/dev/null; then
      log "node process exited before CQL was ready"
      log_tail
      exit 1
    fi
    if [ "$(date +%s)" -ge "$deadline" ]; then
      log "CQL not ready on 127.0.0.1:$PORT after ${START_TIMEOUT}s"
      log_tail
      exit 1
    fi
    sleep 0.5
  done
  log "CQL ready on 127.0.0.1:$PORT ($(elapsed "$t0")s since start)"
}

java_major() {
  "$JAVA" -XshowSettings:properties -version 2>&1 |
    sed -n 's/^ *java\.specification\.version = //p' | head -n1
}

render_yaml() {
  mkdir -p "$RUN_DIR"/{data,commitlog,hints,saved_caches,cdc_raw,triggers} "$LOG_DIR"
  local esc
  esc="$(printf '%s' "$RUN_DIR" | sed 's/[&|\\]/\\&/g')"
  sed -e "s|@NATIVE_PORT@|$PORT|g" \
      -e "s|@STORAGE_PORT@|$STORAGE_PORT|g" \
      -e "s|@DATA_DIR@|$esc/data|g" \
      -e "s|@COMMITLOG_DIR@|$esc/commitlog|g" \
      -e "s|@HINTS_DIR@|$esc/hints|g" \
      -e "s|@SAVED_CACHES_DIR@|$esc/saved_caches|g" \
      -e "s|@CDC_DIR@|$esc/cdc_raw|g" \
      "$CONF_SRC/cassandra.yaml.in" >"$YAML.tmp"
  if grep -q '@[A-Z_]*@' "$YAML.tmp"; then die "unrendered placeholder in $YAML.tmp"; fi
  mv "$YAML.tmp" "$YAML"
}

cmd_start() {
  local pid
  # Serialise concurrent starts against the same run dir (the fd is closed for the JVM).
  mkdir -p "$RUN_DIR"
  exec 9>"$RUN_DIR/.start.lock"
  command -v flock >/dev/null && flock 9
  if pid="$(node_pid)"; then
    if cql_ready; then
      log "already running (pid $pid) and answering CQL on 127.0.0.1:$PORT"
      return 0
    fi
    log "already starting (pid $pid); waiting for CQL"
    cmd_wait
    return 0
  fi
  rm -f "$PID_FILE"
  if cql_ready; then
    log "WARNING: a CQL server not managed from $RUN_DIR already answers on 127.0.0.1:$PORT; using it"
    return 0
  fi
  port_in_use "$PORT" && die "port $PORT is taken by another process (set CASSANDRA_PORT)"
  choose_storage_port

  cmd_install

  command -v "$JAVA" >/dev/null || die "java not found (JDK 17 required)"
  local major
  major="$(java_major)"
  case "$major" in
    17) ;;
    ''|1.*|[0-9]|1[0-6]) die "JDK 17 required, '$JAVA' is Java ${major:-unknown}" ;;
    *) log "WARNING: Cassandra 5.0 supports JDK 11/17; '$JAVA' is Java $major" ;;
  esac

  render_yaml

  local -a opts=()
  local line
  while IFS= read -r line || [ -n "$line" ]; do
    line="${line%%#*}"
    line="$(printf '%s' "$line" | sed 's/[[:space:]]*$//; s/^[[:space:]]*//')"
    [ -n "$line" ] && opts+=("$line")
  done <"$CONF_SRC/jvm.options"

  opts+=(
    "-Xms$HEAP" "-Xmx$HEAP"
    "-XX:ErrorFile=$LOG_DIR/hs_err_%p.log"
    "-javaagent:$(ls "$LIB_DIR"/jamm-*.jar | head -n1)"
    "-Dcassandra.config=file://$YAML"
    "-Dcassandra.storagedir=$RUN_DIR"
    "-Dcassandra.logdir=$LOG_DIR"
    "-Dcassandra.triggers_dir=$RUN_DIR/triggers"
    "-Dcassandra-pidfile=$PID_FILE"
    "-Dlogback.configurationFile=file://$CONF_SRC/logback.xml"
  )
  if [ -n "${CASSANDRA_JMX_PORT:-}" ]; then
    opts+=("-Dcassandra.jmx.local.port=$CASSANDRA_JMX_PORT")
  fi

  # As root (CAP_IPC_LOCK), Cassandra's startup mlockall(MCL_CURRENT) faults in and
  # pins the whole committed -Xms heap: ~1.5 GiB RSS at idle. Drop that one
  # capability so mlockall fails harmlessly (RLIMIT_MEMLOCK) and memory stays lazy.
  local -a wrap=()
  if [ "$(id -u)" = 0 ] && [ "${CASSANDRA_MLOCK:-0}" != 1 ] && command -v setpriv >/dev/null; then
    wrap=(setpriv --bounding-set=-ipc_lock --inh-caps=-ipc_lock)
  fi

  : >"$LOG_DIR/stdout.log"
  now >"$RUN_DIR/started_at"
  # setsid: own session, so CI shells / terminals closing don't take it down.
  # Not a process-group leader here, so setsid (and nohup, setpriv) exec in place
  # and $! is the JVM; Cassandra also rewrites the pid file itself (cassandra-pidfile).
  cd "$RUN_DIR"
  setsid nohup ${wrap[@]+"${wrap[@]}"} "$JAVA" "${opts[@]}" -cp "$LIB_DIR/*" org.apache.cassandra.service.CassandraDaemon \
    </dev/null >>"$LOG_DIR/stdout.log" 2>&1 8>&- 9>&- &
  echo $! >"$PID_FILE"
  cd - >/dev/null
  log "started pid $(cat "$PID_FILE") (heap $HEAP, CQL port $PORT, storage port $STORAGE_PORT, run dir $RUN_DIR)"
  cmd_wait
}

cmd_stop() {
  local pid i
  if ! pid="$(node_pid)"; then
    rm -f "$PID_FILE"
    log "not running"
    return 0
  fi
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < STOP_TIMEOUT * 5; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.2
  done
  if kill -0 "$pid" 2>/dev/null; then
    log "pid $pid still alive after ${STOP_TIMEOUT}s; sending KILL"
    kill -KILL "$pid" 2>/dev/null || true
    for ((i = 0; i < 50; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  fi
  rm -f "$PID_FILE" "$RUN_DIR/started_at"
  log "stopped (pid $pid)"
}

cmd_status() {
  local pid
  if pid="$(node_pid)" && cql_ready; then
    log "running (pid $pid), CQL ready on 127.0.0.1:$PORT"
    return 0
  fi
  if pid="$(node_pid)"; then
    log "running (pid $pid) but CQL not ready on 127.0.0.1:$PORT"
  else
    log "not running"
  fi
  return 1
}

case "${1:-}" in
  install) cmd_install ;;
  start) cmd_start ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  wait) cmd_wait ;;
  restart) cmd_stop; cmd_start ;;
  *) echo "usage: $0 install|start|stop|status|wait|restart" >&2; exit 2 ;;
esac
