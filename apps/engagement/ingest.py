"""The request path: validate, dedupe, record the event durably, answer fast.

With the Redis transport one Lua script per request checks the per-(user, video) like
state or the event id, moves the live counter, marks the video dirty for the PostgreSQL
flush, appends the event to the stream the workers drain, and says whether to enqueue a
drain task (throttled) and marks the video for the live-counter pusher. No SQL or Cassandra
write happens here.
The inline transport (embedded default, no Redis) runs the worker step in the request.
"""

import dataclasses
import json
import logging
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import redis
from django.conf import settings
from django.core.cache import cache
from django_redis import get_redis_connection

from apps.accounts import identity
from apps.core.errors import NotFound, RateLimited, ServiceUnavailable
from apps.engagement import redis_keys as keys
from apps.engagement.events import MAX_EVENT_AGE, EngagementEvent, Kind

log = logging.getLogger(__name__)

# Stream entries waiting before the API sheds load (503 engagement_backlog): a like is one
# entry; a playback batch up to 120 events in one entry, so its limit is lower (similar memory).
MAX_BACKLOG = 5_000_000
MAX_BATCH_BACKLOG = 100_000
LIKE_RATE_WINDOW_S = 60
BUDGET_WINDOW_S = 3600  # the window of the per-viewer and per-network event budgets
SEEN_MARGIN_S = 60  # an event id's dedupe key outlives the last moment the event is accepted by this


class EngagementUnavailable(ServiceUnavailable):
    code = "engagement_unavailable"
    message = "Engagement is temporarily unavailable; retry shortly."


@dataclass
class LikeResult:
    status: str  # "accepted" | "duplicate"
    liked: bool
    like_count: int | None  # None: the creator hides like counts from this user


@dataclass(frozen=True)
class Origin:
    """Who sends playback or a share, for the budgets and caps of the request path.

    ``network`` is set for anonymous clients only: their views and shares are capped per
    network per video, and all their events share the network's budget."""

    viewer_key: str  # "u:<account id>" or "s:<server-issued anonymous session id>"
    network: str = ""

    @property
    def anonymous(self) -> bool:
        return bool(self.network)


# Per-event statuses of the batch script (and the stream's "m" field).
DUPLICATE, ACCEPTED, VIEW_COUNTED, CAPPED = 0, 1, 2, 3


@dataclass
class BatchResult:
    accepted: int = 0
    duplicates: int = 0
    views_counted: int = 0
    rejected: list[dict[str, Any]] = field(default_factory=list)
    statuses: list[str] = field(default_factory=list)


def now() -> datetime:
    return datetime.now(UTC)


def view_event_id(video_id: int, viewer_key: str, window: int) -> uuid.UUID:
    """Deterministic: however often a view is re-derived, it is one event in the store."""
    return uuid.uuid5(uuid.NAMESPACE_URL, f"reelhouse:view:{video_id}:{viewer_key}:{window}")


def qualifies_as_view(event: EngagementEvent, *, duration_ms: int) -> bool:
    """A view counts after VIEW_MIN_WATCH_MS of watching in one play, or half of a short video.
    Loops are rewatches, never views."""
    if event.kind not in (Kind.PROGRESS, Kind.COMPLETE, Kind.SKIP):
        return False
    watched = max(event.watch_ms, event.position_ms)
    duration = event.duration_ms or duration_ms
    if duration and duration < settings.VIEW_SHORT_VIDEO_MS:
        return watched >= duration * settings.VIEW_SHORT_SHARE
    return watched >= settings.VIEW_MIN_WATCH_MS


def view_event(event: EngagementEvent, window: int, *, kind: str = Kind.VIEW) -> EngagementEvent:
    """The counted view a playback event earned (or, kind CAPPED_VIEW, the one it would have
    earned had its network not been over the cap: kept, never counted)."""
    viewer = event.viewer_key if kind == Kind.VIEW else f"capped:{event.viewer_key}"
    return EngagementEvent(
        event_id=view_event_id(event.video_id, viewer, window),
        kind=kind,
        video_id=event.video_id,
        occurred_at=event.occurred_at,
        user_id=event.user_id,
        session_id=event.session_id,
        watch_ms=max(event.watch_ms, event.position_ms),
        duration_ms=event.duration_ms,
        creator_id=event.creator_id,
    )


def capped_event(event: EngagementEvent, window: int) -> EngagementEvent:
    """What the store keeps of a view or share over its network's cap."""
    if event.kind == Kind.SHARE:
        return dataclasses.replace(event, kind=Kind.CAPPED_SHARE)
    return view_event(event, window, kind=Kind.CAPPED_VIEW)


def stored_events(event: EngagementEvent, status: int, window: int) -> list[EngagementEvent]:
    """What the store keeps of an accepted event, by the status the request path gave it."""
    if status == CAPPED and event.kind == Kind.SHARE:
        return [capped_event(event, window)]
    if status == VIEW_COUNTED:
        return [event, view_event(event, window)]
    if status == CAPPED:
        return [event, capped_event(event, window)]
    return [event]


_STATUS = {"1": ACCEPTED, "2": VIEW_COUNTED, "3": CAPPED}


def seen_ttl(event: EngagementEvent, *, anonymous: bool, at: float) -> int:
    """How long an event id must stay known: until the event is too old to be accepted at all
    (7 days after it happened; ANON_EVENT_MAX_AGE_S for anonymous ones), then it is refused
    anyway. Keys of late events live only as long as they still could come back."""
    max_age = settings.ANON_EVENT_MAX_AGE_S if anonymous else MAX_EVENT_AGE.total_seconds()
    return max(SEEN_MARGIN_S, int(event.occurred_at.timestamp() + max_age - at) + SEEN_MARGIN_S)


def _cap(bump: str) -> int:
    return settings.ANON_VIEWS_PER_NETWORK if bump == "views" else settings.ANON_SHARES_PER_NETWORK


# --- Redis transport --------------------------------------------------------------------------

# The account behind the token first, when the request left it to the script (ARGV[10], the
# token's generation; apps/accounts/identity.py), so a like costs one Redis round trip. Then
# access (nothing is counted or rate-limited for a like that is refused): the facts hash and
# the epochs it was read under (access.py), then the backlog, the rate limit, the like.
# Returns {status, like count, kick, hidden}; hidden is 1 when the creator hides like counts
# from this user (facts field hl), so the answer needs no second read. Status 1 accepted, 0 duplicate, -1 backlog, -2 rate
# limited, -3 facts missing or stale (refill and retry), -4 hidden, -5 the full selector
# decides (retry with ARGV[5] = "trusted" once it allowed), -6 the account needs the full
# check (resolve it, then retry).
_LIKE_LUA = (
    identity.LUA_TOKEN_VALID
    + """
if ARGV[10] ~= '' and not token_valid(KEYS[11], KEYS[12], ARGV[10]) then return {-6, 0, 0} end
local f = redis.call('HMGET', KEYS[8], 'c', 'pub', 'open', 've', 'ce', 'sl', 'sv', 'ss', 'hl')
local creator = f[1]
if not creator then return {-3, 0, 0} end
if (redis.call('GET', KEYS[9]) or '0') ~= f[4] then return {-3, 0, 0} end
if (redis.call('GET', '@EPOCH@' .. creator) or '0') ~= f[5] then return {-3, 0, 0} end
local user = ARGV[4]
local hidden = 0
if f[9] == '1' and creator ~= user then hidden = 1 end
if creator ~= user and ARGV[5] ~= 'trusted' then
  if f[2] ~= '1' then return {-4, 0, 0} end
  local blocks = '@BLOCKS@' .. creator
  if redis.call('EXISTS', blocks) == 0 then return {-3, 0, 0} end
  if redis.call('SISMEMBER', blocks, user) == 1 then return {-4, 0, 0} end
  if f[3] ~= '1' then return {-5, 0, 0} end
end
if redis.call('XLEN', KEYS[3]) > tonumber(ARGV[6]) then return {-1, 0, 0} end
local hits = redis.call('INCR', KEYS[7])
if hits == 1 then redis.call('EXPIRE', KEYS[7], ARGV[8]) end
if hits > tonumber(ARGV[7]) then return {-2, 0, 0} end
local want = ARGV[2]
local cur = redis.call('HGET', KEYS[1], ARGV[1])
if redis.call('EXISTS', KEYS[2]) == 0 then
  redis.call('HSET', KEYS[2], 'likes', f[6], 'views', f[7], 'shares', f[8], 'v', 0)
end
if cur == want or (not cur and want == '0') then
  return {0, tonumber(redis.call('HGET', KEYS[2], 'likes')), 0, hidden}
end
redis.call('HSET', KEYS[1], ARGV[1], want)
local delta = 1
if want == '0' then delta = -1 end
local n = redis.call('HINCRBY', KEYS[2], 'likes', delta)
redis.call('HINCRBY', KEYS[2], 'v', 1)
redis.call('SADD', KEYS[4], ARGV[1])
redis.call('XADD', KEYS[3], '*', 'e', ARGV[3])
local kick = 0
if redis.call('SET', KEYS[5], '1', 'NX', 'PX', ARGV[9]) then kick = 1 end
if redis.call('HEXISTS', KEYS[10], ARGV[1]) == 1 then redis.call('SADD', KEYS[6], ARGV[1]) end
return {1, n, kick, hidden}
""".replace("@EPOCH@", keys.ACCOUNT_EPOCH_PREFIX).replace("@BLOCKS@", keys.BLOCKS_PREFIX)
)

# ARGV[4] is a JSON array with 11 strings per event (see _batch_items). ARGV[5] is the
# request's events as one JSON document (see _batch_payload), opaque here: if any event is
# new, it goes to the stream as one entry (field "p") with the statuses decided here (field
# "m": "0" duplicate, "1" accepted, "2" accepted and counted as a view, "3" accepted, a view or
# share not counted: its anonymous network is over the cap). The workers skip the duplicates,
# derive the counted views (their ids are deterministic) and keep the capped ones under their
# own kinds. One entry and one JSON encoding per request, for Redis and for the workers.
# Budgets first (KEYS[6] the viewer's, KEYS[7] an anonymous client's network's; ARGV[8],
# ARGV[9] their limits): ARGV[7] more events past one refuses the whole request ({-2, ttl}),
# so what one viewer or network can put into Redis (dedupe keys, stream) is bounded. Two GETs
# and two INCRBYs a request; the network cap is one INCR per newly counted anonymous view or share.
_BATCH_LUA = """
if redis.call('XLEN', KEYS[1]) > tonumber(ARGV[3]) then return {-1} end
local n = tonumber(ARGV[7])
for b = 6, #KEYS do
  if tonumber(redis.call('GET', KEYS[b]) or '0') + n > tonumber(ARGV[b + 2]) then
    return {-2, redis.call('TTL', KEYS[b])}
  end
end
for b = 6, #KEYS do
  if redis.call('INCRBY', KEYS[b], n) == n then redis.call('EXPIRE', KEYS[b], ARGV[6]) end
end
local win, kick_ms = ARGV[1], ARGV[2]
local statuses, any = {}, false
for i, e in ipairs(cjson.decode(ARGV[4])) do
  local status = 0
  if redis.call('SET', e[1], '1', 'NX', 'EX', e[9]) then
    any = true
    status = 1
    local bump = e[8]
    if e[2] ~= '' and redis.call('SET', e[2], '1', 'NX', 'EX', win) then
      bump = 'views'
      status = 2
    end
    if bump ~= '' and e[10] ~= '' then
      local seen = redis.call('INCR', e[10])
      if seen == 1 then redis.call('EXPIRE', e[10], win) end
      if seen > tonumber(e[11]) then
        bump = ''
        status = 3
      end
    end
    if bump ~= '' then
      local vc = e[3]
      if redis.call('EXISTS', vc) == 0 then
        redis.call('HSET', vc, 'likes', e[5], 'views', e[6], 'shares', e[7], 'v', 0)
      end
      redis.call('HINCRBY', vc, bump, 1)
      redis.call('HINCRBY', vc, 'v', 1)
      redis.call('SADD', KEYS[2], e[4])
      if redis.call('HEXISTS', KEYS[5], e[4]) == 1 then redis.call('SADD', KEYS[4], e[4]) end
    end
  end
  statuses[i] = status
end
local kick = 0
if any then
  redis.call('XADD', KEYS[1], '*', 'p', ARGV[5], 'm', table.concat(statuses))
  if redis.call('SET', KEYS[3], '1', 'NX', 'PX', kick_ms) then kick = 1 end
end
return {statuses, kick}
"""


def redis_client() -> redis.Redis:
    return get_redis_connection("default")


@dataclass
class _Scripts:
    like: Any = None
    batch: Any = None


_SCRIPTS = _Scripts()


def _run(name: str, *, keys: list[str], args: list[Any]) -> Any:
    """EVALSHA one of our scripts on the current client (loaded again if Redis lost it)."""
    client = redis_client()
    if _SCRIPTS.like is None:
        _SCRIPTS.like, _SCRIPTS.batch = client.register_script(_LIKE_LUA), client.register_script(_BATCH_LUA)
    return getattr(_SCRIPTS, name)(keys=keys, args=args, client=client)


def _seeds(info: dict[str, Any]) -> list[int]:
    counts = info["counts"]
    return [counts["likes"], counts["views"], counts["shares"]]


def _after_accept(*, kick: bool) -> None:
    """After the script recorded the event: nothing here may fail the request.

    The event is in the stream, its counter moved: answering an error now would tell the
    client it failed while it counts. The kick only hurries the drain (beat drains every
    second anyway), so a broker that is down here costs latency, never an event. Published
    without Celery's publish retries: a dead broker must not hold the answer for seconds.
    Live counters need nothing here: the script marked the video in eng:live for the pusher
    if anyone watches it."""
    if kick:
        from apps.engagement import tasks

        try:
            tasks.drain.apply_async(retry=False)
        except Exception:  # kombu/redis errors and anything else: the beat drain picks it up
            log.warning("could not enqueue the drain kick; beat will drain", exc_info=True)


LIKE_ATTEMPTS = 4  # refills and the full check each cost one more script call


def _redis_like(*, user: Any, video_id: int, liked: bool) -> LikeResult:
    from apps.engagement import access

    user_id = user.pk
    # The workers take the creator from the video, so the request needs no lookup for it.
    event = EngagementEvent(
        event_id=uuid.uuid4(),
        kind=Kind.LIKE if liked else Kind.UNLIKE,
        video_id=video_id,
        occurred_at=now(),
        user_id=user_id,
    )
    script_keys = [
        keys.user_likes(user_id),
        keys.counters(video_id),
        keys.STREAM,
        keys.DIRTY,
        keys.KICK,
        keys.LIVE,
        keys.like_rate(user_id, int(time.time()) // LIKE_RATE_WINDOW_S),
        keys.access_facts(video_id),
        keys.video_epoch(video_id),
        keys.WATCHERS,
    ]
    pending = user if isinstance(user, identity.TokenIdentity) else None
    script_keys += [pending.snapshot_key, pending.deny_key] if pending else [keys.KICK, keys.KICK]
    mode = "check"
    for _ in range(LIKE_ATTEMPTS):
        args = [
            video_id,
            "1" if liked else "0",
            json.dumps(event.to_json()),
            user_id,
            mode,
            MAX_BACKLOG,
            settings.LIKE_RATE_LIMIT,
            LIKE_RATE_WINDOW_S,
            settings.ENGAGEMENT_KICK_MS,
            pending.generation if pending else "",
        ]
        try:
            status, count, kick, *hidden = _run("like", keys=script_keys, args=args)
            if status == -3 and access.shared_facts_fill(video_id) == "missing":
                status = -4
        except redis.RedisError as exc:
            raise EngagementUnavailable() from exc
        if status == -3:
            continue
        if status == -6 or (status == -5 and pending):
            user, pending = pending.resolve(), None  # AuthenticationFailed (401) if refused
            script_keys[10:] = [keys.KICK, keys.KICK]
            continue
        if status == -4:
            raise NotFound("No such video.", code="video_not_found")
        if status == -5:
            access.full_check(video_id=video_id, user=user)
            mode = "trusted"
            continue
        break
    else:  # the video's access kept changing under us
        raise EngagementUnavailable()
    if status == -2:
        raise RateLimited("Too many likes; slow down.", retry_after=LIKE_RATE_WINDOW_S)
    if status == -1:
        raise EngagementUnavailable(
            "Too much engagement is waiting to be processed; retry shortly.", code="engagement_backlog"
        )
    _after_accept(kick=bool(kick))
    return LikeResult(
        status="accepted" if status == 1 else "duplicate",
        liked=liked,
        like_count=None if hidden == [1] else max(int(count), 0),
    )


def _batch_items(items: list[tuple[EngagementEvent, dict[str, Any], str]], window: int, origin: Origin) -> str:
    """The script's per-event input as one JSON argument (a hundred events were 1,100
    arguments, each encoded on its own by the client: a quarter of a batch request's CPU)."""
    rows: list[list[str]] = []
    at = time.time()
    for event, info, bump in items:
        counts_view = bump == "" and qualifies_as_view(event, duration_ms=info["duration_ms"])
        counted = bump or ("views" if counts_view else "")
        cap_key = (
            keys.network_cap(counted, event.video_id, origin.network, window) if origin.anonymous and counted else ""
        )
        rows.append(
            [
                keys.event_seen(str(event.event_id)),
                keys.view_window(event.video_id, event.viewer_key, window) if counts_view else "",
                keys.counters(event.video_id),
                str(event.video_id),
                *(str(seed) for seed in _seeds(info)),
                bump,
                str(seen_ttl(event, anonymous=origin.anonymous, at=at)),
                cap_key,
                str(_cap(counted)) if cap_key else "0",
            ]
        )
    return json.dumps(rows)


def _budgets(origin: Origin, hour: int) -> list[tuple[str, int]]:
    """The budgets a request draws on: its viewer's, and an anonymous client's network's."""
    budgets = [(keys.viewer_budget(origin.viewer_key, hour), settings.VIEWER_EVENTS_PER_HOUR)]
    if origin.anonymous:
        budgets.append((keys.network_budget(origin.network, hour), settings.ANON_EVENTS_PER_NETWORK))
    return budgets


def _over_budget(retry_after: int) -> RateLimited:
    return RateLimited("Too many playback events or shares; slow down.", retry_after=max(1, retry_after))


def _batch_payload(events: list[EngagementEvent], window: int) -> str:
    """A batch's stream entry: the view window and the events as rows, in one encoding."""
    return json.dumps({"w": window, "e": [event.to_row() for event in events]})


def decode_batch(payload: str, statuses: str) -> tuple[list[EngagementEvent], list[Any]]:
    """The events of a batch entry the script kept (status "1", "2" or "3"), with the views the
    "2"s counted and what the store keeps of the "3"s (capped_event), and the rows that could
    not be decoded. ValueError/TypeError/KeyError if the entry itself is not one."""
    data = json.loads(payload)
    window, rows = data["w"], data["e"]
    if not isinstance(rows, list) or len(rows) != len(statuses):
        raise ValueError("a batch entry has one status per event")
    events: list[EngagementEvent] = []
    bad: list[Any] = []
    for row, status in zip(rows, statuses, strict=True):
        if status == "0":
            continue
        try:
            event = EngagementEvent.from_row(row)
        except (ValueError, TypeError, AttributeError):
            bad.append(row)
            continue
        events += stored_events(event, _STATUS.get(status, ACCEPTED), window)
    return events, bad


def _redis_batch(items: list[tuple[EngagementEvent, dict[str, Any], str]], origin: Origin) -> list[int]:
    """Statuses per event: DUPLICATE, ACCEPTED, VIEW_COUNTED or CAPPED."""
    if not items:
        return []
    at = int(now().timestamp())
    window = at // settings.VIEW_WINDOW_S
    budgets = _budgets(origin, at // BUDGET_WINDOW_S)
    try:
        result = _run(
            "batch",
            keys=[keys.STREAM, keys.DIRTY, keys.KICK, keys.LIVE, keys.WATCHERS, *(key for key, _ in budgets)],
            args=[
                settings.VIEW_WINDOW_S,
                settings.ENGAGEMENT_KICK_MS,
                MAX_BATCH_BACKLOG,
                _batch_items(items, window, origin),
                _batch_payload([event for event, _, _ in items], window),
                BUDGET_WINDOW_S,
                len(items),
                *(limit for _, limit in budgets),
            ],
        )
    except redis.RedisError as exc:
        raise EngagementUnavailable() from exc
    if result == [-1]:
        raise EngagementUnavailable(
            "Too much engagement is waiting to be processed; retry shortly.", code="engagement_backlog"
        )
    if result[0] == -2:
        raise _over_budget(int(result[1]))
    statuses, kick = result
    _after_accept(kick=bool(kick))
    return [int(s) for s in statuses]


def redis_live_counters(video_id: int) -> dict[str, int] | None:
    try:
        values = redis_client().hgetall(keys.counters(video_id))
    except redis.RedisError as exc:
        raise EngagementUnavailable() from exc
    if not values:
        return None
    return {name: int(values.get(name.encode(), 0)) for name in ("likes", "views", "shares")}


# --- inline transport (embedded default) ----------------------------------------------------------


def _inline_like(*, user: Any, video_id: int, liked: bool, info: dict[str, Any]) -> LikeResult:
    from apps.engagement import access, pipeline
    from apps.engagement.store import get_store
    from apps.videos import facade as videos

    user_id = user.pk
    hidden = access.likes_hidden(info, user)
    if get_store().is_liked(user_id=user_id, video_id=video_id) == liked:
        counts = videos.video_counters(video_id) or {"likes": 0}
        return LikeResult(status="duplicate", liked=liked, like_count=None if hidden else counts["likes"])
    event = EngagementEvent(
        event_id=uuid.uuid4(),
        kind=Kind.LIKE if liked else Kind.UNLIKE,
        video_id=video_id,
        occurred_at=now(),
        user_id=user_id,
        creator_id=info["creator_id"],
    )
    pipeline.process_events([event])
    videos.video_counters_add(video_id, likes=1 if liked else -1)
    _push_live(video_id)
    count = (videos.video_counters(video_id) or {"likes": 0})["likes"]
    return LikeResult(status="accepted", liked=liked, like_count=None if hidden else count)


def _inline_budgets(origin: Origin, n: int) -> None:
    """The Redis script's budgets on the cache (not atomic between check and add: the embedded
    default serves one machine)."""
    at = int(time.time())
    budgets = [(f"eng:budget:{key}", limit) for key, limit in _budgets(origin, at // BUDGET_WINDOW_S)]
    if any((cache.get(key) or 0) + n > limit for key, limit in budgets):
        raise _over_budget(BUDGET_WINDOW_S - at % BUDGET_WINDOW_S)
    for key, _ in budgets:
        _inline_count(key, n, timeout=BUDGET_WINDOW_S)


def _inline_count(key: str, n: int, *, timeout: int) -> int:
    if cache.add(key, n, timeout=timeout):
        return n
    try:
        return cache.incr(key, n)
    except ValueError:  # expired between add and incr
        cache.add(key, n, timeout=timeout)
        return n


def _inline_batch(items: list[tuple[EngagementEvent, dict[str, Any], str]], origin: Origin) -> list[int]:
    """The same rules as the batch script (dedupe, view window, network caps, budgets)."""
    from apps.engagement import pipeline
    from apps.videos import facade as videos

    if not items:
        return []
    _inline_budgets(origin, len(items))
    window = int(now().timestamp()) // settings.VIEW_WINDOW_S
    at = time.time()
    statuses, accepted, touched = [], [], set()
    for event, info, bump in items:
        seen = keys.event_seen(str(event.event_id))
        if not cache.add(seen, 1, timeout=seen_ttl(event, anonymous=origin.anonymous, at=at)):
            statuses.append(DUPLICATE)
            continue
        status = ACCEPTED
        view_key = keys.view_window(event.video_id, event.viewer_key, window)
        if (
            bump == ""
            and qualifies_as_view(event, duration_ms=info["duration_ms"])
            and cache.add(view_key, 1, timeout=settings.VIEW_WINDOW_S)
        ):
            bump, status = "views", VIEW_COUNTED
        if bump and origin.anonymous:
            cap_key = keys.network_cap(bump, event.video_id, origin.network, window)
            if _inline_count(cap_key, 1, timeout=settings.VIEW_WINDOW_S) > _cap(bump):
                bump, status = "", CAPPED
        accepted += stored_events(event, status, window)
        if bump:
            videos.video_counters_add(event.video_id, **{bump: 1})
            touched.add(event.video_id)
        statuses.append(status)
    pipeline.process_events(accepted)
    for video_id in touched:
        _push_live(video_id)
    return statuses


def _push_live(video_id: int) -> None:
    """Inline transport: the snapshot after a recorded event. Best effort, never the request's
    failure (the event is recorded; the next change pushes a fresh snapshot)."""
    from apps.engagement import realtime

    try:
        realtime.push_snapshot(video_id)
    except Exception:
        log.warning("live snapshot of video %s not pushed", video_id, exc_info=True)


# --- the public request-path functions ---------------------------------------------------------


def inline() -> bool:
    return settings.ENGAGEMENT_TRANSPORT == "inline"


def like_set(*, user: Any, video_id: int, liked: bool) -> LikeResult:
    """Like or unlike a video the user may see (NotFound if not); idempotent per (user, video):
    repeating an intent is a duplicate."""
    if inline():
        from apps.engagement import access

        user = identity.resolved(user)
        info = access.check_can_engage(video_id=video_id, user=user)
        return _inline_like(user=user, video_id=video_id, liked=liked, info=info)
    return _redis_like(user=user, video_id=video_id, liked=liked)


def events_record(items: list[tuple[EngagementEvent, dict[str, Any], str]], *, origin: Origin) -> list[int]:
    """Record validated events (playback or shares) with their video's access facts and the
    counter they bump ("shares" or "" for playback, which may count a view), from ``origin``.
    Statuses per event: DUPLICATE, ACCEPTED, VIEW_COUNTED or CAPPED (an anonymous network over
    its cap: kept in the store, not counted). RateLimited past the viewer's or the network's
    event budget (nothing of the request is recorded)."""
    return (_inline_batch if inline() else _redis_batch)(items, origin)


def live_counters(video_id: int, *, info: dict[str, Any]) -> dict[str, int]:
    if inline():
        from apps.videos import facade as videos

        return videos.video_counters(video_id) or dict(info["counts"])
    return redis_live_counters(video_id) or dict(info["counts"])
