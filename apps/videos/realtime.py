"""Processing progress pushed to the creator's websocket (``ws/videos/<id>/processing/``)."""

from typing import Any

from apps.core import realtime


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
    realtime.publish(processing_group(video.pk), processing_snapshot(video))
