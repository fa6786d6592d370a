"""Notifications: aggregated inbox rows, their distinct actors, preferences, push subscriptions
and one delivery record per push.

Aggregation: an *open* (unread) row per (recipient, kind, target, bucket); every event of the same
kind on the same target within one time bucket lands on it. Reading it closes it, so the next event
opens a new row. Distinct actors are rows of NotificationActor, so ``actor_count`` is exact.
"""

from django.conf import settings
from django.db import models


class Kind(models.TextChoices):
    LIKE = "like", "Like"
    COMMENT = "comment", "Comment"
    REPLY = "reply", "Reply"
    MENTION = "mention", "Mention"
    FOLLOW = "follow", "Follow"
    FOLLOW_REQUEST = "follow_request", "Follow request"
    NEW_VIDEO = "new_video", "New video from a followed creator"
    COMMENT_PINNED = "comment_pinned", "Comment pinned"
    MODERATION = "moderation", "Moderation outcome"
    PROCESSING_FINISHED = "processing_finished", "Processing finished"


# Kinds whose events on one target within a window share one row ("ana and 9 others ...").
AGGREGATED_KINDS = frozenset({Kind.LIKE.value, Kind.COMMENT.value, Kind.FOLLOW.value})


class Notification(models.Model):
    Kind = Kind

    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=24, choices=Kind.choices)
    # What the notification is about: "video:12", "comment:5", "user:3".
    target_key = models.CharField(max_length=48)
    # Time bucket for aggregated kinds (epoch seconds // window); 0 for the others.
    bucket = models.BigIntegerField(default=0)
    video_id = models.BigIntegerField(null=True, blank=True)
    comment_id = models.BigIntegerField(null=True, blank=True)
    actor_count = models.PositiveIntegerField(default=0)
    # The most recent distinct actors, newest first (a few ids, for "ana, ben and N others").
    recent_actor_ids = models.JSONField(default=list, blank=True)
    data = models.JSONField(default=dict, blank=True)
    is_read = models.BooleanField(default=False)
    read_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "kind", "target_key", "bucket"],
                condition=models.Q(is_read=False),
                name="notifications_one_open_row_per_target",
            )
        ]
        indexes = [
            models.Index(fields=["recipient", "-updated_at"]),
            models.Index(fields=["recipient"], condition=models.Q(is_read=False), name="notifications_unread_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.target_key} -> {self.recipient_id}"


class NotificationActor(models.Model):
    notification = models.ForeignKey(Notification, on_delete=models.CASCADE, related_name="actors")
    actor_id = models.BigIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["notification", "actor_id"], name="notifications_actor_unique")]

    def __str__(self) -> str:
        return f"{self.actor_id} on {self.notification_id}"


class ProcessedEvent(models.Model):
    """Event ids already turned into notifications: a redelivered task changes nothing."""

    event_id = models.CharField(max_length=128, primary_key=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    def __str__(self) -> str:
        return self.event_id


class NotificationSettings(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_settings"
    )
    muted_until = models.DateTimeField(null=True, blank=True, help_text="No live or push alerts before this.")
    # Per kind: {"like": {"in_app": true, "push": false}}; a missing kind means both on.
    kinds = models.JSONField(default=dict, blank=True)
    last_seen_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"notification settings of {self.user_id}"


class VideoPublication(models.Model):
    """New videos announced to followers; followers skipped as inactive pull these on return."""

    video_id = models.BigIntegerField(unique=True)
    creator_id = models.BigIntegerField(db_index=True)
    published_at = models.DateTimeField(auto_now_add=True, db_index=True)

    def __str__(self) -> str:
        return f"video {self.video_id}"


class PushSubscription(models.Model):
    class Provider(models.TextChoices):
        WEBPUSH = "webpush", "Web Push"
        FCM = "fcm", "Firebase Cloud Messaging"
        APNS = "apns", "Apple Push"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="push_subscriptions")
    provider = models.CharField(max_length=16, choices=Provider.choices, default=Provider.WEBPUSH)
    endpoint = models.URLField(max_length=1024)
    p256dh = models.CharField(max_length=128, blank=True)
    auth = models.CharField(max_length=64, blank=True)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "endpoint"], name="notifications_push_sub_unique")]

    def __str__(self) -> str:
        return f"{self.provider} subscription of {self.user_id}"


class PushDelivery(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        RETRYING = "retrying", "Retrying"
        SENT = "sent", "Sent"
        DEAD = "dead", "Dead (gave up; replayable from the admin)"

    notification = models.ForeignKey(Notification, on_delete=models.CASCADE, related_name="push_deliveries")
    subscription = models.ForeignKey(PushSubscription, on_delete=models.CASCADE, related_name="deliveries")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=255, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    # The worker sending it now holds it until then (claimed in a short transaction; the HTTP
    # call runs outside any transaction and only the lease holder may record its outcome).
    lease_until = models.DateTimeField(null=True, blank=True)
    lease_token = models.CharField(max_length=32, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["notification", "subscription"], name="notifications_delivery_unique")
        ]
        indexes = [models.Index(fields=["status", "next_attempt_at"])]

    def __str__(self) -> str:
        return f"push {self.pk} {self.status}"
