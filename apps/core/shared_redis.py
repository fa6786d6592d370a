"""The project's shared Redis (django-redis's default cache connection), for the few places
that use Redis directly, and counts of who listens on websockets kept there.

Without a django-redis cache (the embedded default) there is no shared Redis: ``client()``
is None and nothing is counted.
"""

from collections.abc import Iterable
from functools import cache
from typing import Any

_COUNT_DOWN = """
if redis.call('HINCRBY', KEYS[1], ARGV[1], -1) <= 0 then redis.call('HDEL', KEYS[1], ARGV[1]) end
"""


@cache
def client() -> Any:
    try:
        from django_redis import get_redis_connection

        return get_redis_connection("default")
    except (ImportError, NotImplementedError):
        return None  # not a django-redis cache


# --- listeners: member -> open subscriptions, in a hash -----------------------------------------
# A server that dies leaves its counts too high; that only costs messages nobody reads.


def listener_added(key: str, member: str) -> None:
    if (redis := client()) is not None:
        redis.hincrby(key, member, 1)


def listener_removed(key: str, member: str) -> None:
    if (redis := client()) is not None:
        redis.eval(_COUNT_DOWN, 1, key, member)


def listened(key: str, members: Iterable[str]) -> set[str] | None:
    """Those of ``members`` with a listener; None when nothing is counted here."""
    redis = client()
    if redis is None:
        return None
    wanted = list(members)
    counts = redis.hmget(key, wanted) if wanted else []
    return {member for member, count in zip(wanted, counts, strict=True) if count and int(count) > 0}


def connection() -> Any:
    """The shared Redis for code that cannot work without it (engagement's Redis transport and
    workers): looked up on every call, so settings changed at run time (tests) take effect.
    NotImplementedError without a django-redis cache."""
    from django_redis import get_redis_connection

    return get_redis_connection("default")
