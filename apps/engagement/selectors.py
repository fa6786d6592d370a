"""Engagement reads for the API."""

from typing import Any

from apps.engagement import access, counters, transport
from apps.engagement.store import get_store


def live_counters(*, video_id: int, viewer: Any) -> dict[str, int]:
    info = access.check_can_engage(video_id=video_id, user=viewer)
    counts = counters.live_counters(video_id, info=info)
    if access.likes_hidden(info, viewer):
        counts["likes"] = None  # the creator hides like counts from everyone else
    return {"video_id": video_id, **counts}


def is_liked(*, video_id: int, user: Any) -> bool:
    """What the user sees at once after liking: the request path's state, else the store's."""
    access.check_can_engage(video_id=video_id, user=user)
    state = transport.get().like_state(user_id=user.pk, video_id=video_id)
    if state is not None:
        return state
    return get_store().is_liked(user_id=user.pk, video_id=video_id)
