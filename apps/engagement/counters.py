"""Live counters (Redis) and their two consumers: the PostgreSQL flush and reconciliation.

The flush writes the *absolute* live values of every video changed since the last flush:
one UPDATE per video per interval however many likes arrived, and idempotent (a flush
that runs twice writes the same numbers). It is single-flight: a flush holds a lease
(``FLUSH_LOCK``, a token with an expiry) and only the holder may clear the "flushing" set, so
two flushes never share it and a failed flush's ids stay there for the next one. Reconciliation recomputes a video's counters
from the event store and repairs drift, guarded so it never overwrites a change that
happened while it was counting.
"""

import logging
import uuid
from typing import Any

from apps.engagement import redis_keys as keys
from apps.engagement.events import Kind
from apps.engagement.ingest import redis_client
from apps.engagement.store import get_store

log = logging.getLogger(__name__)
RECONCILE_SET = "eng:reconcile"  # videos flushed since the last reconciliation
FLUSH_LOCK = "eng:flush:lock"  # the running flush's token
FLUSH_CHUNK = 500

# Move the dirty set aside atomically; a crashed flush leaves eng:dirty:flushing, merged next time.
_TAKE_DIRTY = """
if redis.call('EXISTS', KEYS[1]) == 1 then
  if redis.call('EXISTS', KEYS[2]) == 1 then
    redis.call('SUNIONSTORE', KEYS[2], KEYS[1], KEYS[2])
    redis.call('DEL', KEYS[1])
  else
    redis.call('RENAME', KEYS[1], KEYS[2])
  end
end
return redis.call('SMEMBERS', KEYS[2])
"""

# The end of a flush: clear the ids it wrote, but only while it still holds the lease. A flush
# that lost it (it ran past the expiry and another took over) leaves them to the holder, which
# read them too (or will: it merges this set first), so no flush ever deletes ids it did not write.
_FINISH_FLUSH = """
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[2])
redis.call('DEL', KEYS[1])
return 1
"""

_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""

# Set recomputed counters only if nothing changed since version ARGV[1] was read and no
# accepted event is still waiting in the stream (it is counted live but not yet stored).
_RECONCILE_SET = """
local v = redis.call('HGET', KEYS[1], 'v') or '0'
if v ~= ARGV[1] or redis.call('XLEN', KEYS[2]) > 0 then return 0 end
redis.call('HSET', KEYS[1], 'likes', ARGV[2], 'views', ARGV[3], 'shares', ARGV[4])
redis.call('HINCRBY', KEYS[1], 'v', 1)
redis.call('SADD', KEYS[3], ARGV[5])
return 1
"""


def _decode(values: dict[bytes, bytes]) -> dict[str, int]:
    return {name: int(values.get(name.encode(), 0)) for name in ("likes", "views", "shares")}


def flush() -> dict[str, int]:
    """Write the live counters of every dirty video to PostgreSQL. Single-flight: while another
    flush runs this one returns at once (``skipped``); what changes meanwhile stays dirty for the
    next. A flush that fails leaves its ids in the flushing set, merged into the next flush."""
    from django.conf import settings

    from apps.videos import facade as videos

    client = redis_client()
    token = uuid.uuid4().hex
    if not client.set(FLUSH_LOCK, token, nx=True, px=settings.COUNTER_FLUSH_LEASE_MS):
        return {"videos": 0, "rows_updated": 0, "skipped": 1}
    try:
        video_ids = [int(v) for v in client.eval(_TAKE_DIRTY, 2, keys.DIRTY, keys.DIRTY_FLUSHING)]
        updated = 0
        for start in range(0, len(video_ids), FLUSH_CHUNK):
            chunk = video_ids[start : start + FLUSH_CHUNK]
            pipe = client.pipeline(transaction=False)
            for video_id in chunk:
                pipe.hgetall(keys.counters(video_id))
            counts = {vid: _decode(values) for vid, values in zip(chunk, pipe.execute(), strict=True) if values}
            updated += videos.video_counters_set(counts)
        if video_ids:
            client.sadd(RECONCILE_SET, *video_ids)
        if not client.eval(_FINISH_FLUSH, 2, FLUSH_LOCK, keys.DIRTY_FLUSHING, token):
            log.warning("counter flush outlived its lease; its ids stay for the next flush")
    except BaseException:
        # The ids stay in the flushing set; let the next flush (the task's retry) start at once.
        client.eval(_RELEASE, 1, FLUSH_LOCK, token)
        raise
    return {"videos": len(video_ids), "rows_updated": updated}


def recount(video_id: int) -> dict[str, int]:
    """The counters as the event store knows them."""
    store = get_store()
    return {
        "likes": store.like_count(video_id=video_id),
        "views": store.count_events(video_id=video_id, kind=Kind.VIEW),
        "shares": store.count_events(video_id=video_id, kind=Kind.SHARE),
    }


def reconcile(video_id: int) -> dict[str, Any]:
    """Repair one video's live counters from the store (the flush then fixes PostgreSQL)."""
    client = redis_client()
    version = (client.hget(keys.counters(video_id), "v") or b"0").decode()
    truth = recount(video_id)
    live = _decode(client.hgetall(keys.counters(video_id)))
    if live == truth:
        return {"video_id": video_id, "repaired": False, "counts": truth}
    applied = client.eval(
        _RECONCILE_SET,
        3,
        keys.counters(video_id),
        keys.STREAM,
        keys.DIRTY,
        version,
        truth["likes"],
        truth["views"],
        truth["shares"],
        video_id,
    )
    if applied:
        log.warning("reconciled counters of video %s: %s -> %s", video_id, live, truth)
    return {"video_id": video_id, "repaired": bool(applied), "deferred": not applied, "was": live, "counts": truth}


def reconcile_recent(limit: int = 1000) -> list[dict[str, Any]]:
    client = redis_client()
    video_ids = [int(v) for v in client.spop(RECONCILE_SET, limit) or []]
    results = []
    for video_id in video_ids:
        result = reconcile(video_id)
        if result.get("deferred"):
            client.sadd(RECONCILE_SET, video_id)  # try again next time
        results.append(result)
    return results


__all__ = ["flush", "reconcile", "reconcile_recent", "recount"]
