import uuid

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


def _new_token() -> str:
    import secrets

    return secrets.token_urlsafe(18)


class VideoMedia(models.Model):
    """The files and processing record of one video (kept off the hot ``Video`` row).

    Every file lives under ``v/<storage_key>/`` with a random key, so no path is guessable.
    """

    video = models.OneToOneField(Video, on_delete=models.CASCADE, primary_key=True, related_name="media")
    storage_key = models.CharField(max_length=32, unique=True, default=_new_token, editable=False)
    source = models.CharField(max_length=255, blank=True, help_text="Storage name of the original upload.")
    source_size = models.PositiveBigIntegerField(default=0)
    source_sha256 = models.CharField(max_length=64, blank=True)
    container = models.CharField(max_length=16, blank=True)
    probe = models.JSONField(default=dict, blank=True)
    renditions = models.JSONField(default=list, blank=True)
    master_playlist = models.CharField(max_length=255, blank=True)
    sprite = models.CharField(max_length=255, blank=True)
    sprite_info = models.JSONField(default=dict, blank=True)
    checks = models.JSONField(default=list, blank=True, help_text="Automated moderation results.")
    stage_timings = models.JSONField(default=dict, blank=True, help_text="Seconds per finished stage.")
    publish_at = models.DateTimeField(null=True, blank=True, help_text="Scheduled publication time.")
    attempts = models.PositiveSmallIntegerField(default=0)
    lease_owner = models.CharField(max_length=64, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "video media"

    def __str__(self) -> str:
        return f"media of video {self.video_id}"

    @property
    def prefix(self) -> str:
        return f"v/{self.storage_key}/"


class UploadSession(models.Model):
    """A resumable upload: declared size, type and checksum; chunks in any order; finalise."""

    class State(models.TextChoices):
        OPEN = "open", "Open"
        # Finalised: the media worker assembles, hashes and validates the chunks (processing
        # stage "assemble"); the video exists already, in ``uploaded``/``processing``.
        ASSEMBLING = "assembling", "Assembling (in the media worker)"
        COMPLETE = "complete", "Complete"
        EXPIRED = "expired", "Expired"
        CANCELLED = "cancelled", "Cancelled by the creator"
        REJECTED = "rejected", "Rejected (not an acceptable video)"

    # States whose chunks are still stored: they count against the creator's open-upload quota.
    HOLDING_BYTES = (State.OPEN, State.ASSEMBLING)

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    creator = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="upload_sessions")
    state = models.CharField(max_length=16, choices=State.choices, default=State.OPEN)
    filename = models.CharField(max_length=255, blank=True)
    content_type = models.CharField(max_length=100, blank=True)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    chunk_size = models.PositiveIntegerField()
    total_chunks = models.PositiveIntegerField()
    # What the video will be created with at finalise.
    caption = models.CharField(max_length=2200, blank=True)
    visibility = models.CharField(max_length=16, choices=Visibility.choices, blank=True)
    allow_comments = models.BooleanField(default=True)
    publish_at = models.DateTimeField(null=True, blank=True)
    video = models.OneToOneField(Video, null=True, blank=True, on_delete=models.SET_NULL, related_name="upload")
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["state", "expires_at"])]

    def __str__(self) -> str:
        return f"upload {self.pk} ({self.state})"

    @property
    def chunk_prefix(self) -> str:
        return f"uploads/{self.pk.hex}/"

    def expected_chunk_size(self, index: int) -> int:
        if index < self.total_chunks - 1:
            return self.chunk_size
        return self.size - self.chunk_size * (self.total_chunks - 1)


class UploadChunk(models.Model):
    session = models.ForeignKey(UploadSession, on_delete=models.CASCADE, related_name="chunks")
    index = models.PositiveIntegerField()
    name = models.CharField(max_length=255)
    size = models.PositiveIntegerField()
    received_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["session", "index"], name="upload_chunk_unique_index")]

    def __str__(self) -> str:
        return f"chunk {self.index} of {self.session_id}"
