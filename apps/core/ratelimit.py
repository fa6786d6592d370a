"""Rate limits: atomic fixed-window counters per user and per client network, in one place.

Every write request (POST/PUT/PATCH/DELETE) through DRF passes ``WriteRateLimit`` (listed in
``DEFAULT_THROTTLE_CLASSES``). Its scope is the view's ``rate_limit_scope`` attribute, else the
URL name mapped through ``settings.RATE_LIMIT_SCOPES``, else ``default`` (counted per URL name,
so a new endpoint gets its own budget at the default limits). Limits per scope are
``settings.RATE_LIMITS`` (docs/security.md has the table). A refused request is
``429 rate_limited`` with ``Retry-After``.

Counters are Redis INCRs with their expiry set in the same script (one round trip for both
the user and the network counter); on another cache backend (the embedded default's LocMem)
``cache.add`` + ``cache.incr``. Windows are aligned to the epoch (``now // window``), so a key
names its own window and an expiry that fires late can never stretch one.

The client address is ``REMOTE_ADDR`` unless ``TRUSTED_PROXY_COUNT`` proxies are configured in
front of the app: then it is the address the outermost trusted proxy saw, taken from the
right of ``X-Forwarded-For``; whatever the client wrote further left is ignored. The client
*network* is the IPv4 address or the IPv6 /64 (one subscriber's allocation).
"""

import ipaddress
import time
from dataclasses import dataclass
from typing import Any

import redis
from django.conf import settings
from django.core.cache import cache
from rest_framework.throttling import BaseThrottle

from apps.core import shared_redis
from apps.core.errors import RateLimited, ServiceUnavailable

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
UNKNOWN_NETWORK = "unknown"

# INCR each key, give a new key its window as expiry; returns the counts. Atomic per key and
# one round trip for all of them.
_COUNT_LUA = """
local counts = {}
for i, key in ipairs(KEYS) do
    local count = redis.call('INCR', key)
    if count == 1 then redis.call('EXPIRE', key, ARGV[i]) end
    counts[i] = count
end
return counts
"""
_script: Any = None


# --- the client ---------------------------------------------------------------------------


def client_address(request: Any) -> str:
    """The address of the client: REMOTE_ADDR, or the one a trusted proxy put in X-Forwarded-For."""
    meta = request.META
    remote = meta.get("REMOTE_ADDR", "") or ""
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies <= 0:
        return remote
    forwarded = [part.strip() for part in meta.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
    # Each trusted proxy appends the address it received from; the outermost one's entry is
    # ``proxies`` from the right. Fewer entries than proxies: the chain is not what was
    # configured, and nothing in the header can be trusted.
    if len(forwarded) < proxies:
        return remote
    return forwarded[-proxies]


def network_of(address: str) -> str:
    """IPv4: the address; IPv6: its /64 network's first address; unparseable: ``unknown``."""
    try:
        ip = ipaddress.ip_address(address.strip().split("%", 1)[0])
    except ValueError:
        return UNKNOWN_NETWORK
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network((ip, 64), strict=False).network_address)
    return str(ip)


def client_network(request: Any) -> str:
    return network_of(client_address(request))


def axes_client_ip(request: Any) -> str | None:
    """django-axes' AXES_CLIENT_IP_CALLABLE: login lockouts count per client network too."""
    network = client_network(request)
    return None if network == UNKNOWN_NETWORK else network


# --- counters -------------------------------------------------------------------------------


def _count(keys: list[str], window_s: int) -> list[int]:
    """Add one to each counter (created with ``window_s`` expiry); their new values."""
    global _script
    client = shared_redis.client()
    if client is not None:
        try:
            if _script is None:
                _script = client.register_script(_COUNT_LUA)
            real_keys = [cache.make_key(key) for key in keys]
            return [int(c) for c in _script(keys=real_keys, args=[window_s + 1] * len(keys), client=client)]
        except (redis.RedisError, OSError) as exc:  # refuse rather than let writes through unlimited
            raise ServiceUnavailable("Rate limits are unavailable; retry shortly.") from exc
    counts = []
    for key in keys:
        cache.add(key, 0, timeout=window_s + 1)
        try:
            counts.append(cache.incr(key))
        except ValueError:  # evicted between add and incr
            cache.add(key, 1, timeout=window_s + 1)
            counts.append(1)
    return counts


def _window(window_s: int) -> tuple[int, int]:
    """(index of the current window, seconds until it ends)."""
    now = time.time()
    return int(now // window_s), max(1, int(window_s - now % window_s))


def hit(key: str, *, limit: int, window_s: int) -> int:
    """Count one hit on ``key``; raise RateLimited past ``limit`` within the window.

    For business quotas inside services (uploads per hour…); request limits are the
    throttle's job below."""
    index, retry_after = _window(window_s)
    (count,) = _count([f"rl:{key}:{index}"], window_s)
    if count > limit:
        raise RateLimited("Too many attempts; slow down.", retry_after=retry_after)
    return count


# --- request limits -----------------------------------------------------------------------


@dataclass(frozen=True)
class Limit:
    per_user: int | None  # None: no per-user counter (anonymous-only endpoints)
    per_network: int | None
    window_s: int
    in_script: bool = False  # enforced elsewhere in the same round trip (the like script)


def limit_for(scope: str) -> Limit:
    table = settings.RATE_LIMITS
    return Limit(**table.get(scope, table["default"]))


def scope_for(request: Any, view: Any) -> tuple[str, str]:
    """(scope whose limits apply, name its counters are keyed by)."""
    scope = getattr(view, "rate_limit_scope", None)
    if scope:
        return scope, scope
    match = getattr(request, "resolver_match", None)
    url_name = (match.url_name if match else None) or type(view).__name__
    scope = settings.RATE_LIMIT_SCOPES.get(url_name)
    if scope:
        return scope, scope
    return "default", f"default:{url_name}"


def check(*, scope: str, user_id: int | None, network: str, counter: str | None = None) -> None:
    """Count one request of ``scope`` for the user and the network; RateLimited past either."""
    limit = limit_for(scope)
    counter = counter or scope
    index, retry_after = _window(limit.window_s)
    checks: list[tuple[str, int, str]] = []
    if limit.per_user is not None and user_id is not None:
        checks.append((f"rl:{counter}:u:{user_id}:{index}", limit.per_user, "user"))
    if limit.per_network is not None:
        checks.append((f"rl:{counter}:n:{network}:{index}", limit.per_network, "network"))
    if not checks:
        return
    counts = _count([key for key, _, _ in checks], limit.window_s)
    for (_, allowed, dimension), count in zip(checks, counts, strict=True):
        if count > allowed:
            raise RateLimited(
                "Too many requests; slow down.",
                retry_after=retry_after,
                details={"scope": scope, "per": dimension, "limit": allowed, "window_s": limit.window_s},
            )


class WriteRateLimit(BaseThrottle):
    """Every write endpoint's per-user and per-network limit (DEFAULT_THROTTLE_CLASSES)."""

    def allow_request(self, request: Any, view: Any) -> bool:
        if request.method not in WRITE_METHODS or not settings.RATE_LIMITS_ENABLED:
            return True
        scope, counter = scope_for(request, view)
        if limit_for(scope).in_script:
            return True
        user = getattr(request, "user", None)
        user_id = user.pk if user is not None and user.is_authenticated else None
        check(scope=scope, user_id=user_id, network=client_network(request), counter=counter)
        return True
