from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractUser, UserManager
from django.core.validators import RegexValidator
from django.db import models
from django.db.models.functions import Lower

from apps.core.choices import Visibility

username_validator = RegexValidator(
    r"^[A-Za-z0-9_.]{2,30}$",
    "Usernames are 2-30 letters, digits, underscores or dots.",
    code="invalid_username",
)


class User(AbstractUser):
    username = models.CharField(max_length=30, unique=True, validators=[username_validator])
    email = models.EmailField(blank=True)
    display_name = models.CharField(max_length=50, blank=True)
    bio = models.CharField(max_length=300, blank=True)
    avatar = models.ImageField(upload_to="avatars/%Y/%m/", blank=True)
    is_private = models.BooleanField(default=False, help_text="Only approved followers see this account's videos.")
    # Denormalised; changed only with F() expressions inside the follow services.
    follower_count = models.PositiveIntegerField(default=0)
    following_count = models.PositiveIntegerField(default=0)
    # Tokens carry the generation they were issued in; "log out everywhere" bumps it.
    token_generation = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = UserManager()

    class Meta:
        constraints = [models.UniqueConstraint(Lower("username"), name="accounts_user_username_ci_unique")]

    def __str__(self) -> str:
        return self.username

    def refresh_from_db(self, using: str | None = None, fields: Any = None, from_queryset: Any = None) -> None:
        # Authentication builds users from a snapshot of a few columns (accounts.identity):
        # the first read of any other column loads all of them in one query, not one each.
        deferred = self.get_deferred_fields()
        if fields is not None and deferred and set(fields) <= deferred:
            fields = list(deferred)
        super().refresh_from_db(using=using, fields=fields, from_queryset=from_queryset)


class CreatorSettings(models.Model):
    class Audience(models.TextChoices):
        EVERYONE = "everyone", "Everyone"
        FOLLOWERS = "followers", "Followers"
        NOBODY = "nobody", "Nobody"

    Visibility = Visibility

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="creator_settings")
    default_visibility = models.CharField(max_length=16, choices=Visibility.choices, default=Visibility.PUBLIC)
    who_can_comment = models.CharField(max_length=16, choices=Audience.choices, default=Audience.EVERYONE)
    allow_downloads = models.BooleanField(default=True)
    show_like_counts = models.BooleanField(default=True)

    def __str__(self) -> str:
        return f"settings of {self.user_id}"


class Follow(models.Model):
    follower = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="following_set")
    followee = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="follower_set")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["follower", "followee"], name="accounts_follow_unique"),
            models.CheckConstraint(condition=~models.Q(follower=models.F("followee")), name="accounts_follow_not_self"),
        ]
        indexes = [models.Index(fields=["followee", "-id"]), models.Index(fields=["follower", "-id"])]

    def __str__(self) -> str:
        return f"{self.follower_id} -> {self.followee_id}"


class FollowRequest(models.Model):
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="sent_follow_requests"
    )
    target = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="follow_requests")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["requester", "target"], name="accounts_followrequest_unique")]
        indexes = [models.Index(fields=["target", "-id"])]

    def __str__(self) -> str:
        return f"{self.requester_id} ?-> {self.target_id}"


class Block(models.Model):
    blocker = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="blocks_made")
    blocked = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="blocks_received")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["blocker", "blocked"], name="accounts_block_unique"),
            models.CheckConstraint(condition=~models.Q(blocker=models.F("blocked")), name="accounts_block_not_self"),
        ]

    def __str__(self) -> str:
        return f"{self.blocker_id} x {self.blocked_id}"
