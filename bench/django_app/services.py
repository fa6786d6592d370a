"""The naive baseline, written the way a competent team writes its first version: every like
and every playback event is a synchronous SQL write in the request, counters bumped with F().

Only the benchmark calls these (docs/benchmark.md); the product path is apps.engagement.
"""

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from apps.core.errors import NotFound
from apps.videos import facade as videos
from bench.django_app.models import NaiveEvent, NaiveLike

# The kinds that can count as a view (loops are rewatches); the thresholds are the product's settings.
VIEW_KINDS = {"progress", "complete", "skip"}


@dataclass
class NaiveLikeResult:
    status: str  # "accepted" | "duplicate"
    like_count: int


@dataclass
class NaiveBatchResult:
    accepted: int = 0
    duplicates: int = 0
    views_counted: int = 0
    rejected: list[dict[str, Any]] = field(default_factory=list)


def _visible_video(*, video_id: int, user: Any) -> dict[str, Any]:
    info = videos.video_access_info(video_id)
    if info is None or not (info["open_to_all"] or info["creator_id"] == user.pk):
        raise NotFound("No such video.", code="video_not_found")
    return info


def naive_like_create(*, user: Any, video_id: int) -> NaiveLikeResult:
    """Insert the like row and bump the video's counter, in one durable transaction."""
    _visible_video(video_id=video_id, user=user)
    try:
        with transaction.atomic():
            NaiveLike.objects.create(user_id=user.pk, video_id=video_id)
            videos.video_counters_add(video_id, likes=1)
            counts = videos.video_counters(video_id) or {"likes": 0}
    except IntegrityError:
        counts = videos.video_counters(video_id) or {"likes": 0}
        return NaiveLikeResult(status="duplicate", like_count=counts["likes"])
    return NaiveLikeResult(status="accepted", like_count=counts["likes"])


def qualifies_as_view(*, kind: str, watch_ms: int, position_ms: int, duration_ms: int) -> bool:
    if kind not in VIEW_KINDS:
        return False
    watched = max(watch_ms, position_ms)
    if duration_ms and duration_ms < settings.VIEW_SHORT_VIDEO_MS:
        return watched >= duration_ms * settings.VIEW_SHORT_SHARE
    return watched >= settings.VIEW_MIN_WATCH_MS


def naive_playback_record(*, user: Any, events: list[dict[str, Any]], now: datetime | None = None) -> NaiveBatchResult:
    """One transaction per batch; per event: a row (deduplicated by event id) and, when it
    counts as a view (once per viewer per video per hour), ``view_count = view_count + 1``."""
    window = int((now or timezone.now()).timestamp()) // settings.VIEW_WINDOW_S
    result = NaiveBatchResult()
    with transaction.atomic():
        for index, event in enumerate(events):
            try:
                _visible_video(video_id=event["video_id"], user=user)
            except NotFound as exc:
                result.rejected.append({"index": index, "event_id": str(event["event_id"]), "code": exc.code})
                continue
            counts = (
                qualifies_as_view(
                    kind=event["kind"],
                    watch_ms=event["watch_ms"],
                    position_ms=event["position_ms"],
                    duration_ms=event["duration_ms"],
                )
                and not NaiveEvent.objects.filter(
                    user_id=user.pk, video_id=event["video_id"], view_window=window, counted_view=True
                ).exists()
            )
            try:
                with transaction.atomic():  # a savepoint: a duplicate must not sink the batch
                    NaiveEvent.objects.create(
                        event_id=uuid.UUID(str(event["event_id"])),
                        user_id=user.pk,
                        video_id=event["video_id"],
                        kind=event["kind"],
                        occurred_at=event["occurred_at"],
                        position_ms=event["position_ms"],
                        watch_ms=event["watch_ms"],
                        duration_ms=event["duration_ms"],
                        view_window=window,
                        counted_view=counts,
                    )
            except IntegrityError:
                result.duplicates += 1
                continue
            result.accepted += 1
            if counts:
                videos.video_counters_add(event["video_id"], views=1)
                result.views_counted += 1
    return result
