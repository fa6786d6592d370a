"""May this viewer engage with this video? Cached per process for a few seconds, so the
hot request path (one viral video) costs no SQL beyond authentication."""

from typing import Any

from cachetools import TTLCache
from django.conf import settings

from apps.accounts import facade as accounts
from apps.core.errors import NotFound
from apps.videos import facade as videos

_videos: TTLCache = TTLCache(maxsize=50_000, ttl=settings.ACCESS_CACHE_S)
# Per creator: everyone on the other side of a block with them. One query per creator per
# interval, so a viral video's likes cost no block query however many users like it.
_blocks: TTLCache = TTLCache(maxsize=20_000, ttl=settings.ACCESS_CACHE_S)


def clear() -> None:
    _videos.clear()
    _blocks.clear()


_MISSING = object()


def video_info(video_id: int) -> dict[str, Any] | None:
    # One lookup, never `in` then `[]`: an entry may expire between the two (a KeyError, a 500).
    info = _videos.get(video_id, _MISSING)
    if info is _MISSING:
        info = _videos[video_id] = videos.video_access_info(video_id)
    return info


def check_can_engage(*, video_id: int, user: Any) -> dict[str, Any]:
    """The video's access facts if ``user`` may see it; NotFound (as for any hidden video) if not."""
    info = video_info(video_id)
    user_id = user.pk if getattr(user, "is_authenticated", False) else None
    if info is None:
        raise NotFound("No such video.", code="video_not_found")
    if user_id is not None and info["creator_id"] == user_id:
        return info
    if info["open_to_all"]:
        if user_id is None or not _blocked(user_id, info["creator_id"]):
            return info
        raise NotFound("No such video.", code="video_not_found")
    if info["published"] and videos.video_can_view(video_id=video_id, viewer=user):
        return info  # followers-only or private account: the full selector decides
    raise NotFound("No such video.", code="video_not_found")


def _blocked(user_id: int, creator_id: int) -> bool:
    partners = _blocks.get(creator_id)
    if partners is None:
        partners = _blocks[creator_id] = accounts.block_partner_ids(creator_id)
    return user_id in partners
