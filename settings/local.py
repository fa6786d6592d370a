"""The embedded default: no external service (SQLite, in-process queues, in-memory channel layer)."""

from settings.base import *  # noqa: F403
from settings.base import BASE_DIR

DEBUG = True
EMBEDDED_DEFAULT = True  # seed_demo may run here (settings/components/ops.py)
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": BASE_DIR / ".run" / "local.sqlite3",
        "OPTIONS": {"timeout": 20},
    }
}
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
CELERY_TASK_ALWAYS_EAGER = True
# As in production, a failing background task must not fail the request that queued it.
CELERY_TASK_EAGER_PROPAGATES = False
# No Cassandra in the embedded default: engagement events go to the ORM adapter.
ENGAGEMENT_STORE = "orm"
ENGAGEMENT_TRANSPORT = "inline"
INSTALLED_APPS = [app for app in INSTALLED_APPS if app != "django_cassandra_engine"]
CELERY_BROKER_URL = "memory://"
