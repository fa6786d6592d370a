"""May this viewer engage with this video?

Two caches, so engagement costs no SQL beyond authentication however hot a video is:

- per process, for a few seconds (ACCESS_CACHE_S): playback batches, shares, counters and
  the websocket check against it;
- in Redis, shared by every web process, for the like script (lua/like.lua): each video's
  access facts and its creator's block partners, written under *epochs*, counters that move
  after every commit that changes who may see a video (``access_changed``). The script
  compares the epochs the facts were read under with the current ones and asks for a refill
  when they differ, so a like is decided on facts no older than the last change, and a video
  costs one refill per ACCESS_SHARED_S however many web processes serve it.
"""

import logging
import math
import time
from collections.abc import Sequence
from typing import Any

import redis
from cachetools import TTLCache
from django.conf import settings
from django.db import DatabaseError, transaction

from apps.accounts import facade as accounts
from apps.core.errors import NotFound
from apps.engagement import redis_keys as keys
from apps.engagement import redis_scripts
from apps.videos import facade as videos

log = logging.getLogger(__name__)

_videos: TTLCache = TTLCache(maxsize=50_000, ttl=settings.ACCESS_CACHE_S)
# Per creator: everyone on the other side of a block with them. One query per creator per
# interval, so a viral video's likes cost no block query however many users like it.
_blocks: TTLCache = TTLCache(maxsize=20_000, ttl=settings.ACCESS_CACHE_S)


def clear() -> None:
    _videos.clear()
    _blocks.clear()
    _reloaded.clear()


_MISSING = object()


def _stale(info: Any) -> bool:
    """Missing from the cache, or read while the video was scheduled and now due: a scheduled
    video becomes visible on every surface at its publication time, not a cache lifetime later."""
    if info is _MISSING:
        return True
    return info is not None and info.get("publish_at") is not None and info["publish_at"] <= time.time()


def video_info(video_id: int) -> dict[str, Any] | None:
    # One lookup, never `in` then `[]`: an entry may expire between the two (a KeyError, a 500).
    info = _videos.get(video_id, _MISSING)
    if _stale(info):
        info = _videos[video_id] = videos.video_access_info(video_id)
    return info


def prefetch(video_ids: Sequence[int], *, blocks: bool = True) -> None:
    """Load the facts of the videos not in this process's cache, and their creators' block
    partners, in one query each: a player's batch over 20 videos costs at most two queries,
    not twenty."""
    missing = [video_id for video_id in dict.fromkeys(video_ids) if _stale(_videos.get(video_id, _MISSING))]
    if missing:
        found = videos.videos_access_info(missing)
        for video_id in missing:
            _videos[video_id] = found.get(video_id)
    if not blocks:
        return
    creators = {info["creator_id"] for video_id in video_ids if (info := _videos.get(video_id))}
    unknown = [creator_id for creator_id in creators if _blocks.get(creator_id) is None]
    if unknown:
        for creator_id, partners in accounts.block_partner_ids_many(unknown).items():
            _blocks[creator_id] = partners


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


def likes_hidden(info: dict[str, Any], user: Any) -> bool:
    """Does the creator hide like counts from ``user`` (everyone but the creator)?"""
    user_id = user.pk if getattr(user, "is_authenticated", False) else None
    return not info.get("show_likes", True) and info["creator_id"] != user_id


def access_epoch_keys(*, video_id: int, creator_id: int, user_id: int | None) -> list[str]:
    """The epochs that move after any change to who may see this video (its own, its creator's
    privacy and blocks, and the viewer's blocks): a long-lived subscriber compares them to
    know, for one cheap MGET, whether to run the full check again."""
    found = [keys.video_epoch(video_id), keys.account_epoch(creator_id)]
    if user_id is not None and user_id != creator_id:
        found.append(keys.account_epoch(user_id))
    return found


def epochs_read(epoch_keys: Sequence[str]) -> tuple[str, ...] | None:
    """The current values of these epochs; None where epochs are not kept (inline transport),
    in which case a subscriber runs the full check every time."""
    if settings.ENGAGEMENT_TRANSPORT != "redis":
        return None
    return tuple((value or b"0").decode() for value in redis_scripts.client().mget(list(epoch_keys)))


# (video id, its epoch, its creator's epoch) this process has reloaded the facts under.
_reloaded: TTLCache = TTLCache(maxsize=50_000, ttl=settings.ACCESS_CACHE_S)


def check_fresh(*, video_id: int, user: Any, epochs: Sequence[str] | None) -> dict[str, Any]:
    """check_can_engage on facts loaded after ``epochs`` were read (this process's cache may
    predate a change another process made): for a subscriber whose epochs moved. The first
    subscriber in this process to see these epochs reloads; the others (a viral video's
    thousands of sockets) reuse what it loaded, which is as fresh."""
    key = (video_id, *(epochs or ())[:2])
    if epochs is None or _reloaded.get(key) is None:
        info = _videos.pop(video_id, None)
        if info:
            _blocks.pop(info["creator_id"], None)
        if epochs is not None:
            _reloaded[key] = True
    return check_can_engage(video_id=video_id, user=user)


# --- shared access facts (the like script) ----------------------------------------------------


def facts_fill(video_ids: Sequence[int]) -> dict[int, str]:
    """Write these videos' access facts and their creators' block partners to Redis, each
    only if the epochs read before the rows are still current: per video "ok", "missing" (no
    such video) or "moved" (an epoch moved meanwhile; nothing written for it, try again).
    Runs when a like finds no current facts, and after every change to a video (publish,
    edit, moderation) so that its likes find them."""
    # Creators first (they never change): their epochs must be read before the rows.
    creators = videos.video_creator_ids(list(video_ids))
    result = {video_id: "missing" for video_id in video_ids if video_id not in creators}
    if not creators:
        return result
    creator_ids = sorted(set(creators.values()))
    client = redis_scripts.client()
    epoch_keys = [keys.video_epoch(v) for v in creators] + [keys.account_epoch(c) for c in creator_ids]
    epochs = dict(zip(epoch_keys, [(value or b"0").decode() for value in client.mget(epoch_keys)], strict=True))
    infos = videos.videos_access_info(list(creators))
    partners = accounts.block_partner_ids_many(creator_ids)
    ttl = settings.ACCESS_SHARED_S
    pipe = client.pipeline(transaction=False)
    for creator_id in creator_ids:
        # The partners outlive every facts hash of this creator written before them.
        account_epoch = keys.account_epoch(creator_id)
        redis_scripts.run(
            "put_blocks",
            keys=[keys.block_partners(creator_id), account_epoch],
            args=[epochs[account_epoch], ttl + 60, *partners[creator_id]],
            on=pipe,
        )
    written = []
    for video_id, info in infos.items():
        video_epoch, account_epoch = keys.video_epoch(video_id), keys.account_epoch(info["creator_id"])
        counts = info["counts"]
        fields = {
            "c": info["creator_id"],
            "pub": int(info["published"]),
            "open": int(info["open_to_all"]),
            "ve": epochs[video_epoch],
            "ce": epochs[account_epoch],
            "hl": int(not info["show_likes"]),  # the creator hides like counts: the script says so
            "sl": counts["likes"],
            "sv": counts["views"],
            "ss": counts["shares"],
        }
        redis_scripts.run(
            "put_facts",
            keys=[keys.access_facts(video_id), video_epoch, account_epoch],
            args=[
                epochs[video_epoch],
                epochs[account_epoch],
                _facts_ttl_ms(info, ttl),
                *[x for pair in fields.items() for x in pair],
            ],
            on=pipe,
        )
        written.append(video_id)
    outcomes = pipe.execute()[len(creator_ids) :]
    result.update({video_id: "ok" if done else "moved" for video_id, done in zip(written, outcomes, strict=True)})
    result.update({video_id: "missing" for video_id in creators if video_id not in result})
    return result


def _facts_ttl_ms(info: dict[str, Any], ttl_s: int) -> int:
    """A scheduled video's facts (hidden) expire at its publication time: the like that comes
    next refills them and finds it published. Nothing moves an epoch at that moment."""
    ttl_ms = ttl_s * 1000
    if info.get("publish_at") is not None:
        ttl_ms = min(ttl_ms, max(math.ceil((info["publish_at"] - time.time()) * 1000), 1))
    return ttl_ms


def shared_facts_fill(video_id: int) -> str:
    return facts_fill([video_id])[video_id]


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
    ttl = settings.ACCESS_SHARED_S * 2 + 60  # outlives every facts hash read under it
    try:
        pipe = redis_scripts.client().pipeline(transaction=False)
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
    transaction.on_commit(lambda: _after_change(video_ids, user_ids))


def _after_change(video_ids: list[int], user_ids: list[int]) -> None:
    _bump_epochs(video_ids, user_ids)
    if video_ids and settings.ENGAGEMENT_TRANSPORT == "redis":
        # Write-through: the next like of a changed (e.g. newly published) video finds its
        # facts. An account's change only moves its epoch: its videos refill on demand.
        try:
            facts_fill(video_ids)
        except (redis.RedisError, DatabaseError):
            log.warning("could not refill access facts of videos %s", video_ids, exc_info=True)
