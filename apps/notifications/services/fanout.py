"""New videos: fan-out to followers in batches, and the pull of missed videos on return."""

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from apps.accounts import facade as accounts
from apps.notifications.models import (
    Kind,
    Notification,
    NotificationSettings,
    VideoPublication,
)
from apps.notifications.services.delivery import deliver_live, queue_pushes
from apps.notifications.services.events import active_user
from apps.notifications.services.preferences import kind_enabled
from apps.notifications.services.rows import claim_events
from apps.videos import facade as videos


def video_publication_record(*, video_id: int, creator_id: int) -> bool:
    _, created = VideoPublication.objects.get_or_create(video_id=video_id, defaults={"creator_id": creator_id})
    return created


def _inactive_cutoff() -> datetime:
    return timezone.now() - timedelta(days=settings.NOTIFICATIONS_INACTIVE_AFTER_DAYS)


@transaction.atomic
def new_video_fanout_batch(*, video_id: int, creator_id: int, after_follower_id: int = 0) -> int | None:
    """Notify one batch of followers (by follower id > ``after_follower_id``).

    Returns the cursor for the next batch, or None when done. Idempotent: a redelivered batch is
    claimed already and only hands back the cursor. Inactive followers are skipped; they pull
    missed videos when they come back (``notifications_pull_missed``).
    """
    size = settings.NOTIFICATIONS_FANOUT_BATCH
    followers = accounts.follower_ids_page(
        user_id=creator_id, after_id=after_follower_id, limit=size, skip=accounts.block_partner_ids(creator_id)
    )
    if not followers:
        return None
    cursor = followers[-1] if len(followers) == size else None
    if not claim_events([f"fanout:{video_id}:{after_follower_id}"]):
        return cursor
    probe = active_user(followers[0])
    if probe is None or not videos.video_can_view(video_id=video_id, viewer=probe):
        return None  # not visible to followers (private, removed, ...): stop the fan-out
    prefs_by_user = {p.user_id: p for p in NotificationSettings.objects.filter(user_id__in=followers)}
    cutoff = _inactive_cutoff()
    recipients = [
        uid
        for uid in followers
        if kind_enabled(prefs_by_user.get(uid), Kind.NEW_VIDEO, "in_app")
        and not (
            prefs_by_user.get(uid) and prefs_by_user[uid].last_seen_at and prefs_by_user[uid].last_seen_at < cutoff
        )
    ]
    _bulk_new_video(video_id=video_id, creator_id=creator_id, recipients=recipients)
    new_ids = list(
        Notification.objects.filter(
            recipient_id__in=recipients, kind=Kind.NEW_VIDEO, target_key=f"video:{video_id}", is_read=False
        ).values_list("pk", flat=True)
    )
    queue_pushes(new_ids, prefs_by_user)
    transaction.on_commit(lambda: deliver_live(notification_ids=new_ids))
    return cursor


def _bulk_new_video(*, video_id: int, creator_id: int, recipients: list[int]) -> None:
    Notification.objects.bulk_create(
        [
            Notification(
                recipient_id=uid,
                kind=Kind.NEW_VIDEO,
                target_key=f"video:{video_id}",
                video_id=video_id,
                actor_count=1,
                recent_actor_ids=[creator_id],
            )
            for uid in recipients
        ],
        ignore_conflicts=True,
        batch_size=1000,
    )


def notifications_seen(*, user: Any) -> None:
    """The user is here: record it (at most hourly) and, after a long absence, pull the new
    videos of followed creators that the fan-out skipped."""
    now = timezone.now()
    prefs, _ = NotificationSettings.objects.get_or_create(user=user)
    last = prefs.last_seen_at
    if last and last > now - timedelta(hours=1):
        return
    if last and last < _inactive_cutoff():
        missed = (
            VideoPublication.objects.filter(creator_id__in=accounts.followee_ids(user.pk), published_at__gt=last)
            .exclude(creator_id__in=accounts.block_partner_ids(user.pk))
            .order_by("-published_at")[: settings.NOTIFICATIONS_PULL_LIMIT]
        )
        visible = [
            (p.video_id, p.creator_id) for p in missed if videos.video_can_view(video_id=p.video_id, viewer=user)
        ]
        for video_id, creator_id in visible:
            _bulk_new_video(video_id=video_id, creator_id=creator_id, recipients=[user.pk])
    NotificationSettings.objects.filter(pk=prefs.pk).update(last_seen_at=now)
