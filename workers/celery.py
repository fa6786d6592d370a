"""The Celery app: queues, routing and defaults come from settings (namespace CELERY)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "settings.production")

app = Celery("reelhouse")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks(lambda: __import__("django.conf").conf.settings.INSTALLED_APPS)
