"""Base task class: bounded retries with exponential backoff and jitter on transient errors,
then a visible failure (a dead letter an operator can see and replay in the admin).

Retried: a database connection that dropped or timed out, Redis unreachable or slow, the
Cassandra driver finding no host or too few replicas, and our own ``ServiceUnavailable``
(a backing service is down). Anything else is a bug or bad input and fails at once: retrying
would only repeat it. Tasks stay idempotent, so a retry (or a redelivery) changes nothing twice.
"""

import logging
from typing import Any

import redis
from cassandra import OperationTimedOut, ReadTimeout, Unavailable, WriteTimeout
from cassandra.cluster import NoHostAvailable
from celery import Task
from django.conf import settings
from django.db import InterfaceError, OperationalError

from apps.core.errors import ServiceUnavailable

log = logging.getLogger("workers")

TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (
    OperationalError,
    InterfaceError,
    redis.ConnectionError,
    redis.TimeoutError,
    NoHostAvailable,
    Unavailable,
    OperationTimedOut,
    ReadTimeout,
    WriteTimeout,
    ServiceUnavailable,
)


class ReelhouseTask(Task):
    abstract = True
    autoretry_for = TRANSIENT_ERRORS
    max_retries = settings.TASK_MAX_RETRIES
    retry_backoff = settings.TASK_RETRY_BACKOFF_S  # 2, 4, 8 ... seconds (full jitter) up to the max
    retry_backoff_max = settings.TASK_RETRY_BACKOFF_MAX_S
    retry_jitter = True
    acks_late = True
    # A task that failed for good becomes a dead letter (kind "task", one per task id). Periodic
    # sweepers whose next run redoes the work set this False: their failures are only logged.
    record_failures = True

    def on_failure(self, exc: Exception, task_id: str, args: Any, kwargs: Any, einfo: Any) -> None:
        log.error("task %s (%s) failed for good: %r", self.name, task_id, exc)
        if self.record_failures:
            try:
                from apps.engagement.deadletters import task_failure_record

                task_failure_record(task_name=self.name, task_id=task_id, args=args, kwargs=kwargs, exc=exc)
            except Exception:  # the database may be what failed: the log line above still says it
                log.exception("could not record the failure of task %s (%s)", self.name, task_id)
        super().on_failure(exc, task_id, args, kwargs, einfo)
