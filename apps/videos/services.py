"""Writes of the videos app (metadata; media processing has its own pipeline)."""

from functools import partial
from typing import Any

from django.db import transaction
from django.utils import timezone

from apps.accounts import facade as accounts
from apps.core.parsing import parse_hashtags, parse_mentions
from apps.videos.models import Hashtag, Video


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
    caption_changed = "caption" in data and data["caption"] != video.caption
    fields = [name for name in ("caption", "visibility", "allow_comments") if name in data]
    for name in fields:
        setattr(video, name, data[name])
    flagged = caption_changed and _caption_moderate(video=video)
    if flagged:
        fields.append("moderation_status")
    if fields:
        video.save(update_fields=[*fields, "updated_at"])
    if "caption" in data:
        video_caption_index(video=video)
    return video


def _caption_moderate(*, video: Video) -> bool:
    """Run the caption checks of processing on an edited caption (``video`` holds it, unsaved).
    A reject refuses the edit; a flag puts a published video up for review (True)."""
    from apps.videos import moderation
    from apps.videos.errors import CaptionBlocked
    from apps.videos.models import VideoMedia

    media = VideoMedia.objects.filter(video=video).first()
    results = moderation.run_checks(video=video, media=media, caption_only=True)
    if any(r.verdict == moderation.REJECT for r in results):
        raise CaptionBlocked()
    if media is not None and media.checks:  # keep the recorded results current
        names = {r.name for r in results}
        media.checks = [c for c in media.checks if c.get("name") not in names] + [r.as_dict() for r in results]
        media.save(update_fields=["checks"])
    flag = any(r.verdict == moderation.FLAG for r in results)
    if flag and video.moderation_status == Video.Moderation.APPROVED:
        video.moderation_status = Video.Moderation.FLAGGED
        return True
    return False


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
    """Called after commit once processing published a video: tell the creator, and fan the
    video out to followers unless it is scheduled (``media.announce_scheduled`` does that when due)."""
    from apps.notifications import facade as notifications

    creator_id = Video.objects.filter(pk=video_id).values_list("creator_id", flat=True).first()
    if creator_id is None:
        return
    notifications.notify_video_processed(video_id=video_id, creator_id=creator_id, ok=True)
    if publish_at is None or publish_at <= timezone.now():
        notifications.notify_video_published(video_id=video_id, creator_id=creator_id)


def video_notify_failed(*, video_id: int, reason: str) -> None:
    """Called after commit when processing failed or moderation rejected the video."""
    from apps.notifications import facade as notifications

    creator_id = Video.objects.filter(pk=video_id).values_list("creator_id", flat=True).first()
    if creator_id is not None:
        notifications.notify_video_processed(video_id=video_id, creator_id=creator_id, ok=False, reason=reason)


def videos_announce_scheduled(*, now: Any = None) -> int:
    """Fan out scheduled videos whose publication time has come (a periodic task; idempotent)."""
    from apps.notifications import facade as notifications
    from apps.videos.models import VideoMedia

    now = now or timezone.now()
    due = VideoMedia.objects.filter(
        publish_at__isnull=False, publish_at__lte=now, video__status=Video.Status.READY
    ).values_list("video_id", "video__creator_id")
    announced = 0
    for video_id, creator_id in due:
        with transaction.atomic():
            if VideoMedia.objects.filter(video_id=video_id, publish_at__isnull=False).update(publish_at=None):
                notifications.notify_video_published(video_id=video_id, creator_id=creator_id)
                announced += 1
    return announced


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
