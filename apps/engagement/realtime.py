"""Live counter snapshots to websocket subscribers (group ``video.<id>``).

Snapshots, not deltas: a dropped message (RedisPubSubChannelLayer can drop on a network
blip) is healed by the next one. Publishing is throttled upstream to LIVE_PUSH_INTERVAL_MS
per video, so a viral video costs at most a few PUBLISHes a second.
"""

import time
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer


def group_name(video_id: int) -> str:
    return f"video.{video_id}"


def snapshot(video_id: int) -> dict[str, Any] | None:
    from apps.engagement import access, ingest

    info = access.video_info(video_id)
    if info is None:
        return None
    counts = ingest.live_counters(video_id, info=info)
    return {"type": "counters", "video_id": video_id, **counts, "ts": time.time()}


def push_snapshot(video_id: int) -> bool:
    payload = snapshot(video_id)
    layer = get_channel_layer()
    if payload is None or layer is None:
        return False
    async_to_sync(layer.group_send)(group_name(video_id), {"type": "counters.update", "payload": payload})
    return True
