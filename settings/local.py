"""The embedded default: no external service (SQLite, in-process queues, in-memory channel layer)."""

from settings.base import *  # noqa: F403
from settings.base import BASE_DIR
from settings.env import env_int, env_str

DEBUG = True
EMBEDDED_DEFAULT = True  # seed_demo may run here (settings/components/ops.py)
# Several writers (granian threads, the inline tasks) share one SQLite file. WAL lets readers
# run beside the writer; IMMEDIATE takes the write lock at BEGIN, so a transaction that read
# first never has to upgrade its lock (the upgrade fails at once with "database is locked",
# whatever the timeout); the busy timeout then makes a second writer wait for the first.
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": env_str("LOCAL_SQLITE_PATH", str(BASE_DIR / ".run" / "local.sqlite3")),
        "OPTIONS": {
            "timeout": env_int("LOCAL_SQLITE_BUSY_TIMEOUT_S", 20),
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL",
        },
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
# In-process: tasks run eagerly, but Celery still opens a producer on this transport to pick
# a serializer; naming a host keeps kombu from warning "No hostname was supplied" each time.
CELERY_BROKER_URL = "memory://localhost/"
