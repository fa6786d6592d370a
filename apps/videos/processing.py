"""The processing pipeline and the state machine of a video.

uploaded -> processing (stage, percent) -> ready | failed (reason code) | rejected
failed -> uploaded (retry by the creator or staff)

The first stage, ``assemble``, turns a finalised resumable upload into the video's source
(concatenate, SHA-256, sniff, box walk, probe, limits: apps/videos/uploads.py); a direct
upload or an already assembled source skips it. Its failures are codes a user may read
(``checksum_mismatch``, ``media_truncated`` ...); tool output stays in ``VideoMedia.last_error``.

* Transitions happen under ``select_for_update`` on the video row; a worker holds a lease
  (``VideoMedia.lease_owner``/``lease_until``) so a duplicate task skips while another runs, and a
  redelivered task (same task id) or a task after an expired lease takes over.
* Each stage is idempotent and recorded in ``stage_timings`` when done; a restarted job skips
  finished stages. Outputs are written at fixed names under the video's random prefix.
* Temporary files live in a TemporaryDirectory that is always removed.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from apps.core import ratelimit
from apps.core.errors import PermissionDenied
from apps.core.signals import announce_access_changed
from apps.videos import media as mt
from apps.videos import moderation, storage
from apps.videos.errors import MediaRejected, UploadError, VideoNotRetryable
from apps.videos.models import Video, VideoMedia
from apps.videos.realtime import push_processing

log = logging.getLogger("apps.videos.processing")

S = Video.Status
ALLOWED = {
    S.UPLOADED: {S.PROCESSING, S.FAILED},
    S.PROCESSING: {S.PROCESSING, S.READY, S.FAILED, S.REJECTED},
    S.FAILED: {S.UPLOADED},
    S.READY: set(),
    S.REJECTED: set(),
}

# (stage, percent when it starts, percent when it ends)
STAGES = [
    ("assemble", 0, 3),
    ("probe", 3, 5),
    ("transcode", 5, 88),
    ("thumbnails", 88, 90),
    ("metadata", 90, 93),
    ("moderation", 93, 97),
    ("publish", 97, 100),
]


class LeaseLost(Exception):
    """Another worker took the job over (our lease expired); stop without writing more."""


class Stop(Exception):
    """The video reached a final state inside a stage (rejected)."""


def _transition(video: Video, to: str) -> None:
    if to not in ALLOWED[video.status]:
        raise VideoNotRetryable(f"Cannot go from {video.status} to {to}.", code="invalid_transition")
    video.status = to


def _notify_failed(*, video_id: int, reason: str) -> None:
    from apps.videos.services import video_notify_failed

    video_notify_failed(video_id=video_id, reason=reason)


def processing_enqueue(*, video_id: int) -> None:
    """Queue processing after the current transaction commits."""
    from apps.videos.tasks import process_video

    transaction.on_commit(partial(process_video.delay, video_id))


# --- Claiming and progress ----------------------------------------------------------------


def _has_source(media: VideoMedia) -> bool:
    """A stored source, or the chunks of a finalised upload the assemble stage will turn into one."""
    from apps.videos.uploads import upload_pending_assembly

    return bool(media.source) or upload_pending_assembly(video_id=media.video_id)


def processing_claim(*, video_id: int, owner: str) -> bool:
    """Take (or keep) the job. False when there is nothing to do or another worker holds it."""
    now = timezone.now()
    with transaction.atomic():
        video = Video.objects.select_for_update().filter(pk=video_id).first()
        if video is None or video.status not in (S.UPLOADED, S.PROCESSING):
            return False
        media = VideoMedia.objects.select_for_update().filter(video=video).first()
        if media is None or not _has_source(media):
            return False
        leased = media.lease_owner and media.lease_until and media.lease_until > now
        if video.status == S.PROCESSING and leased and media.lease_owner != owner:
            return False
        _transition(video, S.PROCESSING)
        video.processing_stage = video.processing_stage or STAGES[0][0]
        video.failure_reason = ""
        video.save(update_fields=["status", "processing_stage", "failure_reason", "updated_at"])
        media.lease_owner = owner
        media.lease_until = now + timezone.timedelta(seconds=settings.MEDIA_LEASE_S)
        media.attempts += 1
        media.started_at = media.started_at or now
        media.save(update_fields=["lease_owner", "lease_until", "attempts", "started_at"])
    push_processing(video)
    return True


def processing_progress(*, video_id: int, owner: str, stage: str, percent: int) -> None:
    """Record stage/percent and renew the lease; raise LeaseLost if the job is no longer ours."""
    now = timezone.now()
    renewed = VideoMedia.objects.filter(video_id=video_id, lease_owner=owner).update(
        lease_until=now + timezone.timedelta(seconds=settings.MEDIA_LEASE_S)
    )
    updated = Video.objects.filter(pk=video_id, status=S.PROCESSING).update(
        processing_stage=stage, processing_percent=percent, updated_at=now
    )
    if not (renewed and updated):
        raise LeaseLost(video_id)
    video = Video(pk=video_id, status=S.PROCESSING, processing_stage=stage, processing_percent=percent)
    push_processing(video)


def processing_fail(*, video_id: int, reason: str, detail: str = "", owner: str | None = None) -> bool:
    """Mark the video failed with a reason code (only from uploaded/processing; idempotent)."""
    with transaction.atomic():
        video = Video.objects.select_for_update().filter(pk=video_id).first()
        if video is None or video.status not in (S.UPLOADED, S.PROCESSING):
            return False
        media = VideoMedia.objects.select_for_update().filter(video=video).first()
        if owner and media and media.lease_owner not in ("", owner):
            return False
        _transition(video, S.FAILED)
        video.failure_reason = reason[:64]
        video.save(update_fields=["status", "failure_reason", "updated_at"])
        transaction.on_commit(partial(_notify_failed, video_id=video.pk, reason=video.failure_reason))
        if media:
            media.last_error = detail[-4000:]
            media.lease_owner, media.lease_until = "", None
            media.finished_at = timezone.now()
            media.save(update_fields=["last_error", "lease_owner", "lease_until", "finished_at"])
    push_processing(video)
    return True


# --- The pipeline ------------------------------------------------------------------------------


def video_process(*, video_id: int, owner: str | None = None) -> str:
    """Run every unfinished stage. Returns the resulting status (or 'skipped')."""
    owner = owner or uuid.uuid4().hex
    if not processing_claim(video_id=video_id, owner=owner):
        return "skipped"
    prefix = VideoMedia.objects.get(video_id=video_id).prefix
    try:
        for stage, start, end in STAGES:
            media = VideoMedia.objects.select_related("video").filter(video_id=video_id).first()
            if media is None:
                raise LeaseLost(video_id)  # deleted while we worked
            if stage in media.stage_timings:
                continue
            processing_progress(video_id=video_id, owner=owner, stage=stage, percent=start)
            began = time.monotonic()
            report = _reporter(video_id=video_id, owner=owner, stage=stage, start=start, end=end)
            STAGE_FUNCS[stage](media=media, video=media.video, report=report)
            _stage_done(video_id=video_id, owner=owner, stage=stage, seconds=time.monotonic() - began)
        VideoMedia.objects.filter(video_id=video_id, lease_owner=owner).update(
            lease_owner="", lease_until=None, finished_at=timezone.now()
        )
    except (LeaseLost, Stop):
        if not Video.objects.filter(pk=video_id).exists():
            storage.delete_prefix(prefix)  # the delete's purge may have run before we wrote these
    except (MediaRejected, UploadError) as exc:
        processing_fail(video_id=video_id, reason=exc.code, detail=exc.message, owner=owner)
    except mt.MediaToolError as exc:
        processing_fail(video_id=video_id, reason=exc.reason, detail=exc.detail, owner=owner)
    return Video.objects.filter(pk=video_id).values_list("status", flat=True).first() or "deleted"


def _reporter(*, video_id: int, owner: str, stage: str, start: int, end: int) -> Callable[[float], None]:
    last = {"t": 0.0, "p": start}

    def report(fraction: float) -> None:
        percent = start + int((end - start) * max(0.0, min(1.0, fraction)))
        now = time.monotonic()
        if percent > last["p"] and now - last["t"] >= 1.0:
            last["t"], last["p"] = now, percent
            processing_progress(video_id=video_id, owner=owner, stage=stage, percent=percent)

    return report


def _stage_done(*, video_id: int, owner: str, stage: str, seconds: float) -> None:
    with transaction.atomic():
        media = VideoMedia.objects.select_for_update().filter(video_id=video_id).first()
        if media is None or media.lease_owner != owner:
            raise LeaseLost(video_id)
        media.stage_timings = {**media.stage_timings, stage: round(seconds, 3)}
        media.save(update_fields=["stage_timings"])


def _assemble_stage(*, media: VideoMedia, video: Video, report: Callable[[float], None]) -> None:
    from apps.videos.uploads import upload_assemble

    upload_assemble(media=media, report=report)


def _probe_stage(*, media: VideoMedia, video: Video, report: Callable[[float], None]) -> None:
    with storage.workdir() as tmp, storage.local_copy(media.source, Path(tmp)) as path:
        mt.check_complete(path, mt.sniff_file(path))
        probe = mt.probe(path)
    mt.check_limits(probe)
    media.probe = probe.as_dict()
    media.save(update_fields=["probe"])
    video.duration_ms = int(probe.duration_s * 1000)
    video.width, video.height = probe.width, probe.height
    video.save(update_fields=["duration_ms", "width", "height", "updated_at"])


def _probe_of(media: VideoMedia) -> mt.Probe:
    return mt.Probe(**media.probe)


def _transcode_stage(*, media: VideoMedia, video: Video, report: Callable[[float], None]) -> None:
    probe = _probe_of(media)
    hls_prefix = media.prefix + "hls/"
    storage.delete_prefix(media.prefix)  # a restarted stage starts clean
    with storage.workdir() as tmp, storage.local_copy(media.source, Path(tmp)) as source:
        out = Path(tmp) / "out"
        out.mkdir()
        plan = mt.transcode_plan(probe, source, out)
        mt.run_ffmpeg(plan.args, duration_s=probe.duration_s, timeout_s=mt.transcode_timeout(probe), on_progress=report)
        mt.check_output_duration(probe, out / "hls" / plan.rungs[0].name / "index.m3u8")
        storage.put_tree(hls_prefix, out / "hls")
        poster = (
            storage.put_path(media.prefix + "poster.jpg", out / "poster.jpg") if (out / "poster.jpg").exists() else ""
        )
        sprite = (
            storage.put_path(media.prefix + "sprite.jpg", out / "sprite.jpg") if (out / "sprite.jpg").exists() else ""
        )
    media.renditions = [
        {
            "name": rung.name,
            "width": mt.rung_size(probe, rung)[0],
            "height": mt.rung_size(probe, rung)[1],
            "video_kbps": rung.video_kbps,
            "playlist": f"{hls_prefix}{rung.name}/index.m3u8",
        }
        for rung in plan.rungs
    ]
    media.master_playlist = hls_prefix + "master.m3u8"
    media.sprite = sprite
    media.sprite_info = plan.sprite if sprite else {}
    media.save(update_fields=["renditions", "master_playlist", "sprite", "sprite_info"])
    if poster:
        video.thumbnail.name = poster
        video.save(update_fields=["thumbnail", "updated_at"])


def _thumbnails_stage(*, media: VideoMedia, video: Video, report: Callable[[float], None]) -> None:
    """Poster and sprite are rendered in the transcode pass (one decode); check they exist."""
    store = storage.media_storage()
    if not (video.thumbnail.name and store.exists(video.thumbnail.name)):
        raise mt.MediaToolError("thumbnail_failed", "no poster frame was produced")


def _metadata_stage(*, media: VideoMedia, video: Video, report: Callable[[float], None]) -> None:
    from apps.videos.services import video_caption_index

    video_caption_index(video=video)  # the caption may have changed while processing


def _moderation_stage(*, media: VideoMedia, video: Video, report: Callable[[float], None]) -> None:
    results = moderation.run_checks(video=video, media=media)
    media.checks = [r.as_dict() for r in results]
    media.save(update_fields=["checks"])
    rejected = next((r for r in results if r.verdict == moderation.REJECT), None)
    if rejected:
        with transaction.atomic():
            locked = Video.objects.select_for_update().get(pk=video.pk)
            _transition(locked, S.REJECTED)
            locked.failure_reason = rejected.reason[:64]
            locked.moderation_status = Video.Moderation.REMOVED
            locked.save(update_fields=["status", "failure_reason", "moderation_status", "updated_at"])
            VideoMedia.objects.filter(pk=media.pk).update(lease_owner="", lease_until=None, finished_at=timezone.now())
            transaction.on_commit(partial(_notify_failed, video_id=locked.pk, reason=locked.failure_reason))
        push_processing(locked)
        raise Stop()
    if any(r.verdict == moderation.FLAG for r in results):
        Video.objects.filter(pk=video.pk).update(moderation_status=Video.Moderation.FLAGGED)
        announce_access_changed(video_ids=[video.pk])


def _publish_stage(*, media: VideoMedia, video: Video, report: Callable[[float], None]) -> None:
    from apps.videos.services import video_mark_ready, video_notify_followers

    with transaction.atomic():
        locked = Video.objects.select_for_update().get(pk=video.pk)
        _transition(locked, S.READY)
        if media.publish_at and media.publish_at > timezone.now():
            locked.published_at = media.publish_at  # scheduled: hidden until then (see selectors)
        video_mark_ready(video=locked, approve=locked.moderation_status == Video.Moderation.PENDING)
        transaction.on_commit(partial(video_notify_followers, video_id=locked.pk, publish_at=locked.published_at))
    push_processing(locked)


STAGE_FUNCS: dict[str, Callable[..., None]] = {
    "assemble": _assemble_stage,
    "probe": _probe_stage,
    "transcode": _transcode_stage,
    "thumbnails": _thumbnails_stage,
    "metadata": _metadata_stage,
    "moderation": _moderation_stage,
    "publish": _publish_stage,
}


# --- Retry ---------------------------------------------------------------------------------------


def video_processing_retry(*, video: Video, actor: Any) -> Video:
    """A failed video goes back to uploaded and is queued again (creator or staff)."""
    if not (video.creator_id == actor.pk or actor.is_staff):
        raise PermissionDenied("Only the creator or staff may retry processing.", code="not_video_owner")
    ratelimit.hit(f"media:retry:{actor.pk}", limit=settings.MEDIA_RETRIES_PER_HOUR, window_s=3600)
    with transaction.atomic():
        locked = Video.objects.select_for_update().get(pk=video.pk)
        media = VideoMedia.objects.filter(video=locked).first()
        if locked.status != S.FAILED or media is None or not _has_source(media):
            raise VideoNotRetryable()  # e.g. an upload rejected at assembly: nothing left to process
        _transition(locked, S.UPLOADED)
        locked.failure_reason, locked.processing_stage, locked.processing_percent = "", "", 0
        locked.save(update_fields=["status", "failure_reason", "processing_stage", "processing_percent", "updated_at"])
        VideoMedia.objects.filter(video=locked).update(last_error="", lease_owner="", lease_until=None)
        processing_enqueue(video_id=locked.pk)
    push_processing(locked)
    return locked
