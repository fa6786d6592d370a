"""Fixed-window rate limits on atomic cache counters (Redis INCR in every real deployment)."""

from django.core.cache import cache

from apps.core.errors import RateLimited


def hit(key: str, *, limit: int, window_s: int) -> int:
    """Count one hit on ``key``; raise RateLimited past ``limit`` within the window."""
    cache_key = f"rl:{key}"
    cache.add(cache_key, 0, timeout=window_s)  # starts the window once; atomic
    try:
        count = cache.incr(cache_key)
    except ValueError:  # the window expired between add and incr
        cache.add(cache_key, 1, timeout=window_s)
        count = 1
    if count > limit:
        raise RateLimited("Too many attempts; slow down.", retry_after=window_s)
    return count


def reset(key: str) -> None:
    cache.delete(f"rl:{key}")
