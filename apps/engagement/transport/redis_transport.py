"""The Redis transport: validate, dedupe, record the event durably, answer fast.

One Lua script per request (lua/like.lua, lua/batch.lua; their protocol: protocol.py) checks
the per-(user, video) like state or the event id, moves the live counter, marks the video
dirty for the PostgreSQL flush, appends the event to the stream the workers drain, says
whether to enqueue a drain task (throttled) and marks the video for the live-counter pusher.
No SQL or Cassandra write happens here.
"""

import json
import logging
import time
from typing import Any

import redis
from django.conf import settings

from apps.accounts import facade as accounts
from apps.core.errors import NotFound, RateLimited
from apps.engagement import access, redis_scripts, rules, stream, tasks
from apps.engagement import redis_keys as keys
from apps.engagement.errors import EngagementUnavailable
from apps.engagement.protocol import (
    BatchArgs,
    BatchKeys,
    BatchRefusal,
    BatchRow,
    EventStatus,
    LikeArgs,
    LikeKeys,
    LikeStatus,
    spread,
)
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

log = logging.getLogger(__name__)

# Stream entries waiting before the API sheds load (503 engagement_backlog): a like is one
# entry; a playback batch up to 120 events in one entry, so its limit is lower (similar memory).
MAX_BACKLOG = 5_000_000
MAX_BATCH_BACKLOG = 100_000
LIKE_RATE_WINDOW_S = 60
LIKE_ATTEMPTS = 4  # refills and the full check each cost one more script call


def _backlog() -> EngagementUnavailable:
    return EngagementUnavailable(
        "Too much engagement is waiting to be processed; retry shortly.", code="engagement_backlog"
    )


def _after_accept(*, kick: bool) -> None:
    """After the script recorded the event: nothing here may fail the request.

    The event is in the stream, its counter moved: answering an error now would tell the
    client it failed while it counts. The kick only hurries the drain (beat drains every
    second anyway), so a broker that is down here costs latency, never an event. Published
    without Celery's publish retries: a dead broker must not hold the answer for seconds.
    Live counters need nothing here: the script marked the video in eng:live for the pusher
    if anyone watches it."""
    if kick:
        try:
            tasks.drain.apply_async(retry=False)
        except Exception:  # kombu/redis errors and anything else: the beat drain picks it up
            log.warning("could not enqueue the drain kick; beat will drain", exc_info=True)


def _seeds(info: dict[str, Any]) -> list[int]:
    counts = info["counts"]
    return [counts["likes"], counts["views"], counts["shares"]]


def _batch_items(items: list[Item], window: int, origin: Origin) -> str:
    """The script's per-event input as one JSON argument: the client encodes one value, not
    eleven per event (docs/benchmark.md)."""
    rows: list[BatchRow] = []
    at = time.time()
    for event, info, bump in items:
        counts_view = bump == "" and rules.qualifies_as_view(event, duration_ms=info["duration_ms"])
        counted = bump or ("views" if counts_view else "")
        cap_key = (
            keys.network_cap(counted, event.video_id, origin.network, window) if origin.anonymous and counted else ""
        )
        likes, views, shares = (str(seed) for seed in _seeds(info))
        row = BatchRow(
            seen=keys.event_seen(str(event.event_id)),
            view_window=keys.view_window(event.video_id, event.viewer_key, window) if counts_view else "",
            counters=keys.counters(event.video_id),
            video_id=str(event.video_id),
            seed_likes=likes,
            seed_views=views,
            seed_shares=shares,
            bump=bump,
            seen_ttl=str(rules.seen_ttl(event, anonymous=origin.anonymous, at=at)),
            cap_key=cap_key,
            cap=str(rules.network_cap(counted)) if cap_key else "0",
        )
        rows.append(row)
    return json.dumps(rows)


def like_keys(*, user_id: int, video_id: int, pending: Any = None, window: int | None = None) -> LikeKeys:
    """The like script's keys for one (user, video); ``pending``: the token the script checks
    (accounts.facade.pending_token), else its two keys are placeholders."""
    if window is None:
        window = int(time.time()) // LIKE_RATE_WINDOW_S
    return LikeKeys(
        user_likes=keys.user_likes(user_id),
        counters=keys.counters(video_id),
        stream=keys.STREAM,
        dirty=keys.DIRTY,
        kick=keys.KICK,
        live=keys.LIVE,
        like_rate=keys.like_rate(user_id, window),
        access_facts=keys.access_facts(video_id),
        video_epoch=keys.video_epoch(video_id),
        watchers=keys.WATCHERS,
        identity_snapshot=pending.snapshot_key if pending else keys.KICK,
        identity_deny=pending.deny_key if pending else keys.KICK,
    )


class RedisTransport:
    name = "redis"

    def like_set(self, *, user: Any, video_id: int, liked: bool) -> LikeResult:
        user_id = user.pk
        # The workers take the creator from the video, so the request needs no lookup for it.
        event = like_event(user_id=user_id, video_id=video_id, liked=liked)
        pending = accounts.pending_token(user)
        script_keys = like_keys(user_id=user_id, video_id=video_id, pending=pending)
        args = LikeArgs(
            video_id=video_id,
            want="1" if liked else "0",
            event=stream.encode_event(event),
            user_id=user_id,
            mode="check",
            max_backlog=MAX_BACKLOG,
            rate_limit=settings.LIKE_RATE_LIMIT,
            rate_window_s=LIKE_RATE_WINDOW_S,
            kick_ms=settings.ENGAGEMENT_KICK_MS,
            token_generation=pending.generation if pending else "",
        )
        for _ in range(LIKE_ATTEMPTS):
            try:
                status, count, kick, *hidden = redis_scripts.run("like", keys=script_keys, args=args)
                if status == LikeStatus.FACTS_STALE and access.shared_facts_fill(video_id) == "missing":
                    status = LikeStatus.HIDDEN
            except redis.RedisError as exc:
                raise EngagementUnavailable() from exc
            if status == LikeStatus.FACTS_STALE:
                continue
            if status == LikeStatus.ACCOUNT_CHECK or (status == LikeStatus.FULL_CHECK and pending):
                user, pending = accounts.account_resolved(user), None  # AuthenticationFailed (401) if refused
                script_keys = script_keys._replace(identity_snapshot=keys.KICK, identity_deny=keys.KICK)
                args = args._replace(token_generation="")
                continue
            if status == LikeStatus.HIDDEN:
                raise NotFound("No such video.", code="video_not_found")
            if status == LikeStatus.FULL_CHECK:
                access.full_check(video_id=video_id, user=user)
                args = args._replace(mode="trusted")
                continue
            break
        else:  # the video's access kept changing under us
            raise EngagementUnavailable()
        if status == LikeStatus.RATE_LIMITED:
            raise RateLimited("Too many likes; slow down.", retry_after=LIKE_RATE_WINDOW_S)
        if status == LikeStatus.BACKLOG:
            raise _backlog()
        _after_accept(kick=bool(kick))
        return LikeResult(
            status="accepted" if status == LikeStatus.ACCEPTED else "duplicate",
            liked=liked,
            like_count=None if hidden == [1] else max(int(count), 0),
        )

    def events_record(self, items: list[Item], *, origin: Origin) -> list[EventStatus]:
        if not items:
            return []
        at = int(now().timestamp())
        window = at // settings.VIEW_WINDOW_S
        drawn = budgets(origin, at // BUDGET_WINDOW_S)
        script_keys = BatchKeys(
            stream=keys.STREAM,
            dirty=keys.DIRTY,
            kick=keys.KICK,
            live=keys.LIVE,
            watchers=keys.WATCHERS,
            budgets=tuple(key for key, _ in drawn),
        )
        args = BatchArgs(
            view_window_s=settings.VIEW_WINDOW_S,
            kick_ms=settings.ENGAGEMENT_KICK_MS,
            max_backlog=MAX_BATCH_BACKLOG,
            items=_batch_items(items, window, origin),
            payload=stream.encode_batch([event for event, _, _ in items], window),
            budget_window_s=BUDGET_WINDOW_S,
            n_events=len(items),
            limits=tuple(limit for _, limit in drawn),
        )
        try:
            result = redis_scripts.run("batch", keys=spread(script_keys), args=spread(args))
        except redis.RedisError as exc:
            raise EngagementUnavailable() from exc
        if result == [BatchRefusal.BACKLOG]:
            raise _backlog()
        if result[0] == BatchRefusal.OVER_BUDGET:
            raise over_budget(int(result[1]))
        statuses, kick = result
        _after_accept(kick=bool(kick))
        return [EventStatus(int(s)) for s in statuses]

    def like_state(self, *, user_id: int, video_id: int) -> bool | None:
        try:
            state = redis_scripts.client().hget(keys.user_likes(user_id), video_id)
        except redis.RedisError as exc:
            raise EngagementUnavailable() from exc
        return None if state is None else state == b"1"
