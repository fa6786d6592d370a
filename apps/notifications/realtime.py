"""Live delivery: one channel-layer group per user, joined by the notifications websocket.

Who has a notifications socket open is counted in Redis (``ONLINE``, per user, kept by the
consumer), so a batch of notifications renders and publishes only for recipients who can
receive it; everyone else reads the inbox when they come back. Without Redis as the cache
(the embedded default) everyone counts as online. If an ASGI server dies, its users' counts
stay up until they reconnect and leave: that only costs messages nobody reads.
"""

import logging
from collections.abc import Iterable
from typing import Any

from apps.core import realtime, shared_redis

logger = logging.getLogger(__name__)


ONLINE = shared_redis.key("notifications:online")


def socket_opened(user_id: int) -> None:
    shared_redis.listener_added(ONLINE, str(user_id))


def socket_closed(user_id: int) -> None:
    shared_redis.listener_removed(ONLINE, str(user_id))


def online(user_ids: Iterable[int]) -> set[int]:
    """Those of ``user_ids`` with a notifications socket open (all of them when untracked or
    when Redis cannot tell: a live message is best effort, never worth failing a task)."""
    wanted = list(dict.fromkeys(user_ids))
    try:
        listening = shared_redis.listened(ONLINE, [str(user_id) for user_id in wanted])
    except Exception:
        logger.warning("notification presence unavailable", exc_info=True)
        return set(wanted)
    return set(wanted) if listening is None else {user_id for user_id in wanted if str(user_id) in listening}


def user_group(user_id: int) -> str:
    return f"notifications.user.{user_id}"


def publish_many(messages: list[tuple[int, dict[str, Any]]]) -> None:
    """Many users' messages in one event-loop hop (a batch of notifications is one call). Best
    effort: the inbox in PostgreSQL is the record; a lost live message is re-read there."""
    realtime.publish_many(
        [(user_group(user_id), {"type": "notification.message", "message": message}) for user_id, message in messages]
    )
