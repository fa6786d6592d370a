"""The one way anything pushes to websockets: ``group_send`` on the channel layer.

Every app names its own groups and message types (engagement: counters per video, videos:
processing progress, notifications: a user's inbox) and calls ``publish`` / ``publish_many``.
A batch goes in one event-loop hop (``async_to_sync`` costs more than a ``group_send`` on the
Redis pub/sub layer). Live messages are snapshots or re-readable from the database, so a
lost one is healed by the next or by a page read: by default an outage of the channel layer
is logged, never raised (a task or a request must not fail for it). ``best_effort=False``
raises instead, for a caller that keeps what it failed to send and retries it.
"""

import logging
from collections.abc import Sequence
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

log = logging.getLogger(__name__)

Message = tuple[str, dict[str, Any]]  # (group name, channel-layer message with its "type")


def publish(group: str, message: dict[str, Any], *, best_effort: bool = True) -> None:
    """Send one message to one group (see ``publish_many``)."""
    publish_many([(group, message)], best_effort=best_effort)


def publish_many(messages: Sequence[Message], *, best_effort: bool = True) -> None:
    """Send each (group, message), in order, in one event-loop hop. Without a channel layer
    (none configured) nothing is sent."""
    layer = get_channel_layer()
    if layer is None or not messages:
        return

    async def send_all() -> None:
        for group, message in messages:
            await layer.group_send(group, message)

    try:
        async_to_sync(send_all)()
    except Exception:
        if not best_effort:
            raise
        log.warning("%d live message(s) not sent (first group %s)", len(messages), messages[0][0], exc_info=True)
