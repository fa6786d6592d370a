"""Engagement pipeline knobs (see docs/engagement.md)."""

from datetime import timedelta

from settings.env import env_int, env_str

# "redis": request path records events in a Redis stream, Celery workers drain it in batches.
# "inline": the embedded default without Redis processes each event in the request.
ENGAGEMENT_TRANSPORT = env_str("ENGAGEMENT_TRANSPORT", "redis")
ENGAGEMENT_BATCH_SIZE = env_int("ENGAGEMENT_BATCH_SIZE", 500)
ENGAGEMENT_DRAIN_BUDGET_S = env_int("ENGAGEMENT_DRAIN_BUDGET_S", 5)
ENGAGEMENT_CLAIM_IDLE_MS = env_int("ENGAGEMENT_CLAIM_IDLE_MS", 30_000)  # reclaim a dead worker's batch after this
# At most one drain task enqueued per this interval: long enough that batches are large (a
# batch's fixed cost is paid once per interval, not per like), short enough that the store is
# at most about a second behind the live counters.
ENGAGEMENT_KICK_MS = env_int("ENGAGEMENT_KICK_MS", 1000)
COUNTER_FLUSH_INTERVAL_S = env_int("COUNTER_FLUSH_INTERVAL_S", 2)
# One counter flush at a time: a flush holds this lease; past it (a flush stuck that long) the
# next may start, and the stale one no longer clears anything (apps/engagement/counters.py).
COUNTER_FLUSH_LEASE_MS = env_int("COUNTER_FLUSH_LEASE_MS", 60_000)
LIVE_PUSH_INTERVAL_MS = env_int("LIVE_PUSH_INTERVAL_MS", 250)  # at most 4 snapshots/s per video
PLAYBACK_MAX_EVENTS = 100
LIKE_RATE_LIMIT = env_int("LIKE_RATE_LIMIT", 300)  # likes + unlikes per user per minute
VIEW_MIN_WATCH_MS = env_int("VIEW_MIN_WATCH_MS", 3000)
VIEW_SHORT_VIDEO_MS = 6000  # below this length, half of the video counts as a view
VIEW_SHORT_SHARE = 0.5
VIEW_WINDOW_S = env_int("VIEW_WINDOW_S", 3600)  # one view per viewer per video per window
# Anonymous viewers (docs/engagement.md, "Anonymous viewers"): a server-issued session token,
# caps per client network (an IPv4 address, an IPv6 /64) and budgets that bound what one
# client can put into Redis. Carrier NAT puts many real people behind one address: the caps
# are generous on purpose; the per-network key is what stops one client minting viewers.
ANON_SESSION_TTL_S = env_int("ANON_SESSION_TTL_S", 24 * 3600)  # lifetime of an anonymous session token
# Tokens issued per client network: the rate-limit scope "anonymous-session"
# (ANON_SESSIONS_PER_NETWORK per ANON_SESSION_ISSUE_WINDOW_S, settings/components/security.py).
# Counted anonymous views / shares per video per network per VIEW_WINDOW_S; past it: kept, not counted.
ANON_VIEWS_PER_NETWORK = env_int("ANON_VIEWS_PER_NETWORK", 100)
ANON_SHARES_PER_NETWORK = env_int("ANON_SHARES_PER_NETWORK", 20)
ANON_EVENTS_PER_NETWORK = env_int("ANON_EVENTS_PER_NETWORK", 20_000)  # anonymous events per network per hour
# Anonymous events are accepted at most this late, so their dedupe keys live only this long.
ANON_EVENT_MAX_AGE_S = env_int("ANON_EVENT_MAX_AGE_S", 6 * 3600)
# Playback events and shares per viewer (an account or an anonymous session) per hour; a
# player that reports once a second stays under it.
VIEWER_EVENTS_PER_HOUR = env_int("VIEWER_EVENTS_PER_HOUR", 3600)
ACCESS_CACHE_S = env_int("ENGAGEMENT_ACCESS_CACHE_S", 5)  # per-process cache of video access facts
# Access facts the like script reads in Redis; every change to them moves an epoch at once, so
# this only bounds memory, never staleness.
ACCESS_SHARED_S = env_int("ENGAGEMENT_ACCESS_SHARED_S", 6 * 3600)

ENGAGEMENT_BEAT_SCHEDULE = {
    "engagement-drain": {"task": "engagement.drain", "schedule": timedelta(seconds=1), "options": {"expires": 5}},
    "engagement-flush-counters": {
        "task": "engagement.flush_counters",
        "schedule": timedelta(seconds=COUNTER_FLUSH_INTERVAL_S),
        "options": {"expires": 10},
    },
    "engagement-push-live": {
        "task": "engagement.push_live",
        "schedule": timedelta(seconds=1),
        "options": {"expires": 2},
    },
    "engagement-reconcile": {
        "task": "engagement.reconcile_counters",
        "schedule": timedelta(hours=1),
        "options": {"expires": 600},
    },
}
