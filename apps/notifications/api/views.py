"""Inbox API: every endpoint is the signed-in user's own inbox (others' rows are 404)."""

from typing import Any

from django.conf import settings
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.core.pagination import CursorPagination
from apps.notifications import selectors, services
from apps.notifications.api import serializers as s
from apps.notifications.models import NotificationSettings


class InboxPagination(CursorPagination):
    ordering = ("-updated_at", "-id")


class NotificationListView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses={200: s.NotificationOutput(many=True)})
    def get(self, request: Request) -> Response:
        services.notifications_seen(user=request.user)
        paginator = InboxPagination()
        page = paginator.paginate_queryset(selectors.notifications_for(user=request.user), request, view=self)
        return paginator.get_paginated_response(selectors.notifications_render(list(page)))


class UnreadCountView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses={200: OpenApiTypes.OBJECT})
    def get(self, request: Request) -> Response:
        return Response({"unread_count": selectors.unread_count(user=request.user)})


class MarkReadView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses={200: s.NotificationOutput})
    def post(self, request: Request, notification_id: int) -> Response:
        row = services.notification_mark_read(user=request.user, notification_id=notification_id)
        return Response(selectors.notifications_render([row])[0])


class MarkAllReadView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses={200: OpenApiTypes.OBJECT, 201: OpenApiTypes.OBJECT, 204: None})
    def post(self, request: Request) -> Response:
        return Response({"marked": services.notifications_mark_all_read(user=request.user)})


class PreferencesView(APIView):
    permission_classes = [IsAuthenticated]

    @staticmethod
    def _out(prefs: NotificationSettings) -> dict[str, Any]:
        return s.PreferencesOutput({"kinds": prefs.kinds, "muted_until": prefs.muted_until}).data

    @extend_schema(responses={200: s.PreferencesOutput})
    def get(self, request: Request) -> Response:
        prefs, _ = NotificationSettings.objects.get_or_create(user=request.user)
        return Response(self._out(prefs))

    @extend_schema(request=s.PreferencesInput, responses={200: s.PreferencesOutput})
    def patch(self, request: Request) -> Response:
        data = s.PreferencesInput(data=request.data)
        data.is_valid(raise_exception=True)
        prefs = services.settings_update(
            user=request.user,
            kinds=data.validated_data.get("kinds"),
            muted_until=data.validated_data.get("muted_until", ...),
        )
        return Response(self._out(prefs))


class PushSubscriptionView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses={200: OpenApiTypes.OBJECT})
    def get(self, request: Request) -> Response:
        return Response({"vapid_public_key": settings.WEBPUSH_VAPID_PUBLIC_KEY})

    @extend_schema(
        request=s.PushSubscriptionInput, responses={200: OpenApiTypes.OBJECT, 201: OpenApiTypes.OBJECT, 204: None}
    )
    def post(self, request: Request) -> Response:
        data = s.PushSubscriptionInput(data=request.data)
        data.is_valid(raise_exception=True)
        sub = services.push_subscription_create(
            user=request.user, endpoint=data.validated_data["endpoint"], **data.validated_data["keys"]
        )
        return Response({"id": sub.pk, "endpoint": sub.endpoint}, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=s.PushUnsubscribeInput, responses={200: OpenApiTypes.OBJECT, 201: OpenApiTypes.OBJECT, 204: None}
    )
    def delete(self, request: Request) -> Response:
        data = s.PushUnsubscribeInput(data=request.data)
        data.is_valid(raise_exception=True)
        services.push_subscription_delete(user=request.user, endpoint=data.validated_data["endpoint"])
        return Response(status=status.HTTP_204_NO_CONTENT)
