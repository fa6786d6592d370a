"""What other apps may ask of videos: plain values, never models."""

from apps.videos.models import Video
from apps.videos.selectors import video_can_view

__all__ = ["video_can_view", "video_creator_id", "video_exists"]


def video_exists(video_id: int) -> bool:
    return Video.objects.filter(pk=video_id).exists()


def video_creator_id(video_id: int) -> int | None:
    return Video.objects.filter(pk=video_id).values_list("creator_id", flat=True).first()
