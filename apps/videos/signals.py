"""Cache invalidation, the one job a model signal has here (docs/architecture.md): when a save
or delete of a video may change who can see it, announce it (apps.core.signals.access_changed)
so cached access facts (engagement's epochs and facts hashes) are retired.

Only saves that write a column the access facts are read from announce (``update_fields`` is
checked): a thumbnail, caption or processing-progress save moves nothing. A save without
``update_fields`` (the admin's, a full ``save()``) and every delete always announce. Writes
through ``QuerySet.update`` that touch visibility, status or moderation announce themselves
(apps/videos/processing.py)."""

from typing import Any

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from apps.core.signals import announce_access_changed
from apps.videos.models import Video

# The columns apps.videos.facade.videos_access_info reads (the access facts and their seeds).
ACCESS_FIELDS = frozenset(
    {
        "creator",
        "creator_id",
        "visibility",
        "status",
        "moderation_status",
        "published_at",
        "duration_ms",
        "like_count",
        "view_count",
        "share_count",
    }
)


def access_may_change(update_fields: Any) -> bool:
    """Did a save with these ``update_fields`` (None: every column) write an access column?"""
    return update_fields is None or bool(ACCESS_FIELDS & set(update_fields))


@receiver(post_save, sender=Video, dispatch_uid="videos.access_changed.save")
def _video_saved(sender: Any, instance: Video, created: bool = False, **kwargs: Any) -> None:
    # A new video has no cached access facts yet.
    if not created and access_may_change(kwargs.get("update_fields")):
        announce_access_changed(video_ids=[instance.pk])


@receiver(post_delete, sender=Video, dispatch_uid="videos.access_changed.delete")
def _video_deleted(sender: Any, instance: Video, **kwargs: Any) -> None:
    announce_access_changed(video_ids=[instance.pk])
