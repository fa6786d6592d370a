from django.conf import settings
from django.db import models

from apps.core.choices import Visibility


class Hashtag(models.Model):
    name = models.CharField(max_length=100, unique=True, help_text="Lower-case, without '#'.")
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"#{self.name}"


class Video(models.Model):
    Visibility = Visibility

    class Status(models.TextChoices):
        UPLOADED = "uploaded", "Uploaded"
        PROCESSING = "processing", "Processing"
        READY = "ready", "Ready"
        FAILED = "failed", "Failed"
        REJECTED = "rejected", "Rejected"

    class Moderation(models.TextChoices):
        PENDING = "pending", "Pending review"
        APPROVED = "approved", "Approved"
        FLAGGED = "flagged", "Flagged (reported, still visible)"
        REMOVED = "removed", "Removed"

    # Moderation states in which others may see a ready video.
    VISIBLE_MODERATION = (Moderation.APPROVED, Moderation.FLAGGED)

    creator = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="videos")
    caption = models.CharField(max_length=2200, blank=True)
    hashtags = models.ManyToManyField(Hashtag, related_name="videos", blank=True)
    mentions = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="mentioned_in_videos", blank=True)
    visibility = models.CharField(max_length=16, choices=Visibility.choices, default=Visibility.PUBLIC)
    allow_comments = models.BooleanField(default=True)

    status = models.CharField(max_length=16, choices=Status.choices, default=Status.UPLOADED)
    processing_stage = models.CharField(max_length=32, blank=True)
    processing_percent = models.PositiveSmallIntegerField(default=0)
    failure_reason = models.CharField(max_length=64, blank=True)
    moderation_status = models.CharField(max_length=16, choices=Moderation.choices, default=Moderation.PENDING)

    duration_ms = models.PositiveIntegerField(null=True, blank=True)
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    thumbnail = models.FileField(upload_to="thumbnails/%Y/%m/", blank=True)

    # Denormalised engagement counters: written only by the engagement pipeline with F().
    like_count = models.PositiveBigIntegerField(default=0)
    view_count = models.PositiveBigIntegerField(default=0)
    share_count = models.PositiveBigIntegerField(default=0)
    comment_count = models.PositiveBigIntegerField(default=0)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["creator", "-id"]),
            models.Index(fields=["status", "moderation_status", "visibility", "-id"]),
        ]

    def __str__(self) -> str:
        return f"video {self.pk} by {self.creator_id}"
