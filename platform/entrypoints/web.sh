#!/bin/sh
# HTTP API and admin through WSGI (cheaper than ASGI for plain views) on granian: its HTTP layer
# is Rust, cheaper per request than a Python one (docs/benchmark.md). One process per core; four threads each, since every request waits on
# Redis or PostgreSQL round trips with the GIL released. Keep-alive is on, so clients and load
# balancers reuse connections; a worker that dies is started again.
exec granian --interface wsgi --host 0.0.0.0 --port 8000 --no-ws \
  --workers "${WEB_WORKERS:-$(nproc)}" --blocking-threads "${WEB_THREADS:-4}" \
  --respawn-failed-workers --access-log settings.wsgi:application
