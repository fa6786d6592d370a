"""Recording notification events (tasks only, never a request): parse, dedupe by event id,
check the recipient may be told, aggregate into rows; live and push delivery follow the commit."""

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from apps.accounts import facade as accounts
from apps.core.errors import ValidationFailed
from apps.notifications.models import (
    AGGREGATED_KINDS,
    Kind,
    Notification,
    NotificationSettings,
)
from apps.notifications.services.delivery import deliver_live, queue_pushes
from apps.notifications.services.preferences import kind_enabled
from apps.notifications.services.rows import add_actors_many, claim_events, rows_for_update, save_aggregates
from apps.videos import facade as videos

RECENT_ACTORS = 3
# Kinds sent by the platform itself: the actor may be the recipient (or nobody).
SYSTEM_KINDS = frozenset({Kind.PROCESSING_FINISHED.value, Kind.MODERATION.value})
# Kinds about a video the recipient does not own: check the recipient may see it.
VIEW_CHECKED_KINDS = frozenset({Kind.MENTION.value, Kind.REPLY.value, Kind.NEW_VIDEO.value})


@dataclass(frozen=True)
class Event:
    kind: str
    recipient_id: int
    event_id: str
    actor_id: int | None = None
    video_id: int | None = None
    comment_id: int | None = None
    occurred_at: float = 0.0  # epoch seconds
    data: dict[str, Any] = field(default_factory=dict)

    @property
    def target_key(self) -> str:
        if self.kind in (Kind.FOLLOW,):
            return f"user:{self.recipient_id}"
        if self.kind == Kind.FOLLOW_REQUEST:
            return f"user:{self.actor_id}"
        if self.kind == Kind.COMMENT:
            return f"video:{self.video_id}"
        if self.comment_id is not None:
            return f"comment:{self.comment_id}"
        if self.video_id is not None:
            return f"video:{self.video_id}"
        return f"event:{self.event_id}"[:48]

    @property
    def bucket(self) -> int:
        if self.kind not in AGGREGATED_KINDS:
            return 0
        return int(self.occurred_at // settings.NOTIFICATIONS_AGGREGATION_WINDOW_S)


def event_from_dict(raw: dict[str, Any]) -> Event:
    kind = raw.get("kind")
    if kind not in Kind.values:
        raise ValidationFailed(f"Unknown notification kind {kind!r}.", code="unknown_notification_kind")
    if not raw.get("event_id") or not raw.get("recipient_id"):
        raise ValidationFailed("event_id and recipient_id are required.")
    return Event(
        kind=kind,
        recipient_id=int(raw["recipient_id"]),
        event_id=str(raw["event_id"])[:128],
        actor_id=int(raw["actor_id"]) if raw.get("actor_id") is not None else None,
        video_id=int(raw["video_id"]) if raw.get("video_id") is not None else None,
        comment_id=int(raw["comment_id"]) if raw.get("comment_id") is not None else None,
        occurred_at=float(raw.get("occurred_at") or timezone.now().timestamp()),
        data=dict(raw.get("data") or {}),
    )


def _allowed(event: Event, *, blocked: set[int], prefs: NotificationSettings | None) -> bool:
    if event.kind not in SYSTEM_KINDS and (event.actor_id is None or event.actor_id == event.recipient_id):
        return False  # never for your own actions
    if event.actor_id is not None and event.actor_id in blocked:
        return False
    if not kind_enabled(prefs, event.kind, "in_app"):
        return False
    if event.kind in VIEW_CHECKED_KINDS and event.video_id is not None:
        viewer = active_user(event.recipient_id)
        if viewer is None or not videos.video_can_view(video_id=event.video_id, viewer=viewer):
            return False
    return True


def active_user(user_id: int) -> Any:
    from django.contrib.auth import get_user_model

    return get_user_model().objects.filter(pk=user_id, is_active=True).first()


@transaction.atomic
def events_record(*, events: list[dict[str, Any]]) -> list[int]:
    """Turn events into (aggregated) notifications. Idempotent per event id.

    Returns the ids of the rows created or changed. Live and push delivery follow the commit.
    """
    parsed = [event_from_dict(raw) for raw in events]
    fresh = claim_events(list(dict.fromkeys(e.event_id for e in parsed)))
    seen: set[str] = set()
    todo = []
    for event in parsed:
        if event.event_id in fresh and event.event_id not in seen:
            seen.add(event.event_id)
            todo.append(event)
    if not todo:
        return []
    recipients = {e.recipient_id for e in todo}
    prefs_by_user = {p.user_id: p for p in NotificationSettings.objects.filter(user_id__in=recipients)}
    blocked_by_user = accounts.block_partner_ids_many(list(recipients))
    groups: dict[tuple, list[Event]] = defaultdict(list)
    for event in todo:
        prefs = prefs_by_user.get(event.recipient_id)
        if _allowed(event, blocked=blocked_by_user[event.recipient_id], prefs=prefs):
            groups[(event.recipient_id, event.kind, event.target_key, event.bucket)].append(event)

    # One locking read, one insert of the missing rows, one actor insert and one bulk update
    # for the whole batch, however many recipients it touches.
    rows = rows_for_update(list(groups))
    missing = [key for key in groups if key not in rows]
    if missing:
        Notification.objects.bulk_create(
            [
                Notification(
                    recipient_id=recipient_id,
                    kind=kind,
                    target_key=target_key,
                    bucket=bucket,
                    video_id=groups[key][-1].video_id,
                    comment_id=groups[key][-1].comment_id,
                    data=groups[key][-1].data,
                )
                for key in missing
                for recipient_id, kind, target_key, bucket in [key]
            ],
            ignore_conflicts=True,
        )
        rows.update(rows_for_update(missing))
    created = [row.pk for key, row in rows.items() if row.actor_count == 0 and key in groups]
    wanted = {
        rows[key].pk: list(dict.fromkeys(reversed([e.actor_id for e in group if e.actor_id is not None])))
        for key, group in groups.items()
    }
    new_actors = add_actors_many(wanted)  # newest first per row
    now = timezone.now()
    for key, group in groups.items():
        row = rows[key]
        added = new_actors.get(row.pk, [])
        row.actor_count += len(added)  # safe: the row is locked until this transaction ends
        row.recent_actor_ids = (added + [a for a in row.recent_actor_ids if a not in added])[:RECENT_ACTORS]
        row.data = {**row.data, **group[-1].data}
        row.updated_at = now
    changed = [rows[key] for key in groups]
    save_aggregates(changed)
    touched = [row.pk for row in changed]

    queue_pushes(created, prefs_by_user)
    transaction.on_commit(lambda: deliver_live(notification_ids=touched))
    return touched
