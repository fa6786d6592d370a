"""ASGI entry point: HTTP and websockets (live counters, notifications)."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "settings.production")
django_asgi_app = get_asgi_application()  # must load before anything importing models

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.conf import settings  # noqa: E402
from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler  # noqa: E402

from apps.accounts.ws_auth import WebsocketAuthStack  # noqa: E402
from settings.routing import websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter(
    {
        # The embedded default serves the admin's static files itself; production uses a CDN/proxy.
        "http": ASGIStaticFilesHandler(django_asgi_app) if settings.DEBUG else django_asgi_app,
        "websocket": WebsocketAuthStack(URLRouter(websocket_urlpatterns)),
    }
)
