"""The benchmark (``make bench``, docs/benchmark.md): production-like, on loopback.

DEBUG off, real PostgreSQL (durable commits), Redis and Cassandra from the environment
(bench/run.sh points them at the benchmark's own instances), the floor and naive-baseline
endpoints mounted. No TLS redirect: wrk talks plain HTTP to the servers directly.
"""

from datetime import timedelta

from settings.base import *  # noqa: F403
from settings.env import env_str

DEBUG = False
BENCHMARK_ENDPOINTS = True  # bench_seed's guard: it mints tokens and fills tables in bulk
INSTALLED_APPS = [*INSTALLED_APPS, "bench.django_app"]
ROOT_URLCONF = "bench.django_app.root_urls"  # the product's URLs behind the floor and naive baselines
SECRET_KEY = env_str(
    "DJANGO_SECRET_KEY", "bench-only-secret-key-0f4b1c9e7a2d5e8f3b6c0a9d4e7f2a5b8c1d6e9f0a3b7c2d5e8f1a4b"
)
ALLOWED_HOSTS = ["localhost", "127.0.0.1"]
CACHES["default"]["KEY_PREFIX"] = "rh-bench"
# Tokens are minted once per run; they must outlive it.
SIMPLE_JWT = {**SIMPLE_JWT, "ACCESS_TOKEN_LIFETIME": timedelta(hours=6)}
IDENTITY_CACHE_S = 6 * 3600 + 60
LOGGING["root"]["level"] = env_str("LOG_LEVEL", "WARNING")
# The request limiter runs as in production (its Redis round trip is part of every playback
# batch and share measured), but the load generator is one address standing for 60,000 users,
# so the per-network counters are left out; the per-user ones stay. The benchmark's own
# reference endpoints (floor, naive baselines) are instruments, not product: not counted.
RATE_LIMITS = {scope: {**limit, "per_network": None} for scope, limit in RATE_LIMITS.items()}
RATE_LIMITS["benchmark"] = {"per_user": None, "per_network": None, "window_s": 60}
RATE_LIMIT_SCOPES = {**RATE_LIMIT_SCOPES, "bench-naive-like": "benchmark", "bench-naive-playback": "benchmark"}
