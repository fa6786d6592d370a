"""Thin Celery edges: ids and JSON in, one service call each. Routed to the `notifications` queue.

Transient errors are retried with backoff by the base class (workers/base.py), then the task is
a dead letter in the admin; every service here is idempotent, so a retry or a redelivery
changes nothing twice."""

from typing import Any

from django.conf import settings

from apps.notifications import services
from workers.base import ReelhouseTask
from workers.celery import app


@app.task(name="notifications.record_events", base=ReelhouseTask)
def record_events(events: list[dict[str, Any]]) -> int:
    return len(services.events_record(events=events))


@app.task(name="notifications.fanout_new_video", base=ReelhouseTask)
def fanout_new_video(video_id: int, creator_id: int, after_follower_id: int = 0) -> int | None:
    cursor = services.new_video_fanout_batch(
        video_id=video_id, creator_id=creator_id, after_follower_id=after_follower_id
    )
    if cursor is not None:  # the next batch is its own task: a huge audience never blocks the queue
        fanout_new_video.delay(video_id, creator_id, cursor)
    return cursor


@app.task(name="notifications.send_push", base=ReelhouseTask, bind=True, max_retries=settings.WEBPUSH_MAX_ATTEMPTS)
def send_push(self: Any, delivery_id: int) -> str | None:
    from django.utils import timezone

    delivery = services.push_delivery_attempt(delivery_id=delivery_id)
    if delivery is None:
        return None
    now = timezone.now()
    if delivery.status not in services.FINAL_DELIVERY and delivery.lease_until and delivery.lease_until > now:
        # Another worker is sending it; if it dies holding the lease, this look takes over.
        self.apply_async(args=[delivery_id], countdown=int((delivery.lease_until - now).total_seconds()) + 1)
        return "leased"
    if delivery.status == delivery.Status.RETRYING and delivery.next_attempt_at is not None:
        countdown = max(1, int((delivery.next_attempt_at - now).total_seconds()))
        self.apply_async(args=[delivery_id], countdown=countdown)
    return delivery.status


@app.task(
    name="notifications.prune_processed_events", base=ReelhouseTask, max_retries=2, expires=3600, record_failures=False
)
def prune_processed_events() -> int:
    from datetime import timedelta

    from django.utils import timezone

    from apps.notifications.models import ProcessedEvent

    cutoff = timezone.now() - timedelta(days=settings.NOTIFICATIONS_EVENT_DEDUPE_DAYS)
    return ProcessedEvent.objects.filter(created_at__lt=cutoff).delete()[0]
