"""Tests: the real PostgreSQL, Redis and Cassandra started by platform/services/."""

from settings.base import *  # noqa: F403
from settings.env import env_str

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # speed only; prod uses Argon2
CACHES["default"]["KEY_PREFIX"] = "rh-test"
CELERY_TASK_ALWAYS_EAGER = False
# The benchmark's baselines are tested beside the product (tests/benchmarks/); their URLs are
# mounted per test (tests/benchmarks/urls.py), as settings.bench mounts them.
INSTALLED_APPS = [*INSTALLED_APPS, "bench.django_app"]

# Parallel test runs (several developers or helpers on one machine) pick their own
# database, Redis db and keyspace through these variables.
DATABASES["default"]["TEST"] = {"NAME": env_str("TEST_DB_NAME", "test_reelhouse")}
if "cassandra" in DATABASES:
    DATABASES["cassandra"]["TEST"] = {"NAME": env_str("TEST_DB_NAME", "test_reelhouse")}
