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


def lower_cpu_priority(nice: int) -> None:
    """Run this process (and the pool it forks) at ``nice``: below the web processes where they
    share cores. Linux schedules each session as a group ("autogroup") and weighs the groups
    against each other, not the processes; a process's own nice only counts inside its group.
    So the group's weight is lowered too, where the kernel has autogroups."""
    if nice <= 0:
        return
    try:
        with open("/proc/self/autogroup", "w") as autogroup:
            autogroup.write(str(nice))
    except OSError:
        pass  # no autogroups (or not ours to change): the process nice below still applies
    os.nice(nice)


@worker_init.connect
def deprioritise_worker(**_: object) -> None:
    """Engagement work is durable in Redis and waits for CPU the requests leave (WORKER_NICE)."""
    lower_cpu_priority(int(os.environ.get("WORKER_NICE", "0") or 0))
