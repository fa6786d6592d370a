from rest_framework import serializers

from apps.core.serializers import DOMAIN_HOST, StrictInputSerializer, url_pattern
from apps.notifications.models import Kind


class NotificationOutput(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=Kind.choices)
    text = serializers.CharField()
    actors = serializers.ListField(child=serializers.CharField())
    actor_count = serializers.IntegerField()
    video_id = serializers.IntegerField(allow_null=True)
    comment_id = serializers.IntegerField(allow_null=True)
    data = serializers.DictField()
    is_read = serializers.BooleanField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


class ChannelPrefs(StrictInputSerializer):
    in_app = serializers.BooleanField(required=False)
    push = serializers.BooleanField(required=False)


class PreferencesInput(StrictInputSerializer):
    kinds = serializers.DictField(child=ChannelPrefs(), required=False, style={"openapi_keys": Kind.values})
    muted_until = serializers.DateTimeField(required=False, allow_null=True)

    def validate_kinds(self, value: dict) -> dict:
        unknown = sorted(set(value) - set(Kind.values))
        if unknown:
            raise serializers.ValidationError(f"Unknown kinds: {', '.join(unknown)}.", code="unknown_kind")
        return value


class PreferencesOutput(serializers.Serializer):
    kinds = serializers.DictField()
    muted_until = serializers.DateTimeField(allow_null=True)


class PushKeys(StrictInputSerializer):
    p256dh = serializers.CharField(max_length=128)
    auth = serializers.CharField(max_length=64)


# Push services answer on public https URLs only (services.push_subscription_create refuses others).
_HTTPS_ENDPOINT = {"pattern": url_pattern(schemes="[Hh][Tt][Tt][Pp][Ss]", host=DOMAIN_HOST)}


class PushSubscriptionInput(StrictInputSerializer):
    endpoint = serializers.URLField(max_length=1024, style={"openapi": _HTTPS_ENDPOINT})
    keys = PushKeys()


class PushUnsubscribeInput(StrictInputSerializer):
    endpoint = serializers.URLField(max_length=1024)
