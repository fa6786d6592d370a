#!/bin/sh
# Celery workers run below the request path's CPU priority (WORKER_NICE, default 10): where
# they share cores with the web processes, a burst is accepted at full speed into the
# durable Redis stream and the workers drain it with whatever CPU the requests leave.
exec nice -n "${WORKER_NICE:-10}" celery -A workers.celery worker -Q "${CELERY_QUEUES:-default,engagement,notifications,media}" \
  --concurrency "${CELERY_CONCURRENCY:-2}" --loglevel INFO
