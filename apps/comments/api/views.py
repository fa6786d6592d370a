"""Thin API edges of comments."""

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.generics import ListAPIView
from rest_framework.permissions import IsAuthenticated, IsAuthenticatedOrReadOnly
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.comments import selectors, services
from apps.comments.api import serializers as s
from apps.core.errors import PermissionDenied, ValidationFailed
from apps.core.pagination import CursorPagination, page_limit


def _limit(request: Request) -> int:
    return page_limit(request, default=20)


class VideoCommentsView(APIView):
    permission_classes = [IsAuthenticatedOrReadOnly]

    @extend_schema(
        parameters=[
            OpenApiParameter("sort", enum=["top", "newest"]),
            OpenApiParameter("cursor"),
            OpenApiParameter("limit", {"type": "integer", "minimum": 1}, description="Page size; at most 100."),
        ],
        responses={200: s.CommentOutput(many=True)},
    )
    def get(self, request: Request, video_id: int) -> Response:
        qs = selectors.top_level_comments(video_id=video_id, viewer=request.user)
        sort = request.query_params.get("sort", "top")
        if sort == "newest":
            paginator = CursorPagination()
            page = paginator.paginate_queryset(qs, request, view=self)
            return paginator.get_paginated_response(s.CommentOutput(page, many=True).data)
        if sort != "top":
            raise ValidationFailed(details={"sort": [{"code": "invalid_choice", "message": "top or newest."}]})
        rows, nxt = selectors.top_page(qs, cursor=request.query_params.get("cursor"), limit=_limit(request))
        return Response({"next": nxt, "previous": None, "results": s.CommentOutput(rows, many=True).data})

    @extend_schema(request=s.CommentCreateInput, responses={201: s.CommentOutput})
    def post(self, request: Request, video_id: int) -> Response:
        data = s.CommentCreateInput(data=request.data)
        data.is_valid(raise_exception=True)
        comment = services.comment_create(user=request.user, video_id=video_id, **data.validated_data)
        comment = selectors.comment_get_visible(comment_id=comment.pk, viewer=request.user)
        return Response(s.CommentOutput(comment).data, status=status.HTTP_201_CREATED)


class CommentDetailView(APIView):
    permission_classes = [IsAuthenticatedOrReadOnly]

    @extend_schema(responses={200: s.CommentOutput})
    def get(self, request: Request, comment_id: int) -> Response:
        return Response(s.CommentOutput(selectors.comment_get_visible(comment_id=comment_id, viewer=request.user)).data)

    @extend_schema(request=s.CommentEditInput, responses={200: s.CommentOutput})
    def patch(self, request: Request, comment_id: int) -> Response:
        comment = selectors.comment_get_visible(comment_id=comment_id, viewer=request.user)
        data = s.CommentEditInput(data=request.data)
        data.is_valid(raise_exception=True)
        services.comment_edit(comment=comment, user=request.user, body=data.validated_data["body"])
        return Response(s.CommentOutput(selectors.comment_get_visible(comment_id=comment_id, viewer=request.user)).data)

    @extend_schema(responses={204: None})
    def delete(self, request: Request, comment_id: int) -> Response:
        comment = selectors.comment_get_any(comment_id=comment_id, viewer=request.user)
        services.comment_delete(comment=comment, user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class CommentRepliesView(ListAPIView):
    permission_classes = [IsAuthenticatedOrReadOnly]
    serializer_class = s.CommentOutput

    class pagination_class(CursorPagination):  # noqa: N801 - DRF attribute name
        ordering = "id"  # a thread reads oldest first

    def get_queryset(self) -> Any:
        comment = selectors.comment_get_visible(comment_id=self.kwargs["comment_id"], viewer=self.request.user)
        return selectors.replies_of(comment=comment, viewer=self.request.user)


class CommentHistoryView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses={200: s.CommentEditOutput(many=True)})
    def get(self, request: Request, comment_id: int) -> Response:
        comment = selectors.comment_get_visible(comment_id=comment_id, viewer=request.user)
        paginator = CursorPagination()  # newest edit first, like every other list
        page = paginator.paginate_queryset(selectors.comment_history(comment=comment), request, view=self)
        return paginator.get_paginated_response(s.CommentEditOutput(page, many=True).data)


class CommentLikeView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses={200: OpenApiTypes.OBJECT, 201: OpenApiTypes.OBJECT, 204: None})
    def post(self, request: Request, comment_id: int) -> Response:
        comment = selectors.comment_get_visible(comment_id=comment_id, viewer=request.user)
        created = services.comment_like(comment=comment, user=request.user)
        return Response({"liked": True}, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)

    @extend_schema(request=None, responses={200: OpenApiTypes.OBJECT, 204: None})
    def delete(self, request: Request, comment_id: int) -> Response:
        comment = selectors.comment_get_visible(comment_id=comment_id, viewer=request.user)
        services.comment_unlike(comment=comment, user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class CommentPinView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses={200: s.CommentOutput})
    def post(self, request: Request, comment_id: int) -> Response:
        comment = selectors.comment_get_visible(comment_id=comment_id, viewer=request.user)
        services.comment_pin(comment=comment, user=request.user)
        return Response(s.CommentOutput(selectors.comment_get_visible(comment_id=comment_id, viewer=request.user)).data)

    @extend_schema(request=None, responses={200: OpenApiTypes.OBJECT, 204: None})
    def delete(self, request: Request, comment_id: int) -> Response:
        comment = selectors.comment_get_any(comment_id=comment_id, viewer=request.user)
        services.comment_unpin(comment=comment, user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class CommentHideView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=s.HideInput, responses={200: OpenApiTypes.OBJECT, 201: OpenApiTypes.OBJECT, 204: None})
    def post(self, request: Request, comment_id: int) -> Response:
        data = s.HideInput(data=request.data)
        data.is_valid(raise_exception=True)
        comment = selectors.comment_get_any(comment_id=comment_id, viewer=request.user)
        services.comment_hide(comment=comment, user=request.user, reason=data.validated_data.get("reason", ""))
        return Response({"status": "hidden"})


class CommentModerateView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=s.ModerateInput, responses={200: OpenApiTypes.OBJECT, 201: OpenApiTypes.OBJECT, 204: None})
    def post(self, request: Request, comment_id: int) -> Response:
        if not (request.user.is_superuser or request.user.groups.filter(name="moderator").exists()):
            raise PermissionDenied("Moderators only.", code="permission_denied")
        data = s.ModerateInput(data=request.data)
        data.is_valid(raise_exception=True)
        comment = selectors.comment_get_any(comment_id=comment_id, viewer=request.user)
        comment = services.moderator_decide(
            comment=comment, moderator=request.user, outcome=data.validated_data["outcome"],
            reason=data.validated_data.get("reason", ""),
        )  # fmt: skip
        return Response({"status": comment.status})
