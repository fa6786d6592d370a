"""The request path's transport (port.py), chosen by ENGAGEMENT_TRANSPORT: "redis" or "inline"."""

from django.conf import settings

from apps.engagement.transport.inline_transport import InlineTransport
from apps.engagement.transport.port import BatchResult, LikeResult, Origin, Transport, now
from apps.engagement.transport.redis_transport import RedisTransport

_TRANSPORTS: dict[str, Transport] = {"redis": RedisTransport(), "inline": InlineTransport()}


def get() -> Transport:
    return _TRANSPORTS[settings.ENGAGEMENT_TRANSPORT]


def inline() -> bool:
    return settings.ENGAGEMENT_TRANSPORT == "inline"


__all__ = ["BatchResult", "LikeResult", "Origin", "Transport", "get", "inline", "now"]
