# Shared helpers for the service scripts (sourced, not run).
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
RUN_DIR="${REELHOUSE_RUN_DIR:-$ROOT/.run}"
# PostgreSQL refuses to run as root and must reach its data dir, so its state lives
# outside the (possibly private) clone.
STATE_DIR="${REELHOUSE_STATE_DIR:-/var/tmp/reelhouse}"
mkdir -p "$RUN_DIR" "$STATE_DIR"

log() { printf '[%s] %s\n' "$(basename "$0" .sh)" "$*" >&2; }

apt_install() {
  # Install Debian packages once; apt-get update only when a package is missing.
  if [ "$(id -u)" -ne 0 ]; then
    log "missing packages: $* (run as root, or install them: apt-get install $*)"; return 1
  fi
  if [ ! -f /var/lib/apt/periodic/reelhouse-updated ] || ! apt-cache policy "$1" | grep -q Candidate; then
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    mkdir -p /var/lib/apt/periodic && touch /var/lib/apt/periodic/reelhouse-updated
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

wait_for() {
  # wait_for SECONDS DESCRIPTION COMMAND...
  local limit=$1 what=$2; shift 2
  local start=$SECONDS
  until "$@" >/dev/null 2>&1; do
    if (( SECONDS - start >= limit )); then log "$what not ready after ${limit}s"; return 1; fi
    sleep 0.2
  done
  log "$what ready after $((SECONDS - start))s"
}
