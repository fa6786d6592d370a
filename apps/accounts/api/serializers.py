from django.conf import settings
from rest_framework import serializers

from apps.accounts.models import CreatorSettings, User, username_validator
from apps.core.serializers import StrictInputSerializer


class RegisterInput(StrictInputSerializer):
    username = serializers.CharField(max_length=30, validators=[username_validator])
    # The schema states the length rule (after trimming); the list of common passwords and the
    # similarity to the username cannot be said in JSON Schema (400 weak_password).
    password = serializers.CharField(
        max_length=128,
        write_only=True,
        style={"openapi": {"minLength": 8, "pattern": r"^\s*[^\s\x00][^\x00]{6,}[^\s\x00]\s*$"}},
    )
    email = serializers.EmailField(required=False, allow_blank=True, default="")
    display_name = serializers.CharField(max_length=settings.DISPLAY_NAME_MAX_LENGTH, required=False, default="")


class LoginInput(StrictInputSerializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=128, write_only=True)


class PasswordChangeInput(StrictInputSerializer):
    current_password = serializers.CharField(max_length=128, write_only=True)
    new_password = serializers.CharField(max_length=128, write_only=True)


class RefreshInput(StrictInputSerializer):
    refresh = serializers.CharField()


class TokenPairOutput(serializers.Serializer):
    access = serializers.CharField()
    refresh = serializers.CharField()


class UserSummaryOutput(serializers.ModelSerializer):
    class Meta:
        model = User
        fields = ["id", "username", "display_name", "avatar", "is_private"]
        read_only_fields = fields


class ProfileOutput(serializers.ModelSerializer):
    class Meta:
        model = User
        fields = [
            "id",
            "username",
            "display_name",
            "bio",
            "avatar",
            "is_private",
            "follower_count",
            "following_count",
            "created_at",
        ]
        read_only_fields = fields


class RelationshipOutput(serializers.Serializer):
    following = serializers.BooleanField()
    followed_by = serializers.BooleanField()
    requested = serializers.BooleanField()
    blocking = serializers.BooleanField()


class PublicProfileOutput(ProfileOutput):
    relationship = RelationshipOutput(read_only=True)

    class Meta(ProfileOutput.Meta):
        fields = [*ProfileOutput.Meta.fields, "relationship"]
        read_only_fields = fields


class MeOutput(ProfileOutput):
    class Meta(ProfileOutput.Meta):
        fields = [*ProfileOutput.Meta.fields, "email"]
        read_only_fields = fields


class RegisterOutput(serializers.Serializer):
    user = MeOutput()
    tokens = TokenPairOutput()


class ProfileUpdateInput(StrictInputSerializer):
    display_name = serializers.CharField(max_length=settings.DISPLAY_NAME_MAX_LENGTH, required=False)
    bio = serializers.CharField(max_length=settings.BIO_MAX_LENGTH, required=False, allow_blank=True)
    is_private = serializers.BooleanField(required=False)
    email = serializers.EmailField(required=False, allow_blank=True)


class CreatorSettingsSerializer(serializers.ModelSerializer):
    class Meta:
        model = CreatorSettings
        fields = ["default_visibility", "who_can_comment", "allow_downloads", "show_like_counts"]


class CreatorSettingsInput(StrictInputSerializer):
    default_visibility = serializers.ChoiceField(choices=CreatorSettings.Visibility.choices, required=False)
    who_can_comment = serializers.ChoiceField(choices=CreatorSettings.Audience.choices, required=False)
    allow_downloads = serializers.BooleanField(required=False)
    show_like_counts = serializers.BooleanField(required=False)


class FollowStateOutput(serializers.Serializer):
    status = serializers.ChoiceField(choices=["following", "requested", "none"])


class FollowerItemOutput(serializers.Serializer):
    user = UserSummaryOutput(source="follower")
    followed_at = serializers.DateTimeField(source="created_at")


class FollowingItemOutput(serializers.Serializer):
    user = UserSummaryOutput(source="followee")
    followed_at = serializers.DateTimeField(source="created_at")


class FollowRequestItemOutput(serializers.Serializer):
    user = UserSummaryOutput(source="requester")
    requested_at = serializers.DateTimeField(source="created_at")


class BlockItemOutput(serializers.Serializer):
    user = UserSummaryOutput(source="blocked")
    blocked_at = serializers.DateTimeField(source="created_at")
