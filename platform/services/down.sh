#!/usr/bin/env bash
# Stop every service started by up.sh.
set -uo pipefail
here="$(dirname "$0")"
[ -f "$here/cassandra.sh" ] && bash "$here/cassandra.sh" stop
bash "$here/redis.sh" stop
bash "$here/postgres.sh" stop
