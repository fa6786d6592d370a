"""The Celery app: queues, routing and defaults come from settings (namespace CELERY)."""

import os

from celery import Celery
from celery.signals import worker_init, worker_process_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "settings.production")

app = Celery("reelhouse")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks(lambda: __import__("django.conf").conf.settings.INSTALLED_APPS)


@worker_process_init.connect
def reconnect_cassandra_after_fork(**_: object) -> None:
    """Forked pool processes must not share the parent's Cassandra driver connections."""
    from django.conf import settings
    from django.db import connections

    if "cassandra" in settings.DATABASES:
        connections["cassandra"].reconnect()


@worker_init.connect
def deprioritise_worker(**_: object) -> None:
    """Engagement work is durable in Redis and waits for CPU the requests leave (WORKER_NICE)."""
    from workers.priority import lower_cpu_priority

    lower_cpu_priority(int(os.environ.get("WORKER_NICE", "0") or 0))
