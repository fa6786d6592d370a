"""The project's shared Redis, for every place that uses Redis directly: one client getter
(django-redis's default cache connection), one key convention, counts of who listens on
websockets, and the "dirty set" every coalesced flush uses (mark ids, take them, write once).

Without a django-redis cache (the embedded default) there is no shared Redis: ``client()``
is None, nothing is counted and dirty sets are not kept (callers then write inline).

Keys: ``key("<app>:<name>")`` puts the cache's KEY_PREFIX in front (``rh:comments:dirty``), so
two deployments (or the test run and the benchmark) sharing one Redis never meet. Keys that
are also read through Django's cache API (the identity snapshots, deny-list entries, rate
limits) use ``django.core.cache.cache.make_key`` instead, as the cache writes them.
"""

from collections.abc import Iterable, Sequence
from functools import cache
from typing import Any

from django.conf import settings

_COUNT_DOWN = """
if redis.call('HINCRBY', KEYS[1], ARGV[1], -1) <= 0 then redis.call('HDEL', KEYS[1], ARGV[1]) end
"""


@cache
def client() -> Any:
    """The shared Redis connection (a redis.Redis), or None without a django-redis cache."""
    try:
        from django_redis import get_redis_connection

        return get_redis_connection("default")
    except (ImportError, NotImplementedError):
        return None  # not a django-redis cache


def key(name: str) -> str:
    """The Redis key for ``name`` (``<app>:<what>``): the cache's KEY_PREFIX, a colon, the name."""
    return f"{settings.CACHES['default'].get('KEY_PREFIX', '')}:{name}"


# --- dirty sets: mark ids now, write each once in a later flush ---------------------------------

# Move ``KEYS[1]`` into the holding set ``KEYS[2]`` atomically (merged with what a crashed taker
# left there) and return the holding set's members. ARGV[1] == "1" also deletes the holding set
# (a taker that cannot fail half-way); otherwise the caller clears it once its write is done.
_TAKE_SET = """
if redis.call('EXISTS', KEYS[1]) == 1 then
  if redis.call('EXISTS', KEYS[2]) == 1 then
    redis.call('SUNIONSTORE', KEYS[2], KEYS[1], KEYS[2])
    redis.call('DEL', KEYS[1])
  else
    redis.call('RENAME', KEYS[1], KEYS[2])
  end
end
local ids = redis.call('SMEMBERS', KEYS[2])
if ARGV[1] == '1' then redis.call('DEL', KEYS[2]) end
return ids
"""


@cache
def _take_set_script() -> Any:
    from redis.commands.core import Script

    return Script(None, _TAKE_SET.encode())  # type: ignore[arg-type]  # EVALSHA on the given client


def take_set(redis: Any, source: str, holding: str, *, clear: bool = False) -> list[bytes]:
    """Take every member of set ``source`` in one round trip (see _TAKE_SET); the members stay in
    ``holding`` until the caller deletes it, unless ``clear``."""
    return _take_set_script()(keys=[source, holding], args=["1" if clear else "0"], client=redis)


def dirty_add(redis: Any, sets: dict[str, Sequence[int]]) -> None:
    """SADD ids to several dirty sets (full key names) in one round trip."""
    pipe = redis.pipeline(transaction=False)
    for name, ids in sets.items():
        if ids:
            pipe.sadd(name, *ids)
    pipe.execute()


def dirty_pop(redis: Any, name: str, limit: int) -> list[int]:
    """Up to ``limit`` ids popped from dirty set ``name``; give them back with ``dirty_add`` when
    the write they were popped for fails."""
    return [int(member) for member in (redis.spop(name, limit) or [])]


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
