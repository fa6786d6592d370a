#!/bin/sh
# Celery workers run below the request path's CPU priority (WORKER_NICE, default 19; see
# workers/celery.py): where they share cores with the web processes, a burst is accepted at
# full speed into the durable Redis stream and the workers drain it with the CPU left over.
export WORKER_NICE="${WORKER_NICE:-19}"
exec celery -A workers.celery worker -Q "${CELERY_QUEUES:-default,engagement,notifications,media}" \
  --concurrency "${CELERY_CONCURRENCY:-2}" --loglevel INFO
