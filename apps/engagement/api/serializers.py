from rest_framework import serializers

from apps.core.serializers import StrictInputSerializer
from apps.engagement.events import PLAYBACK_KINDS

SHARE_TARGETS = ["copy_link", "external_app", "direct_message"]
ENGAGEMENT_STATUSES = ["accepted", "duplicate"]


class LikeOutput(serializers.Serializer):
    status = serializers.ChoiceField(choices=ENGAGEMENT_STATUSES)
    liked = serializers.BooleanField()
    like_count = serializers.IntegerField(allow_null=True, help_text="null when the creator hides like counts")


class LikeStateOutput(serializers.Serializer):
    liked = serializers.BooleanField()


ANONYMOUS_SESSION_HELP = (
    "Anonymous clients: the token of POST /engagement/anonymous-session (or send it in the"
    " X-Anonymous-Session header). Ignored for signed-in users."
)
SESSION_ID_HELP = "Signed-in clients' own session label; anonymous clients' session is their token's."


class AnonymousSessionOutput(serializers.Serializer):
    token = serializers.CharField()
    expires_at = serializers.DateTimeField()


class ShareInput(StrictInputSerializer):
    target = serializers.ChoiceField(choices=SHARE_TARGETS)
    event_id = serializers.UUIDField(required=False, help_text="Client id; a retry with the same id is a duplicate.")
    session_id = serializers.CharField(max_length=64, required=False, default="", help_text=SESSION_ID_HELP)
    anonymous_session = serializers.CharField(
        max_length=512, required=False, default="", write_only=True, help_text=ANONYMOUS_SESSION_HELP
    )


class ShareOutput(serializers.Serializer):
    status = serializers.ChoiceField(choices=ENGAGEMENT_STATUSES)


class PlaybackEventInput(StrictInputSerializer):
    refused_alone = True  # a bad event is answered in `rejected`, the batch still passes (schema)
    event_id = serializers.UUIDField()
    video_id = serializers.IntegerField(min_value=1)
    kind = serializers.ChoiceField(choices=sorted(PLAYBACK_KINDS))
    occurred_at = serializers.DateTimeField()
    position_ms = serializers.IntegerField(required=False, default=0)
    watch_ms = serializers.IntegerField(required=False, default=0)
    duration_ms = serializers.IntegerField(required=False, default=0)


class PlaybackBatchSchema(StrictInputSerializer):
    """The documented shape (OpenAPI); events are checked one by one in the service."""

    session_id = serializers.CharField(max_length=64, required=False, help_text=SESSION_ID_HELP)
    anonymous_session = serializers.CharField(max_length=512, required=False, help_text=ANONYMOUS_SESSION_HELP)
    events = PlaybackEventInput(many=True, min_length=1, max_length=100)


class EventListField(serializers.ListField):
    """A list whose items the service validates one by one (services.parse_playback_event), so
    one bad event does not sink the batch, and DRF's per-value validation of a hundred events
    is not paid on the hot path."""

    def run_child_validation(self, data: list) -> list:
        return list(data)


class PlaybackBatchInput(StrictInputSerializer):
    session_id = serializers.CharField(max_length=64, required=False, default="")
    anonymous_session = serializers.CharField(max_length=512, required=False, default="")
    events = EventListField(child=serializers.DictField(), max_length=100, allow_empty=False)


class RejectedEventOutput(serializers.Serializer):
    index = serializers.IntegerField()
    event_id = serializers.CharField()
    code = serializers.CharField()


class PlaybackBatchOutput(serializers.Serializer):
    accepted = serializers.IntegerField()
    duplicates = serializers.IntegerField()
    views_counted = serializers.IntegerField()
    rejected = RejectedEventOutput(many=True)
    statuses = serializers.ListField(
        child=serializers.CharField(), help_text="Per accepted-or-duplicate event, in order."
    )


class CountersOutput(serializers.Serializer):
    video_id = serializers.IntegerField()
    likes = serializers.IntegerField(allow_null=True, help_text="null when the creator hides like counts")
    views = serializers.IntegerField()
    shares = serializers.IntegerField()
