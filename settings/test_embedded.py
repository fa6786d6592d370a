"""The second, fast test pass (``make test``, after the main one): the embedded default's code
paths (settings.local: SQLite, inline engagement with the ORM store, LocMem cache, in-memory
channel layer), which the main pass on PostgreSQL, Redis and Cassandra never takes. It runs the
tests marked ``embedded`` (pytest -m embedded)."""

from settings.local import *  # noqa: F403

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # speed only; prod uses Argon2
# An in-memory SQLite test database (Django's default for SQLite), with local.py's options.
DATABASES["default"]["TEST"] = {"NAME": ""}
# As the main pass: tasks go to the queue the test drives, not run inside the request.
CELERY_TASK_ALWAYS_EAGER = False
# Every test module is collected (then deselected by the mark): tests/benchmarks imports the bench app.
INSTALLED_APPS = [*INSTALLED_APPS, "bench.django_app"]
