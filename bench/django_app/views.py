"""Benchmark endpoints: the framework floor and the naive baseline (mounted only by the
benchmark's URLconf, bench/django_app/root_urls.py). Same authentication and permission classes as the
real engagement API, so the comparison measures the engagement work and nothing else."""

from dataclasses import asdict

from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.core.serializers import StrictInputSerializer
from bench.django_app import services

PLAYBACK_KINDS = ["complete", "loop", "progress", "skip", "start"]


class NoopView(APIView):
    """The framework floor: authenticate, do nothing, answer."""

    permission_classes = [IsAuthenticated]

    def get(self, request: Request) -> Response:
        return Response({"ok": True})


class NaiveLikeView(APIView):
    permission_classes = [IsAuthenticated]

    def post(self, request: Request, video_id: int) -> Response:
        result = services.naive_like_create(user=request.user, video_id=video_id)
        return Response(asdict(result), status=200 if result.status == "accepted" else 409)


class NaivePlaybackEventInput(StrictInputSerializer):
    event_id = serializers.UUIDField()
    video_id = serializers.IntegerField(min_value=1)
    kind = serializers.ChoiceField(choices=PLAYBACK_KINDS)
    occurred_at = serializers.DateTimeField()
    position_ms = serializers.IntegerField(required=False, default=0, min_value=0)
    watch_ms = serializers.IntegerField(required=False, default=0, min_value=0)
    duration_ms = serializers.IntegerField(required=False, default=0, min_value=0)


class NaivePlaybackBatchInput(StrictInputSerializer):
    session_id = serializers.CharField(max_length=64, required=False, default="")
    events = NaivePlaybackEventInput(many=True, allow_empty=False, max_length=100)


class NaivePlaybackView(APIView):
    permission_classes = [IsAuthenticated]

    def post(self, request: Request) -> Response:
        batch = NaivePlaybackBatchInput(data=request.data)
        batch.is_valid(raise_exception=True)
        result = services.naive_playback_record(user=request.user, events=batch.validated_data["events"])
        return Response(asdict(result))
