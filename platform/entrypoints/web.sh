#!/bin/sh
# HTTP API and admin through WSGI workers (faster than ASGI for plain views). One thread per
# process (the views are CPU-bound; processes, not threads, use the cores), four processes per
# core (each request also waits on Redis round trips; two per core measured worse, see
# docs/benchmark.md), and keep-alive, so clients and load balancers reuse connections instead
# of paying a TCP handshake per request.
exec gunicorn settings.wsgi:application --bind 0.0.0.0:8000 --workers "${WEB_WORKERS:-$(( $(nproc) * 4 ))}" \
  --worker-class gthread --threads 1 --keep-alive 75 --access-logfile -
