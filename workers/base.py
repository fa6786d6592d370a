"""Base task class: bounded retries with exponential backoff and jitter, then a visible failure."""

from typing import Any

from celery import Task


class ReelhouseTask(Task):
    abstract = True
    max_retries = 5
    retry_backoff = 2
    retry_backoff_max = 300
    retry_jitter = True
    acks_late = True

    def on_failure(self, exc: Exception, task_id: str, args: Any, kwargs: Any, einfo: Any) -> None:
        import logging

        logging.getLogger("workers").error("task %s (%s) failed for good: %r", self.name, task_id, exc)
        super().on_failure(exc, task_id, args, kwargs, einfo)
