"""Redis keys of the engagement pipeline (one place, so scripts and readers agree).

All keys live on one Redis (the scripts touch several keys at once; a Redis Cluster
deployment would hash-tag them per video).
"""

STREAM = "eng:stream"  # accepted events waiting for the workers (a consumer group reads it)
GROUP = "workers"
DIRTY = "eng:dirty"  # videos whose live counters changed since the last flush to PostgreSQL
DIRTY_FLUSHING = "eng:dirty:flushing"
LIVE = "eng:live"  # videos whose live counters changed since the pusher's last round
LIVE_PUSHING = "eng:live:pushing"
KICK = "eng:kick"  # throttles "drain now" tasks to one per ENGAGEMENT_KICK_MS
# hash: video id -> open websocket subscriptions. Only watched videos are marked in LIVE. A
# server that dies leaves its counts too high, which costs pushes nobody reads, nothing more.
WATCHERS = "eng:watchers"


def counters(video_id: int) -> str:
    return f"eng:vc:{video_id}"  # hash: likes, views, shares, v (version)


def user_likes(user_id: int) -> str:
    return f"eng:ul:{user_id}"  # hash: video_id -> "1" liked / "0" not


def event_seen(event_id: str) -> str:
    return f"eng:evt:{event_id}"


def view_window(video_id: int, viewer_key: str, window: int) -> str:
    return f"eng:vw:{video_id}:{viewer_key}:{window}"


def like_rate(user_id: int, window: int) -> str:
    return f"eng:rl:like:{user_id}:{window}"  # likes + unlikes per user per minute (atomic INCR)


# Access facts for the like script (apps.engagement.access): the script builds the creator's
# keys itself from the facts hash, with these prefixes.
ACCOUNT_EPOCH_PREFIX = "eng:ae:u:"
BLOCKS_PREFIX = "eng:blk:"


def access_facts(video_id: int) -> str:
    return f"eng:va:{video_id}"  # hash: c creator, pub, open, ve/ce epochs, hl like counts hidden, sl/sv/ss seeds


def video_epoch(video_id: int) -> str:
    return f"eng:ae:v:{video_id}"  # incremented after every commit that changes who may see the video


def account_epoch(user_id: int) -> str:
    return f"{ACCOUNT_EPOCH_PREFIX}{user_id}"  # the same for an account's privacy, activity and blocks


def block_partners(user_id: int) -> str:
    return f"{BLOCKS_PREFIX}{user_id}"  # set: everyone on the other side of a block, plus "-" (never empty)


# Budgets and caps of playback and shares (transport/): fixed windows, each key expires with its window.
def viewer_budget(viewer_key: str, hour: int) -> str:
    return f"eng:eb:{viewer_key}:{hour}"  # playback events + shares of one viewer in one hour


def network_budget(network: str, hour: int) -> str:
    return f"eng:nb:{network}:{hour}"  # anonymous events from one client network in one hour


def network_cap(bump: str, video_id: int, network: str, window: int) -> str:
    return f"eng:nc:{bump}:{video_id}:{network}:{window}"  # anonymous views/shares counted per network per window
