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

import redis
from django.conf import settings

from apps.core import shared_redis
from apps.engagement import redis_keys as keys
from apps.engagement import redis_scripts
from apps.engagement.errors import EngagementUnavailable
from apps.engagement.events import Kind
from apps.engagement.store import get_store

log = logging.getLogger(__name__)
RECONCILE_SET = "eng:reconcile"  # videos flushed since the last reconciliation
FLUSH_LOCK = "eng:flush:lock"  # the running flush's token
FLUSH_CHUNK = 500

COUNTS = ("likes", "views", "shares")


def decode_counts(values: dict[bytes, bytes]) -> dict[str, int]:
    """The one decoder of a live counter hash (HGETALL of redis_keys.counters)."""
    return {name: int(values.get(name.encode(), 0)) for name in COUNTS}


def live_counters(video_id: int, *, info: dict[str, Any]) -> dict[str, int]:
    """The counters as the request path moved them: Redis's live hash (the Redis transport) or
    the video row (inline); the video's stored counts until the first event moves them.
    EngagementUnavailable if Redis is down."""
    if settings.ENGAGEMENT_TRANSPORT == "inline":
        from apps.videos import facade as videos

        return videos.video_counters(video_id) or dict(info["counts"])
    try:
        values = redis_scripts.client().hgetall(keys.counters(video_id))
    except redis.RedisError as exc:
        raise EngagementUnavailable() from exc
    return decode_counts(values) if values else dict(info["counts"])


def flush() -> dict[str, int]:
    """Write the live counters of every dirty video to PostgreSQL. Single-flight: while another
    flush runs this one returns at once (``skipped``); what changes meanwhile stays dirty for the
    next. A flush that fails leaves its ids in the flushing set, merged into the next flush."""
    from apps.videos import facade as videos

    client = redis_scripts.client()
    token = uuid.uuid4().hex
    if not client.set(FLUSH_LOCK, token, nx=True, px=settings.COUNTER_FLUSH_LEASE_MS):
        return {"videos": 0, "rows_updated": 0, "skipped": 1}
    try:
        video_ids = [int(v) for v in shared_redis.take_set(client, keys.DIRTY, keys.DIRTY_FLUSHING)]
        updated = 0
        for start in range(0, len(video_ids), FLUSH_CHUNK):
            chunk = video_ids[start : start + FLUSH_CHUNK]
            pipe = client.pipeline(transaction=False)
            for video_id in chunk:
                pipe.hgetall(keys.counters(video_id))
            counts = {vid: decode_counts(values) for vid, values in zip(chunk, pipe.execute(), strict=True) if values}
            updated += videos.video_counters_set(counts)
        if video_ids:
            client.sadd(RECONCILE_SET, *video_ids)
        if not redis_scripts.run("finish_flush", keys=[FLUSH_LOCK, keys.DIRTY_FLUSHING], args=[token], on=client):
            log.warning("counter flush outlived its lease; its ids stay for the next flush")
    except BaseException:
        # The ids stay in the flushing set; let the next flush (the task's retry) start at once.
        redis_scripts.run("release", keys=[FLUSH_LOCK], args=[token], on=client)
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
    client = redis_scripts.client()
    version = (client.hget(keys.counters(video_id), "v") or b"0").decode()
    truth = recount(video_id)
    live = decode_counts(client.hgetall(keys.counters(video_id)))
    if live == truth:
        return {"video_id": video_id, "repaired": False, "counts": truth}
    applied = redis_scripts.run(
        "reconcile_set",
        keys=[keys.counters(video_id), keys.STREAM, keys.DIRTY],
        args=[version, truth["likes"], truth["views"], truth["shares"], video_id],
        on=client,
    )
    if applied:
        log.warning("reconciled counters of video %s: %s -> %s", video_id, live, truth)
    return {"video_id": video_id, "repaired": bool(applied), "deferred": not applied, "was": live, "counts": truth}


def reconcile_recent(limit: int = 1000) -> list[dict[str, Any]]:
    client = redis_scripts.client()
    video_ids = [int(v) for v in client.spop(RECONCILE_SET, limit) or []]
    results = []
    for video_id in video_ids:
        result = reconcile(video_id)
        if result.get("deferred"):
            client.sadd(RECONCILE_SET, video_id)  # try again next time
        results.append(result)
    return results


__all__ = ["decode_counts", "flush", "live_counters", "reconcile", "reconcile_recent", "recount"]
