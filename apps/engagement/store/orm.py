"""ORM adapter of the EngagementStore, for the embedded default (SQLite) and as a reference.

Same contract as the Cassandra adapter: idempotent by event id / natural key, likes
converge to the latest intent by event time.
"""

import uuid
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime

from django.db import DatabaseError, transaction
from django.db.models import Sum

from apps.engagement.events import (
    PLAYBACK_KINDS,
    AffinitySignal,
    EngagementEvent,
    Kind,
    LikeChange,
    WatchSession,
    summarize_watch,
)
from apps.engagement.models import (
    AffinityRecord,
    EventRecord,
    LikeRecord,
    WatchRecord,
    WatchSessionRecord,
)
from apps.engagement.store.port import StoreUnavailable

_PARTS = uuid.UUID("0b8f4f1e-6a7c-4d2b-9e35-71c2d4a8f6b0")  # affinity rows: one per (video, part)


def _event(row: EventRecord | WatchRecord, **extra: object) -> EngagementEvent:
    return EngagementEvent(
        event_id=row.event_id,
        kind=row.kind,
        video_id=row.video_id,
        occurred_at=row.occurred_at,
        watch_ms=row.watch_ms,
        position_ms=row.position_ms,
        duration_ms=row.duration_ms,
        **extra,
    )


class OrmStore:
    def ping(self) -> None:
        try:
            LikeRecord.objects.exists()
        except DatabaseError as exc:
            raise StoreUnavailable("The engagement tables are unavailable.") from exc

    def truncate_all(self) -> None:
        for model in (EventRecord, LikeRecord, WatchRecord, WatchSessionRecord, AffinityRecord):
            model.objects.all().delete()

    def record_events(self, events: Sequence[EngagementEvent]) -> None:
        EventRecord.objects.bulk_create(
            [
                EventRecord(
                    event_id=e.event_id,
                    kind=e.kind,
                    video_id=e.video_id,
                    user_id=e.user_id,
                    session_id=e.session_id,
                    occurred_at=e.occurred_at,
                    watch_ms=e.watch_ms,
                    position_ms=e.position_ms,
                    duration_ms=e.duration_ms,
                    target=e.target,
                )
                for e in events
            ],
            ignore_conflicts=True,
        )

    def video_events(
        self, *, video_id: int, since: datetime, until: datetime, kind: str | None = None
    ) -> list[EngagementEvent]:
        rows = EventRecord.objects.filter(video_id=video_id, occurred_at__gte=since, occurred_at__lt=until).exclude(
            kind=Kind.VIEW
        )  # views are counted and in the history, not in the video's log (as in Cassandra)
        if kind is not None:
            rows = rows.filter(kind=kind)
        return [
            _event(r, user_id=r.user_id, session_id=r.session_id, target=r.target)
            for r in rows.order_by("-occurred_at")
        ]

    def count_events(self, *, video_id: int, kind: str) -> int:
        return EventRecord.objects.filter(video_id=video_id, kind=kind).count()

    def user_history(self, *, user_id: int, limit: int = 50) -> list[EngagementEvent]:
        rows = EventRecord.objects.filter(user_id=user_id).order_by("-occurred_at")[:limit]
        return [_event(r, user_id=user_id, session_id=r.session_id, target=r.target) for r in rows]

    @transaction.atomic
    def apply_likes(self, changes: Sequence[LikeChange]) -> None:
        for change in sorted(changes, key=lambda c: c.at):
            updated = LikeRecord.objects.filter(
                user_id=change.user_id, video_id=change.video_id, changed_at__lt=change.at
            ).update(liked=change.liked, changed_at=change.at, event_id=change.event_id)
            if not updated:
                LikeRecord.objects.bulk_create(
                    [
                        LikeRecord(
                            user_id=change.user_id,
                            video_id=change.video_id,
                            liked=change.liked,
                            changed_at=change.at,
                            event_id=change.event_id,
                        )
                    ],
                    ignore_conflicts=True,  # exists with a newer (or equal) intent: it wins
                )

    def is_liked(self, *, user_id: int, video_id: int) -> bool:
        return LikeRecord.objects.filter(user_id=user_id, video_id=video_id, liked=True).exists()

    def liked_video_ids(self, *, user_id: int, limit: int = 50) -> list[int]:
        rows = LikeRecord.objects.filter(user_id=user_id, liked=True).order_by("-changed_at")[:limit]
        return list(rows.values_list("video_id", flat=True))

    def like_count(self, *, video_id: int) -> int:
        return LikeRecord.objects.filter(video_id=video_id, liked=True).count()

    def recent_likers(self, *, video_id: int, limit: int = 20) -> list[int]:
        rows = LikeRecord.objects.filter(video_id=video_id, liked=True).order_by("-changed_at")[:limit]
        return list(rows.values_list("user_id", flat=True))

    @transaction.atomic
    def record_watch(self, events: Sequence[EngagementEvent]) -> None:
        playback = [e for e in events if e.kind in PLAYBACK_KINDS]
        WatchRecord.objects.bulk_create(
            [
                WatchRecord(
                    event_id=e.event_id,
                    viewer_key=e.viewer_key,
                    video_id=e.video_id,
                    kind=e.kind,
                    watch_ms=e.watch_ms,
                    position_ms=e.position_ms,
                    duration_ms=e.duration_ms,
                    occurred_at=e.occurred_at,
                )
                for e in playback
            ],
            ignore_conflicts=True,
        )
        for viewer_key, video_id in sorted({(e.viewer_key, e.video_id) for e in playback}):
            rows = WatchRecord.objects.filter(viewer_key=viewer_key, video_id=video_id)
            session = summarize_watch(viewer_key=viewer_key, video_id=video_id, events=[_event(r) for r in rows])
            WatchSessionRecord.objects.update_or_create(
                viewer_key=viewer_key,
                video_id=video_id,
                defaults={
                    name: getattr(session, name)
                    for name in (
                        "total_watch_ms",
                        "max_position_ms",
                        "duration_ms",
                        "plays",
                        "rewatches",
                        "completed",
                        "first_at",
                        "last_at",
                    )
                },
            )

    def watch_session(self, *, viewer_key: str, video_id: int) -> WatchSession | None:
        row = WatchSessionRecord.objects.filter(viewer_key=viewer_key, video_id=video_id).first()
        if row is None:
            return None
        return WatchSession(
            viewer_key=viewer_key,
            video_id=video_id,
            total_watch_ms=row.total_watch_ms,
            max_position_ms=row.max_position_ms,
            duration_ms=row.duration_ms,
            plays=row.plays,
            rewatches=row.rewatches,
            completed=row.completed,
            first_at=row.first_at,
            last_at=row.last_at,
        )

    def add_affinity(self, signals: Sequence[AffinitySignal]) -> None:
        AffinityRecord.objects.bulk_create(
            [
                AffinityRecord(
                    user_id=s.user_id,
                    kind=s.kind,
                    key=s.key,
                    event_id=uuid.uuid5(_PARTS, f"{s.video_id}:{s.part}"),  # one row per (target, video, part)
                    weight=s.weight,
                    at=s.at,
                )
                for s in signals
            ],
            ignore_conflicts=True,
        )

    def affinities(self, *, user_id: int, kind: str, limit: int = 20) -> list[tuple[str, float]]:
        rows = AffinityRecord.objects.filter(user_id=user_id, kind=kind).values("key").annotate(score=Sum("weight"))
        scores: dict[str, float] = defaultdict(float, {row["key"]: row["score"] for row in rows})
        return sorted(scores.items(), key=lambda item: (-item[1], item[0]))[:limit]
