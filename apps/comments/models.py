"""Comments: two-level threads, edit history, likes, pins, the moderation record and blocklists."""

from django.conf import settings
from django.db import models


class Comment(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Pending checks (visible to its author only)"
        PUBLISHED = "published", "Published"
        HELD = "held", "Held for review"
        HIDDEN = "hidden", "Hidden"
        DELETED = "deleted", "Deleted"

    video = models.ForeignKey("videos.Video", on_delete=models.CASCADE, related_name="+")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="comments")
    # Threads have two levels: a reply to a reply points at the thread's root.
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.CASCADE, related_name="replies")
    reply_to_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    body = models.CharField(max_length=500)
    mentions = models.JSONField(default=list, blank=True, help_text="Mentioned usernames (resolved, lower-case).")
    hashtags = models.JSONField(default=list, blank=True, help_text="Hashtag names, lower-case.")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    # Shadow-hidden: looks published to its author, invisible to everyone else.
    shadow_hidden = models.BooleanField(default=False)
    moderation_reasons = models.JSONField(default=list, blank=True)
    is_pinned = models.BooleanField(default=False)
    creator_liked = models.BooleanField(default=False)
    # Recounted from CommentLike / replies by a coalesced flush, never incremented per like.
    like_count = models.PositiveIntegerField(default=0)
    reply_count = models.PositiveIntegerField(default=0)
    # 'top' order: pinned, then creator-liked, then engagement with time decay; stored so that
    # cursors over it are stable.
    rank = models.FloatField(default=0.0)
    edited_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["video"], condition=models.Q(is_pinned=True), name="comments_one_pin_per_video"
            )
        ]
        indexes = [
            models.Index(fields=["video", "parent", "status", "-rank", "-id"]),
            models.Index(fields=["video", "parent", "status", "-id"]),
            models.Index(fields=["author", "-id"]),
        ]

    def __str__(self) -> str:
        return f"comment {self.pk} on {self.video_id}"


class CommentEdit(models.Model):
    comment = models.ForeignKey(Comment, on_delete=models.CASCADE, related_name="edits")
    previous_body = models.CharField(max_length=500)
    edited_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"edit of {self.comment_id}"


class CommentLike(models.Model):
    comment = models.ForeignKey(Comment, on_delete=models.CASCADE, related_name="likes")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["comment", "user"], name="comments_like_unique")]

    def __str__(self) -> str:
        return f"{self.user_id} likes {self.comment_id}"


class ModerationDecision(models.Model):
    comment = models.ForeignKey(Comment, on_delete=models.CASCADE, related_name="decisions")
    outcome = models.CharField(max_length=16, choices=Comment.Status.choices)
    reasons = models.JSONField(default=list)
    decided_by = models.CharField(max_length=64, help_text="rules, classifier, creator:<id> or moderator:<id>")
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.outcome} for {self.comment_id}"


class BlockedTerm(models.Model):
    """A term that hides a comment: platform-wide (creator empty) or on one creator's videos."""

    creator = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="blocked_terms"
    )
    term = models.CharField(max_length=100)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["creator", "term"], name="comments_blocked_term_unique")]

    def __str__(self) -> str:
        return self.term


class ShadowRestriction(models.Model):
    """Abusers whose new comments are shadow-hidden."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    reason = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"shadow {self.user_id}"
