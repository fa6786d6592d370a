from typing import Any

from django.conf import settings
from rest_framework import serializers

from apps.comments.models import Comment
from apps.core.serializers import StrictInputSerializer


class CommentCreateInput(StrictInputSerializer):
    body = serializers.CharField(max_length=settings.COMMENT_MAX_LENGTH, trim_whitespace=True)
    parent_id = serializers.IntegerField(required=False, allow_null=True, min_value=1)


class CommentEditInput(StrictInputSerializer):
    patch_is_partial = False  # PATCH replaces the body: `body` is required (apps/core/schema.py)
    body = serializers.CharField(max_length=settings.COMMENT_MAX_LENGTH, trim_whitespace=True)


class HideInput(StrictInputSerializer):
    reason = serializers.CharField(max_length=100, required=False, allow_blank=True)


class ModerateInput(StrictInputSerializer):
    outcome = serializers.ChoiceField(choices=["published", "held", "hidden"])
    reason = serializers.CharField(max_length=100, required=False, allow_blank=True)


class CommentOutput(serializers.ModelSerializer):
    author = serializers.CharField(source="author.username")
    reply_to = serializers.SerializerMethodField()
    hashtags = serializers.SerializerMethodField()
    status = serializers.SerializerMethodField()
    liked_by_me = serializers.SerializerMethodField()
    edited = serializers.SerializerMethodField()

    class Meta:
        model = Comment
        fields = [
            "id", "video_id", "parent_id", "author", "reply_to", "body", "mentions", "hashtags", "status",
            "like_count", "reply_count", "is_pinned", "creator_liked", "liked_by_me", "edited", "created_at",
        ]  # fmt: skip
        read_only_fields = fields

    def get_reply_to(self, obj: Comment) -> str | None:
        return obj.reply_to_user.username if obj.reply_to_user_id else None

    def get_hashtags(self, obj: Comment) -> list[dict[str, str]]:
        return [{"name": name, "url": f"/api/v1/hashtags/{name}"} for name in obj.hashtags]

    def get_status(self, obj: Comment) -> str:
        # Shadow-hidden comments look published to their author; held/pending show to the author.
        return "published" if obj.shadow_hidden and obj.status == "published" else obj.status

    def get_liked_by_me(self, obj: Any) -> bool:
        return bool(getattr(obj, "liked_by_me", False))

    def get_edited(self, obj: Comment) -> bool:
        return obj.edited_at is not None


class CommentEditOutput(serializers.Serializer):
    previous_body = serializers.CharField()
    edited_at = serializers.DateTimeField()
