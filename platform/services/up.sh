#!/usr/bin/env bash
# Start every real service the tests and the full stack need (idempotent).
set -euo pipefail
here="$(dirname "$0")"
bash "$here/postgres.sh" start >/dev/null
bash "$here/redis.sh" start >/dev/null
if [ -f "$here/cassandra.sh" ] && [ "${WITH_CASSANDRA:-1}" = "1" ]; then bash "$here/cassandra.sh" start >/dev/null; fi
