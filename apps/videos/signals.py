"""Announce changes to who may see a video (apps.core.signals.access_changed).

Model signals catch every save and delete, the admin's included; writes through
``QuerySet.update`` that touch visibility, status or moderation announce themselves."""

from typing import Any

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from apps.core.signals import announce_access_changed
from apps.videos.models import Video


@receiver(post_save, sender=Video, dispatch_uid="videos.access_changed.save")
@receiver(post_delete, sender=Video, dispatch_uid="videos.access_changed.delete")
def _video_changed(sender: Any, instance: Video, created: bool = False, **kwargs: Any) -> None:
    if not created:  # a new video has no cached access facts yet
        announce_access_changed(video_ids=[instance.pk])
