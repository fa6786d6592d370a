"""Celery edges of the engagement pipeline: thin, idempotent, bounded retries. They are driven
by beat (and kicks), and their work waits in Redis for the next run, so a run that fails for good
is logged, not dead-lettered (``record_failures=False``)."""

import redis
from celery import shared_task
from django.db import DatabaseError

from apps.engagement import counters, pipeline, realtime
from apps.engagement.store import StoreUnavailable
from workers.base import ReelhouseTask

RETRY_ON = (StoreUnavailable, DatabaseError, redis.RedisError)


@shared_task(
    name="engagement.drain",
    base=ReelhouseTask,
    autoretry_for=RETRY_ON,
    max_retries=8,
    acks_late=True,
    record_failures=False,
)
def drain() -> int:
    """Process waiting events in batches (kicked by the API, and every second by beat)."""
    return pipeline.drain()


@shared_task(
    name="engagement.flush_counters", base=ReelhouseTask, autoretry_for=RETRY_ON, max_retries=5, record_failures=False
)
def flush_counters() -> dict:
    return counters.flush()


@shared_task(
    name="engagement.push_live",
    base=ReelhouseTask,
    autoretry_for=(),
    max_retries=0,
    ignore_result=True,
    record_failures=False,
)
def push_live() -> int:
    """A pusher round from beat: the fallback when no `engagement_pusher` process runs.
    A lost push is healed by the next snapshot, so it is never retried."""
    return realtime.push_pending()


@shared_task(
    name="engagement.reconcile_counters",
    base=ReelhouseTask,
    autoretry_for=RETRY_ON,
    max_retries=3,
    record_failures=False,
)
def reconcile_counters(video_id: int | None = None) -> list:
    if video_id is not None:
        return [counters.reconcile(video_id)]
    return counters.reconcile_recent()
