"""Readiness checks of the backing services; each returns quickly, never hangs."""

import time
from collections.abc import Callable
from typing import Any

from django.core.cache import cache
from django.db import connections

_CHECKS: dict[str, Callable[[], None]] = {}


def register(name: str, check: Callable[[], None]) -> None:
    """Apps add their own backing services (e.g. Cassandra) here."""
    _CHECKS[name] = check


def _database() -> None:
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT 1")


def _cache() -> None:
    cache.set("health:ping", "1", timeout=5)
    if cache.get("health:ping") != "1":
        raise RuntimeError("cache did not return the value written")


register("database", _database)
register("cache", _cache)


def run_checks() -> dict[str, dict[str, Any]]:
    results: dict[str, dict[str, Any]] = {}
    for name, check in _CHECKS.items():
        started = time.monotonic()
        try:
            check()
            results[name] = {"ok": True}
        except Exception as exc:  # a readiness probe reports every failure, whatever it is
            results[name] = {"ok": False, "error": f"{type(exc).__name__}: {exc}"[:300]}
        results[name]["ms"] = round((time.monotonic() - started) * 1000, 1)
    return results
