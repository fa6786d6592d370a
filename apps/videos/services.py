"""Writes of the videos app (metadata; media processing has its own pipeline)."""

from functools import partial
from typing import Any

from django.db import transaction
from django.utils import timezone

from apps.accounts import facade as accounts
from apps.videos.models import Hashtag, Video
from apps.videos.parsing import parse_hashtags, parse_mentions


def video_caption_index(*, video: Video) -> None:
    names = parse_hashtags(video.caption)
    if names:
        Hashtag.objects.bulk_create([Hashtag(name=name) for name in names], ignore_conflicts=True)
    video.hashtags.set(Hashtag.objects.filter(name__in=names))
    ids = accounts.user_ids_by_username(parse_mentions(video.caption))
    # Nobody is mentioned across a block, and a mention of oneself means nothing.
    allowed = [
        uid
        for uid in ids.values()
        if uid != video.creator_id and not accounts.is_blocked_between(uid, video.creator_id)
    ]
    video.mentions.set(allowed)


@transaction.atomic
def video_create(
    *, creator: Any, caption: str = "", visibility: str | None = None, allow_comments: bool = True
) -> Video:
    if visibility is None:
        settings_row = getattr(creator, "creator_settings", None)
        visibility = settings_row.default_visibility if settings_row else Video.Visibility.PUBLIC
    video = Video.objects.create(creator=creator, caption=caption, visibility=visibility, allow_comments=allow_comments)
    video_caption_index(video=video)
    return video


@transaction.atomic
def video_update(*, video: Video, data: dict[str, Any]) -> Video:
    fields = [name for name in ("caption", "visibility", "allow_comments") if name in data]
    for name in fields:
        setattr(video, name, data[name])
    if fields:
        video.save(update_fields=[*fields, "updated_at"])
    if "caption" in data:
        video_caption_index(video=video)
    return video


def video_delete(*, video: Video) -> None:
    """Delete the row; its files (source, renditions, thumbnails) are purged after commit."""
    from apps.videos.models import VideoMedia
    from apps.videos.tasks import purge_media

    media = VideoMedia.objects.filter(video=video).values("storage_key", "source").first()
    video.delete()
    if media:
        prefix, names = f"v/{media['storage_key']}/", [media["source"]]
        transaction.on_commit(partial(purge_media.delay, prefix=prefix, names=names))


def video_notify_followers(*, video_id: int, publish_at: Any = None) -> None:
    """Hook called once a processed video is published (after commit).

    The notifications app replaces this body with a call to its facade (fan-out to followers,
    honouring ``publish_at`` for scheduled videos). Until then it does nothing.
    """
    return None


def video_mark_ready(
    *,
    video: Video,
    duration_ms: int | None = None,
    width: int | None = None,
    height: int | None = None,
    approve: bool = True,
) -> Video:
    """Processing finished: the video becomes playable (and visible if moderation approves)."""
    video.status = Video.Status.READY
    video.processing_stage = ""
    video.processing_percent = 100
    video.duration_ms = duration_ms if duration_ms is not None else video.duration_ms
    video.width = width if width is not None else video.width
    video.height = height if height is not None else video.height
    if approve and video.moderation_status == Video.Moderation.PENDING:
        video.moderation_status = Video.Moderation.APPROVED
    video.published_at = video.published_at or timezone.now()
    video.save(
        update_fields=[
            "status",
            "processing_stage",
            "processing_percent",
            "duration_ms",
            "width",
            "height",
            "moderation_status",
            "published_at",
            "updated_at",
        ]
    )
    return video
