"""The inline transport (the embedded default, no Redis): the same rules as the Redis scripts
on Django's cache, and the worker step (pipeline.process_events) in the request, since there is
no stream to drain. Counters move on the video row; a snapshot is pushed after each change."""

import logging
import time
from typing import Any

from django.conf import settings
from django.core.cache import cache

from apps.accounts import facade as accounts
from apps.engagement import access, pipeline, realtime, rules
from apps.engagement import redis_keys as keys
from apps.engagement.protocol import EventStatus
from apps.engagement.store import get_store
from apps.engagement.transport.port import (
    BUDGET_WINDOW_S,
    Item,
    LikeResult,
    Origin,
    budgets,
    like_event,
    now,
    over_budget,
)
from apps.videos import facade as videos

log = logging.getLogger(__name__)


def _count(key: str, n: int, *, timeout: int) -> int:
    if cache.add(key, n, timeout=timeout):
        return n
    try:
        return cache.incr(key, n)
    except ValueError:  # expired between add and incr
        cache.add(key, n, timeout=timeout)
        return n


def _draw_budgets(origin: Origin, n: int) -> None:
    """The Redis script's budgets on the cache (not atomic between check and add: the embedded
    default serves one machine)."""
    at = int(time.time())
    drawn = [(f"eng:budget:{key}", limit) for key, limit in budgets(origin, at // BUDGET_WINDOW_S)]
    if any((cache.get(key) or 0) + n > limit for key, limit in drawn):
        raise over_budget(BUDGET_WINDOW_S - at % BUDGET_WINDOW_S)
    for key, _ in drawn:
        _count(key, n, timeout=BUDGET_WINDOW_S)


def _push_live(video_id: int) -> None:
    """The snapshot after a recorded event. Best effort, never the request's failure (the
    event is recorded; the next change pushes a fresh snapshot)."""
    try:
        realtime.push_snapshot(video_id)
    except Exception:
        log.warning("live snapshot of video %s not pushed", video_id, exc_info=True)


class InlineTransport:
    name = "inline"

    def like_set(self, *, user: Any, video_id: int, liked: bool) -> LikeResult:
        user = accounts.account_resolved(user)
        info = access.check_can_engage(video_id=video_id, user=user)
        user_id = user.pk
        hidden = access.likes_hidden(info, user)
        if get_store().is_liked(user_id=user_id, video_id=video_id) == liked:
            counts = videos.video_counters(video_id) or {"likes": 0}
            return LikeResult(status="duplicate", liked=liked, like_count=None if hidden else counts["likes"])
        event = like_event(user_id=user_id, video_id=video_id, liked=liked, creator_id=info["creator_id"])
        pipeline.process_events([event])
        videos.video_counters_add(video_id, likes=1 if liked else -1)
        _push_live(video_id)
        count = (videos.video_counters(video_id) or {"likes": 0})["likes"]
        return LikeResult(status="accepted", liked=liked, like_count=None if hidden else count)

    def events_record(self, items: list[Item], *, origin: Origin) -> list[EventStatus]:
        """The same rules as the batch script (dedupe, view window, network caps, budgets)."""
        if not items:
            return []
        _draw_budgets(origin, len(items))
        window = int(now().timestamp()) // settings.VIEW_WINDOW_S
        at = time.time()
        statuses, accepted, touched = [], [], set()
        for event, info, bump in items:
            seen = keys.event_seen(str(event.event_id))
            if not cache.add(seen, 1, timeout=rules.seen_ttl(event, anonymous=origin.anonymous, at=at)):
                statuses.append(EventStatus.DUPLICATE)
                continue
            status = EventStatus.ACCEPTED
            view_key = keys.view_window(event.video_id, event.viewer_key, window)
            if (
                bump == ""
                and rules.qualifies_as_view(event, duration_ms=info["duration_ms"])
                and cache.add(view_key, 1, timeout=settings.VIEW_WINDOW_S)
            ):
                bump, status = "views", EventStatus.VIEW_COUNTED
            if bump and origin.anonymous:
                cap_key = keys.network_cap(bump, event.video_id, origin.network, window)
                if _count(cap_key, 1, timeout=settings.VIEW_WINDOW_S) > rules.network_cap(bump):
                    bump, status = "", EventStatus.CAPPED
            accepted += rules.stored_events(event, status, window)
            if bump:
                videos.video_counters_add(event.video_id, **{bump: 1})
                touched.add(event.video_id)
            statuses.append(status)
        pipeline.process_events(accepted)
        for video_id in touched:
            _push_live(video_id)
        return statuses

    def like_state(self, *, user_id: int, video_id: int) -> bool | None:
        return None  # the store is written in the request
