#!/bin/sh
exec celery -A workers.celery worker -Q "${CELERY_QUEUES:-default,engagement,notifications,media}" \
  --concurrency "${CELERY_CONCURRENCY:-2}" --loglevel INFO
