"""Thin API edges of videos: every read goes through the visibility selector."""

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.generics import ListAPIView
from rest_framework.permissions import AllowAny, IsAuthenticatedOrReadOnly
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.accounts import selectors as account_selectors
from apps.videos import selectors, services
from apps.videos.api import serializers as s


class VideoListCreateView(ListAPIView):
    permission_classes = [IsAuthenticatedOrReadOnly]
    serializer_class = s.VideoOutput

    def get_queryset(self) -> Any:
        return selectors.videos_visible_to(self.request.user)

    @extend_schema(request=s.VideoCreateInput, responses={201: s.VideoOutput})
    def post(self, request: Request) -> Response:
        data = s.VideoCreateInput(data=request.data)
        data.is_valid(raise_exception=True)
        video = services.video_create(creator=request.user, **data.validated_data)
        video = selectors.video_get_visible(video_id=video.pk, viewer=request.user)
        return Response(s.VideoOutput(video).data, status=status.HTTP_201_CREATED)


class VideoDetailView(APIView):
    permission_classes = [IsAuthenticatedOrReadOnly]

    @extend_schema(responses={200: s.VideoOutput})
    def get(self, request: Request, video_id: int) -> Response:
        return Response(s.VideoOutput(selectors.video_get_visible(video_id=video_id, viewer=request.user)).data)

    @extend_schema(request=s.VideoUpdateInput, responses={200: s.VideoOutput})
    def patch(self, request: Request, video_id: int) -> Response:
        video = selectors.video_get_for_owner(video_id=video_id, user=request.user)
        data = s.VideoUpdateInput(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        services.video_update(video=video, data=data.validated_data)
        return Response(s.VideoOutput(selectors.video_get_visible(video_id=video_id, viewer=request.user)).data)

    @extend_schema(responses={204: None})
    def delete(self, request: Request, video_id: int) -> Response:
        services.video_delete(video=selectors.video_get_for_owner(video_id=video_id, user=request.user))
        return Response(status=status.HTTP_204_NO_CONTENT)


class CreatorVideosView(ListAPIView):
    permission_classes = [AllowAny]
    serializer_class = s.VideoOutput

    def get_queryset(self) -> Any:
        creator = account_selectors.user_get_visible(username=self.kwargs["username"], viewer=self.request.user)
        return selectors.videos_by_creator(creator_id=creator.pk, viewer=self.request.user)


class HashtagDetailView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(responses={200: s.HashtagOutput})
    def get(self, request: Request, name: str) -> Response:
        return Response(s.HashtagOutput(selectors.hashtag_get(name=name)).data)


class HashtagVideosView(ListAPIView):
    permission_classes = [AllowAny]
    serializer_class = s.VideoOutput

    def get_queryset(self) -> Any:
        hashtag = selectors.hashtag_get(name=self.kwargs["name"])
        return selectors.videos_by_hashtag(hashtag=hashtag, viewer=self.request.user)
