"""Thin API edges of accounts: parse, call one service or selector, serialize."""

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.generics import ListAPIView
from rest_framework.parsers import MultiPartParser
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_simplejwt.exceptions import TokenError

from apps.accounts import selectors, services
from apps.accounts.api import serializers as s
from apps.accounts.models import User
from apps.accounts.tokens import HashedTokenRefreshSerializer
from apps.core.errors import ValidationFailed
from apps.core.images import SizeCapUploadHandler, reencode_without_metadata
from apps.core.schema import ERROR

AVATAR_MAX_BYTES = 2 * 1024 * 1024


class RegisterView(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list = []

    @extend_schema(request=s.RegisterInput, responses={201: s.RegisterOutput})
    def post(self, request: Request) -> Response:
        data = s.RegisterInput(data=request.data)
        data.is_valid(raise_exception=True)
        user = services.user_register(**data.validated_data)
        body = {"user": s.MeOutput(user).data, "tokens": services.tokens_for_user(user=user)}
        return Response(body, status=status.HTTP_201_CREATED)


class LoginView(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list = []

    @extend_schema(request=s.LoginInput, responses={200: s.TokenPairOutput, 401: ERROR})
    def post(self, request: Request) -> Response:
        data = s.LoginInput(data=request.data)
        data.is_valid(raise_exception=True)
        # django-axes reads the address and records failures on Django's request.
        result = services.user_login(request=request._request, **data.validated_data)
        return Response(result["tokens"])


class RefreshView(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list = []

    @extend_schema(request=s.RefreshInput, responses={200: s.TokenPairOutput, 401: ERROR})
    def post(self, request: Request) -> Response:
        s.RefreshInput(data=request.data).is_valid(raise_exception=True)
        refresh = HashedTokenRefreshSerializer(data=request.data)
        try:
            refresh.is_valid(raise_exception=True)  # rotates and blacklists the old refresh token
        except TokenError as exc:
            raise services.TokenInvalid(str(exc.args[0])) from exc
        except User.DoesNotExist as exc:  # the account was deleted: its tokens are dead
            raise services.TokenInvalid() from exc
        services.session_refreshed(access=refresh.validated_data["access"])
        return Response(refresh.validated_data)


class LogoutView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=s.RefreshInput, responses={204: None})
    def post(self, request: Request) -> Response:
        data = s.RefreshInput(data=request.data)
        data.is_valid(raise_exception=True)
        payload: dict[str, Any] = getattr(request.auth, "payload", {}) or {}
        services.token_revoke(
            user=request.user,
            refresh=data.validated_data["refresh"],
            access_jti=payload.get("jti"),
            access_exp=payload.get("exp"),
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class PasswordChangeView(APIView):
    """Change the password: every session ends, the caller gets a fresh token pair."""

    permission_classes = [IsAuthenticated]

    @extend_schema(request=s.PasswordChangeInput, responses={200: s.TokenPairOutput})
    def post(self, request: Request) -> Response:
        data = s.PasswordChangeInput(data=request.data)
        data.is_valid(raise_exception=True)
        tokens = services.password_change(user=request.user, **data.validated_data)
        return Response(tokens)


class LogoutAllView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses={204: None})
    def post(self, request: Request) -> Response:
        services.tokens_revoke_all(user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class MeView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses={200: s.MeOutput})
    def get(self, request: Request) -> Response:
        return Response(s.MeOutput(request.user).data)

    @extend_schema(request=s.ProfileUpdateInput, responses={200: s.MeOutput})
    def patch(self, request: Request) -> Response:
        data = s.ProfileUpdateInput(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        user = services.profile_update(user=request.user, data=data.validated_data)
        return Response(s.MeOutput(user).data)


def _avatar_too_large() -> ValidationFailed:
    return ValidationFailed("The avatar is larger than 2 MiB.", code="avatar_too_large")


class AvatarView(APIView):
    permission_classes = [IsAuthenticated]
    parser_classes = [MultiPartParser]

    def initialize_request(self, request: Any, *args: Any, **kwargs: Any) -> Request:
        # Before anything reads the body: the cap applies while it streams in.
        request.upload_handlers = [
            SizeCapUploadHandler(request, max_bytes=AVATAR_MAX_BYTES, error=_avatar_too_large),
            *request.upload_handlers,
        ]
        return super().initialize_request(request, *args, **kwargs)

    @extend_schema(
        request={
            "multipart/form-data": {"type": "object", "properties": {"avatar": {"type": "string", "format": "binary"}}}
        },
        responses={200: s.MeOutput},
    )
    def put(self, request: Request) -> Response:
        from django.core.exceptions import ValidationError as DjangoValidationError
        from django.forms import ImageField

        upload = request.FILES.get("avatar")
        if upload is None:
            raise ValidationFailed("Send the image as the 'avatar' form field.", code="avatar_missing")
        if upload.size > AVATAR_MAX_BYTES:
            raise _avatar_too_large()
        try:
            ImageField().clean(upload)  # Pillow opens it: the bytes must really be an image
            clean = reencode_without_metadata(upload)  # no EXIF (GPS, camera serials) is stored
        except (DjangoValidationError, ValueError, OSError) as exc:
            raise ValidationFailed("The avatar is not a valid image.", code="avatar_invalid") from exc
        user = services.profile_update(user=request.user, data={"avatar": clean})
        return Response(s.MeOutput(user).data)


class CreatorSettingsView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses={200: s.CreatorSettingsSerializer})
    def get(self, request: Request) -> Response:
        row = services.creator_settings_update(user=request.user, data={})
        return Response(s.CreatorSettingsSerializer(row).data)

    @extend_schema(request=s.CreatorSettingsInput, responses={200: s.CreatorSettingsSerializer})
    def patch(self, request: Request) -> Response:
        data = s.CreatorSettingsInput(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        row = services.creator_settings_update(user=request.user, data=data.validated_data)
        return Response(s.CreatorSettingsSerializer(row).data)


class UserDetailView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(responses={200: s.PublicProfileOutput})
    def get(self, request: Request, username: str) -> Response:
        user = selectors.user_get_visible(username=username, viewer=request.user)
        user.relationship = selectors.relationship(viewer=request.user, target=user)
        return Response(s.PublicProfileOutput(user).data)


class FollowView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses={200: s.FollowStateOutput})
    def post(self, request: Request, username: str) -> Response:
        target = selectors.user_get_visible(username=username, viewer=request.user)
        return Response({"status": services.follow_create(follower=request.user, followee=target)})

    @extend_schema(request=None, responses={200: s.FollowStateOutput})
    def delete(self, request: Request, username: str) -> Response:
        target = selectors.user_get_visible(username=username, viewer=request.user)
        return Response({"status": services.follow_delete(follower=request.user, followee=target)})


class FollowersView(ListAPIView):
    permission_classes = [AllowAny]
    serializer_class = s.FollowerItemOutput

    def get_queryset(self) -> Any:
        target = selectors.user_get_visible(username=self.kwargs["username"], viewer=self.request.user)
        return selectors.followers_list(target=target, viewer=self.request.user)


class FollowingView(ListAPIView):
    permission_classes = [AllowAny]
    serializer_class = s.FollowingItemOutput

    def get_queryset(self) -> Any:
        target = selectors.user_get_visible(username=self.kwargs["username"], viewer=self.request.user)
        return selectors.following_list(target=target, viewer=self.request.user)


class FollowRequestsView(ListAPIView):
    permission_classes = [IsAuthenticated]
    serializer_class = s.FollowRequestItemOutput

    def get_queryset(self) -> Any:
        return selectors.follow_requests_list(user=self.request.user)


class FollowRequestDecisionView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses={204: None})
    def post(self, request: Request, username: str) -> Response:
        services.follow_request_accept(target=request.user, requester=selectors.user_get_by_username(username=username))
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=None, responses={204: None})
    def delete(self, request: Request, username: str) -> Response:
        services.follow_request_reject(target=request.user, requester=selectors.user_get_by_username(username=username))
        return Response(status=status.HTTP_204_NO_CONTENT)


class FollowerRemoveView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses={204: None})
    def delete(self, request: Request, username: str) -> Response:
        services.follower_remove(user=request.user, follower=selectors.user_get_by_username(username=username))
        return Response(status=status.HTTP_204_NO_CONTENT)


class BlockView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses={204: None})
    def post(self, request: Request, username: str) -> Response:
        services.block_create(blocker=request.user, blocked=selectors.user_get_by_username(username=username))
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=None, responses={204: None})
    def delete(self, request: Request, username: str) -> Response:
        services.block_delete(blocker=request.user, blocked=selectors.user_get_by_username(username=username))
        return Response(status=status.HTTP_204_NO_CONTENT)


class BlocksView(ListAPIView):
    permission_classes = [IsAuthenticated]
    serializer_class = s.BlockItemOutput

    def get_queryset(self) -> Any:
        return selectors.blocks_list(user=self.request.user)
