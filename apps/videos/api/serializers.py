from django.conf import settings
from django.contrib.auth import get_user_model
from rest_framework import serializers

from apps.core.serializers import StrictInputSerializer
from apps.videos.models import Hashtag, Video


class CreatorSummaryOutput(serializers.ModelSerializer):
    """A video's creator, as accounts' user summary shows a user (the same fields: clients read
    one shape). Videos' own serializer: api modules never cross apps."""

    class Meta:
        model = get_user_model()
        fields = ["id", "username", "display_name", "avatar", "is_private"]
        read_only_fields = fields


class VideoOutput(serializers.ModelSerializer):
    creator = CreatorSummaryOutput(read_only=True)
    hashtags = serializers.SlugRelatedField(many=True, read_only=True, slug_field="name")
    mentions = serializers.SlugRelatedField(many=True, read_only=True, slug_field="username")
    thumbnail = serializers.SerializerMethodField()
    like_count = serializers.IntegerField(
        read_only=True, allow_null=True, help_text="null when the creator hides like counts"
    )

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
        # null for everyone but the creator and staff (to_representation)
        extra_kwargs = {"failure_reason": {"allow_null": True}, "moderation_status": {"allow_null": True}}

    # Only the creator (and staff) see why a video is held back: to anyone else a removed or
    # failed video is simply not there, and its moderation state says nothing to them. Others
    # get null, so every payload has the same shape.
    OWNER_ONLY = ("failure_reason", "moderation_status")

    def to_representation(self, video: Video) -> dict:
        data = super().to_representation(video)
        # Decided by the visibility selector for this viewer (videos_visible_to).
        if getattr(video, "like_count_hidden", False):
            data["like_count"] = None
        request = self.context.get("request")
        user = getattr(request, "user", None)
        if not (user is not None and user.is_authenticated and (user.pk == video.creator_id or user.is_staff)):
            for name in self.OWNER_ONLY:
                data[name] = None
        return data

    def get_thumbnail(self, video: Video) -> str | None:
        from apps.videos.storage import thumbnail_url

        return thumbnail_url(video.thumbnail.name) or None


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


# What uploads.upload_session_create checks itself (with codes of its own), for the schema.
_ACCEPTED_DECLARED_TYPE = (
    r"^(|[Vv][Ii][Dd][Ee][Oo]/[\s\S]*"
    r"|[Aa][Pp][Pp][Ll][Ii][Cc][Aa][Tt][Ii][Oo][Nn]/[Oo][Cc][Tt][Ee][Tt]-[Ss][Tt][Rr][Ee][Aa][Mm][\s\S]*)$"
)


class UploadSessionCreateInput(StrictInputSerializer):
    size = serializers.IntegerField(
        min_value=0, style={"openapi": {"minimum": 1, "maximum": settings.MEDIA_MAX_UPLOAD_BYTES}}
    )
    sha256 = serializers.RegexField(r"^[0-9a-fA-F]{64}$", max_length=64)
    content_type = serializers.CharField(
        max_length=100,
        required=False,
        allow_blank=True,
        default="",
        style={"openapi": {"pattern": _ACCEPTED_DECLARED_TYPE}},
    )
    filename = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")
    chunk_size = serializers.IntegerField(min_value=1, required=False)
    caption = serializers.CharField(
        max_length=settings.CAPTION_MAX_LENGTH, required=False, allow_blank=True, default=""
    )
    visibility = serializers.ChoiceField(choices=Video.Visibility.choices, required=False)
    allow_comments = serializers.BooleanField(required=False, default=True)
    publish_at = serializers.DateTimeField(required=False, allow_null=True)


class UploadSessionOutput(serializers.Serializer):
    id = serializers.UUIDField()
    state = serializers.CharField()
    size = serializers.IntegerField()
    sha256 = serializers.CharField()
    chunk_size = serializers.IntegerField()
    total_chunks = serializers.IntegerField()
    received = serializers.ListField(child=serializers.IntegerField())
    missing_count = serializers.IntegerField()
    expires_at = serializers.DateTimeField()
    video_id = serializers.IntegerField(allow_null=True)


class DirectUploadInput(StrictInputSerializer):
    file = serializers.FileField(allow_empty_file=True)
    sha256 = serializers.RegexField(r"^[0-9a-fA-F]{64}$", max_length=64, required=False)
    caption = serializers.CharField(
        max_length=settings.CAPTION_MAX_LENGTH, required=False, allow_blank=True, default=""
    )
    visibility = serializers.ChoiceField(choices=Video.Visibility.choices, required=False)
    allow_comments = serializers.BooleanField(required=False, default=True)
    publish_at = serializers.DateTimeField(required=False, allow_null=True)


class ProcessingOutput(serializers.Serializer):
    video_id = serializers.IntegerField()
    status = serializers.CharField()
    stage = serializers.CharField()
    percent = serializers.IntegerField()
    failure_reason = serializers.CharField()
    attempts = serializers.IntegerField()
    stage_timings = serializers.DictField()


class PlaybackOutput(serializers.Serializer):
    video_id = serializers.IntegerField()
    master_playlist = serializers.CharField()
    thumbnail = serializers.CharField()
    sprite = serializers.CharField()
    sprite_info = serializers.DictField()
    renditions = serializers.ListField(child=serializers.DictField())
    duration_ms = serializers.IntegerField(allow_null=True)
    expires_in = serializers.IntegerField(allow_null=True)
