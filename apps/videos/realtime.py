"""Processing progress pushed to the creator's websocket (``ws/videos/<id>/processing/``)."""

import logging
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

log = logging.getLogger("apps.videos.realtime")


def processing_group(video_id: int) -> str:
    return f"video-processing.{video_id}"


def processing_snapshot(video: Any) -> dict[str, Any]:
    return {
        "type": "processing.progress",
        "video_id": video.pk,
        "status": video.status,
        "stage": video.processing_stage,
        "percent": video.processing_percent,
        "failure_reason": video.failure_reason,
    }


def push_processing(video: Any) -> None:
    """Best effort: a channel layer outage never fails processing (the API has the same state)."""
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        async_to_sync(layer.group_send)(processing_group(video.pk), processing_snapshot(video))
    except Exception:
        log.warning("could not push processing progress of video %s", video.pk, exc_info=True)
