"""Thin API edges of videos: every read goes through the visibility selector."""

from pathlib import PurePosixPath
from typing import Any

from django.conf import settings
from django.core import signing
from django.http import FileResponse, JsonResponse
from django.urls import reverse
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.generics import ListAPIView
from rest_framework.parsers import MultiPartParser
from rest_framework.permissions import AllowAny, IsAuthenticated, IsAuthenticatedOrReadOnly
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.accounts import facade as accounts
from apps.core.errors import NotFound
from apps.core.exceptions import error_body
from apps.core.schema import ERROR
from apps.videos import processing, selectors, services, storage, uploads
from apps.videos.api import serializers as s
from apps.videos.errors import ChunkSizeMismatch, UploadTooLarge, VideoNotReady
from apps.videos.models import Video, VideoMedia


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
        return Response(s.VideoOutput(video, context={"request": request}).data, status=status.HTTP_201_CREATED)


class VideoDetailView(APIView):
    permission_classes = [IsAuthenticatedOrReadOnly]

    @extend_schema(responses={200: s.VideoOutput})
    def get(self, request: Request, video_id: int) -> Response:
        return Response(
            s.VideoOutput(
                selectors.video_get_visible(video_id=video_id, viewer=request.user), context={"request": request}
            ).data
        )

    @extend_schema(request=s.VideoUpdateInput, responses={200: s.VideoOutput})
    def patch(self, request: Request, video_id: int) -> Response:
        video = selectors.video_get_for_owner(video_id=video_id, user=request.user)
        data = s.VideoUpdateInput(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        services.video_update(video=video, data=data.validated_data)
        return Response(
            s.VideoOutput(
                selectors.video_get_visible(video_id=video_id, viewer=request.user), context={"request": request}
            ).data
        )

    @extend_schema(responses={204: None})
    def delete(self, request: Request, video_id: int) -> Response:
        services.video_delete(video=selectors.video_get_for_owner(video_id=video_id, user=request.user))
        return Response(status=status.HTTP_204_NO_CONTENT)


class CreatorVideosView(ListAPIView):
    permission_classes = [AllowAny]
    serializer_class = s.VideoOutput

    def get_queryset(self) -> Any:
        creator_id = accounts.user_id_visible(username=self.kwargs["username"], viewer=self.request.user)
        return selectors.videos_by_creator(creator_id=creator_id, viewer=self.request.user)


class HashtagDetailView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(responses={200: s.HashtagOutput})
    def get(self, request: Request, name: str) -> Response:
        return Response(s.HashtagOutput(selectors.hashtag_get(name=name, viewer=request.user)).data)


class HashtagVideosView(ListAPIView):
    permission_classes = [AllowAny]
    serializer_class = s.VideoOutput

    def get_queryset(self) -> Any:
        hashtag = selectors.hashtag_get(name=self.kwargs["name"], viewer=self.request.user)
        return selectors.videos_by_hashtag(hashtag=hashtag, viewer=self.request.user)


# --- Uploads, processing and playback ----------------------------------------------------------


def _session_body(session: Any) -> dict[str, Any]:
    received = uploads.upload_received(session)
    return s.UploadSessionOutput(
        {
            "id": session.pk,
            "state": session.state,
            "size": session.size,
            "sha256": session.sha256,
            "chunk_size": session.chunk_size,
            "total_chunks": session.total_chunks,
            "received": received,
            "missing_count": session.total_chunks - len(received),
            "expires_at": session.expires_at,
            "video_id": session.video_id,
        }
    ).data


class UploadSessionCreateView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=s.UploadSessionCreateInput, responses={201: s.UploadSessionOutput, 413: ERROR})
    def post(self, request: Request) -> Response:
        data = s.UploadSessionCreateInput(data=request.data)
        data.is_valid(raise_exception=True)
        session = uploads.upload_session_create(creator=request.user, **data.validated_data)
        return Response(_session_body(session), status=status.HTTP_201_CREATED)


class UploadSessionDetailView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses={200: s.UploadSessionOutput})
    def get(self, request: Request, session_id: str) -> Response:
        return Response(_session_body(uploads.upload_session_get(session_id=session_id, user=request.user)))

    @extend_schema(responses={204: None})
    def delete(self, request: Request, session_id: str) -> Response:
        """Abandon an open session (its chunks are removed and its bytes leave the quota)."""
        uploads.upload_session_cancel(session=uploads.upload_session_get(session_id=session_id, user=request.user))
        return Response(status=status.HTTP_204_NO_CONTENT)


class UploadChunkView(APIView):
    """``PUT`` the raw bytes of chunk ``index`` (any order; resend to resume)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(request={"application/octet-stream": bytes}, responses={200: s.UploadSessionOutput})
    def put(self, request: Request, session_id: str, index: int) -> Response:
        session = uploads.upload_session_get(session_id=session_id, user=request.user)
        length = int(request.META.get("CONTENT_LENGTH") or 0)
        if length > settings.MEDIA_CHUNK_MAX_BYTES:
            raise ChunkSizeMismatch(details={"index": index, "received": length})
        uploads.upload_chunk_put(
            session=session, index=index, stream=request._request, sha256=request.headers.get("X-Chunk-SHA256", "")
        )
        return Response(_session_body(session))


class UploadFinaliseView(APIView):
    """Finalising hands the file to the media worker: 202 with the processing state, which
    ``GET /videos/<id>/processing`` and ``ws/videos/<id>/processing/`` then follow."""

    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses={202: s.ProcessingOutput, 200: s.ProcessingOutput})
    def post(self, request: Request, session_id: str) -> Response:
        session = uploads.upload_session_get(session_id=session_id, user=request.user)
        video, created = uploads.upload_finalise(session=session)
        response = Response(_processing_body(video), status=status.HTTP_202_ACCEPTED if created else status.HTTP_200_OK)
        response["Location"] = reverse("video-processing", kwargs={"video_id": video.pk})
        return response


class DirectUploadView(APIView):
    """One multipart request for small files (``file`` plus the video fields)."""

    permission_classes = [IsAuthenticated]
    parser_classes = [MultiPartParser]

    @extend_schema(request={"multipart/form-data": s.DirectUploadInput}, responses={201: s.VideoOutput})
    def post(self, request: Request) -> Response:
        if int(request.META.get("CONTENT_LENGTH") or 0) > settings.MEDIA_DIRECT_UPLOAD_MAX_BYTES + 64 * 1024:
            raise UploadTooLarge(details={"max_bytes": settings.MEDIA_DIRECT_UPLOAD_MAX_BYTES})
        data = s.DirectUploadInput(data=request.data)
        data.is_valid(raise_exception=True)
        video = uploads.upload_direct(creator=request.user, **data.validated_data)
        video = selectors.video_get_visible(video_id=video.pk, viewer=request.user)
        return Response(s.VideoOutput(video, context={"request": request}).data, status=status.HTTP_201_CREATED)


def _video_for_processing(request: Request, video_id: int) -> Any:
    """The owner, or staff, may follow and retry processing; others get 404 / 403 as usual."""
    if request.user.is_staff:
        video = Video.objects.filter(pk=video_id).first()
        if video is None:
            raise NotFound("No such video.", code="video_not_found")
        return video
    return selectors.video_get_for_owner(video_id=video_id, user=request.user)


def _processing_body(video: Any) -> dict[str, Any]:
    video.refresh_from_db(fields=["status", "processing_stage", "processing_percent", "failure_reason"])
    media = VideoMedia.objects.filter(video=video).first()
    return s.ProcessingOutput(
        {
            "video_id": video.pk,
            "status": video.status,
            "stage": video.processing_stage,
            "percent": video.processing_percent,
            "failure_reason": video.failure_reason,
            "attempts": media.attempts if media else 0,
            "stage_timings": media.stage_timings if media else {},
        }
    ).data


class VideoProcessingView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses={200: s.ProcessingOutput})
    def get(self, request: Request, video_id: int) -> Response:
        return Response(_processing_body(_video_for_processing(request, video_id)))


class VideoRetryView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses={202: s.VideoOutput})
    def post(self, request: Request, video_id: int) -> Response:
        video = processing.video_processing_retry(video=_video_for_processing(request, video_id), actor=request.user)
        video = (
            selectors.video_get_visible(video_id=video.pk, viewer=request.user) if not request.user.is_staff else video
        )
        return Response(s.VideoOutput(video, context={"request": request}).data, status=status.HTTP_202_ACCEPTED)


class VideoPlaybackView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(responses={200: s.PlaybackOutput, 409: ERROR})
    def get(self, request: Request, video_id: int) -> Response:
        video = selectors.video_get_visible(video_id=video_id, viewer=request.user)
        media = VideoMedia.objects.filter(video=video).first()
        if video.status != Video.Status.READY or media is None or not media.master_playlist:
            raise VideoNotReady(details={"status": video.status})
        key = media.storage_key
        return Response(
            s.PlaybackOutput(
                {
                    "video_id": video.pk,
                    "master_playlist": storage.playback_url(media.master_playlist, storage_key=key),
                    "thumbnail": storage.playback_url(video.thumbnail.name, storage_key=key),
                    "sprite": storage.playback_url(media.sprite, storage_key=key),
                    "sprite_info": media.sprite_info,
                    "renditions": [
                        {k: r[k] for k in ("name", "width", "height", "video_kbps")}
                        | {"playlist": storage.playback_url(r["playlist"], storage_key=key)}
                        for r in media.renditions
                    ],
                    "duration_ms": video.duration_ms,
                    "expires_in": settings.MEDIA_SIGNED_URL_TTL_S if settings.MEDIA_SIGNED_URLS else None,
                }
            ).data
        )


CONTENT_TYPES = {
    ".m3u8": "application/vnd.apple.mpegurl",
    ".ts": "video/mp2t",
    ".jpg": "image/jpeg",
}


def signed_media(request: Any, token: str, path: str) -> Any:
    """Serve one file under the prefix a signed token grants (HLS playlists, segments, images)."""
    try:
        key = storage.unsign_key(token)
    except signing.BadSignature:
        return JsonResponse(error_body("media_link_invalid", "This media link is invalid or expired."), status=403)
    suffix = PurePosixPath(path).suffix
    if ".." in PurePosixPath(path).parts or suffix not in CONTENT_TYPES:
        return JsonResponse(error_body("not_found", "Not found."), status=404)
    name = storage.prefix_for_key(key) + path
    store = storage.media_storage()
    if not store.exists(name):
        return JsonResponse(error_body("not_found", "Not found."), status=404)
    response = FileResponse(store.open(name, "rb"), content_type=CONTENT_TYPES[suffix])
    response["Cache-Control"] = f"private, max-age={min(settings.MEDIA_SIGNED_URL_TTL_S, 3600)}"
    return response
