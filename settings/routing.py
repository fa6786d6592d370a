"""Websocket routes of every app, in one list for settings/asgi.py."""

from django.urls import path

from apps.core.consumers import PingConsumer
from apps.engagement.consumers import VideoCountersConsumer
from apps.notifications.consumers import NotificationConsumer
from apps.videos.consumers import VideoProcessingConsumer

websocket_urlpatterns = [
    path("ws/ping/", PingConsumer.as_asgi()),
    path("ws/notifications/", NotificationConsumer.as_asgi()),
    path("ws/videos/<int:video_id>/processing/", VideoProcessingConsumer.as_asgi()),
    path("ws/videos/<int:video_id>/", VideoCountersConsumer.as_asgi()),
]
