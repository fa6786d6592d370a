"""Thin Celery edges of the media pipeline (queue ``media``: one job per core, acks late)."""

from typing import Any

from django.db import OperationalError

from apps.videos import processing, storage, uploads
from workers.base import ReelhouseTask
from workers.celery import app


class MediaTask(ReelhouseTask):
    abstract = True
    max_retries = 3
    acks_late = True
    reject_on_worker_lost = True
    # Storage and database hiccups are retried; bad media fails the video at once instead.
    autoretry_for = (OperationalError, OSError)


class ProcessVideoTask(MediaTask):
    abstract = True

    def on_failure(self, exc: Exception, task_id: str, args: Any, kwargs: Any, einfo: Any) -> None:
        video_id = kwargs.get("video_id", args[0] if args else None)
        if video_id is not None:  # retries exhausted: make it visible and retryable
            processing.processing_fail(video_id=video_id, reason="retries_exhausted", detail=repr(exc))
        super().on_failure(exc, task_id, args, kwargs, einfo)


@app.task(name="media.process_video", base=ProcessVideoTask, bind=True, soft_time_limit=None)
def process_video(self: Any, video_id: int) -> str:
    return processing.video_process(video_id=video_id, owner=self.request.id)


@app.task(name="media.purge_media", base=MediaTask)
def purge_media(*, prefix: str, names: list[str]) -> int:
    """Remove a deleted video's files (idempotent: a second run finds nothing)."""
    storage.delete_names(names)
    return storage.delete_prefix(prefix)


@app.task(name="media.expire_uploads", base=MediaTask, expires=3600, record_failures=False)
def expire_uploads() -> int:
    return uploads.uploads_expire()


@app.task(name="media.announce_scheduled", base=MediaTask, expires=55, record_failures=False)
def announce_scheduled() -> int:
    from apps.videos.services import videos_announce_scheduled

    return videos_announce_scheduled()
