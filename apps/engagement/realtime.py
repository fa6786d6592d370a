"""Live counter snapshots to websocket subscribers (group ``video.<id>``).

The request path only marks a video in ``eng:live``, and only while some websocket watches
it (``eng:watchers``, kept by the consumer); the pusher (``manage.py
engagement_pusher``, one small process) takes that set every LIVE_PUSH_INTERVAL_MS and
publishes one snapshot per changed video. A viral video therefore costs at most a few
PUBLISHes a second, and the request path no Celery message. Snapshots, not deltas: a
dropped message (RedisPubSubChannelLayer can drop on a network blip) is healed by the next.
"""

import time
from typing import Any

from django.conf import settings

from apps.core import realtime as core_realtime
from apps.core import shared_redis
from apps.engagement import access, counters, redis_scripts
from apps.engagement import redis_keys as keys


def _tracks_watchers() -> bool:
    return settings.ENGAGEMENT_TRANSPORT == "redis"


def watch_started(video_id: int) -> None:
    """A websocket subscribed to the video: its changes are pushed from now on."""
    if _tracks_watchers():
        shared_redis.listener_added(keys.WATCHERS, str(video_id))


def watch_ended(video_id: int) -> None:
    if _tracks_watchers():
        shared_redis.listener_removed(keys.WATCHERS, str(video_id))


def group_name(video_id: int) -> str:
    return f"video.{video_id}"


def snapshot(video_id: int) -> dict[str, Any] | None:
    info = access.video_info(video_id)
    if info is None:
        return None
    counts = counters.live_counters(video_id, info=info)
    return {"type": "counters", "video_id": video_id, **counts, "ts": time.time()}


def _publish(payloads: list[dict[str, Any]]) -> None:
    # Through the one publisher; an outage raises (the pusher logs a Redis error and goes on).
    core_realtime.publish_many(
        [(group_name(p["video_id"]), {"type": "counters.update", "payload": p}) for p in payloads], best_effort=False
    )


def push_snapshot(video_id: int) -> bool:
    payload = snapshot(video_id)
    if payload is None:
        return False
    _publish([payload])
    return True


def push_pending() -> int:
    """One pusher round: a snapshot for every video whose counters changed since the last."""
    client = redis_scripts.client()
    taken = shared_redis.take_set(client, keys.LIVE, keys.LIVE_PUSHING, clear=True)
    video_ids = [int(v) for v in taken]
    if not video_ids:
        return 0
    pipe = client.pipeline(transaction=False)
    for video_id in video_ids:
        pipe.hgetall(keys.counters(video_id))
    now = time.time()
    payloads = [
        {"type": "counters", "video_id": video_id, **counters.decode_counts(values), "ts": now}
        for video_id, values in zip(video_ids, pipe.execute(), strict=True)
    ]
    _publish(payloads)
    return len(payloads)
