"""Who an access token belongs to, without a SQL query per request.

Every authenticated request needs its user's row (is the account active, which token
generation is current) and its access token's deny-list entry (one-session logout). Both
are read in one Redis round trip: a snapshot of the few columns authentication needs and
the deny key. The other columns are left deferred: code that reads them loads them from the
database as Django does for any deferred field.

Snapshots are written when tokens are issued (login, register, refresh), so every session
that holds a live access token has one, and they live as long as an access token
(IDENTITY_CACHE_S); a miss reads the row and stores it.

Revocation stays immediate. On any change to a snapshot column (a save, "log out
everywhere") the snapshot is replaced by a tombstone, unique each time, at once and again
after commit. A fill stores its row only if the key still holds what it held before the row
was read (compare-and-set in one script), so no row read before a revocation is stored
after it.

Without Redis as the cache (the embedded default) every request reads the row, as before.
"""

import json
import uuid
from functools import cache
from typing import Any

import redis
from django.conf import settings
from django.core.cache import cache as django_cache
from django.db import DEFAULT_DB_ALIAS, transaction

from apps.accounts.models import User
from apps.accounts.tokens import snapshot_key as _key
from apps.core import shared_redis
from apps.core.errors import ServiceUnavailable

# What authentication and permission checks read; counters and profile fields change often
# and are not needed to authenticate.
SNAPSHOT_FIELDS = ("id", "username", "is_active", "is_staff", "is_superuser", "is_private", "token_generation")
TOMBSTONE = b"-"  # + a unique suffix
REMEMBER_CHUNK = 1000
_ORDERED = tuple(f.attname for f in User._meta.concrete_fields if f.attname in SNAPSHOT_FIELDS)


_client = shared_redis.client  # None without a django-redis cache: no shared snapshots


def _build(row: dict[str, Any]) -> User:
    return User.from_db(DEFAULT_DB_ALIAS, list(_ORDERED), [row[name] for name in _ORDERED])


def _read_row(user_id: int) -> dict[str, Any] | None:
    # The primary, never a replica: a replica may not have the revocation yet.
    return User.objects.using(DEFAULT_DB_ALIAS).filter(pk=user_id).values(*_ORDERED).first()


# Store the snapshot only if the key holds what it held before the row was read.
_CAS = """
if (redis.call('GET', KEYS[1]) or '') == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[2], 'EX', ARGV[3])
  return 1
end
return 0
"""


@cache
def _cas() -> Any:
    return _client().register_script(_CAS)


def _store(client: Any, user_id: int, prior: bytes | None, row: dict[str, Any]) -> None:
    """Compare-and-set on ``client`` (the connection or a pipeline)."""
    _cas()(keys=[_key(user_id)], args=[prior or b"", json.dumps(row), settings.IDENTITY_CACHE_S], client=client)


def token_identity(*, user_id: int, deny_key: str | None) -> tuple[User | None, bool]:
    """The token's user (None when the account is gone) and whether the deny-list holds
    ``deny_key`` (a cache key of django's default cache)."""
    client = _client()
    if client is None:
        row = _read_row(user_id)
        return (_build(row) if row else None), bool(deny_key and django_cache.get(deny_key))
    try:
        pipe = client.pipeline(transaction=False)
        pipe.get(_key(user_id))
        if deny_key:
            pipe.exists(django_cache.make_key(deny_key))
        raw, *denied = pipe.execute()
        if raw and not raw.startswith(TOMBSTONE):
            row = json.loads(raw)
        else:
            row = _read_row(user_id)
            if row is not None:
                _store(client, user_id, raw, row)
    except redis.RedisError as exc:
        # The deny-list lives there too: refuse to guess, and say when to come back.
        raise ServiceUnavailable("Sign-in checks are unavailable; retry shortly.", code="auth_unavailable") from exc
    return (_build(row) if row else None), bool(denied and denied[0])


def remember(user_ids: list[int]) -> None:
    """Snapshot these accounts now (tokens were just issued to them)."""
    client = _client()
    if client is None or not user_ids:
        return
    for start in range(0, len(user_ids), REMEMBER_CHUNK):
        chunk = user_ids[start : start + REMEMBER_CHUNK]
        priors = client.mget([_key(user_id) for user_id in chunk])  # before the rows are read
        rows = {row["id"]: row for row in User.objects.using(DEFAULT_DB_ALIAS).filter(pk__in=chunk).values(*_ORDERED)}
        pipe = client.pipeline(transaction=False)
        for user_id, prior in zip(chunk, priors, strict=True):
            if user_id in rows:
                _store(pipe, user_id, prior, rows[user_id])
        pipe.execute()


def forget(user_ids: list[int]) -> None:
    """Retire these accounts' snapshots now and again once the current transaction commits
    (a fill between the two may have read the row as it was before the change)."""
    client = _client()
    if client is None or not user_ids:
        return

    def tombstone() -> None:
        pipe = client.pipeline(transaction=False)
        for user_id in user_ids:
            pipe.set(_key(user_id), TOMBSTONE + uuid.uuid4().hex.encode(), ex=settings.IDENTITY_CACHE_S)
        pipe.execute()

    tombstone()
    if transaction.get_connection().in_atomic_block:
        transaction.on_commit(tombstone)


def snapshot_changed(update_fields: Any) -> bool:
    """Did a save with these ``update_fields`` (None: every column) touch the snapshot?"""
    return update_fields is None or bool(set(SNAPSHOT_FIELDS) & set(update_fields))


def shared() -> bool:
    """Do snapshots live in Redis (so a script can check them)?"""
    return _client() is not None


# The token half (the in-script check, the unresolved identity) lives in apps/accounts/tokens.py;
# these names stay importable from here until engagement imports them from the accounts facade.
from apps.accounts.tokens import LUA_TOKEN_VALID, TokenIdentity  # noqa: E402
from apps.accounts.tokens import account_resolved as resolved  # noqa: E402

__all__ = ["LUA_TOKEN_VALID", "TokenIdentity", "forget", "remember", "resolved", "shared", "token_identity"]
