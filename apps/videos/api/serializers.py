from django.conf import settings
from rest_framework import serializers

from apps.accounts.api.serializers import UserSummaryOutput
from apps.core.serializers import StrictInputSerializer
from apps.videos.models import Hashtag, Video


class VideoOutput(serializers.ModelSerializer):
    creator = UserSummaryOutput(read_only=True)
    hashtags = serializers.SlugRelatedField(many=True, read_only=True, slug_field="name")
    mentions = serializers.SlugRelatedField(many=True, read_only=True, slug_field="username")

    class Meta:
        model = Video
        fields = [
            "id",
            "creator",
            "caption",
            "hashtags",
            "mentions",
            "visibility",
            "allow_comments",
            "status",
            "processing_stage",
            "processing_percent",
            "failure_reason",
            "moderation_status",
            "duration_ms",
            "width",
            "height",
            "thumbnail",
            "like_count",
            "view_count",
            "share_count",
            "comment_count",
            "created_at",
            "updated_at",
            "published_at",
        ]
        read_only_fields = fields


class VideoCreateInput(StrictInputSerializer):
    caption = serializers.CharField(
        max_length=settings.CAPTION_MAX_LENGTH, required=False, allow_blank=True, default=""
    )
    visibility = serializers.ChoiceField(choices=Video.Visibility.choices, required=False)
    allow_comments = serializers.BooleanField(required=False, default=True)


class VideoUpdateInput(StrictInputSerializer):
    caption = serializers.CharField(max_length=settings.CAPTION_MAX_LENGTH, required=False, allow_blank=True)
    visibility = serializers.ChoiceField(choices=Video.Visibility.choices, required=False)
    allow_comments = serializers.BooleanField(required=False)


class HashtagOutput(serializers.ModelSerializer):
    class Meta:
        model = Hashtag
        fields = ["name", "created_at"]
        read_only_fields = fields
