"""Settings of the media benchmark: the embedded default (SQLite, in-memory channel layer) with a
private database and media root, so the real pipeline runs without touching anything else."""

import os

from settings.local import *  # noqa: F403

_ROOT = os.environ["MEDIA_BENCH_DIR"]
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.path.join(_ROOT, "bench.sqlite3"),
        # IMMEDIATE + WAL: two worker processes write without "database is locked".
        "OPTIONS": {"timeout": 60, "transaction_mode": "IMMEDIATE", "init_command": "PRAGMA journal_mode=WAL;"},
    }
}
MEDIA_ROOT = os.path.join(_ROOT, "media")
CELERY_TASK_ALWAYS_EAGER = False  # the harness calls the pipeline itself, like a media worker
LOGGING = {"version": 1, "disable_existing_loggers": False, "root": {"level": "ERROR"}}
