"""Thin API edges of engagement."""

from dataclasses import asdict

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from drf_spectacular.utils import extend_schema
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.accounts import facade as accounts
from apps.core import ratelimit
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
        user = accounts.account_resolved(request.user)
        return Response({"liked": selectors.is_liked(video_id=video_id, user=user)})

    @extend_schema(request=None, responses={200: s.LikeOutput})
    def post(self, request: Request, video_id: int) -> Response:
        return Response(asdict(services.like_set(user=request.user, video_id=video_id, liked=True)))

    @extend_schema(request=None, responses={200: s.LikeOutput})
    def delete(self, request: Request, video_id: int) -> Response:
        return Response(asdict(services.like_set(user=request.user, video_id=video_id, liked=False)))


ANONYMOUS_SESSION_HEADER = "X-Anonymous-Session"


def _origin_args(request: Request, data: dict) -> dict:
    """The anonymous session token (header, or body for players that send with sendBeacon)
    and the client address, for the service to decide who sends the events."""
    token = data.pop("anonymous_session", "") or request.headers.get(ANONYMOUS_SESSION_HEADER, "")
    return {"anonymous_token": token, "network": ratelimit.client_network(request)}


class AnonymousSessionView(APIView):
    """A server-issued session for an anonymous player (rate limited per client network:
    scope "anonymous-session")."""

    permission_classes = [AllowAny]
    authentication_classes: list = []

    @extend_schema(request=None, responses={201: s.AnonymousSessionOutput})
    def post(self, request: Request) -> Response:
        session = services.anonymous_session_create(network=ratelimit.client_network(request))
        return Response(s.AnonymousSessionOutput(session).data, status=201)


class VideoShareView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(request=s.ShareInput, responses={200: s.ShareOutput})
    def post(self, request: Request, video_id: int) -> Response:
        data = s.ShareInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        origin = _origin_args(request, values)  # takes the token out of values
        status = services.share_create(user=request.user, video_id=video_id, **origin, **values)
        return Response({"status": status})


class PlaybackBatchView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(request=s.PlaybackBatchSchema, responses={200: s.PlaybackBatchOutput})
    def post(self, request: Request) -> Response:
        batch = s.PlaybackBatchInput(data=request.data)
        batch.is_valid(raise_exception=True)
        values = dict(batch.validated_data)
        origin = _origin_args(request, values)  # takes the token out of values
        result = services.playback_record(user=request.user, **origin, **values)
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
