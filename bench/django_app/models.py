"""Tables of the naive baseline: what a first, synchronous version of likes and views writes."""

from django.conf import settings
from django.db import models


class NaiveLike(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    video = models.ForeignKey("videos.Video", on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "video"], name="benchmarks_naivelike_user_video")]

    def __str__(self) -> str:
        return f"naive like {self.user_id} -> {self.video_id}"


class NaiveEvent(models.Model):
    """One row per playback event (deduplicated by the client's event id)."""

    event_id = models.UUIDField(unique=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    video = models.ForeignKey("videos.Video", on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=16)
    occurred_at = models.DateTimeField()
    position_ms = models.PositiveIntegerField(default=0)
    watch_ms = models.PositiveIntegerField(default=0)
    duration_ms = models.PositiveIntegerField(default=0)
    view_window = models.PositiveIntegerField(help_text="Hour bucket of the view-counting window.")
    counted_view = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["user", "video", "view_window"], name="benchmarks_naiveevent_window")]

    def __str__(self) -> str:
        return f"naive {self.kind} {self.event_id}"
