"""May this viewer engage with this video?

Two caches, so engagement costs no SQL beyond authentication however hot a video is:

- per process, for a few seconds (ACCESS_CACHE_S): playback batches, shares, counters and
  the websocket check against it;
- in Redis, shared by every web process, for the like script (ingest.py): each video's
  access facts and its creator's block partners, written under *epochs*, counters that move
  after every commit that changes who may see a video (``access_changed``). The script
  compares the epochs the facts were read under with the current ones and asks for a refill
  when they differ, so a like is decided on facts no older than the last change, and a video
  costs one refill per ACCESS_SHARED_S however many web processes serve it.
"""

import logging
from collections.abc import Sequence
from typing import Any

import redis
from cachetools import TTLCache
from django.conf import settings
from django.db import transaction

from apps.accounts import facade as accounts
from apps.core.errors import NotFound
from apps.engagement import redis_keys as keys
from apps.videos import facade as videos

log = logging.getLogger(__name__)

_videos: TTLCache = TTLCache(maxsize=50_000, ttl=settings.ACCESS_CACHE_S)
# Per creator: everyone on the other side of a block with them. One query per creator per
# interval, so a viral video's likes cost no block query however many users like it.
_blocks: TTLCache = TTLCache(maxsize=20_000, ttl=settings.ACCESS_CACHE_S)


def clear() -> None:
    _videos.clear()
    _blocks.clear()


_MISSING = object()


def video_info(video_id: int) -> dict[str, Any] | None:
    # One lookup, never `in` then `[]`: an entry may expire between the two (a KeyError, a 500).
    info = _videos.get(video_id, _MISSING)
    if info is _MISSING:
        info = _videos[video_id] = videos.video_access_info(video_id)
    return info


def check_can_engage(*, video_id: int, user: Any) -> dict[str, Any]:
    """The video's access facts if ``user`` may see it; NotFound (as for any hidden video) if not."""
    info = video_info(video_id)
    user_id = user.pk if getattr(user, "is_authenticated", False) else None
    if info is None:
        raise NotFound("No such video.", code="video_not_found")
    if user_id is not None and info["creator_id"] == user_id:
        return info
    if info["open_to_all"]:
        if user_id is None or not _blocked(user_id, info["creator_id"]):
            return info
        raise NotFound("No such video.", code="video_not_found")
    if not info["published"]:
        raise NotFound("No such video.", code="video_not_found")
    full_check(video_id=video_id, user=user)  # followers-only or private account
    return info


def _blocked(user_id: int, creator_id: int) -> bool:
    partners = _blocks.get(creator_id)
    if partners is None:
        partners = _blocks[creator_id] = accounts.block_partner_ids(creator_id)
    return user_id in partners


def full_check(*, video_id: int, user: Any) -> None:
    """The complete visibility selector (followers-only videos, private accounts)."""
    if not videos.video_can_view(video_id=video_id, viewer=user):
        raise NotFound("No such video.", code="video_not_found")


# --- shared access facts (the like script) ----------------------------------------------------

FILL_CHUNK = 5_000


def shared_facts_fill(video_id: int) -> str:
    """Write a video's access facts and its creator's block partners to Redis under the
    epochs current before they were read: "ok", "missing" (no such video) or "moved" (an
    epoch moved meanwhile; nothing was written, try again)."""
    from apps.engagement.ingest import redis_client

    # The creator first (it never changes): its account epoch must be read before the rows.
    creator_id = videos.video_creator_id(video_id)
    if creator_id is None:
        return "missing"
    video_epoch, account_epoch = keys.video_epoch(video_id), keys.account_epoch(creator_id)
    facts, blocks = keys.access_facts(video_id), keys.block_partners(creator_id)
    ttl = settings.ACCESS_SHARED_S
    with redis_client().pipeline() as pipe:
        # WATCH first: a change that commits while we read moves an epoch, and EXEC refuses.
        pipe.watch(video_epoch, account_epoch)
        epochs = [(value or b"0").decode() for value in pipe.mget(video_epoch, account_epoch)]
        info = videos.video_access_info(video_id)
        if info is None:
            return "missing"
        partners = [str(p) for p in accounts.block_partner_ids(creator_id)]
        pipe.multi()
        counts = info["counts"]
        pipe.hset(
            facts,
            mapping={
                "c": creator_id,
                "pub": int(info["published"]),
                "open": int(info["open_to_all"]),
                "ve": epochs[0],
                "ce": epochs[1],
                "sl": counts["likes"],
                "sv": counts["views"],
                "ss": counts["shares"],
            },
        )
        pipe.delete(blocks)
        pipe.sadd(blocks, "-")
        for start in range(0, len(partners), FILL_CHUNK):
            pipe.sadd(blocks, *partners[start : start + FILL_CHUNK])
        # The partners outlive every facts hash of this creator written before them.
        pipe.expire(blocks, ttl + 60)
        pipe.expire(facts, ttl)
        try:
            pipe.execute()
        except redis.WatchError:
            return "moved"
    return "ok"


def _forget_local(video_ids: Sequence[int], user_ids: Sequence[int]) -> None:
    for video_id in video_ids:
        _videos.pop(video_id, None)
    if user_ids:
        users = set(user_ids)
        for user_id in users:
            _blocks.pop(user_id, None)
        for video_id in [v for v, info in list(_videos.items()) if info and info["creator_id"] in users]:
            _videos.pop(video_id, None)


def _bump_epochs(video_ids: Sequence[int], user_ids: Sequence[int]) -> None:
    _forget_local(video_ids, user_ids)
    if settings.ENGAGEMENT_TRANSPORT != "redis":
        return
    from apps.engagement.ingest import redis_client

    ttl = settings.ACCESS_SHARED_S * 2 + 60  # outlives every facts hash read under it
    try:
        pipe = redis_client().pipeline(transaction=False)
        for key in [keys.video_epoch(v) for v in video_ids] + [keys.account_epoch(u) for u in user_ids]:
            pipe.incr(key)
            pipe.expire(key, ttl)
        pipe.execute()
    except redis.RedisError:
        # The like path cannot run without Redis either; facts it wrote before expire.
        log.warning("could not move access epochs for videos %s, users %s", video_ids, user_ids, exc_info=True)


def on_access_changed(sender: Any, *, video_ids: Sequence[int] = (), user_ids: Sequence[int] = (), **_: Any) -> None:
    """Receiver of apps.core.signals.access_changed: move the epochs once the change is visible
    (after commit), so facts read before it can never be stored as current."""
    video_ids, user_ids = list(video_ids), list(user_ids)
    transaction.on_commit(lambda: _bump_epochs(video_ids, user_ids))
