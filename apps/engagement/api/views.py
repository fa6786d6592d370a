"""Thin API edges of engagement."""

from dataclasses import asdict

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from drf_spectacular.utils import extend_schema
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.accounts import identity
from apps.core.errors import NotFound
from apps.engagement import selectors, services
from apps.engagement.api import serializers as s


class VideoLikeView(APIView):
    # Likes and unlikes check the account in their own Redis script (one round trip per like,
    # apps/accounts/authentication.py); reading the like state checks it here first.
    account_checked_by_script = True
    permission_classes = [IsAuthenticated]

    @extend_schema(responses={200: s.LikeStateOutput})
    def get(self, request: Request, video_id: int) -> Response:
        user = identity.resolved(request.user)
        return Response({"liked": selectors.is_liked(video_id=video_id, user=user)})

    @extend_schema(request=None, responses={200: s.LikeOutput})
    def post(self, request: Request, video_id: int) -> Response:
        return Response(asdict(services.like_set(user=request.user, video_id=video_id, liked=True)))

    @extend_schema(request=None, responses={200: s.LikeOutput})
    def delete(self, request: Request, video_id: int) -> Response:
        return Response(asdict(services.like_set(user=request.user, video_id=video_id, liked=False)))


class VideoShareView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(request=s.ShareInput, responses={200: s.ShareOutput})
    def post(self, request: Request, video_id: int) -> Response:
        data = s.ShareInput(data=request.data)
        data.is_valid(raise_exception=True)
        status = services.share_create(user=request.user, video_id=video_id, **data.validated_data)
        return Response({"status": status})


class PlaybackBatchView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(request=s.PlaybackBatchSchema, responses={200: s.PlaybackBatchOutput})
    def post(self, request: Request) -> Response:
        batch = s.PlaybackBatchInput(data=request.data)
        batch.is_valid(raise_exception=True)
        result = services.playback_record(user=request.user, **batch.validated_data)
        return Response(asdict(result))


class VideoCountersView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(responses={200: s.CountersOutput})
    def get(self, request: Request, video_id: int) -> Response:
        return Response(selectors.live_counters(video_id=video_id, viewer=request.user))


def live_counters_page(request: HttpRequest, video_id: int) -> HttpResponse:
    """A small page that shows a video's counters moving live (no player)."""
    try:
        selectors.live_counters(video_id=video_id, viewer=request.user)
    except NotFound as exc:
        raise Http404("No such video.") from exc  # same answer for missing and hidden videos
    return render(request, "engagement/live.html", {"video_id": video_id})
