"""Websocket routes of every app, in one list for settings/asgi.py."""

from django.urls import path

from apps.core.consumers import PingConsumer
from apps.notifications.consumers import NotificationConsumer

websocket_urlpatterns = [
    path("ws/ping/", PingConsumer.as_asgi()),
    path("ws/notifications/", NotificationConsumer.as_asgi()),
]
