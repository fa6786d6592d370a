#!/usr/bin/env bash
# Debian packages the test suite and benchmark use besides the databases (idempotent).
#   docker-compose: validates docker-compose.yml (no engine needed)   chromium: browser tests
#   ffmpeg: media pipeline   wrk: benchmark load generator
set -euo pipefail
source "$(dirname "$0")/lib.sh"
missing=()
command -v docker-compose >/dev/null || missing+=(docker-compose)
command -v chromium >/dev/null || missing+=(chromium)
command -v ffmpeg >/dev/null || missing+=(ffmpeg)
command -v wrk >/dev/null || missing+=(wrk)
if [ ${#missing[@]} -gt 0 ]; then
  log "installing ${missing[*]}"
  apt_install "${missing[@]}"
fi
