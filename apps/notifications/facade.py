"""What other apps may ask of notifications. Every producer call only *enqueues* (after the
current transaction commits); the `notifications` workers create, aggregate and deliver.

Idempotency is by ``event_id``: give each event a stable id (e.g. ``f"like:{user_id}:{video_id}"``)
and a redelivered or repeated call changes nothing.
"""

from collections.abc import Iterable
from typing import Any

from django.db import transaction

from apps.notifications.models import Kind

__all__ = [
    "KINDS",
    "notify_event",
    "notify_events",
    "notify_video_processed",
    "notify_video_published",
]

KINDS = tuple(Kind.values)


def _event(
    *,
    kind: str,
    actor_id: int | None,
    target_user_id: int,
    event_id: str,
    video_id: int | None = None,
    comment_id: int | None = None,
    occurred_at: float | None = None,
    data: dict[str, Any] | None = None,
) -> dict[str, Any]:
    if kind not in KINDS:
        raise ValueError(f"unknown notification kind {kind!r}")
    return {
        "kind": kind,
        "actor_id": actor_id,
        "recipient_id": target_user_id,
        "event_id": event_id,
        "video_id": video_id,
        "comment_id": comment_id,
        "occurred_at": occurred_at,
        "data": data or {},
    }


def notify_event(
    *,
    kind: str,
    actor_id: int | None,
    target_user_id: int,
    event_id: str,
    video_id: int | None = None,
    comment_id: int | None = None,
    occurred_at: float | None = None,
    data: dict[str, Any] | None = None,
) -> None:
    """One event for one recipient, e.g. engagement's like:
    ``notify_event(kind="like", actor_id=u, target_user_id=creator, video_id=v, event_id=f"like:{u}:{v}")``.
    A like on a comment passes ``comment_id`` as well. Own actions and blocked pairs are dropped."""
    notify_events(
        [
            {
                "kind": kind,
                "actor_id": actor_id,
                "target_user_id": target_user_id,
                "event_id": event_id,
                "video_id": video_id,
                "comment_id": comment_id,
                "occurred_at": occurred_at,
                "data": data,
            }
        ]
    )


def notify_events(events: Iterable[dict[str, Any]]) -> None:
    """A batch (what engagement's batch workers should use): dicts with the keyword arguments of
    ``notify_event`` (``target_user_id`` as the recipient). One task per call."""
    from apps.notifications.tasks import record_events

    batch = [_event(**event) for event in events]
    if batch:
        transaction.on_commit(lambda: record_events.delay(batch))


def notify_video_processed(*, video_id: int, creator_id: int, ok: bool = True, reason: str = "") -> None:
    """The media pipeline finished (``ok``) or failed: tell the creator."""
    notify_event(
        kind=Kind.PROCESSING_FINISHED,
        actor_id=None,
        target_user_id=creator_id,
        video_id=video_id,
        event_id=f"processed:{video_id}:{'ok' if ok else 'failed'}",
        data={"status": "ready" if ok else "failed", "reason": reason},
    )


def notify_video_published(*, video_id: int, creator_id: int) -> None:
    """A video became visible: fan it out to the creator's followers in batches (idempotent)."""
    from apps.notifications import services
    from apps.notifications.tasks import fanout_new_video

    if services.video_publication_record(video_id=video_id, creator_id=creator_id):
        transaction.on_commit(lambda: fanout_new_video.delay(video_id, creator_id, 0))
