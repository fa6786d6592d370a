"""Live delivery: one channel-layer group per user, joined by the notifications websocket."""

import logging
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

logger = logging.getLogger(__name__)


def user_group(user_id: int) -> str:
    return f"notifications.user.{user_id}"


def publish(user_id: int, message: dict[str, Any]) -> None:
    """Best effort: the inbox in PostgreSQL is the record; a lost live message is re-read there."""
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        async_to_sync(layer.group_send)(user_group(user_id), {"type": "notification.message", "message": message})
    except Exception:  # the channel layer being down must not fail the task
        logger.warning("live notification to user %s not sent", user_id, exc_info=True)


def publish_many(messages: list[tuple[int, dict[str, Any]]]) -> None:
    """Many users' messages in one event-loop hop (a batch of notifications is one call)."""
    layer = get_channel_layer()
    if layer is None or not messages:
        return

    async def send_all() -> None:
        for user_id, message in messages:
            await layer.group_send(user_group(user_id), {"type": "notification.message", "message": message})

    try:
        async_to_sync(send_all)()
    except Exception:  # the channel layer being down must not fail the task
        logger.warning("live notifications to %s users not sent", len(messages), exc_info=True)
